package footage

import (
	"math"
	"math/rand/v2"
	"time"
)

// panorama returns the 360° room for a field of view, drawn at the
// resolution the frame's width gives (w/fov pixels per degree) so a pan
// slides it by exactly that many pixels per degree.
func (r *Renderer) panorama(fov float64) *canvas {
	if p, ok := r.panos[fov]; ok {
		return p
	}
	ppd := float64(r.w) / fov
	pw := int(math.Round(360 * ppd))
	p := newCanvas(pw, r.h)
	rnd := rand.New(rand.NewPCG(r.seed, 0x70616e6f))
	h := r.h
	// Four walls of different colours, a floor and a ceiling line.
	for wall := range 4 {
		col := [3]float32{90 + 140*rnd.Float32(), 90 + 140*rnd.Float32(), 90 + 140*rnd.Float32()}
		x0, x1 := int(float64(wall)*90*ppd), int(float64(wall+1)*90*ppd)
		for y := 0; y < h; y++ {
			f := float32(0.75 + 0.35*float64(y)/float64(h))
			for x := x0; x < min(x1, pw); x++ {
				p.set(x, y, [3]float32{col[0] * f, col[1] * f, col[2] * f}, 1)
			}
		}
		// Corner shadow.
		wrapRect(p, x0-2, 0, x0+2, h, [3]float32{50, 50, 50})
	}
	wrapRect(p, 0, h*4/5, pw, h, [3]float32{100, 75, 50})
	wrapRect(p, 0, h*4/5-h/40, pw, h*4/5, [3]float32{235, 230, 220}) // skirting board
	wrapRect(p, 0, 0, pw, h/20, [3]float32{245, 245, 240})           // ceiling
	// Furniture and objects at random angles, each a few degrees wide.
	for i := 0; i < 40; i++ {
		a := rnd.Float64() * 360
		x := int(a * ppd)
		wd := int((4 + 14*rnd.Float64()) * ppd)
		switch i % 5 {
		case 0: // window
			wrapRect(p, x-3, h/8-3, x+wd+3, h/2+3, [3]float32{235, 235, 230})
			wrapRect(p, x, h/8, x+wd, h/2, [3]float32{150 + 60*rnd.Float32(), 190, 235})
		case 1: // door
			wrapRect(p, x, h/5, x+wd/2+int(4*ppd), h*4/5, [3]float32{110 + 40*rnd.Float32(), 75, 45})
			wrapRect(p, x+wd/2, h/2, x+wd/2+int(ppd), h/2+h/30+1, [3]float32{220, 200, 80})
		case 2: // bookshelf
			y := h/3 + rnd.IntN(h/4)
			for xx := x; xx < x+wd; {
				bw := 2 + rnd.IntN(int(math.Max(2, ppd)))
				bh := h/10 + rnd.IntN(h/10)
				wrapRect(p, xx, y-bh, xx+bw, y, [3]float32{30 + 210*rnd.Float32(), 30 + 210*rnd.Float32(), 30 + 210*rnd.Float32()})
				xx += bw + 1
			}
			wrapRect(p, x, y, x+wd, y+h/30+1, [3]float32{90, 60, 40})
		case 3: // picture
			y := h/6 + rnd.IntN(h/4)
			wrapRect(p, x, y, x+wd, y+wd*2/3, [3]float32{40, 30, 20})
			wrapRect(p, x+2, y+2, x+wd-2, y+wd*2/3-2, [3]float32{40 + 200*rnd.Float32(), 40 + 200*rnd.Float32(), 40 + 200*rnd.Float32()})
		case 4: // cabinet or plant
			y := h/2 + rnd.IntN(h/5)
			wrapRect(p, x, y, x+wd, h*4/5+h/20, [3]float32{60 + 120*rnd.Float32(), 60 + 100*rnd.Float32(), 50 + 80*rnd.Float32()})
			wrapRect(p, x+wd/4, y+h/20, x+wd*3/4, y+h/20+2, [3]float32{30, 30, 30})
		}
	}
	r.panos[fov] = p
	return p
}

// wrapRect fills a rectangle whose x range may cross the panorama's seam.
func wrapRect(p *canvas, x0, y0, x1, y1 int, col [3]float32) {
	for x := x0; x < x1; x++ {
		xx := ((x % p.w) + p.w) % p.w
		for y := max(y0, 0); y < min(y1, p.h); y++ {
			i := 3 * (y*p.w + xx)
			p.pix[i], p.pix[i+1], p.pix[i+2] = col[0], col[1], col[2]
		}
	}
}

// drawPan fills c with the window of the panorama the camera sees at t, with
// a slight vertical shake.
func (r *Renderer) drawPan(c *canvas, s Scene, t time.Duration) {
	p := r.panorama(s.fov())
	ppd := float64(r.w) / s.fov()
	x0 := s.Angle(t) * ppd
	dy := int(math.Round(0.01 * float64(r.h) * math.Sin(2*math.Pi*t.Seconds()/1.7)))
	ix := int(math.Floor(x0))
	fx := float32(x0 - float64(ix))
	for y := 0; y < r.h; y++ {
		sy := min(max(y+dy, 0), r.h-1)
		for x := 0; x < r.w; x++ {
			a := ((ix+x)%p.w + p.w) % p.w
			b := (a + 1) % p.w
			i, j, k := 3*(y*r.w+x), 3*(sy*p.w+a), 3*(sy*p.w+b)
			for q := range 3 {
				c.pix[i+q] = p.pix[j+q]*(1-fx) + p.pix[k+q]*fx
			}
		}
	}
}
