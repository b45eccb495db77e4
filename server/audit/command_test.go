package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("KUZET_LANG", "en")
	var out, errb bytes.Buffer
	code := RunCommand(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommandVerify(t *testing.T) {
	f := newFixture(t)
	code, out, errs := runCmd(t, "verify", "--data", f.dir)
	if code != ExitOK || !strings.Contains(out, "Log verified: 40 entries, 3 checkpoints, 3 files") {
		t.Fatalf("clean log: exit %d\n%s%s", code, out, errs)
	}
	db, l := openLog(t, f.dir)
	if _, err := l.Append(context.Background(), Entry{Time: t0, Kind: KindAction, Sitting: "S1", Actor: "p-1"}, nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db.Close()
	code, out, errs = runCmd(t, "verify", "--data", f.dir)
	if code != ExitOK || !strings.Contains(out, "Note: 1 entries after checkpoint 3") {
		t.Fatalf("unsigned tail: exit %d\n%s%s", code, out, errs)
	}
	flipInFile(t, filepath.Join(f.dir, "kuzet.db"), []byte("entry-0017-marker"))
	code, out, _ = runCmd(t, "verify", "--data", f.dir, "--lang", "ru")
	if code != ExitFailed || !strings.Contains(out, "первая несовпадающая запись — №17") || !strings.Contains(out, "запись №17 изменена") {
		t.Fatalf("tampered log: exit %d\n%s", code, out)
	}
}

func TestCommandLockedDatabase(t *testing.T) {
	f := newFixture(t)
	db, err := bbolt.Open(filepath.Join(f.dir, "kuzet.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"verify", "--data", f.dir}, {"export", "--data", f.dir, "--sitting", "S1", "-o", filepath.Join(t.TempDir(), "b.tar")}} {
		start := time.Now()
		code, _, errs := runCmd(t, args...)
		if code != ExitUncheckable || !strings.Contains(errs, "the server seems to be running") {
			t.Fatalf("%v with the database locked: exit %d: %s", args, code, errs)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("waited %s for the lock", d)
		}
	}
}

func TestCommandUsage(t *testing.T) {
	tests := [][]string{
		{},
		{"frobnicate", "--data", "x"},
		{"verify"},
		{"verify", "--data"},
		{"export", "--data", "x", "--sitting", "S1"},
		{"verify", "--data", "x", "--lang", "de"},
	}
	for _, args := range tests {
		code, out, errs := runCmd(t, args...)
		if code != ExitUncheckable || out != "" || errs == "" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want exit 2 with a message on stderr", args, code, out, errs)
		}
	}
	code, _, errs := runCmd(t, "verify", "--data", t.TempDir())
	if code != ExitUncheckable || !strings.Contains(errs, "Cannot open") {
		t.Fatalf("no database: exit %d: %s", code, errs)
	}
}

// TestExportAndKuzetAudit exports with the server command and verifies the
// bundle with the real kuzet-audit binary, as an auditor would.
func TestExportAndKuzetAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	f := newFixture(t)
	bundle := filepath.Join(t.TempDir(), "S2.tar")
	code, out, errs := runCmd(t, "export", "--data", f.dir, "--sitting", "S2", "-o", bundle)
	if code != ExitOK || !strings.Contains(out, "Bundle of sitting S2 verified: 13 entries and 3 files") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errs)
	}
	bin := filepath.Join(t.TempDir(), "kuzet-audit")
	build := exec.Command("go", "build", "-o", bin, "kuzet.kz/kuzet/server/cmd/kuzet-audit")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kuzet-audit: %v\n%s", err, b)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KUZET_LANG=en")
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(b)
	}
	if code, out := run("verify", bundle); code != 0 || !strings.Contains(out, "13 entries and 3 files") || !strings.Contains(out, "Compare it with the key") {
		t.Fatalf("kuzet-audit verify: exit %d\n%s", code, out)
	}
	if code, out := run("verify", bundle, "--key", filepath.Join(f.dir, "keys", VerifierKeyFile)); code != 0 || strings.Contains(out, "Compare it with the key") {
		t.Fatalf("kuzet-audit verify --key: exit %d\n%s", code, out)
	}
	// Flip one byte of the recording inside the bundle.
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("webm-cluster webm-cluster"))
	b[i+3] ^= 0x20
	tampered := filepath.Join(t.TempDir(), "tampered.tar")
	if err := os.WriteFile(tampered, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := run("verify", tampered); code != 1 || !strings.Contains(out, "the first failing entry is 22") || !strings.Contains(out, "recordings/S2/0001.webm of entry 22 was changed") {
		t.Fatalf("kuzet-audit on a tampered bundle: exit %d\n%s", code, out)
	}
	if code, out := run("verify"); code != 2 || !strings.Contains(out, "Usage: kuzet-audit verify FILE") {
		t.Fatalf("kuzet-audit without a file: exit %d\n%s", code, out)
	}
	if code, out := run("verify", filepath.Join(t.TempDir(), "nope.tar")); code != 2 || !strings.Contains(out, "Cannot open") {
		t.Fatalf("kuzet-audit on a missing file: exit %d\n%s", code, out)
	}
}
