package footage

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/y4m"
)

func TestParseScript(t *testing.T) {
	got, err := ParseScript("face:5s, empty:1.5s,people=3:4s,pan=-360/70:30s,wiggle=40:6s,frozen:11s")
	if err != nil {
		t.Fatal(err)
	}
	want := []Scene{
		{Kind: Face, Duration: 5 * time.Second},
		{Kind: Empty, Duration: 1500 * time.Millisecond},
		{Kind: People, People: 3, Duration: 4 * time.Second},
		{Kind: Pan, Degrees: -360, FOV: 70, Duration: 30 * time.Second},
		{Kind: Wiggle, Degrees: 40, Duration: 6 * time.Second},
		{Kind: Frozen, Duration: 11 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scene %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "face", "face:", "face:five", "cat:5s", "people:5s", "people=9:5s", "people=x:5s",
		"pan:5s", "pan=abc:5s", "pan=360/0:5s", "pan=360/200:5s", "face=2:5s", "face:-1s", "face:2h"} {
		if _, err := ParseScript(bad); !errors.Is(err, ErrScene) {
			t.Errorf("ParseScript(%q) error = %v, want ErrScene", bad, err)
		}
	}
}

func TestRendererRejectsSizes(t *testing.T) {
	for _, s := range [][2]int{{0, 0}, {16, 16}, {4000, 100}, {100, 2000}} {
		if _, err := NewRenderer(s[0], s[1], 1); !errors.Is(err, ErrSize) {
			t.Errorf("NewRenderer(%v) error = %v", s, err)
		}
	}
	if err := Play(64, 48, 0, 1, DemoScript(), func(Frame) error { return nil }); !errors.Is(err, ErrSize) {
		t.Errorf("fps 0 accepted: %v", err)
	}
	if err := Play(64, 48, 5, 1, nil, func(Frame) error { return nil }); !errors.Is(err, ErrScene) {
		t.Errorf("empty script accepted: %v", err)
	}
}

func TestPlayDeterministicNoisyAndFrozen(t *testing.T) {
	script := []Scene{{Kind: Face, Duration: time.Second}, {Kind: Frozen, Duration: time.Second}}
	var a, b [][]byte
	for _, dst := range []*[][]byte{&a, &b} {
		err := Play(80, 60, 5, 7, script, func(f Frame) error {
			*dst = append(*dst, append([]byte(nil), f.Image.Y...))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(a) != 10 {
		t.Fatalf("%d frames, want 10", len(a))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("frame %d differs between two renders with one seed", i)
		}
	}
	if bytes.Equal(a[0], a[1]) {
		t.Fatal("consecutive live frames are identical: no sensor noise")
	}
	for i := 6; i < 10; i++ {
		if !bytes.Equal(a[5], a[i]) {
			t.Fatalf("frozen frame %d differs from the first frozen frame", i)
		}
	}
	stop := errors.New("stop")
	if err := Play(80, 60, 5, 7, script, func(Frame) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Play did not return the callback's error: %v", err)
	}
}

func TestSceneTruth(t *testing.T) {
	pan := Scene{Kind: Pan, Degrees: 360, Duration: 20 * time.Second}
	if a := pan.Angle(0); a != 0 {
		t.Errorf("pan starts at %v", a)
	}
	if a := pan.Angle(20 * time.Second); math.Abs(a-360) > 1e-9 {
		t.Errorf("pan ends at %v", a)
	}
	prev := -1.0
	for s := 0; s <= 20; s++ {
		a := pan.Angle(time.Duration(s) * time.Second)
		if a < prev {
			t.Fatalf("pan goes back at %ds", s)
		}
		prev = a
	}
	if (Scene{Kind: People, People: 3}).Faces() != 3 || (Scene{Kind: Away}).Faces() != 0 || (Scene{Kind: Frozen}).Faces() != 1 {
		t.Error("Faces truth wrong")
	}
}

func TestDemoIsReadableY4M(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the whole demo")
	}
	var buf bytes.Buffer
	if err := Demo(&buf, 160, 120, 5); err != nil {
		t.Fatal(err)
	}
	r, err := y4m.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Width != 160 || h.Height != 120 || h.FrameRate.Float() != 5 {
		t.Fatalf("header %+v", h)
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
	var total time.Duration
	for _, s := range DemoScript() {
		total += s.Duration
	}
	if total < 40*time.Second || total > 60*time.Second {
		t.Errorf("demo lasts %v, want 40–60 s", total)
	}
	if want := int(total.Seconds() * 5); n != want || Frames(DemoScript(), 5) != want || Frames(DemoScript(), 15) != int(total.Seconds()*15) {
		t.Fatalf("%d frames, want %d", n, want)
	}
	if err := WriteY4M(io.Discard, 160, 120, 5, 1, []Scene{{Kind: "nope", Duration: time.Second}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad scene: %v", err)
	}
}
