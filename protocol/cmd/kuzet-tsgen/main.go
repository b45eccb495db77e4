// Command kuzet-tsgen writes the web app's TypeScript types from the Go
// protocol package. Run it from the repository root after changing protocol/:
//
//	go run ./protocol/cmd/kuzet-tsgen
//
// The protocol tests fail while proctor-ui/src/gen/protocol.ts is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"kuzet.kz/kuzet/protocol"
)

func main() {
	out := filepath.Join("proctor-ui", "src", "gen", "protocol.ts")
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	ts, err := protocol.TypeScript(os.DirFS("protocol"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-tsgen: run it from the repository root:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-tsgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, append(ts, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-tsgen:", err)
		os.Exit(1)
	}
}
