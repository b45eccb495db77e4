package vision

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/footage"
)

// benchFrames renders a few consecutive frames of a scene.
func benchFrames(b *testing.B, w, h int, s footage.Scene) []image.Image {
	b.Helper()
	r, err := footage.NewRenderer(w, h, 1)
	if err != nil {
		b.Fatal(err)
	}
	var out []image.Image
	for i := 0; i < 8; i++ {
		img, err := r.Frame(s, time.Duration(i)*200*time.Millisecond, i)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, img)
	}
	return out
}

// BenchmarkAnalyze measures one analysed frame. The target is 5 ms at
// 320×240 on one core (2.5 % of a core at 5 analysed frames per second).
func BenchmarkAnalyze(b *testing.B) {
	sec := time.Second
	cases := []struct {
		name  string
		w, h  int
		scene footage.Scene
	}{
		{"320x240/face", 320, 240, footage.Scene{Kind: footage.Face, Duration: sec}},
		{"320x240/empty", 320, 240, footage.Scene{Kind: footage.Empty, Duration: sec}},
		{"320x240/4-people", 320, 240, footage.Scene{Kind: footage.People, People: 4, Duration: sec}},
		{"320x240/covered", 320, 240, footage.Scene{Kind: footage.Covered, Duration: sec}},
		{"640x480/face", 640, 480, footage.Scene{Kind: footage.Face, Duration: sec}},
	}
	for _, c := range cases {
		frames := benchFrames(b, c.w, c.h, c.scene)
		b.Run(c.name, func(b *testing.B) {
			a, err := NewAnalyzer(DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			start := cpuTime()
			for b.Loop() {
				if _, err := a.Analyze(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkWatcherUpdate measures the policy step on a frame that raises
// nothing (the common case; evidence JPEGs are made only on starts).
func BenchmarkWatcherUpdate(b *testing.B) {
	frames := benchFrames(b, 640, 480, footage.Scene{Kind: footage.Face, Duration: time.Second})
	w := NewWatcher(DefaultConfig())
	obs := Observation{Faces: []Face{{Size: 90, PoseChecked: true, Frontal: true}}, HasPrevious: true}
	t0 := time.Unix(0, 0)
	w.Update(t0, frames[0], obs)
	i := 1
	for b.Loop() {
		w.Update(t0.Add(time.Duration(i)*200*time.Millisecond), frames[0], obs)
		i++
	}
}

// BenchmarkSnapshot measures one evidence JPEG from a 640×480 frame.
func BenchmarkSnapshot(b *testing.B) {
	frames := benchFrames(b, 640, 480, footage.Scene{Kind: footage.Face, Duration: time.Second})
	for b.Loop() {
		if _, err := Snapshot(frames[0], 320, 240, 75); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFrozenReencodedStill: a still picture fed through a virtual camera
// that re-encodes it each frame (MJPEG) changes by a level or two here and
// there; it must still count as frozen, while live frames must not.
func TestFrozenReencodedStill(t *testing.T) {
	r, err := footage.NewRenderer(640, 480, 6)
	if err != nil {
		t.Fatal(err)
	}
	still, err := r.Frame(footage.Scene{Kind: footage.Face, Duration: time.Second}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := newAnalyzer(t)
	for i, q := range []int{90, 88, 90, 87, 91} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, still, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := a.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("quality %d: changed %.3f %%, mean change %.2f", q, 100*obs.Changed, obs.Diff)
		if i > 0 && !obs.Frozen {
			t.Errorf("re-encoded still %d not frozen: changed %.3f %%", i, 100*obs.Changed)
		}
	}
}

// FuzzAnalyzeGeometry hands the analyser YCbCr frames whose rectangles,
// strides and buffers disagree in every way a broken capture source could
// produce; it must return an error or an observation, never panic.
func FuzzAnalyzeGeometry(f *testing.F) {
	f.Add(int16(0), int16(0), int16(64), int16(48), int16(64), int16(32), uint16(64*48), uint16(32*24), uint8(2))
	f.Add(int16(3), int16(5), int16(41), int16(29), int16(50), int16(25), uint16(2000), uint16(400), uint8(2))
	f.Add(int16(-7), int16(-3), int16(20), int16(20), int16(27), int16(14), uint16(100), uint16(100), uint8(1))
	a, err := NewAnalyzer(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410}
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, ystride, cstride int16, ylen, clen uint16, ratio uint8) {
		img := &image.YCbCr{
			Y: make([]uint8, ylen), Cb: make([]uint8, clen), Cr: make([]uint8, clen),
			YStride: int(ystride), CStride: int(cstride),
			SubsampleRatio: ratios[int(ratio)%len(ratios)],
			Rect:           image.Rect(int(x0), int(y0), int(x1), int(y1)),
		}
		obs, err := a.Analyze(img)
		if err == nil && (obs.Width <= 0 || obs.Height <= 0) {
			t.Fatalf("no error but empty observation %+v", obs)
		}
		_, _ = Snapshot(img, 64, 48, 50)
	})
}
