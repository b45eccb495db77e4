package release

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Issue 13: scripts/release writes, per command and architecture, a binary
// stamped with the version and built with -trimpath, and a SHA256SUMS that
// `sha256sum -c` accepts; a byte changed in a binary fails the check. The
// pure-Go kuzet-audit stands in for the others (the same build function;
// kuzet-agent takes minutes to build with cgo).
func TestReleaseChecksumsVerifyAndCatchTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries for two architectures")
	}
	for _, tool := range []string{"bash", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "scripts", "release"), "--out", out, "--commands", "kuzet-audit", "1.2.3")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, b)
	}
	names := []string{"kuzet-audit-1.2.3-linux-amd64", "kuzet-audit-1.2.3-linux-arm64"}
	// SHA256SUMS is sha256sum's format: the hash, two spaces, the name;
	// each line matches the file beside it.
	f, err := os.Open(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS line %q is not \"HASH  NAME\"", sc.Text())
		}
		listed[name] = sum
	}
	f.Close()
	if len(listed) != len(names) {
		t.Fatalf("SHA256SUMS lists %v, want %v", listed, names)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != listed[n] {
			t.Fatalf("%s: SHA256SUMS says %s, the file is %x", n, listed[n], h)
		}
		// Stamped and trimmed, as the toolchain recorded it.
		info, err := exec.Command("go", "version", "-m", filepath.Join(out, n)).Output()
		if err != nil {
			t.Fatal(err)
		}
		// (-trimpath leaves -ldflags out of the record: --version shows the stamp.)
		for _, want := range []string{"-trimpath=true", "GOARCH=" + strings.TrimPrefix(n, "kuzet-audit-1.2.3-linux-")} {
			if !strings.Contains(string(info), want) {
				t.Errorf("%s was not built with %s:\n%s", n, want, info)
			}
		}
	}
	if v, err := exec.Command(filepath.Join(out, "kuzet-audit-1.2.3-linux-"+runtime.GOARCH), "--version").Output(); runtime.GOOS == "linux" &&
		(err != nil || !strings.HasPrefix(string(v), "kuzet-audit 1.2.3 ")) {
		t.Errorf("--version of the release: %q, %v", v, err)
	}
	check := func() (string, error) {
		c := exec.Command("sha256sum", "-c", "SHA256SUMS")
		c.Dir = out
		b, err := c.CombinedOutput()
		return string(b), err
	}
	if msg, err := check(); err != nil {
		t.Fatalf("sha256sum -c on the release: %v\n%s", err, msg)
	}
	// One byte changed: the check must fail and name the file.
	p := filepath.Join(out, names[1])
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if msg, err := check(); err == nil || !strings.Contains(msg, names[1]+": FAILED") {
		t.Fatalf("sha256sum -c passed a tampered %s: %v\n%s", names[1], err, msg)
	}
}
