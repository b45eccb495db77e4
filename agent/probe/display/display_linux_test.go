package display

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"kuzet.kz/kuzet/agent/probe/probetest"
)

func TestCountXvfb(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"one screen", nil, 1},
		{"two screens joined by Xinerama", []string{"-screen", "1", "800x600x24", "+xinerama"}, 2},
		{"two separate X screens", []string{"-screen", "1", "800x600x24"}, 2},
		{"three screens joined by Xinerama", []string{"-screen", "1", "640x480x24", "-screen", "2", "640x480x24", "+xinerama"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DISPLAY", probetest.Xvfb(t, tc.args...))
			n, err := Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Fatalf("Count = %d, want %d", n, tc.want)
			}
		})
	}
}

func TestCountNoDisplay(t *testing.T) {
	t.Setenv("WAYLAND_DISPLAY", "")
	for _, d := range []string{"", ":999"} {
		t.Setenv("DISPLAY", d)
		if _, err := Count(context.Background()); !errors.Is(err, ErrNoDisplay) {
			t.Errorf("DISPLAY=%q: err = %v, want ErrNoDisplay", d, err)
		}
		if _, err := Screenshot(context.Background(), 640, 60); err == nil {
			t.Errorf("DISPLAY=%q: Screenshot worked without a display", d)
		}
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	if _, err := Count(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Wayland only: err = %v, want ErrUnsupported", err)
	}
}

func TestScreenshotXvfb(t *testing.T) {
	t.Setenv("DISPLAY", probetest.Xvfb(t, "-screen", "1", "800x600x24", "+xinerama"))
	b, err := Screenshot(context.Background(), 320, 50)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 320 {
		t.Fatalf("width %d, want 320 (downscaled)", w)
	}
}

func TestEncodeJPEG(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1000, 500))
	for x := 0; x < 1000; x++ {
		src.Set(x, 250, color.White)
	}
	for _, tc := range []struct{ max, w, h int }{{640, 640, 320}, {2000, 1000, 500}, {0, 1000, 500}} {
		b, err := EncodeJPEG(src, tc.max, 70)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
			t.Errorf("max %d: %v, want %dx%d", tc.max, img.Bounds(), tc.w, tc.h)
		}
	}
	if _, err := EncodeJPEG(image.NewRGBA(image.Rect(0, 0, 0, 0)), 640, 60); err == nil {
		t.Error("empty image encoded")
	}
}

// TestForegroundTitle plays the window manager on a real X server: it
// maps a window, names it and marks it active the way EWMH window
// managers do.
func TestForegroundTitle(t *testing.T) {
	d := probetest.Xvfb(t)
	t.Setenv("DISPLAY", d)
	if _, err := ForegroundTitle(context.Background()); !errors.Is(err, ErrNoActiveWindow) {
		t.Fatalf("no window manager: err = %v, want ErrNoActiveWindow", err)
	}
	c, err := xgb.NewConnDisplay(d)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	screen := xproto.Setup(c).DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, win, screen.Root, 0, 0, 200, 100, 0,
		xproto.WindowClassInputOutput, screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	xproto.MapWindow(c, win)
	title := "Эссе — Kuzet"
	utf8 := mustAtom(t, c, "UTF8_STRING")
	if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, win, mustAtom(t, c, "_NET_WM_NAME"), utf8, 8,
		uint32(len(title)), []byte(title)).Check(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	xgb.Put32(buf, uint32(win))
	if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, screen.Root, mustAtom(t, c, "_NET_ACTIVE_WINDOW"),
		xproto.AtomWindow, 32, 1, buf).Check(); err != nil {
		t.Fatal(err)
	}
	got, err := ForegroundTitle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != title {
		t.Fatalf("title = %q, want %q", got, title)
	}
}

func mustAtom(t *testing.T, c *xgb.Conn, name string) xproto.Atom {
	t.Helper()
	a, err := atom(c, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
