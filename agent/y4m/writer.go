package y4m

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
)

// Writer writes a y4m stream. Call Flush (or Close) when done. It is not
// safe for concurrent use.
type Writer struct {
	bw     *bufio.Writer
	hdr    Header
	cw, ch int
	buf    []byte
	frames int
}

// NewWriter checks h and writes it as the stream header. Only 4:2:0 colour
// spaces and mono are written (every reader handles them).
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	switch h.Colorspace {
	case C420jpeg, C420, C420mpeg2, C420paldv, CMono:
	default:
		return nil, fmt.Errorf("%w: the writer writes 4:2:0 or mono, not C%s", ErrUnsupported, h.Colorspace)
	}
	cw, ch, _ := h.chromaSize()
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := io.WriteString(bw, h.String()+"\n"); err != nil {
		return nil, fmt.Errorf("write y4m header: %w", err)
	}
	return &Writer{bw: bw, hdr: h, cw: cw, ch: ch}, nil
}

// Header returns the stream header being written.
func (w *Writer) Header() Header { return w.hdr }

// Frames returns how many frames were written.
func (w *Writer) Frames() int { return w.frames }

// WriteFrame writes img as the next frame. img must have the header's size.
// An *image.YCbCr with 4:2:0 subsampling is copied plane by plane; any other
// image is converted.
func (w *Writer) WriteFrame(img image.Image) error {
	b := img.Bounds()
	if b.Dx() != w.hdr.Width || b.Dy() != w.hdr.Height {
		return fmt.Errorf("%w: frame is %dx%d, stream is %dx%d", ErrFrameSize, b.Dx(), b.Dy(), w.hdr.Width, w.hdr.Height)
	}
	if _, err := io.WriteString(w.bw, frameMagic+"\n"); err != nil {
		return fmt.Errorf("write frame %d: %w", w.frames+1, err)
	}
	var err error
	if yc, ok := img.(*image.YCbCr); ok && yc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		err = w.writeYCbCr420(yc)
	} else {
		err = w.writeConverted(img)
	}
	if err != nil {
		return fmt.Errorf("write frame %d: %w", w.frames+1, err)
	}
	w.frames++
	return nil
}

func (w *Writer) writeYCbCr420(yc *image.YCbCr) error {
	b := yc.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := yc.YOffset(b.Min.X, y)
		if _, err := w.bw.Write(yc.Y[i : i+b.Dx()]); err != nil {
			return err
		}
	}
	if w.hdr.Colorspace == CMono {
		return nil
	}
	for _, plane := range [][]byte{yc.Cb, yc.Cr} {
		for cy := 0; cy < w.ch; cy++ {
			i := yc.COffset(b.Min.X, b.Min.Y+2*cy)
			if _, err := w.bw.Write(plane[i : i+w.cw]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) writeConverted(img image.Image) error {
	b := img.Bounds()
	wd, ht := b.Dx(), b.Dy()
	need := wd*ht + 2*w.cw*w.ch
	if cap(w.buf) < need {
		w.buf = make([]byte, need)
	}
	buf := w.buf[:need]
	yp, cb, cr := buf[:wd*ht], buf[wd*ht:wd*ht+w.cw*w.ch], buf[wd*ht+w.cw*w.ch:]
	var sumCb, sumCr []int
	var cnt []int
	if w.hdr.Colorspace != CMono {
		sumCb, sumCr, cnt = make([]int, w.cw*w.ch), make([]int, w.cw*w.ch), make([]int, w.cw*w.ch)
	}
	for y := 0; y < ht; y++ {
		for x := 0; x < wd; x++ {
			c := color.YCbCrModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.YCbCr)
			yp[y*wd+x] = c.Y
			if cnt != nil {
				j := (y/2)*w.cw + x/2
				sumCb[j] += int(c.Cb)
				sumCr[j] += int(c.Cr)
				cnt[j]++
			}
		}
	}
	for j := range cnt {
		cb[j] = uint8((sumCb[j] + cnt[j]/2) / cnt[j])
		cr[j] = uint8((sumCr[j] + cnt[j]/2) / cnt[j])
	}
	if w.hdr.Colorspace == CMono {
		buf = yp
	}
	_, err := w.bw.Write(buf)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush y4m stream: %w", err)
	}
	return nil
}
