package footage

import (
	"image"
	"math"
)

// canvas is an RGB drawing surface with the few primitives the scenes need.
type canvas struct {
	w, h int
	pix  []float32 // r, g, b per pixel, 0–255
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, pix: make([]float32, 3*w*h)} }

func (c *canvas) copyFrom(o *canvas) { copy(c.pix, o.pix) }

func (c *canvas) set(x, y int, col [3]float32, a float32) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	i := 3 * (y*c.w + x)
	for k := range 3 {
		c.pix[i+k] += (col[k] - c.pix[i+k]) * a
	}
}

// rect fills [x0,x1)×[y0,y1) (clipped).
func (c *canvas) rect(x0, y0, x1, y1 int, col [3]float32) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, c.w), min(y1, c.h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			i := 3 * (y*c.w + x)
			c.pix[i], c.pix[i+1], c.pix[i+2] = col[0], col[1], col[2]
		}
	}
}

// vgradient fills rows y0..y1 blending from top to bottom colour.
func (c *canvas) vgradient(y0, y1 int, top, bottom [3]float32) {
	for y := max(y0, 0); y < min(y1, c.h); y++ {
		t := float32(y-y0) / float32(max(1, y1-y0))
		var col [3]float32
		for k := range 3 {
			col[k] = top[k] + (bottom[k]-top[k])*t
		}
		c.rect(0, y, c.w, y+1, col)
	}
}

// ellipse fills an ellipse with a soft one-pixel edge.
func (c *canvas) ellipse(cx, cy, rx, ry float64, col [3]float32) {
	for y := int(cy - ry - 1); y <= int(cy+ry+1); y++ {
		for x := int(cx - rx - 1); x <= int(cx+rx+1); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			d := math.Sqrt(dx*dx+dy*dy) - 1
			a := float32(math.Max(0, math.Min(1, -d*math.Min(rx, ry))))
			if a > 0 {
				c.set(x, y, col, a)
			}
		}
	}
}

// sprite is an image with an alpha mask, drawn scaled at a position.
type sprite struct {
	w, h  int
	rgb   []float32
	alpha []float32
}

// spriteFrom cuts an elliptical region (centre, radii in source pixels) out
// of img with a feathered edge.
func spriteFrom(img image.Image, cx, cy, rx, ry, feather float64) *sprite {
	x0, y0 := int(cx-rx), int(cy-ry)
	w, h := int(2*rx), int(2*ry)
	s := &sprite{w: w, h: h, rgb: make([]float32, 3*w*h), alpha: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b, _ := img.At(x0+x, y0+y).RGBA()
			i := y*w + x
			s.rgb[3*i], s.rgb[3*i+1], s.rgb[3*i+2] = float32(r>>8), float32(g>>8), float32(b>>8)
			dx, dy := (float64(x)-rx)/rx, (float64(y)-ry)/ry
			d := (1 - math.Sqrt(dx*dx+dy*dy)) * math.Min(rx, ry) / feather
			s.alpha[i] = float32(math.Max(0, math.Min(1, d)))
		}
	}
	return s
}

// draw composites s centred at (cx, cy) with width dw (height keeps the
// aspect), mirrored if flip, its colours times gain. yaw (radians) turns the
// head: the sprite is wrapped on a vertical cylinder and rotated, so the
// face slides towards one edge, its far side foreshortens, and beyond the
// ear the back of the head (hair) shows.
func (c *canvas) draw(s *sprite, cx, cy, dw float64, flip bool, gain float32, yaw float64) {
	scale := dw / float64(s.w)
	dh := float64(s.h) * scale
	x0, y0 := cx-dw/2, cy-dh/2
	hair := [3]float32{45 * gain, 35 * gain, 30 * gain}
	for y := int(y0); y < int(y0+dh)+1; y++ {
		sy := (float64(y) - y0) / scale
		if sy < 0 || sy >= float64(s.h-1) {
			continue
		}
		for x := int(x0); x < int(x0+dw)+1; x++ {
			u := (float64(x) - x0) / dw // 0..1 across the drawn width
			if u < 0 || u > 1 {
				continue
			}
			back := false
			src := u
			if yaw != 0 {
				a := math.Asin(math.Max(-1, math.Min(1, 2*u-1))) - yaw
				if a < -math.Pi/2 || a > math.Pi/2 {
					back = true
				} else {
					src = (math.Sin(a) + 1) / 2
				}
			}
			if flip {
				u, src = 1-u, 1-src
			}
			// The outline (alpha) stays where the head is; the colour comes
			// from the turned surface.
			a := s.sample(s.alpha, 1, u, sy, 0)
			if a <= 0 {
				continue
			}
			col := hair
			if !back {
				for k := range 3 {
					col[k] = gain * s.sample(s.rgb, 3, src, sy, k)
				}
			}
			c.set(x, y, col, a)
		}
	}
}

// sample reads channel k of a plane with n channels at (u across 0..1, sy
// in rows), bilinearly.
func (s *sprite) sample(plane []float32, n int, u, sy float64, k int) float32 {
	sx := math.Max(0, math.Min(u*float64(s.w-1), float64(s.w-2)))
	ix, iy := int(sx), int(sy)
	fx, fy := float32(sx-float64(ix)), float32(sy-float64(iy))
	i := iy*s.w + ix
	return bilerp(plane[n*i+k], plane[n*(i+1)+k], plane[n*(i+s.w)+k], plane[n*(i+s.w+1)+k], fx, fy)
}

func bilerp(a, b, c, d, fx, fy float32) float32 {
	return (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
}

// toYCbCr converts the canvas to a 4:2:0 frame (BT.601, as JPEG and
// cameras use), adding luma noise from noise, a table of sensor-like
// deviations whose length is prime. Pixel i reads entry (i·mul + add) mod
// len: a different mul per frame gives a different permutation, so the
// noise of two frames is unrelated and does not line up under any shift (a
// plain offset would, and a motion estimator would follow it).
func (c *canvas) toYCbCr(dst *image.YCbCr, noise []int8, mul, add int) {
	n := len(noise)
	k := add % max(n, 1)
	step := mul % max(n, 1)
	for y := 0; y < c.h; y++ {
		row := dst.Y[dst.YOffset(0, y):]
		for x := 0; x < c.w; x++ {
			i := 3 * (y*c.w + x)
			l := 0.299*c.pix[i] + 0.587*c.pix[i+1] + 0.114*c.pix[i+2]
			if n > 0 {
				l += float32(noise[k])
				if k += step; k >= n {
					k -= n
				}
			}
			row[x] = clamp8(l)
		}
	}
	for cy := 0; cy < (c.h+1)/2; cy++ {
		for cx := 0; cx < (c.w+1)/2; cx++ {
			var r, g, b float32
			n := float32(0)
			for y := 2 * cy; y < min(2*cy+2, c.h); y++ {
				for x := 2 * cx; x < min(2*cx+2, c.w); x++ {
					i := 3 * (y*c.w + x)
					r, g, b = r+c.pix[i], g+c.pix[i+1], b+c.pix[i+2]
					n++
				}
			}
			r, g, b = r/n, g/n, b/n
			j := dst.COffset(2*cx, 2*cy)
			dst.Cb[j] = clamp8(128 - 0.168736*r - 0.331264*g + 0.5*b)
			dst.Cr[j] = clamp8(128 + 0.5*r - 0.418688*g - 0.081312*b)
		}
	}
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
