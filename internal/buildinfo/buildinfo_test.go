package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// Issue 13: --version says which build runs. A stamped release wins; else
// a `go install …@vX.Y.Z` module version; a checkout's pseudo-version or
// "(devel)" is not a release and reports "dev".
func TestVersionFromTheStampThenTheToolchain(t *testing.T) {
	bi := func(main string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "kuzet.kz/kuzet", Version: main},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3e8b2a7c1d90aa55bb66cc77dd88ee99ff001122"},
				{Key: "vcs.time", Value: "2025-06-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	}
	for _, tc := range []struct {
		name, stamped, main, want string
	}{
		{"stamped by the release script", "1.4.0", "(devel)", "1.4.0"},
		{"stamped with a v", "v1.4.0", "", "1.4.0"},
		{"go install at a tag", "", "v1.3.2", "1.3.2"},
		{"a checkout's pseudo-version", "", "v0.0.0-20250601100000-3e8b2a7c1d90+dirty", Dev},
		{"devel", "", "(devel)", Dev},
		{"nothing recorded", "", "", Dev},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := from(tc.stamped, bi(tc.main))
			if in.Version != tc.want {
				t.Fatalf("version %q, want %q", in.Version, tc.want)
			}
			if in.Revision == "" || in.Time != "2025-06-01T10:00:00Z" || !in.Modified || in.GoVersion != "go1.26.8" {
				t.Fatalf("build settings lost: %+v", in)
			}
		})
	}
	line := from("1.4.0", bi("")).String("kuzet-agent")
	want := "kuzet-agent 1.4.0 (3e8b2a7c1d90+dirty, 2025-06-01T10:00:00Z) go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH
	if line != want {
		t.Fatalf("String:\n got %q\nwant %q", line, want)
	}
	if s := from("", nil).String("kuzet-agent"); !strings.HasPrefix(s, "kuzet-agent dev go1.") {
		t.Fatalf("no build info: %q", s)
	}
	if got := Get(); got.Version == "" || got.OS != runtime.GOOS {
		t.Fatalf("Get: %+v", got)
	}
}

func TestCompareIsSemantic(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.0", 1}, // not string order
		{"1.4.0", "v1.4.0", 0},
		{"1.4.0-rc.1", "1.4.0", -1}, // a pre-release comes before its release
		{"2.0.0", "10.0.0", -1},
		{"dev", "0.0.1", -1}, // not semver: below every version
	} {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for v, want := range map[string]bool{"1.4.0": true, "v1.4.0-rc.1": true, "dev": false, "1.4": true, "1.4.0+meta": false,
		"v0.0.0-20250601100000-3e8b2a7c1d90": false, "": false, "banana": false} {
		if Release(v) != want {
			t.Errorf("Release(%q) = %v, want %v", v, !want, want)
		}
	}
}
