package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kuzet.kz/kuzet/agent/y4m"
)

func TestWritesFootage(t *testing.T) {
	t.Setenv("KUZET_LANG", "en")
	out := filepath.Join(t.TempDir(), "clip.y4m")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-o", out, "-size", "96x72", "-fps", "10", "-scene", "face:1s,people=2:0.5s,pan=90/60:1s"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "25 frames, 96x72, 10 fps") {
		t.Fatalf("message %q", stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := y4m.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 25 {
		t.Fatalf("%d frames, want 25", n)
	}
	if _, err := os.Stat(out + ".part"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
}

func TestStdoutAndErrors(t *testing.T) {
	t.Setenv("KUZET_LANG", "en")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-o", "-", "-size", "64x48", "-fps", "5", "-scene", "dark:1s"}, &stdout, &stderr); code != 0 || !bytes.HasPrefix(stdout.Bytes(), []byte("YUV4MPEG2 W64 H48 F5:1")) {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
	x := filepath.Join(t.TempDir(), "x.y4m")
	for _, args := range [][]string{
		{}, {"-o", x, "-size", "big"}, {"-o", x, "-scene", "face"}, {"-o", x, "-size", "8x8"},
		{"-o", x, "-fps", "0"}, {"-o", x, "-demo", "-scene", "face:1s"}, {"-o", x, "extra"}, {"-nope"},
	} {
		stderr.Reset()
		if code := run(args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "Usage: kuzet-footage") {
			t.Errorf("%v: exit %d, %q", args, code, stderr.String())
		}
		if _, err := os.Stat(x + ".part"); !os.IsNotExist(err) {
			t.Errorf("%v: a file was created for a usage error", args)
		}
	}
	stderr.Reset()
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "x.y4m")
	if code := run([]string{"-o", bad, "-size", "64x48", "-scene", "face:1s"}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "Could not write") {
		t.Errorf("unwritable: exit %d, %q", code, stderr.String())
	}
}
