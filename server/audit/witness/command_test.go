package witness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/audit"
)

// The commands an operator runs: "kuzet-server audit checkpoint" on the
// server's host, "kuzet-audit witness" elsewhere. A log rebuilt with the
// stolen key is refused with exit 1 and both sizes named.
func TestWitnessCommands(t *testing.T) {
	keysDir := filepath.Join(t.TempDir(), "audit-keys")
	t.Setenv(audit.KeysEnv, keysDir)
	t.Setenv("KUZET_LANG", "en")
	state := filepath.Join(t.TempDir(), "witness.state")
	pub := filepath.Join(keysDir, audit.VerifierKeyFile)
	out := t.TempDir()
	cp, proof := filepath.Join(out, "cp"), filepath.Join(out, "proof")

	// export signs checkpoints on the data directory's log, then the
	// checkpoint command reads it (the server would be stopped or the
	// commands run on a copy).
	build := func(prefix string, n int) string {
		t.Helper()
		r := openLog(t, keysDir)
		r.add(prefix, 0, n)
		if _, err := r.log.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
		dir := r.dir
		r.close()
		return dir
	}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		var o, e bytes.Buffer
		var code int
		if args[0] == "witness" {
			code = RunCommand(args[1:], &o, &e)
		} else {
			code = audit.RunCommand(context.Background(), args, &o, &e)
		}
		if code != wantCode {
			t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, o.String(), e.String())
		}
		return o.String() + e.String()
	}

	honest := build("real", 5)
	run(0, "checkpoint", "--data", honest, "-o", cp)
	if got := run(0, "witness", "--state", state, "--key", pub, "--checkpoint", cp); !strings.Contains(got, "first checkpoint") {
		t.Errorf("first run said %q", got)
	}
	if got := strings.TrimSpace(run(0, "witness", "--state", state, "--key", pub, "--kept-size")); got != "5" {
		t.Fatalf("kept size %q, want 5", got)
	}
	// The verifier key given inline works as the file does.
	key, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(run(0, "witness", "--state", state, "--key", strings.TrimSpace(string(key)), "--kept-size")); got != "5" {
		t.Fatalf("kept size with the inline key %q, want 5", got)
	}

	forged := build("forged", 9)
	run(0, "checkpoint", "--data", forged, "--from", "5", "-o", cp, "--proof", proof)
	got := run(1, "witness", "--state", state, "--key", pub, "--checkpoint", cp, "--proof", proof)
	for _, want := range []string{"WITNESS REFUSES", "size 5", "size 9"} {
		if !strings.Contains(got, want) {
			t.Errorf("refusal %q does not say %q", got, want)
		}
	}
	if got := strings.TrimSpace(run(0, "witness", "--state", state, "--key", pub, "--kept-size")); got != "5" {
		t.Errorf("after the refusal the kept size is %q, want still 5", got)
	}
	// Asking for a proof from beyond the log's size is itself a finding.
	if got := run(1, "checkpoint", "--data", honest, "--from", "9", "-o", cp, "--proof", proof); !strings.Contains(got, "--from 9") {
		t.Errorf("from too large said %q", got)
	}
	run(2, "witness", "--state", state, "--key", pub)
}
