// Command kuzet-audit verifies an audit bundle exported by
// "kuzet-server audit export", with nothing but the bundle:
//
//	kuzet-audit verify FILE [--key audit.pub] [--lang kk|ru|en]
//
// It checks the checkpoint's signature, every entry's inclusion proof and
// every evidence and recording file's hash, and names the first entry that
// fails and why. Exit status: 0 verified, 1 failed, 2 could not check.
package main

import (
	"context"
	"os"
	"os/signal"

	"kuzet.kz/kuzet/server/audit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := audit.RunBundleCommand(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
