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
// panic.
func checkFrame(img image.Image) error {
	if img == nil {
		return fmt.Errorf("%w: no image", ErrEmptyFrame)
	}
	b := img.Bounds()
	if b.Empty() {
		return fmt.Errorf("%w: size %dx%d", ErrEmptyFrame, b.Dx(), b.Dy())
	}
	need := func(stride, bpp, have int, rect image.Rectangle, name string) error {
		if stride < rect.Dx()*bpp {
			return fmt.Errorf("%w: %s stride %d is shorter than a row of %d pixels", ErrBadFrame, name, stride, rect.Dx())
		}
		if have < (rect.Dy()-1)*stride+rect.Dx()*bpp {
			return fmt.Errorf("%w: %s buffer holds %d bytes, %dx%d at stride %d needs more", ErrBadFrame, name, have, rect.Dx(), rect.Dy(), stride)
		}
		return nil
	}
	switch m := img.(type) {
	case *image.YCbCr:
		if err := need(m.YStride, 1, len(m.Y)-m.YOffset(b.Min.X, b.Min.Y), b, "luma"); err != nil {
			return err
		}
		cw, ch := chromaSize(b, m.SubsampleRatio)
		c := image.Rect(0, 0, cw, ch)
		off := m.COffset(b.Min.X, b.Min.Y)
		if err := need(m.CStride, 1, min(len(m.Cb), len(m.Cr))-off, c, "chroma"); err != nil {
			return err
		}
	case *image.Gray:
		return need(m.Stride, 1, len(m.Pix)-m.PixOffset(b.Min.X, b.Min.Y), b, "gray")
	case *image.RGBA:
		return need(m.Stride, 4, len(m.Pix)-m.PixOffset(b.Min.X, b.Min.Y), b, "RGBA")
	case *image.NRGBA:
		return need(m.Stride, 4, len(m.Pix)-m.PixOffset(b.Min.X, b.Min.Y), b, "NRGBA")
	}
	return nil
}

func chromaSize(b image.Rectangle, r image.YCbCrSubsampleRatio) (int, int) {
	// The chroma rectangle of a sub-image starts at Min/2 (rounded down), so
	// count samples between the rounded ends.
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (b.Max.X+1)/2 - b.Min.X/2, b.Dy()
	case image.YCbCrSubsampleRatio420:
		return (b.Max.X+1)/2 - b.Min.X/2, (b.Max.Y+1)/2 - b.Min.Y/2
	case image.YCbCrSubsampleRatio440:
		return b.Dx(), (b.Max.Y+1)/2 - b.Min.Y/2
	case image.YCbCrSubsampleRatio411:
		return (b.Max.X+3)/4 - b.Min.X/4, b.Dy()
	case image.YCbCrSubsampleRatio410:
		return (b.Max.X+3)/4 - b.Min.X/4, (b.Max.Y+1)/2 - b.Min.Y/2
	}
	return b.Dx(), b.Dy()
}

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
// the frozen-frame test relies on being consistent frame to frame.
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
	if cap(sums) < w {
		sums = make([]uint32, w)
	}
	sums = sums[:w]
	for dy := 0; dy < h; dy++ {
		y0, y1 := dy*sh/h, (dy+1)*sh/h
		if y1 <= y0 {
			y1 = y0 + 1
		}
		clear(sums)
		for sy := y0; sy < y1; sy++ {
			lumaRow(img, b.Min.Y+sy, row)
			for dx := 0; dx < w; dx++ {
				x0, x1 := dx*sw/w, (dx+1)*sw/w
				if x1 <= x0 {
					x1 = x0 + 1
				}
				var s uint32
				for _, v := range row[x0:x1] {
					s += uint32(v)
				}
				sums[dx] += s
			}
		}
		out := dst.Pix[dy*w : (dy+1)*w]
		for dx := 0; dx < w; dx++ {
			x0, x1 := dx*sw/w, (dx+1)*sw/w
			if x1 <= x0 {
				x1 = x0 + 1
			}
			n := uint32((x1 - x0) * (y1 - y0))
			out[dx] = uint8((sums[dx] + n/2) / n)
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
