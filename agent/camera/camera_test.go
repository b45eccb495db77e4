package camera

import (
	"image"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
)

func TestDownscaleAveragesBlocks(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 8, 4), image.YCbCrSubsampleRatio420)
	for y := 0; y < 4; y++ {
		for x := 0; x < 8; x++ {
			v := uint8(0)
			if x >= 4 {
				v = 200
			}
			src.Y[y*src.YStride+x] = v
		}
	}
	dst := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	Downscale(dst, src)
	if dst.Y[0] != 0 || dst.Y[1] != 0 || dst.Y[2] != 200 || dst.Y[3] != 200 {
		t.Fatalf("row 0 = %v, want [0 0 200 200]", dst.Y[:4])
	}
}

func TestThumbnailerTakesEveryNthFrame(t *testing.T) {
	th := NewThumbnailer(160, 120, 3)
	defer th.Close()
	syn := NewSynthetic(Options{Width: 640, Height: 480, FPS: 100})
	defer syn.Close()
	for i := 0; i < 6; i++ {
		img, release, err := syn.Read()
		if err != nil {
			t.Fatal(err)
		}
		th.Tap(img, time.Now())
		release()
	}
	for i := 0; i < 2; i++ {
		img, release, err := th.Read()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 120 {
			t.Fatalf("thumbnail is %v", b)
		}
		release()
	}
	select {
	case <-th.ch:
		t.Fatal("more than 6/3 thumbnails were made")
	default:
	}
}

// The rule 10.6 monitor: a gap longer than LostAfter starts a span, the
// next frame ends it, and a device failure starts one at once.
func TestMonitorReportsGapsAndFailures(t *testing.T) {
	m := &Monitor{LostAfter: 2 * time.Second}
	t0 := time.Now()
	m.Started(t0, "test", 640, 480)
	if ts := m.Tick(t0.Add(1900 * time.Millisecond)); len(ts) != 0 {
		t.Fatalf("gap under 2 s reported: %+v", ts)
	}
	ts := m.Tick(t0.Add(2100 * time.Millisecond))
	if len(ts) != 1 || ts[0].Kind != protocol.KindStart || ts[0].Rule != protocol.Rule10_6 || !ts[0].At.Equal(t0) {
		t.Fatalf("gap: %+v", ts)
	}
	if ts := m.Tick(t0.Add(5 * time.Second)); len(ts) != 0 {
		t.Fatal("an open span was started twice")
	}
	ts = m.Frame(t0.Add(6 * time.Second))
	if len(ts) != 1 || ts[0].Kind != protocol.KindEnd {
		t.Fatalf("frame after gap: %+v", ts)
	}
	ts = m.Failed(t0.Add(7*time.Second), "unplugged")
	if len(ts) != 1 || ts[0].Kind != protocol.KindStart || ts[0].Key != "camera.disconnected" {
		t.Fatalf("failure: %+v", ts)
	}
}

// A failing device is reported and reopened; frames come again.
func TestPipelineReopensAFailedCamera(t *testing.T) {
	var mu sync.Mutex
	var got []finding.Transition
	emit := func(tr finding.Transition) { mu.Lock(); got = append(got, tr); mu.Unlock() }
	first := &failing{Synthetic: NewSynthetic(Options{Width: 64, Height: 48, FPS: 50}), after: 5}
	p := NewPipeline(first, func() (Source, error) { return NewSynthetic(Options{Width: 64, Height: 48, FPS: 50}), nil }, 2*time.Second, emit)
	defer p.Close()
	for i := 0; i < 8; i++ {
		if _, release, err := p.Read(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		} else {
			release()
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var kinds []protocol.EventKind
	for _, tr := range got {
		kinds = append(kinds, tr.Kind)
	}
	// started (instant), disconnected (start), restored (end)
	if len(got) != 3 || got[1].Key != "camera.disconnected" || got[2].Kind != protocol.KindEnd {
		t.Fatalf("transitions %v", kinds)
	}
}

type failing struct {
	*Synthetic
	after int
	n     int
}

func (f *failing) Read() (image.Image, func(), error) {
	f.n++
	if f.n > f.after {
		return nil, nil, errUnplugged
	}
	return f.Synthetic.Read()
}

var errUnplugged = errorString("device unplugged")

type errorString string

func (e errorString) Error() string { return string(e) }
