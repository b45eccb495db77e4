package vision

import (
	"fmt"
	"image"
	"image/color"
)

// Gray is an 8-bit luma image stored row by row without padding, the form
// every analysis step works on.
type Gray struct {
	W, H int
	Pix  []uint8
}

// fitSize returns the largest size within maxW×maxH with the aspect of w×h,
// never larger than w×h itself (analysis does not upscale).
func fitSize(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Scale by the tighter of the two limits.
	if w*maxH > h*maxW {
		return maxW, max(1, h*maxW/w)
	}
	return max(1, w*maxH/h), maxH
}

// checkFrame reports frames whose buffers are smaller than their bounds and
// strides say (a broken capture source), which would otherwise make indexing
// panic. Offsets grow monotonically with x and y (also for negative
// coordinates, where chroma rows are found by truncating division), so
// checking the first and last pixel's offsets covers every pixel.
func checkFrame(img image.Image) error {
	if img == nil {
		return fmt.Errorf("%w: no image", ErrEmptyFrame)
	}
	b := img.Bounds()
	if b.Empty() {
		return fmt.Errorf("%w: size %dx%d", ErrEmptyFrame, b.Dx(), b.Dy())
	}
	if b.Dx() > maxSide || b.Dy() > maxSide {
		return fmt.Errorf("%w: size %dx%d (at most %d per side)", ErrBadFrame, b.Dx(), b.Dy(), maxSide)
	}
	last := b.Max.Sub(image.Pt(1, 1))
	span := func(name string, stride, rowBytes, first, lastOff, n int) error {
		if stride < rowBytes {
			return fmt.Errorf("%w: %s stride %d is shorter than a row of %d bytes", ErrBadFrame, name, stride, rowBytes)
		}
		if first < 0 || lastOff < first || lastOff >= n {
			return fmt.Errorf("%w: %s buffer holds %d bytes; %dx%d at stride %d needs offsets %d to %d", ErrBadFrame, name, n, b.Dx(), b.Dy(), stride, first, lastOff)
		}
		return nil
	}
	switch m := img.(type) {
	case *image.YCbCr:
		if err := span("luma", m.YStride, b.Dx(), m.YOffset(b.Min.X, b.Min.Y), m.YOffset(last.X, last.Y), len(m.Y)); err != nil {
			return err
		}
		cw := m.COffset(last.X, b.Min.Y) - m.COffset(b.Min.X, b.Min.Y) + 1
		return span("chroma", m.CStride, cw, m.COffset(b.Min.X, b.Min.Y), m.COffset(last.X, last.Y), min(len(m.Cb), len(m.Cr)))
	case *image.Gray:
		return span("gray", m.Stride, b.Dx(), m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(last.X, last.Y), len(m.Pix))
	case *image.RGBA:
		return span("RGBA", m.Stride, 4*b.Dx(), m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(last.X, last.Y)+3, len(m.Pix))
	case *image.NRGBA:
		return span("NRGBA", m.Stride, 4*b.Dx(), m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(last.X, last.Y)+3, len(m.Pix))
	}
	return nil
}

// maxSide bounds a frame's width and height (8K is 7680).
const maxSide = 16384

// lumaRow writes the luma of row y of img (x from Bounds().Min.X) into dst.
func lumaRow(img image.Image, y int, dst []uint8) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		i := m.YOffset(b.Min.X, y)
		copy(dst, m.Y[i:i+b.Dx()])
	case *image.Gray:
		i := m.PixOffset(b.Min.X, y)
		copy(dst, m.Pix[i:i+b.Dx()])
	case *image.RGBA:
		i := m.PixOffset(b.Min.X, y)
		p := m.Pix[i : i+4*b.Dx()]
		for x := range dst[:b.Dx()] {
			dst[x] = luma8(p[4*x], p[4*x+1], p[4*x+2])
		}
	case *image.NRGBA:
		i := m.PixOffset(b.Min.X, y)
		p := m.Pix[i : i+4*b.Dx()]
		for x := range dst[:b.Dx()] {
			// Un-premultiplied: blend over black as a camera would see it.
			a := uint32(p[4*x+3])
			dst[x] = luma8(uint8(uint32(p[4*x])*a/255), uint8(uint32(p[4*x+1])*a/255), uint8(uint32(p[4*x+2])*a/255))
		}
	default:
		for x := 0; x < b.Dx(); x++ {
			dst[x] = color.GrayModel.Convert(img.At(b.Min.X+x, y)).(color.Gray).Y
		}
	}
}

// luma8 is the BT.601 luma of an 8-bit RGB pixel, as JPEG and cameras use.
func luma8(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// downscaleInto converts img to luma and shrinks it by box averaging into
// dst (resized to w×h). Box averaging also averages sensor noise down, which
// the frozen-frame test relies on being consistent frame to frame. sums and
// row are scratch buffers, returned for reuse.
func downscaleInto(dst *Gray, img image.Image, w, h int, sums []uint32, row []uint8) ([]uint32, []uint8) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst.W, dst.H = w, h
	if cap(dst.Pix) < w*h {
		dst.Pix = make([]uint8, w*h)
	}
	dst.Pix = dst.Pix[:w*h]
	if cap(row) < sw {
		row = make([]uint8, sw)
	}
	row = row[:sw]
	if cap(sums) < 2*w+1 {
		sums = make([]uint32, 2*w+1)
	}
	acc, xs := sums[:w], sums[w:2*w+1]
	// xs[i] is the first source column of destination column i.
	for i := 0; i <= w; i++ {
		xs[i] = uint32(i * sw / w)
	}
	for i := 0; i < w; i++ {
		if xs[i+1] <= xs[i] {
			xs[i+1] = xs[i] + 1
		}
	}
	for dy := 0; dy < h; dy++ {
		y0, y1 := dy*sh/h, (dy+1)*sh/h
		if y1 <= y0 {
			y1 = y0 + 1
		}
		clear(acc)
		for sy := y0; sy < y1; sy++ {
			lumaRow(img, b.Min.Y+sy, row)
			for dx := 0; dx < w; dx++ {
				var s uint32
				for _, v := range row[xs[dx]:xs[dx+1]] {
					s += uint32(v)
				}
				acc[dx] += s
			}
		}
		out := dst.Pix[dy*w : (dy+1)*w]
		rows := uint32(y1 - y0)
		for dx := 0; dx < w; dx++ {
			n := (xs[dx+1] - xs[dx]) * rows
			out[dx] = uint8((acc[dx] + n/2) / n)
		}
	}
	return sums, row
}

// shrink box-averages g by an integer factor into dst.
func shrink(dst *Gray, g *Gray, f int) {
	w, h := g.W/f, g.H/f
	dst.W, dst.H = w, h
	if cap(dst.Pix) < w*h {
		dst.Pix = make([]uint8, w*h)
	}
	dst.Pix = dst.Pix[:w*h]
	n := uint32(f * f)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s uint32
			for yy := y * f; yy < y*f+f; yy++ {
				for _, v := range g.Pix[yy*g.W+x*f : yy*g.W+x*f+f] {
					s += uint32(v)
				}
			}
			dst.Pix[y*w+x] = uint8((s + n/2) / n)
		}
	}
}

// ToGray converts img to luma and box-shrinks it to exactly w×h into dst
// (aspect not kept), reusing dst's buffer. It checks the frame as Analyze
// does: empty or inconsistent frames give an error wrapping ErrEmptyFrame
// or ErrBadFrame. Other packages (the room scan) use it to share the
// analyser's handling of every image type.
func ToGray(dst *Gray, img image.Image, w, h int) error {
	if err := checkFrame(img); err != nil {
		return err
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: target size %dx%d", ErrEmptyFrame, w, h)
	}
	downscaleInto(dst, img, w, h, nil, nil)
	return nil
}
