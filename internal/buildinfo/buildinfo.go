// Package buildinfo says which build of a Kuzet program is running: the
// release version the release script stamps with
//
//	go build -ldflags "-X kuzet.kz/kuzet/internal/buildinfo.Version=1.4.0"
//
// or, without it, what the Go toolchain recorded (the module version of a
// `go install …@v1.4.0`, the VCS revision and time of a checkout), and the
// Go version and platform. A build that is not a release reports the
// version "dev"; the server decides what a dev agent may do (its
// -min-agent-version).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Version is the release version, set by scripts/release with -ldflags -X.
// Empty in every other build.
var Version string

// Dev is the version of a build that is not a release.
const Dev = "dev"

// Info describes one build.
type Info struct {
	// Version is X.Y.Z (no "v"), or Dev.
	Version string
	// Revision is the VCS commit the build was made from ("" unknown).
	Revision string
	// Time is the commit's time, RFC 3339 ("" unknown).
	Time string
	// Modified is true when the work tree had uncommitted changes.
	Modified bool
	// GoVersion, OS and Arch are the toolchain and platform.
	GoVersion, OS, Arch string
}

// Get returns the running program's build.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return from(Version, bi)
}

// from is Get with the stamped version and the toolchain's record given.
func from(stamped string, bi *debug.BuildInfo) Info {
	in := Info{Version: Dev, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi != nil {
		in.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.time":
				in.Time = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case stamped != "":
		in.Version = strings.TrimPrefix(stamped, "v")
	case bi != nil && Release(bi.Main.Version):
		in.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	return in
}

// Release reports whether v (with or without "v") is a release version:
// semantic, and not a Go pseudo-version (v0.0.0-20250101…-abcdef, which
// `go build` records for a checkout) nor "(devel)".
func Release(v string) bool {
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	v = strings.TrimSuffix(v, "+dirty")
	return semver.IsValid(v) && !module.IsPseudoVersion(v) && semver.Build(v) == ""
}

// String is the one line of --version, identifiers only (like `go
// version`, the same in every language; support reads it back):
//
//	kuzet-agent 1.4.0 (3e8b2a7c1d90, 2025-06-01T10:00:00Z) go1.26.8 linux/amd64
//
// A commit with uncommitted changes is marked +dirty, as Go marks it.
func (in Info) String(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", program, in.Version)
	if in.Revision != "" {
		rev := in.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if in.Modified {
			rev += "+dirty"
		}
		if in.Time != "" {
			rev += ", " + in.Time
		}
		fmt.Fprintf(&b, " (%s)", rev)
	}
	fmt.Fprintf(&b, " %s %s/%s", in.GoVersion, in.OS, in.Arch)
	return b.String()
}

// Compare compares two release versions (with or without "v") as semantic
// versions: -1, 0 or +1. A version that is not valid semver sorts below
// every valid one.
func Compare(a, b string) int {
	return semver.Compare(canon(a), canon(b))
}

func canon(v string) string {
	if !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}
