package y4m

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLooper(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clip.y4m")
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Width: 4, Height: 2, FrameRate: Rational{15, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.WriteFrame(testFrame(4, 2, byte(10*i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLoop(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if h := l.Header(); h.Width != 4 || h.FrameRate.Float() != 15 {
		t.Fatalf("header %+v", h)
	}
	var seeds []byte
	for range 7 {
		img, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, img.Y[0])
	}
	want := []byte{0, 10, 20, 0, 10, 20, 0}
	if !bytes.Equal(seeds, want) || l.Loops() != 2 {
		t.Fatalf("frames %v after %d loops, want %v after 2", seeds, l.Loops(), want)
	}

	empty := filepath.Join(dir, "empty.y4m")
	if err := os.WriteFile(empty, []byte("YUV4MPEG2 W4 H2 F15:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	le, err := OpenLoop(empty)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { le.Close() })
	if _, err := le.Next(); !errors.Is(err, ErrEmptyStream) {
		t.Fatalf("empty stream: %v", err)
	}
	if _, err := OpenLoop(filepath.Join(dir, "missing.y4m")); err == nil {
		t.Fatal("missing file opened")
	}
	bad := filepath.Join(dir, "bad.y4m")
	if err := os.WriteFile(bad, []byte("not video"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLoop(bad); !errors.Is(err, ErrNotY4M) {
		t.Fatalf("bad file: %v", err)
	}
}
