// Package vision analyses the agent's camera frames for the camera rules of
// p.10: in person (rule 10.1), no other persons (10.2), in the seat (10.3),
// facing the screen (10.4) and an uncovered image (10.5).
//
// An Analyzer turns one frame into an Observation (faces, brightness, edges,
// change since the previous frame); a Watcher applies the exam policy to the
// observations over time and returns finding.Transitions with JPEG evidence.
// Both are pure: no goroutines, no I/O, so `kuzet-agent analyze` runs exactly
// the same code on files as the agent runs on its camera. Rule 10.6 (camera
// lost) belongs to the capture pipeline, which knows when frames stop.
//
// Faces are found with esimov/pigo's pixel-intensity-comparison cascades
// (face finder, pupil localiser), embedded from cascade/.
package vision

import (
	_ "embed" // the cascades are embedded
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	pigo "github.com/esimov/pigo/core"
)

//go:embed cascade/facefinder
var facefinderCascade []byte

//go:embed cascade/puploc
var puplocCascade []byte

// Errors of Analyze. Each returned error wraps one of them.
var (
	// ErrEmptyFrame means the frame has no pixels (nil or zero size).
	ErrEmptyFrame = errors.New("camera frame is empty")
	// ErrFrameTooSmall means the frame is too small to analyse.
	ErrFrameTooSmall = errors.New("camera frame is too small to analyse")
	// ErrBadFrame means the frame's buffer does not hold what its size and
	// stride promise (a broken capture source).
	ErrBadFrame = errors.New("camera frame buffer is inconsistent")
	// ErrCascade means an embedded cascade could not be loaded.
	ErrCascade = errors.New("face cascade")
)

// pupilPerturbs is how many perturbed runs of the pupil localiser are
// combined per eye. It must be 63: pigo v1.4.6 takes the median over all 63
// slots of a pooled buffer, so with fewer runs stale or zero slots would
// decide the result.
const pupilPerturbs = 63

// MinFrameSide is the smallest width or height Analyze accepts.
const MinFrameSide = 16

// Face is one face found in a frame. Coordinates are in analysis pixels
// (Observation.Width × Height); Scale maps them back to the source frame.
type Face struct {
	// X, Y are the centre of the face; Size is the side of its square.
	X    int `json:"x"`
	Y    int `json:"y"`
	Size int `json:"size"`
	// Quality is the detector's score (higher is surer).
	Quality float32 `json:"quality"`
	// EyesFound says whether both pupils were located inside the face.
	EyesFound bool `json:"eyes_found"`
	// LeftEye and RightEye are the located pupils (as seen in the image:
	// LeftEye has the smaller X), valid when EyesFound.
	LeftEye  image.Point `json:"left_eye"`
	RightEye image.Point `json:"right_eye"`
	// Offset is the eyes' midpoint's horizontal distance from the face's
	// centre as a share of Size (signed; 0 for a frontal face).
	Offset float64 `json:"offset"`
	// EyeSpan is the distance between the pupils as a share of Size.
	EyeSpan float64 `json:"eye_span"`
	// PoseChecked says whether the pose test ran. It runs on the largest
	// face only, the candidate's; other faces count for rule 10.2 whatever
	// their pose.
	PoseChecked bool `json:"pose_checked"`
	// Frontal says whether the face looks at the camera: both pupils found,
	// level, centred and not foreshortened. False when PoseChecked is false.
	Frontal bool `json:"frontal"`
}

// Rect returns the face's square in analysis pixels.
func (f Face) Rect() image.Rectangle {
	return image.Rect(f.X-f.Size/2, f.Y-f.Size/2, f.X+f.Size/2, f.Y+f.Size/2)
}

// Observation is what one frame shows. It holds measurements only; the
// Watcher decides what they mean over time.
type Observation struct {
	// SourceWidth and SourceHeight are the frame's size as given.
	SourceWidth  int `json:"source_width"`
	SourceHeight int `json:"source_height"`
	// Width and Height are the size it was analysed at.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Faces are the faces found, largest first; empty, never nil, when
	// there are none.
	Faces []Face `json:"faces"`
	// Luma is the mean luma (0–255); StdDev its standard deviation.
	Luma   float64 `json:"luma"`
	StdDev float64 `json:"stddev"`
	// Edge is the mean edge strength at quarter resolution (luma steps per
	// pixel); sensor noise alone stays near 0, a room scene well above 3.
	Edge float64 `json:"edge"`
	// HasPrevious says whether a previous frame was compared (false on the
	// first frame and after a size change).
	HasPrevious bool `json:"has_previous"`
	// Diff is the mean absolute luma change since the previous frame.
	Diff float64 `json:"diff"`
	// Changed is the share of pixels that changed by more than the noise
	// level since the previous frame.
	Changed float64 `json:"changed"`
	// Dark, Uniform and Frozen are the covered-image tests of rule 10.5.
	Dark    bool `json:"dark"`
	Uniform bool `json:"uniform"`
	Frozen  bool `json:"frozen"`
	// Tracked says the frontal detector found no face but the region below
	// the last frontal face (shoulders, chest) still looks the same: the
	// person is there but turned away (rule 10.4), not gone (10.3).
	Tracked bool `json:"tracked"`
	// TrackDiff is the tracker's median colour change (|ΔY|+|ΔCb|+|ΔCr|)
	// of that region when it ran (lower is more alike), else 0.
	TrackDiff float64 `json:"track_diff"`
}

// Covered reports whether the image is dark or uniform.
func (o *Observation) Covered() bool { return o.Dark || o.Uniform }

// Analyzer analyses frames one after another. It keeps the previous frame
// (for the frozen test) and the last face's surroundings (for the tracker),
// so use one Analyzer per camera and do not share it between goroutines.
type Analyzer struct {
	cfg    Config
	face   *pigo.Pigo
	pupil  *pigo.PuplocCascade
	cur    Gray
	prev   Gray
	coarse Gray
	sums   []uint32
	row    []uint8
	track  *trackRef
	pose   *poseMemo
}

// trackRef is the region around the last frontal face, kept for the tracker.
type trackRef struct {
	rect  image.Rectangle // in analysis pixels
	w, h  int             // frame size it was taken at
	cells []float64       // coarse-grid mean Y, Cb, Cr of the region
}

// NewAnalyzer checks cfg and loads the embedded cascades.
func NewAnalyzer(cfg Config) (*Analyzer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(facefinderCascade) < 16 || len(puplocCascade) < 16 {
		return nil, fmt.Errorf("%w: embedded cascade files are missing", ErrCascade)
	}
	face, err := pigo.NewPigo().Unpack(facefinderCascade)
	if err != nil {
		return nil, fmt.Errorf("%w: unpack facefinder: %w", ErrCascade, err)
	}
	pupil, err := pigo.NewPuplocCascade().UnpackCascade(puplocCascade)
	if err != nil {
		return nil, fmt.Errorf("%w: unpack puploc: %w", ErrCascade, err)
	}
	return &Analyzer{cfg: cfg, face: face, pupil: pupil}, nil
}

// Config returns the analyzer's configuration.
func (a *Analyzer) Config() Config { return a.cfg }

// Reset forgets the previous frame and the tracked face, e.g. after the
// camera changed or a room scan moved it.
func (a *Analyzer) Reset() {
	a.prev.W, a.prev.H = 0, 0
	a.track = nil
	a.pose = nil
}

// Analyze shrinks img to the analysis size and measures it. Any image type
// works; the camera's *image.YCbCr and *image.Gray, *image.RGBA and
// *image.NRGBA take fast paths, including sub-images with their parent's
// strides. A frame that cannot be analysed gives an error wrapping
// ErrEmptyFrame, ErrFrameTooSmall or ErrBadFrame and leaves the state as it
// was.
func (a *Analyzer) Analyze(img image.Image) (Observation, error) {
	if err := checkFrame(img); err != nil {
		return Observation{}, err
	}
	b := img.Bounds()
	if b.Dx() < MinFrameSide || b.Dy() < MinFrameSide {
		return Observation{}, fmt.Errorf("%w: %dx%d (at least %dx%d)", ErrFrameTooSmall, b.Dx(), b.Dy(), MinFrameSide, MinFrameSide)
	}
	w, h := fitSize(b.Dx(), b.Dy(), a.cfg.AnalysisWidth, a.cfg.AnalysisHeight)
	a.prev, a.cur = a.cur, a.prev
	a.sums, a.row = downscaleInto(&a.cur, img, w, h, a.sums, a.row)
	g := &a.cur

	obs := Observation{SourceWidth: b.Dx(), SourceHeight: b.Dy(), Width: w, Height: h}
	obs.Luma, obs.StdDev = meanStd(g.Pix)
	shrink(&a.coarse, g, 4)
	obs.Edge = edgeStrength(&a.coarse)
	obs.Dark = obs.Luma < a.cfg.DarkLuma
	// Contrast scales with light, so a dim room is not "uniform": edges and
	// spread are judged relative to the brightness (as if at mid-grey 128),
	// with a floor so sensor noise in the dark is not blown up.
	rel := 128 / max(obs.Luma, 48)
	obs.Uniform = obs.Edge*rel < a.cfg.UniformEdge && obs.StdDev*rel < a.cfg.UniformStdDev
	if a.prev.W == w && a.prev.H == h && len(a.prev.Pix) == w*h {
		obs.HasPrevious = true
		obs.Diff, obs.Changed = change(g.Pix, a.prev.Pix, a.cfg.NoiseLevel)
		obs.Frozen = obs.Changed <= a.cfg.FrozenChanged
	}
	if !obs.Dark && !obs.Uniform {
		obs.Faces = a.faces(g)
	} else {
		a.pose = nil
	}
	a.updateTrack(img, g, &obs)
	if obs.Faces == nil {
		obs.Faces = []Face{} // machine output writes "faces": [], never null
	}
	return obs, nil
}

func meanStd(p []uint8) (mean, std float64) {
	var hist [256]int
	for _, v := range p {
		hist[v]++
	}
	var s, ss float64
	for v, n := range hist {
		s += float64(v * n)
		ss += float64(v * v * n)
	}
	n := float64(len(p))
	mean = s / n
	return mean, math.Sqrt(max(0, ss/n-mean*mean))
}

// edgeStrength is the mean absolute step to the right and below neighbour.
func edgeStrength(g *Gray) float64 {
	if g.W < 2 || g.H < 2 {
		return 0
	}
	var s int
	for y := 0; y < g.H-1; y++ {
		r := g.Pix[y*g.W : (y+1)*g.W]
		d := g.Pix[(y+1)*g.W : (y+2)*g.W]
		for x := 0; x < g.W-1; x++ {
			s += absInt(int(r[x+1])-int(r[x])) + absInt(int(d[x])-int(r[x]))
		}
	}
	return float64(s) / float64(2*(g.W-1)*(g.H-1))
}

func change(cur, prev []uint8, noise int) (diff, changed float64) {
	var s, n int
	for i, v := range cur {
		d := absInt(int(v) - int(prev[i]))
		s += d
		if d > noise {
			n++
		}
	}
	return float64(s) / float64(len(cur)), float64(n) / float64(len(cur))
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// faces runs the face finder and, on each face, the pupil localiser.
func (a *Analyzer) faces(g *Gray) []Face {
	maxSize := a.cfg.MaxFaceSize
	if maxSize == 0 || maxSize > min(g.W, g.H) {
		maxSize = min(g.W, g.H)
	}
	if maxSize < a.cfg.MinFaceSize {
		return nil
	}
	img := pigo.ImageParams{Pixels: g.Pix, Rows: g.H, Cols: g.W, Dim: g.W}
	dets := a.face.RunCascade(pigo.CascadeParams{
		MinSize: a.cfg.MinFaceSize, MaxSize: maxSize,
		ShiftFactor: a.cfg.ShiftFactor, ScaleFactor: a.cfg.ScaleFactor,
		ImageParams: img,
	}, 0)
	dets = a.face.ClusterDetections(dets, a.cfg.ClusterIoU)
	var out []Face
	for _, d := range dets {
		if d.Q < a.cfg.FaceQuality {
			continue
		}
		out = append(out, Face{X: d.Col, Y: d.Row, Size: d.Scale, Quality: d.Q})
	}
	out = dropNested(out)
	sort.Slice(out, func(i, j int) bool { return out[i].Size > out[j].Size })
	if len(out) > 0 {
		// Only the largest face, the candidate's, is tested for pose
		// (rule 10.4); every face counts for rule 10.2 whatever its pose.
		// The pupil localiser is the costliest step, so a face that has
		// hardly moved since the previous frame, where the pose was
		// measured, keeps that pose for this frame: pose is measured at
		// least every second frame (a turn is seen one frame later at most).
		f := &out[0]
		if p := a.pose; p != nil && !p.reused && absInt(f.X-p.face.X) <= p.face.Size/10 &&
			absInt(f.Y-p.face.Y) <= p.face.Size/10 && absInt(f.Size-p.face.Size) <= p.face.Size/7 {
			d := image.Pt(f.X-p.face.X, f.Y-p.face.Y)
			f.PoseChecked, f.EyesFound, f.Frontal = true, p.face.EyesFound, p.face.Frontal
			f.LeftEye, f.RightEye = p.face.LeftEye.Add(d), p.face.RightEye.Add(d)
			f.Offset, f.EyeSpan = p.face.Offset, p.face.EyeSpan
			a.pose = &poseMemo{face: p.face, reused: true}
		} else {
			a.describe(f, img)
			a.pose = &poseMemo{face: *f}
		}
	} else {
		a.pose = nil
	}
	return out
}

// poseMemo is the last measured pose of the candidate's face.
type poseMemo struct {
	face   Face
	reused bool // the pose was already reused once
}

// dropNested removes a face whose centre lies inside a larger, surer face:
// the cascade sometimes fires on a part of a face at a smaller scale, and
// those would count as a second person.
func dropNested(fs []Face) []Face {
	var out []Face
	for i, f := range fs {
		inside := false
		for j, g := range fs {
			if i == j || g.Size <= f.Size || g.Quality < f.Quality/2 {
				continue
			}
			if absInt(f.X-g.X) < g.Size/2 && absInt(f.Y-g.Y) < g.Size/2 {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, f)
		}
	}
	return out
}

// describe locates the pupils of a detected face and decides whether it is
// frontal. The start points and scale are pigo's own recipe for its puploc
// cascade (eyes about a fifth of the face size up from the centre and a
// sixth to each side).
func (a *Analyzer) describe(f *Face, img pigo.ImageParams) {
	f.PoseChecked = true
	s := float64(f.Size)
	eye := func(dc float64) (image.Point, bool) {
		p := a.pupil.RunDetector(pigo.Puploc{
			Row: f.Y - int(0.075*s), Col: f.X + int(dc*s),
			Scale: float32(0.25 * s), Perturbs: pupilPerturbs,
		}, img, 0, false)
		if p == nil || p.Row <= 0 || p.Col <= 0 {
			return image.Point{}, false
		}
		pt := image.Pt(p.Col, p.Row)
		return pt, pt.In(f.Rect())
	}
	l, okL := eye(-0.175)
	r, okR := eye(0.185)
	if !okL || !okR {
		return
	}
	if l.X > r.X {
		l, r = r, l
	}
	f.EyesFound, f.LeftEye, f.RightEye = true, l, r
	f.Offset = (float64(l.X+r.X)/2 - float64(f.X)) / s
	f.EyeSpan = math.Hypot(float64(r.X-l.X), float64(r.Y-l.Y)) / s
	level := math.Abs(float64(r.Y-l.Y)) < 0.15*s
	upper := float64(l.Y+r.Y)/2 < float64(f.Y)+0.05*s
	f.Frontal = level && upper && math.Abs(f.Offset) <= a.cfg.FrontalOffset && f.EyeSpan >= a.cfg.FrontalEyeSpan
}

// updateTrack keeps the colours of the region below a single frontal face
// (shoulders, chest) and, when no face is found, compares the same region
// now with them. A person who turns away leaves that region as it was; a
// person who leaves uncovers the chair and the room behind. Colour matters:
// a shirt and a wall of the same brightness differ in hue. The comparison
// is the median over a coarse grid of the colour change, so the head
// turning or an arm moving (a minority of cells) does not count.
func (a *Analyzer) updateTrack(img image.Image, g *Gray, obs *Observation) {
	if obs.Dark || obs.Uniform {
		return
	}
	if len(obs.Faces) == 1 && obs.Faces[0].Frontal {
		f := obs.Faces[0]
		r := image.Rect(f.X-f.Size*6/5, f.Y+f.Size*9/10, f.X+f.Size*6/5, f.Y+f.Size*23/10).Intersect(image.Rect(0, 0, g.W, g.H))
		if v := regionColours(img, g, r); v != nil {
			a.track = &trackRef{rect: r, w: g.W, h: g.H, cells: v}
		}
		return
	}
	if len(obs.Faces) > 0 || a.track == nil || a.track.w != g.W || a.track.h != g.H {
		return
	}
	v := regionColours(img, g, a.track.rect)
	if v == nil {
		return
	}
	d := make([]float64, len(v)/3)
	for i := range d {
		d[i] = math.Abs(v[3*i]-a.track.cells[3*i]) + math.Abs(v[3*i+1]-a.track.cells[3*i+1]) + math.Abs(v[3*i+2]-a.track.cells[3*i+2])
	}
	sort.Float64s(d)
	obs.TrackDiff = d[len(d)/2]
	obs.Tracked = obs.TrackDiff <= a.cfg.TrackDiff
}

// regionColours samples r (in analysis pixels of g) of the source frame on
// a coarse grid, 3×3 samples per cell, and returns each cell's mean Y, Cb
// and Cr; nil for a region too small to judge.
func regionColours(img image.Image, g *Gray, r image.Rectangle) []float64 {
	const gw, gh, k = 12, 8, 3
	if r.Dx() < gw || r.Dy() < gh {
		return nil
	}
	b := img.Bounds()
	v := make([]float64, 3*gw*gh)
	for j := 0; j < gh; j++ {
		for i := 0; i < gw; i++ {
			var sy, scb, scr float64
			for q := 0; q < k; q++ {
				for p := 0; p < k; p++ {
					// Centre of sub-cell (p, q) in analysis pixels, then in
					// source pixels.
					ax := float64(r.Min.X) + (float64(i)+(float64(p)+0.5)/k)*float64(r.Dx())/gw
					ay := float64(r.Min.Y) + (float64(j)+(float64(q)+0.5)/k)*float64(r.Dy())/gh
					x := b.Min.X + min(b.Dx()-1, int(ax*float64(b.Dx())/float64(g.W)))
					y := b.Min.Y + min(b.Dy()-1, int(ay*float64(b.Dy())/float64(g.H)))
					c := ycbcrAt(img, x, y)
					sy += float64(c.Y)
					scb += float64(c.Cb)
					scr += float64(c.Cr)
				}
			}
			n := float64(k * k)
			v[3*(j*gw+i)], v[3*(j*gw+i)+1], v[3*(j*gw+i)+2] = sy/n, scb/n, scr/n
		}
	}
	return v
}

func ycbcrAt(img image.Image, x, y int) color.YCbCr {
	if m, ok := img.(*image.YCbCr); ok {
		return m.YCbCrAt(x, y)
	}
	return color.YCbCrModel.Convert(img.At(x, y)).(color.YCbCr)
}
