// Package toolchain holds the check that go.mod pins the Go release the
// project is built and tested with (issue 16, item 13).
package toolchain

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// goSemver turns "go1.26.8" into "v1.26.8" for comparison.
func goSemver(v string) string { return "v" + strings.TrimPrefix(v, "go") }

// TestGoModPinsTheLocalToolchain: go.mod names a patched toolchain, and it
// is the one on this machine, so `go build` with the default
// GOTOOLCHAIN=auto (as on CI) uses it instead of downloading another one.
func TestGoModPinsTheLocalToolchain(t *testing.T) {
	root := filepath.Join("..", "..")
	raw, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatalf("go.mod: %v", err)
	}
	if mf.Toolchain == nil {
		t.Fatalf("go.mod has no toolchain line: add `toolchain %s` (a patched release the Go proxy serves)", runtime.Version())
	}
	pinned := mf.Toolchain.Name
	if !semver.IsValid(goSemver(pinned)) || len(strings.Split(pinned, ".")) != 3 {
		t.Fatalf("go.mod pins toolchain %q: name a patch release such as go1.26.8, not a release candidate or a bare minor version", pinned)
	}
	if semver.Compare(goSemver(pinned), goSemver("go"+mf.Go.Version)) < 0 {
		t.Fatalf("toolchain %s is older than the go line (%s)", pinned, mf.Go.Version)
	}
	if local := runtime.Version(); semver.Compare(goSemver(local), goSemver(pinned)) < 0 {
		t.Fatalf("go.mod pins %s but this machine runs %s: CI would download %s; pin what the machines have", pinned, local, pinned)
	}
	// With GOTOOLCHAIN=auto and no proxy, any toolchain switch fails:
	// the build must run on the local Go.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	cmd := exec.Command(gobin, "env", "GOVERSION")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=auto", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go with GOTOOLCHAIN=auto and no proxy failed (it tried to switch toolchains): %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != runtime.Version() {
		t.Fatalf("with GOTOOLCHAIN=auto the module runs %s, not the local %s", got, runtime.Version())
	}
}
