// Package footage renders synthetic camera footage for tests, benchmarks and
// the demo: a candidate at a desk in a synthetic room, who leaves the seat,
// is joined by others, turns away, covers the camera or freezes the picture,
// and 360° room scans made by sliding a window across a panorama.
//
// The face is the MIT-licensed sample photo shipped with esimov/pigo
// (asset/face.jpg), cut out, scaled, mirrored and relit; everything else is
// drawn. Frames carry sensor-like noise, so only a frozen scene repeats a
// frame exactly. Rendering is deterministic for a given seed.
package footage

import (
	"bytes"
	_ "embed" // the face photo is embedded
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"time"
)

//go:embed asset/face.jpg
var faceJPEG []byte

// Kind names what a scene shows.
type Kind string

// Scene kinds.
const (
	// Face: the candidate sits facing the camera.
	Face Kind = "face"
	// Empty: the seat is empty.
	Empty Kind = "empty"
	// People: Scene.People faces (2–4): the candidate and others.
	People Kind = "people"
	// Away: the candidate is in the seat with the back of the head to the camera.
	Away Kind = "away"
	// Profile: the candidate's head is turned to the side.
	Profile Kind = "profile"
	// Dark: the lens is covered in a dim room: a nearly black image.
	Dark Kind = "dark"
	// Covered: something is held over the lens: a flat, featureless image.
	Covered Kind = "covered"
	// Frozen: the picture stops: the first frame of the scene repeats exactly,
	// as a still image fed through a virtual camera would.
	Frozen Kind = "frozen"
	// Pan: the camera turns by Scene.Degrees (signed: positive is to the
	// right) over the scene at a constant speed, with Scene.FOV.
	Pan Kind = "pan"
	// Wiggle: the camera swings back and forth by ±Scene.Degrees around
	// where it is, with Scene.FOV.
	Wiggle Kind = "wiggle"
)

// Kinds lists every scene kind.
func Kinds() []Kind {
	return []Kind{Face, Empty, People, Away, Profile, Dark, Covered, Frozen, Pan, Wiggle}
}

// Scene is one part of a script.
type Scene struct {
	// Kind says what the scene shows.
	Kind Kind
	// Duration is how long it lasts.
	Duration time.Duration
	// People is the number of faces of a People scene (2–4).
	People int
	// Degrees is the rotation of a Pan (signed) or the swing of a Wiggle.
	Degrees float64
	// FOV is the camera's horizontal field of view in degrees for Pan and
	// Wiggle (default 60).
	FOV float64
}

// Errors of this package.
var (
	// ErrSize means a frame size or rate is out of range.
	ErrSize = errors.New("footage size out of range")
	// ErrScene means a scene is malformed.
	ErrScene = errors.New("bad footage scene")
)

// Limits of the renderer.
const (
	MinWidth, MinHeight = 32, 24
	MaxWidth, MaxHeight = 1920, 1080
	MaxFPS              = 60
)

// Validate checks s.
func (s Scene) Validate() error {
	known := false
	for _, k := range Kinds() {
		known = known || k == s.Kind
	}
	switch {
	case !known:
		return fmt.Errorf("%w: kind %q (want one of %v)", ErrScene, s.Kind, Kinds())
	case s.Duration <= 0 || s.Duration > time.Hour:
		return fmt.Errorf("%w: %s lasts %v (want more than 0, at most 1h)", ErrScene, s.Kind, s.Duration)
	case s.Kind == People && (s.People < 2 || s.People > 4):
		return fmt.Errorf("%w: people scene with %d faces (want 2–4)", ErrScene, s.People)
	case (s.Kind == Pan || s.Kind == Wiggle) && (s.FOV < 0 || s.FOV > 170 || math.IsNaN(s.FOV)):
		return fmt.Errorf("%w: field of view %v° (want up to 170°, 0 for 60°)", ErrScene, s.FOV)
	case (s.Kind == Pan || s.Kind == Wiggle) && (math.Abs(s.Degrees) > 3600 || math.IsNaN(s.Degrees)):
		return fmt.Errorf("%w: rotation %v° (want at most ±3600°)", ErrScene, s.Degrees)
	}
	return nil
}

func (s Scene) fov() float64 {
	if s.FOV == 0 {
		return 60
	}
	return s.FOV
}

// Faces returns how many faces the scene shows facing the camera, the truth
// the face detector is measured against.
func (s Scene) Faces() int {
	switch s.Kind {
	case Face, Frozen:
		return 1
	case People:
		return s.People
	}
	return 0
}

// Angle returns the camera's yaw in degrees at t into a Pan or Wiggle scene
// (0 for other kinds), the truth the room scan is measured against.
func (s Scene) Angle(t time.Duration) float64 {
	f := float64(t) / float64(s.Duration)
	switch s.Kind {
	case Pan:
		// Ease in and out over the first and last tenth, as a hand would.
		return s.Degrees * smooth(f)
	case Wiggle:
		return s.Degrees * math.Sin(2*math.Pi*float64(t)/float64(2*time.Second))
	}
	return 0
}

func smooth(f float64) float64 {
	f = math.Max(0, math.Min(1, f))
	const e = 0.1 // share of the time spent speeding up and slowing down
	v := 1 / (1 - e)
	switch {
	case f < e:
		return v * f * f / (2 * e)
	case f > 1-e:
		g := 1 - f
		return 1 - v*g*g/(2*e)
	}
	return v * (f - e/2)
}

// Renderer draws frames of one size. It is not safe for concurrent use.
type Renderer struct {
	w, h   int
	seed   uint64
	room   *canvas
	work   *canvas
	head   *sprite
	shirt  [3]float32
	panos  map[float64]*canvas
	frozen *image.YCbCr
	noise  []int8 // sensor noise, Gaussian with σ 1.8 luma levels
}

// NewRenderer prepares a renderer of w×h frames. seed picks the room, the
// candidate's shirt and the noise, so different seeds give different rooms.
func NewRenderer(w, h int, seed uint64) (*Renderer, error) {
	if w < MinWidth || h < MinHeight || w > MaxWidth || h > MaxHeight {
		return nil, fmt.Errorf("%w: %dx%d (want %dx%d to %dx%d)", ErrSize, w, h, MinWidth, MinHeight, MaxWidth, MaxHeight)
	}
	photo, err := jpeg.Decode(bytes.NewReader(faceJPEG))
	if err != nil {
		return nil, fmt.Errorf("decode embedded face photo: %w", err)
	}
	rnd := rand.New(rand.NewPCG(seed, 0x6b757a6574))
	r := &Renderer{
		w: w, h: h, seed: seed,
		// The head of the sample photo: centre, radii in its pixels.
		head:  spriteFrom(photo, 158, 190, 114, 170, 6),
		panos: map[float64]*canvas{},
		shirt: [3]float32{40 + 150*rnd.Float32(), 40 + 150*rnd.Float32(), 40 + 150*rnd.Float32()},
	}
	// A prime length, so frames starting at different offsets do not line
	// their noise up.
	r.noise = make([]int8, 65521)
	for i := range r.noise {
		r.noise[i] = int8(math.Round(math.Max(-100, math.Min(100, rnd.NormFloat64()*1.8))))
	}
	r.room = newCanvas(w, h)
	drawRoom(r.room, rnd)
	r.work = newCanvas(w, h)
	return r, nil
}

// Size returns the frame size.
func (r *Renderer) Size() (int, int) { return r.w, r.h }

// Frame renders frame number n of scene s, t into the scene. Frozen scenes
// repeat the frame rendered when n was first called with t == 0 (or the
// first frozen frame asked for).
func (r *Renderer) Frame(s Scene, t time.Duration, n int) (*image.YCbCr, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Kind == Frozen {
		if r.frozen == nil || t == 0 {
			s2 := s
			s2.Kind = Face
			f, err := r.Frame(s2, t, n)
			if err != nil {
				return nil, err
			}
			r.frozen = f
		}
		out := image.NewYCbCr(r.frozen.Rect, r.frozen.SubsampleRatio)
		copy(out.Y, r.frozen.Y)
		copy(out.Cb, r.frozen.Cb)
		copy(out.Cr, r.frozen.Cr)
		return out, nil
	}
	r.frozen = nil
	rnd := rand.New(rand.NewPCG(r.seed^uint64(n)*0x9e3779b97f4a7c15, uint64(n)))
	c := r.work
	sec := t.Seconds()
	switch s.Kind {
	case Pan, Wiggle:
		r.drawPan(c, s, t)
	default:
		c.copyFrom(r.room)
	}
	w, h := float64(r.w), float64(r.h)
	sway := 0.012 * w * math.Sin(2*math.Pi*sec/3.1)
	bob := 0.006 * h * math.Sin(2*math.Pi*sec/2.3)
	headW := 0.26 * w
	switch s.Kind {
	case Face:
		r.drawPerson(c, w/2+sway, 0.45*h+bob, headW, false, 1, 0)
	case Profile:
		// The head turned 55° away from the screen.
		r.drawPerson(c, w/2+sway, 0.45*h+bob, headW, false, 1, 55*math.Pi/180)
	case Away:
		r.drawTorso(c, w/2+sway, 0.45*h+bob, headW)
		drawBackOfHead(c, w/2+sway, 0.45*h+bob, headW)
	case People:
		n := s.People
		hw := math.Min(headW, 0.8*w/float64(n))
		for i := 0; i < n; i++ {
			x := w * (float64(i) + 0.5) / float64(n)
			y := 0.45*h + 0.04*h*float64(i%2)
			gain := float32(0.85 + 0.1*float64(i%3))
			r.drawPerson(c, x+sway*float64(1-2*(i%2)), y+bob, hw*(1-0.08*float64(i%2)), i%2 == 1, gain, 0)
		}
	case Dark:
		for i := range c.pix {
			c.pix[i] = 0.04*c.pix[i] + 2
		}
	case Covered:
		// A hand or a sheet of paper close to the lens: flat, out of focus.
		base := [3]float32{190, 150, 130}
		c.vgradient(0, r.h, base, [3]float32{base[0] * 0.9, base[1] * 0.9, base[2] * 0.9})
	}
	out := image.NewYCbCr(image.Rect(0, 0, r.w, r.h), image.YCbCrSubsampleRatio420)
	// Each frame reads the noise table in its own order, so no two live
	// frames share their noise.
	c.toYCbCr(out, r.noise, 1+rnd.IntN(len(r.noise)-1), rnd.IntN(len(r.noise)))
	return out, nil
}

func (r *Renderer) drawPerson(c *canvas, cx, cy, headW float64, flip bool, gain float32, yaw float64) {
	r.drawTorso(c, cx, cy, headW)
	c.draw(r.head, cx, cy, headW, flip, gain, yaw)
}

func (r *Renderer) drawTorso(c *canvas, cx, cy, headW float64) {
	headH := headW * float64(r.head.h) / float64(r.head.w)
	neck := [3]float32{200, 150, 125}
	c.rect(int(cx-0.2*headW), int(cy+0.3*headH), int(cx+0.2*headW), int(cy+0.62*headH), neck)
	c.ellipse(cx, cy+0.55*headH+0.9*headW, 1.5*headW, 1.0*headW, r.shirt)
	// A collar and a seam give the torso some structure for the tracker.
	dark := [3]float32{r.shirt[0] * 0.6, r.shirt[1] * 0.6, r.shirt[2] * 0.6}
	c.ellipse(cx, cy+0.56*headH, 0.28*headW, 0.1*headW, dark)
	c.rect(int(cx-0.02*headW), int(cy+0.6*headH), int(cx+0.02*headW), int(cy+0.6*headH+headW), dark)
}

func drawBackOfHead(c *canvas, cx, cy, headW float64) {
	hair := [3]float32{45, 35, 30}
	rx := headW / 2 * 0.95
	ry := rx * 1.3
	c.ellipse(cx-0.47*headW, cy+0.05*headW, 0.07*headW, 0.13*headW, [3]float32{190, 140, 120})
	c.ellipse(cx+0.47*headW, cy+0.05*headW, 0.07*headW, 0.13*headW, [3]float32{190, 140, 120})
	c.ellipse(cx, cy, rx, ry, hair)
	c.ellipse(cx+0.05*headW, cy-0.25*ry, 0.25*rx, 0.2*ry, [3]float32{60, 48, 40})
}

// drawRoom paints a wall, a shelf of books, a window, a picture and a desk.
func drawRoom(c *canvas, rnd *rand.Rand) {
	w, h := c.w, c.h
	wall := [3]float32{150 + 80*rnd.Float32(), 140 + 80*rnd.Float32(), 120 + 80*rnd.Float32()}
	c.vgradient(0, h, wall, [3]float32{wall[0] * 0.7, wall[1] * 0.7, wall[2] * 0.7})
	// Window (bright) at a random side.
	wx := int(float64(w) * (0.05 + 0.6*rnd.Float64()))
	ww, wh := w/5+rnd.IntN(w/8), h/3
	c.rect(wx-4, h/10-4, wx+ww+4, h/10+wh+4, [3]float32{240, 240, 235})
	c.rect(wx, h/10, wx+ww, h/10+wh, [3]float32{170, 200, 235})
	c.rect(wx+ww/2-2, h/10, wx+ww/2+2, h/10+wh, [3]float32{240, 240, 235})
	// Shelf with books.
	sx := int(float64(w) * rnd.Float64() * 0.7)
	sy := h/2 + rnd.IntN(h/6)
	sw := w / 4
	c.rect(sx, sy, sx+sw, sy+h/40+2, [3]float32{110, 80, 50})
	for x := sx; x < sx+sw; {
		bw := 3 + rnd.IntN(max(2, w/60))
		bh := h/10 + rnd.IntN(h/12)
		c.rect(x, sy-bh, x+bw-1, sy, [3]float32{40 + 200*rnd.Float32(), 40 + 200*rnd.Float32(), 40 + 200*rnd.Float32()})
		x += bw
	}
	// Picture.
	px, py := int(float64(w)*rnd.Float64()*0.8), h/8+rnd.IntN(h/5)
	c.rect(px, py, px+w/8, py+h/8, [3]float32{60, 40, 30})
	c.rect(px+3, py+3, px+w/8-3, py+h/8-3, [3]float32{60 + 150*rnd.Float32(), 120 + 100*rnd.Float32(), 60 + 150*rnd.Float32()})
	// Desk edge at the bottom.
	c.rect(0, h*7/8, w, h, [3]float32{120, 90, 60})
	c.rect(0, h*7/8, w, h*7/8+2, [3]float32{80, 60, 40})
}

// Photo returns the embedded face photo (esimov/pigo's MIT sample, 320×400,
// one frontal face), for tests that want a real photograph as it is.
func Photo() (image.Image, error) {
	img, err := jpeg.Decode(bytes.NewReader(faceJPEG))
	if err != nil {
		return nil, fmt.Errorf("decode embedded face photo: %w", err)
	}
	return img, nil
}
