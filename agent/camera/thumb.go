package camera

import (
	"image"
	"sync"
	"time"
)

// Thumbnailer makes the small copy of the camera the proctor's grid shows:
// every Every-th frame, box-filtered down to Width×Height. It is a tap on
// the pipeline and a frame source for the second encoder; a slow encoder
// loses thumbnails, never camera frames.
type Thumbnailer struct {
	w, h, every int
	n           int
	ch          chan *image.YCbCr
	pool        sync.Pool
	stop        chan struct{}
	once        sync.Once
}

// NewThumbnailer makes w×h thumbnails of every every-th frame.
func NewThumbnailer(w, h, every int) *Thumbnailer {
	t := &Thumbnailer{w: w &^ 1, h: h &^ 1, every: max(every, 1), ch: make(chan *image.YCbCr, 2), stop: make(chan struct{})}
	t.pool.New = func() any { return image.NewYCbCr(image.Rect(0, 0, t.w, t.h), image.YCbCrSubsampleRatio420) }
	return t
}

// Size is the thumbnail size.
func (t *Thumbnailer) Size() (int, int) { return t.w, t.h }

// Tap takes a camera frame (called by the pipeline).
func (t *Thumbnailer) Tap(img image.Image, _ time.Time) {
	t.n++
	if t.n%t.every != 0 {
		return
	}
	src, ok := img.(*image.YCbCr)
	if !ok || src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return
	}
	dst := t.pool.Get().(*image.YCbCr)
	Downscale(dst, src)
	select {
	case t.ch <- dst:
	default:
		t.pool.Put(dst)
	}
}

// Read implements the encoder's video reader.
func (t *Thumbnailer) Read() (image.Image, func(), error) {
	select {
	case img := <-t.ch:
		return img, func() { t.pool.Put(img) }, nil
	case <-t.stop:
		return nil, nil, ErrClosed
	}
}

// Close stops Read.
func (t *Thumbnailer) Close() error {
	t.once.Do(func() { close(t.stop) })
	return nil
}

// Downscale box-filters a 4:2:0 image into dst (also 4:2:0, any smaller
// size): each output sample is the mean of the source samples it covers.
func Downscale(dst, src *image.YCbCr) {
	scalePlane(dst.Y, dst.YStride, dst.Rect.Dx(), dst.Rect.Dy(), src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y):], src.YStride, src.Rect.Dx(), src.Rect.Dy())
	cw, ch := (dst.Rect.Dx()+1)/2, (dst.Rect.Dy()+1)/2
	scw, sch := (src.Rect.Dx()+1)/2, (src.Rect.Dy()+1)/2
	off := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	scalePlane(dst.Cb, dst.CStride, cw, ch, src.Cb[off:], src.CStride, scw, sch)
	scalePlane(dst.Cr, dst.CStride, cw, ch, src.Cr[off:], src.CStride, scw, sch)
}

func scalePlane(dst []uint8, dstride, dw, dh int, src []uint8, sstride, sw, sh int) {
	for y := 0; y < dh; y++ {
		y0, y1 := y*sh/dh, max((y+1)*sh/dh, y*sh/dh+1)
		for x := 0; x < dw; x++ {
			x0, x1 := x*sw/dw, max((x+1)*sw/dw, x*sw/dw+1)
			sum, n := 0, 0
			for yy := y0; yy < y1; yy++ {
				row := src[yy*sstride:]
				for xx := x0; xx < x1; xx++ {
					sum += int(row[xx])
					n++
				}
			}
			dst[y*dstride+x] = uint8(sum / n)
		}
	}
}
