package screen

import (
	"errors"
	"image"
	"image/color"
	"os/exec"
	"testing"
	"time"

	"github.com/kbinani/screenshot"

	"kuzet.kz/kuzet/agent/probe/probetest"
)

func TestFitKeepsAspectAndColours(t *testing.T) {
	// A 400×100 desktop: red left half, blue right half.
	src := image.NewRGBA(image.Rect(0, 0, 400, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 400; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 200 {
				c = color.RGBA{0, 0, 255, 255}
			}
			src.SetRGBA(x, y, c)
		}
	}
	dst := Fit(src, 160, 120, nil)
	// 400×100 into 160×120 is 160×40, centred: rows 40..79 hold the picture.
	if y := dst.Y[10*dst.YStride+80]; y != 16 {
		t.Errorf("bar above the picture has luma %d, want 16 (black)", y)
	}
	red := dst.YCbCrAt(40, 60)
	blue := dst.YCbCrAt(120, 60)
	// Studio-range red is Cr≈240, blue Cb≈240 (BT.601).
	if red.Cr < 220 || blue.Cb < 220 || red.Cb > 120 || blue.Cr > 130 {
		t.Errorf("red %+v blue %+v, want red Cr≈240 and blue Cb≈240", red, blue)
	}
}

func TestSourceRepeatsTheLastFrameAndReportsFailures(t *testing.T) {
	fail := true
	src := image.NewRGBA(image.Rect(0, 0, 64, 48))
	s := NewSource(func() (*image.RGBA, error) {
		if fail {
			return nil, ErrNoScreen
		}
		return src, nil
	}, 64, 48, 50)
	defer s.Close()
	var reports []error
	s.OnError = func(err error) { reports = append(reports, err) }
	for i := 0; i < 3; i++ {
		img, _, err := s.Read()
		if err != nil || img.Bounds().Dx() != 64 {
			t.Fatalf("read while failing: %v, %v", img, err)
		}
	}
	fail = false
	if _, _, err := s.Read(); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || !errors.Is(reports[0], ErrNoScreen) || reports[1] != nil {
		t.Fatalf("reports = %v, want one failure then one recovery", reports)
	}
}

// Under a real X server with two heads joined by Xinerama, the capture
// covers every head (Xvfb places both at the origin, so their union is the
// larger) and holds what is on the screen: the root window painted red.
func TestDesktopCapturesEveryDisplay(t *testing.T) {
	display := probetest.Xvfb(t, "-screen", "1", "320x240x24", "+xinerama")
	t.Setenv("DISPLAY", display)
	xsetroot := probetest.Need(t, "xsetroot", "x11-xserver-utils")
	if out, err := exec.Command(xsetroot, "-display", display, "-solid", "#ff0000").CombinedOutput(); err != nil {
		t.Fatalf("xsetroot: %v %s", err, out)
	}
	if n := screenshot.NumActiveDisplays(); n != 2 {
		t.Fatalf("%d active displays, want 2", n)
	}
	img, err := Desktop()
	if err != nil {
		t.Fatalf("capture under Xvfb: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 600 {
		t.Fatalf("desktop is %v, want the union of the heads, 800×600", b)
	}
	if c := img.RGBAAt(400, 300); c.R < 200 || c.G > 50 || c.B > 50 {
		t.Fatalf("captured pixel %+v, want the red root window", c)
	}
	s := NewSource(Desktop, 640, 360, 2)
	defer s.Close()
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, _, err := s.Read(); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) < 900*time.Millisecond {
		t.Fatal("three frames at 2 fps came in under a second")
	}
}

func TestNoDisplayIsNoScreen(t *testing.T) {
	t.Setenv("DISPLAY", ":9999")
	t.Setenv("WAYLAND_DISPLAY", "")
	if _, err := Desktop(); !errors.Is(err, ErrNoScreen) {
		t.Fatalf("with no X server: %v", err)
	}
}

// An X server without Xinerama (a plain Xvfb, some thin clients) still has
// a screen to capture.
func TestDesktopWithoutXinerama(t *testing.T) {
	display := probetest.Xvfb(t, "-extension", "XINERAMA")
	t.Setenv("DISPLAY", display)
	img, err := Desktop()
	if err != nil {
		t.Fatalf("capture without Xinerama: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 600 {
		t.Fatalf("desktop is %v, want 800×600", b)
	}
}
