package camera

import (
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// Synthetic is a moving test pattern at a steady frame rate, for machines
// without a camera (tests, CI, demos). Its Stall switch stops frames from
// coming without closing the source — what a camera that hangs or is
// unplugged looks like to the agent — so rule 10.6 can be exercised.
type Synthetic struct {
	w, h, fps int
	pace      pacer
	stop      chan struct{}
	closeOnce sync.Once
	stalled   atomic.Bool
	resume    chan struct{}
	mu        sync.Mutex
	n         int
	pool      sync.Pool
}

var _ Source = (*Synthetic)(nil)

// NewSynthetic returns a test pattern of the given size and rate.
func NewSynthetic(o Options) *Synthetic {
	s := &Synthetic{w: o.Width &^ 1, h: o.Height &^ 1, fps: o.FPS, stop: make(chan struct{}), resume: make(chan struct{}, 1)}
	s.pace.period = time.Second / time.Duration(max(o.FPS, 1))
	s.pool.New = func() any { return image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420) }
	return s
}

// Name implements Source.
func (s *Synthetic) Name() string { return "test pattern" }

// Size implements Source.
func (s *Synthetic) Size() (int, int) { return s.w, s.h }

// FPS implements Source.
func (s *Synthetic) FPS() int { return s.fps }

// SetStalled stops (true) or resumes (false) the frames.
func (s *Synthetic) SetStalled(v bool) {
	s.stalled.Store(v)
	if !v {
		select {
		case s.resume <- struct{}{}:
		default:
		}
	}
}

// Stalled reports whether frames are stopped.
func (s *Synthetic) Stalled() bool { return s.stalled.Load() }

// Read implements Source.
func (s *Synthetic) Read() (image.Image, func(), error) {
	for s.stalled.Load() {
		select {
		case <-s.stop:
			return nil, nil, ErrClosed
		case <-s.resume:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !s.pace.wait(s.stop) {
		return nil, nil, ErrClosed
	}
	s.mu.Lock()
	n := s.n
	s.n++
	s.mu.Unlock()
	img := s.pool.Get().(*image.YCbCr)
	drawPattern(img, n)
	return img, func() { s.pool.Put(img) }, nil
}

// Close implements Source.
func (s *Synthetic) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	return nil
}

// drawPattern paints colour bars that scroll one step per frame and a
// moving white block, so every frame differs (a frozen image is a rule 10.5
// finding) and the encoder has real motion to code.
func drawPattern(img *image.YCbCr, n int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// Eight bars: white, yellow, cyan, green, magenta, red, blue, black (BT.601).
	bars := [8][3]uint8{{235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34}, {106, 202, 222}, {81, 90, 240}, {41, 240, 110}, {16, 128, 128}}
	shift := (n * 4) % w
	for y := 0; y < h; y++ {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range row {
			row[x] = bars[((x+shift)%w)*8/w][0]
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := 0; y < ch; y++ {
		cb := img.Cb[y*img.CStride : y*img.CStride+cw]
		cr := img.Cr[y*img.CStride : y*img.CStride+cw]
		for x := range cb {
			b := bars[((2*x+shift)%w)*8/w]
			cb[x], cr[x] = b[1], b[2]
		}
	}
	// A block bouncing across the lower third.
	bw, bh := w/8, h/6
	span := w - bw
	pos := n * 6 % (2 * span)
	if pos > span {
		pos = 2*span - pos
	}
	top := h - bh - h/12
	for y := top; y < top+bh; y++ {
		for x := pos; x < pos+bw; x++ {
			img.Y[y*img.YStride+x] = 235
		}
	}
	for y := top / 2; y < (top+bh)/2; y++ {
		for x := pos / 2; x < (pos+bw)/2; x++ {
			img.Cb[y*img.CStride+x], img.Cr[y*img.CStride+x] = 128, 128
		}
	}
}
