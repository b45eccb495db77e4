// Command kuzet-audit verifies an audit bundle exported by
// "kuzet-server audit export", with nothing but the bundle:
//
//	kuzet-audit verify FILE [--key audit.pub] [--lang kk|ru|en]
//	kuzet-audit witness --state FILE --key audit.pub (--kept-size | --checkpoint FILE [--proof FILE])
//	kuzet-audit --version | version
//
// It checks the checkpoint's signature, every entry's inclusion proof and
// every evidence and recording file's hash, and names the first entry that
// fails and why. witness keeps the last checkpoint it accepted (off the
// server's host) and refuses one that does not extend it: a log rebuilt
// with a stolen key. Exit status: 0 verified, 1 failed, 2 could not check.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"kuzet.kz/kuzet/internal/buildinfo"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/audit/witness"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version" || os.Args[1] == "version") {
		// Which build verifies: the release stamp (scripts/release) or dev.
		fmt.Println(buildinfo.Get().String("kuzet-audit"))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	var code int
	if len(os.Args) > 1 && os.Args[1] == "witness" {
		code = witness.RunCommand(os.Args[2:], os.Stdout, os.Stderr)
	} else {
		code = audit.RunBundleCommand(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}
