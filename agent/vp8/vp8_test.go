package vp8

import (
	"bytes"
	"image"
	"testing"
	"time"

	xvp8 "golang.org/x/image/vp8"

	"kuzet.kz/kuzet/agent/camera"
)

func frames(t testing.TB, n int) []*image.YCbCr {
	syn := camera.NewSynthetic(camera.Options{Width: 320, Height: 240, FPS: 1000})
	defer syn.Close()
	var out []*image.YCbCr
	for i := 0; i < n; i++ {
		img, release, err := syn.Read()
		if err != nil {
			t.Fatal(err)
		}
		src := img.(*image.YCbCr)
		cp := image.NewYCbCr(src.Rect, src.SubsampleRatio)
		copy(cp.Y, src.Y)
		copy(cp.Cb, src.Cb)
		copy(cp.Cr, src.Cr)
		release()
		out = append(out, cp)
	}
	return out
}

// The first frame is a keyframe that a VP8 decoder (golang.org/x/image)
// decodes to the right size; forcing a keyframe works; the rate follows
// the target.
func TestEncodeDecodesAndFollowsRate(t *testing.T) {
	e, err := New(Options{Width: 320, Height: 240, FPS: 15, BitRate: 150_000, KeyframeEvery: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	fs := frames(t, 60)
	total := 0
	for i, f := range fs {
		data, key, err := e.Encode(f, time.Second/15, i == 30)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || i == 30 {
			if !key {
				t.Fatalf("frame %d is not a keyframe", i)
			}
			d := xvp8.NewDecoder()
			d.Init(bytes.NewReader(data), len(data))
			if _, err := d.DecodeFrameHeader(); err != nil {
				t.Fatal(err)
			}
			img, err := d.DecodeFrame()
			if err != nil || img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 {
				t.Fatalf("keyframe %d decodes to %v, %v", i, img.Bounds(), err)
			}
		}
		total += len(data)
	}
	kbps := float64(total*8) / 4 / 1000 // 60 frames at 15 fps: 4 s
	if kbps > 400 {
		t.Fatalf("%.0f kbit/s for a 150 kbit/s target", kbps)
	}
	if err := e.SetBitRate(60_000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Encode(image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420), time.Second/15, false); err != ErrFrame {
		t.Fatalf("a frame of the wrong size: %v", err)
	}
}

func BenchmarkEncode640x480(b *testing.B) {
	e, err := New(Options{Width: 640, Height: 480, FPS: 15, BitRate: 160_000, KeyframeEvery: 4 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	syn := camera.NewSynthetic(camera.Options{Width: 640, Height: 480, FPS: 100000})
	defer syn.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		img, release, _ := syn.Read()
		if _, _, err := e.Encode(img.(*image.YCbCr), time.Second/15, false); err != nil {
			b.Fatal(err)
		}
		release()
	}
}
