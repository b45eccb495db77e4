package roomscan

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/agent/vision"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// run plays script through a scan fed at fps and finishes it after the
// last frame.
func run(t testing.TB, cfg Config, w, h, fps int, seed uint64, script []footage.Scene) Result {
	t.Helper()
	s, err := NewScan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var last time.Duration
	err = footage.Play(w, h, fps, seed, script, func(f footage.Frame) error {
		last = f.At
		_, err := s.Add(t0.Add(f.At), f.Image)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.Finish(t0.Add(last))
}

// TestQuality measures rotation on synthetic pans (a window slid across a
// 360° panorama) at several speeds, fields of view and frame sizes, and
// checks that partial turns, a still camera and a wiggle fail with the
// right reason.
func TestQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("renders many pans")
	}
	type tc struct {
		name      string
		scene     footage.Scene
		fps       int
		w, h      int
		cfgFOV    float64
		truth     float64
		pass      bool
		reason    Reason
		checkDegs bool
	}
	pan := func(deg, fov float64, secs int) footage.Scene {
		return footage.Scene{Kind: footage.Pan, Degrees: deg, FOV: fov, Duration: time.Duration(secs) * time.Second}
	}
	cases := []tc{
		// Full turns: the configured FOV is 60° whatever the camera's; loop
		// closure calibrates it.
		{"360 right, 60° FOV, 20 s", pan(360, 60, 20), 5, 320, 240, 60, 360, true, "", true},
		{"360 left, 60° FOV, 12 s", pan(-360, 60, 12), 5, 320, 240, 60, -360, true, "", true},
		{"360 right, 50° FOV, 30 s", pan(360, 50, 30), 5, 320, 240, 60, 360, true, "", true},
		{"370 right, 75° FOV, 15 s, 640x480", pan(370, 75, 15), 5, 640, 480, 60, 370, true, "", true},
		{"360 left, 70° FOV, 8 s, 10 fps", pan(-360, 70, 8), 10, 320, 240, 60, -360, true, "", true},
		{"400 right, 55° FOV, 40 s", pan(400, 55, 40), 4, 320, 240, 60, 400, true, "", true},
		// Partial turns with the camera's FOV configured.
		{"180", pan(180, 60, 10), 5, 320, 240, 60, 180, false, TooShort, true},
		{"270", pan(270, 60, 15), 5, 320, 240, 60, 270, false, TooShort, true},
		{"-270, 75° FOV", pan(-270, 75, 12), 5, 320, 240, 75, -270, false, TooShort, true},
		{"still camera", footage.Scene{Kind: footage.Face, Duration: 10 * time.Second}, 5, 320, 240, 60, 0, false, Static, true},
		{"wiggle ±40°", footage.Scene{Kind: footage.Wiggle, Degrees: 40, FOV: 60, Duration: 12 * time.Second}, 5, 320, 240, 60, 0, false, Reversed, false},
		{"360 in 3 s", pan(360, 60, 3), 5, 320, 240, 60, 360, false, TooFast, false},
	}
	var worst float64
	for i, c := range cases {
		if raceEnabled && i%3 != 0 {
			continue // a third of the cases is enough to look for races
		}
		cfg := DefaultConfig()
		cfg.FOV = c.cfgFOV
		r := run(t, cfg, c.w, c.h, c.fps, 5, []footage.Scene{c.scene})
		errDeg := r.Degrees - c.truth
		t.Logf("%-34s measured %7.1f° (truth %6.1f°, error %+5.1f°) travelled %6.1f° in %4.1fs, loop %v, FOV %.1f°, lost %d/%d: passed %v %s",
			c.name, r.Degrees, c.truth, errDeg, r.Travelled, r.Duration().Seconds(), r.LoopClosed, r.FOV, r.Lost, r.Frames, r.Passed, r.Reason)
		if c.checkDegs {
			worst = math.Max(worst, math.Abs(errDeg))
			if math.Abs(errDeg) > 15 {
				t.Errorf("%s: measured %.1f°, truth %.1f°: more than 15° off", c.name, r.Degrees, c.truth)
			}
		}
		if r.Passed != c.pass || r.Reason != c.reason {
			t.Errorf("%s: passed %v reason %q, want %v %q", c.name, r.Passed, r.Reason, c.pass, c.reason)
		}
	}
	t.Logf("largest rotation error: %.1f°", worst)
}

func TestTimedOutAndReversed(t *testing.T) {
	if testing.Short() {
		t.Skip("renders pans")
	}
	cfg := DefaultConfig()
	cfg.TimeLimit = 8 * time.Second
	r := run(t, cfg, 160, 120, 5, 2, []footage.Scene{{Kind: footage.Pan, Degrees: 300, FOV: 60, Duration: 12 * time.Second}})
	if r.Passed || r.Reason != TimedOut {
		t.Errorf("slow pan past the time limit: %+v", r)
	}
	r = run(t, DefaultConfig(), 160, 120, 5, 2, []footage.Scene{
		{Kind: footage.Pan, Degrees: 200, FOV: 60, Duration: 8 * time.Second},
		{Kind: footage.Pan, Degrees: 0.001, FOV: 60, Duration: time.Second}, // (a pause)
	})
	if r.Passed || r.Reason != TooShort {
		t.Errorf("200° then a pause: %+v", r)
	}
}

func TestBadFramesAndNoFrames(t *testing.T) {
	s, err := NewScan(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(100, 0)
	for _, img := range []image.Image{nil, image.NewGray(image.Rect(0, 0, 0, 0)), &image.Gray{Pix: make([]uint8, 3), Stride: 64, Rect: image.Rect(0, 0, 64, 64)}} {
		if _, err := s.Add(now, img); !errors.Is(err, vision.ErrEmptyFrame) && !errors.Is(err, vision.ErrBadFrame) {
			t.Errorf("Add(bad frame) error = %v", err)
		}
	}
	r := s.Finish(now)
	if r.Passed || r.Reason != NoFrames {
		t.Fatalf("no usable frames: %+v", r)
	}
	tr := r.Transition()
	if tr.Severity != protocol.SeverityUnchecked || tr.Key != "roomscan.no_frames" {
		t.Fatalf("transition %+v", tr)
	}
}

func TestTransition(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, r := range []Result{
		{Passed: true, Degrees: 361.4, Start: start, End: start.Add(20 * time.Second), FOV: 61},
		{Reason: TooShort, Degrees: -181.2, Start: start, End: start.Add(10 * time.Second), FOV: 60},
		{Reason: TooFast}, {Reason: Reversed}, {Reason: Static}, {Reason: TimedOut}, {Reason: NoLoop},
	} {
		tr := r.Transition()
		if tr.Rule != protocol.Rule10_7 || tr.Kind != protocol.KindInstant || !tr.At.Equal(r.End) {
			t.Fatalf("transition %+v", tr)
		}
		if !cat.Has(tr.Key) {
			t.Fatalf("key %q not in the catalogue", tr.Key)
		}
		for _, lang := range i18n.Langs() {
			if text := cat.Text(lang, tr.Key, tr.Args); strings.Contains(text, "{") {
				t.Fatalf("%s text %q has an unfilled placeholder", lang, text)
			}
		}
		if r.Passed && (tr.Severity != protocol.SeverityInfo || tr.Args["degrees"] != "361" || tr.Args["seconds"] != "20.0" || tr.Args["reason"] != "passed") {
			t.Fatalf("passed transition %+v", tr)
		}
		if !r.Passed && (tr.Severity != protocol.SeveritySuspected || tr.Args["reason"] != string(r.Reason)) {
			t.Fatalf("failed transition %+v", tr)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mod := range map[string]func(*Config){
		"FOV":            func(c *Config) { c.FOV = math.NaN() },
		"TimeLimit":      func(c *Config) { c.TimeLimit = time.Second },
		"MaxSpeed":       func(c *Config) { c.MaxSpeed = 0 },
		"MaxBackward":    func(c *Config) { c.MaxBackward = 0.7 },
		"MinConfidence":  func(c *Config) { c.MinConfidence = 1 },
		"LoopConfidence": func(c *Config) { c.LoopConfidence = 0 },
	} {
		c := DefaultConfig()
		mod(&c)
		if _, err := NewScan(c); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: NewScan error = %v", field, err)
		}
	}
}

func TestFFTRoundTrip(t *testing.T) {
	f := newFFT2(8, 4)
	a := make([]complex128, 32)
	for i := range a {
		a[i] = complex(float64(i*i%7), 0)
	}
	b := append([]complex128(nil), a...)
	f.transform(b, false)
	if math.Abs(real(b[0])-sumReal(a)) > 1e-9 {
		t.Fatalf("DC term %v, want %v", b[0], sumReal(a))
	}
	f.transform(b, true)
	for i := range a {
		if math.Abs(real(b[i])-real(a[i])) > 1e-9 || math.Abs(imag(b[i])) > 1e-9 {
			t.Fatalf("round trip differs at %d: %v vs %v", i, b[i], a[i])
		}
	}
}

func sumReal(a []complex128) float64 {
	var s float64
	for _, v := range a {
		s += real(v)
	}
	return s
}

func BenchmarkAdd(b *testing.B) {
	for _, size := range [][2]int{{320, 240}, {640, 480}} {
		r, err := footage.NewRenderer(size[0], size[1], 1)
		if err != nil {
			b.Fatal(err)
		}
		var frames []image.Image
		for i := 0; i < 20; i++ {
			img, err := r.Frame(footage.Scene{Kind: footage.Pan, Degrees: 360, FOV: 60, Duration: 20 * time.Second}, time.Duration(i)*200*time.Millisecond, i)
			if err != nil {
				b.Fatal(err)
			}
			frames = append(frames, img)
		}
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			s, err := NewScan(DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Unix(0, 0)
			i := 0
			start := cpuTime()
			for b.Loop() {
				if _, err := s.Add(t0.Add(time.Duration(i)*200*time.Millisecond), frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportCPU(b, start)
		})
	}
}
