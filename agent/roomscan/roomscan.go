// Package roomscan measures the candidate's 360° room scan of rule 10.7: on
// request the candidate turns the camera all the way around the room, and
// the agent measures how far it turned from the frames alone.
//
// Each frame is shrunk to a small grey grid; the horizontal shift between
// consecutive frames is found by phase correlation (the peak of the inverse
// FFT of the normalised cross-power spectrum) and turned into degrees with
// the camera's horizontal field of view. Steps are summed with their sign.
// When the view comes back to the first frame (loop closure), the pixels
// travelled for one full turn calibrate the field of view, so a camera whose
// real field of view differs from the configured one is still measured
// right.
//
// A Scan is pure: it takes frames and times, returns progress and a Result,
// and Result.Transition makes the rule 10.7 event.
package roomscan

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/vision"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Grid size frames are shrunk to. Powers of two for the FFT; 128 columns
// give a resolution of FOV/128 (about half a degree) before sub-pixel
// interpolation.
const (
	gridW = 128
	gridH = 64
)

// Reason says why a scan failed.
type Reason string

// Reasons a scan fails.
const (
	// TooFast: the camera turned faster than can be followed or checked.
	TooFast Reason = "too_fast"
	// TooShort: the camera turned, in one direction, less than 360°.
	TooShort Reason = "too_short"
	// Reversed: the camera went back and forth instead of around.
	Reversed Reason = "reversed"
	// Static: the camera hardly moved.
	Static Reason = "static"
	// TimedOut: the time limit passed before a full turn.
	TimedOut Reason = "timed_out"
	// NoLoop: the measured turn is a full one but the view at the end never
	// matched the start, so the turn cannot be confirmed.
	NoLoop Reason = "no_loop"
	// NoFrames: no usable frame arrived.
	NoFrames Reason = "no_frames"
)

// Config tunes the scan. DefaultConfig holds the defaults; call Validate.
type Config struct {
	// FOV is the camera's nominal horizontal field of view in degrees
	// (laptop and USB webcams: 55–78°). Loop closure corrects it.
	FOV float64
	// TimeLimit is how long the candidate has for the scan.
	TimeLimit time.Duration
	// Tolerance is how far short of 360° a turn may stop and still pass.
	Tolerance float64
	// MaxSpeed is the highest average turning speed, in degrees per second,
	// at which the room can still be seen (faster is too_fast).
	MaxSpeed float64
	// MaxBackward is the largest share of the travel that may go against
	// the main direction before the scan counts as reversed.
	MaxBackward float64
	// StaticDegrees is the travel below which the camera counts as static.
	StaticDegrees float64
	// MinConfidence is the least phase-correlation peak (0–1) for a step
	// between two frames to be trusted.
	MinConfidence float64
	// MaxLost is the largest share of frames whose step could not be
	// measured before the scan counts as too fast.
	MaxLost float64
	// LoopConfidence is the least peak for the view to count as back at
	// the start.
	LoopConfidence float64
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		FOV:            60,
		TimeLimit:      90 * time.Second,
		Tolerance:      15,
		MaxSpeed:       90,
		MaxBackward:    0.2,
		StaticDegrees:  20,
		MinConfidence:  0.05,
		MaxLost:        0.25,
		LoopConfidence: 0.25,
	}
}

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("invalid room scan config")

// Validate checks every field and names the wrong one.
func (c *Config) Validate() error {
	bad := func(field, want string, got any) error {
		return fmt.Errorf("%w: %s is %v; %s", ErrConfig, field, got, want)
	}
	switch {
	case !(c.FOV >= 20 && c.FOV <= 170):
		return bad("FOV", "want 20–170 degrees", c.FOV)
	case c.TimeLimit < 5*time.Second:
		return bad("TimeLimit", "want at least 5s", c.TimeLimit)
	case !(c.Tolerance >= 0 && c.Tolerance < 90):
		return bad("Tolerance", "want 0 up to 90 degrees", c.Tolerance)
	case !(c.MaxSpeed > 0):
		return bad("MaxSpeed", "want a positive speed in degrees per second", c.MaxSpeed)
	case !(c.MaxBackward >= 0 && c.MaxBackward < 0.5):
		return bad("MaxBackward", "want a share from 0 up to 0.5", c.MaxBackward)
	case !(c.StaticDegrees >= 0 && c.StaticDegrees < 180):
		return bad("StaticDegrees", "want 0 up to 180 degrees", c.StaticDegrees)
	case !(c.MinConfidence > 0 && c.MinConfidence < 1):
		return bad("MinConfidence", "want between 0 and 1", c.MinConfidence)
	case !(c.MaxLost >= 0 && c.MaxLost < 1):
		return bad("MaxLost", "want a share from 0 up to 1", c.MaxLost)
	case !(c.LoopConfidence > 0 && c.LoopConfidence < 1):
		return bad("LoopConfidence", "want between 0 and 1", c.LoopConfidence)
	}
	return nil
}

// Progress is the state of a scan after a frame, for the candidate's screen.
type Progress struct {
	// Degrees is the net rotation so far (positive: to the right).
	Degrees float64
	// Travelled is the rotation in either direction added up.
	Travelled float64
	// Elapsed is the time since the first frame.
	Elapsed time.Duration
	// Measured says whether this frame's step was measured (false: it was
	// estimated from the previous speed, e.g. because of motion blur).
	Measured bool
	// LoopClosed says the view has come back to the start.
	LoopClosed bool
	// Complete says the scan has everything it needs to pass; the caller
	// may call Finish.
	Complete bool
	// TimedOut says the time limit has passed.
	TimedOut bool
}

// Result is the outcome of a scan.
type Result struct {
	// Passed says the scan met every condition; Reason says why not.
	Passed bool   `json:"passed"`
	Reason Reason `json:"reason,omitempty"`
	// Degrees is the measured net rotation (positive: to the right),
	// calibrated by loop closure when it happened.
	Degrees float64 `json:"degrees"`
	// Travelled is the rotation in either direction added up.
	Travelled float64 `json:"travelled"`
	// Start and End are the times of the first and last frame (End is the
	// Finish time when later), so the recording can be replayed.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Frames counts the frames used; Lost those whose step was estimated.
	Frames int `json:"frames"`
	Lost   int `json:"lost"`
	// LoopClosed says the view came back to the start; FOV is then the
	// field of view it implies, else the configured one.
	LoopClosed bool    `json:"loop_closed"`
	FOV        float64 `json:"fov"`
}

// Duration is End − Start.
func (r Result) Duration() time.Duration { return r.End.Sub(r.Start) }

// Scan measures one room scan. It is not safe for concurrent use.
type Scan struct {
	cfg  Config
	fft  *fft2
	gray vision.Gray

	first, prev []complex128 // spectra of the first and previous frame
	cur         []complex128 // spectrum of the frame being added
	work        []complex128
	window      []float64

	start, last   time.Time
	frames, lost  int
	px            float64 // net shift in grid pixels (positive: turned right)
	travelPx      float64
	lastStep      float64
	loopPx        float64 // pixels of one full turn, from loop closure
	loopClosed    bool
	loopCandidate float64 // full turn suggested by the previous frame, 0 if none
	timedOut      bool
	started       bool
}

// NewScan starts a scan with cfg.
func NewScan(cfg Config) (*Scan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scan{cfg: cfg, fft: newFFT2(gridW, gridH), work: make([]complex128, gridW*gridH)}
	s.window = make([]float64, gridW*gridH)
	for y := 0; y < gridH; y++ {
		wy := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(y)+0.5)/gridH)
		for x := 0; x < gridW; x++ {
			wx := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(x)+0.5)/gridW)
			s.window[y*gridW+x] = wx * wy
		}
	}
	return s, nil
}

// spectrum shrinks img, takes its horizontal steps, windows them and
// returns their FFT in s.cur.
func (s *Scan) spectrum(img image.Image) ([]complex128, error) {
	if err := vision.ToGray(&s.gray, img, gridW, gridH); err != nil {
		return nil, err
	}
	// Correlate horizontal luma steps, not luma: a turn moves vertical edges
	// (door frames, shelves, furniture), while horizontal ones (floor,
	// ceiling, skirting) look the same at every angle and would make any
	// shift match.
	if s.cur == nil {
		s.cur = make([]complex128, gridW*gridH)
	}
	out := s.cur
	clear(out)
	pix := s.gray.Pix
	for y := 0; y < gridH; y++ {
		row := pix[y*gridW : (y+1)*gridW]
		for x := 0; x < gridW-1; x++ {
			i := y*gridW + x
			out[i] = complex(float64(int(row[x+1])-int(row[x]))*s.window[i], 0)
		}
	}
	s.fft.transform(out, false)
	return out, nil
}

// correlate returns the shift (dx, in grid pixels, sub-pixel) that best maps
// a onto b, and the height of the correlation peak (1 for a pure shift of
// identical content, near 0 for unrelated frames).
func (s *Scan) correlate(a, b []complex128) (dx, peak float64) {
	r := s.work
	for i := range r {
		c := a[i] * complexConj(b[i])
		m := math.Hypot(real(c), imag(c))
		if m < 1e-9 {
			r[i] = 0
			continue
		}
		r[i] = c / complex(m, 0)
	}
	s.fft.transform(r, true)
	best, bi := -1.0, 0
	for i, v := range r {
		if real(v) > best {
			best, bi = real(v), i
		}
	}
	bx, by := bi%gridW, bi/gridW
	at := func(x int) float64 { return real(r[by*gridW+((x+gridW)%gridW)]) }
	l, c, rr := at(bx-1), at(bx), at(bx+1)
	sub := 0.0
	if d := l - 2*c + rr; d < 0 {
		sub = math.Max(-0.5, math.Min(0.5, 0.5*(l-rr)/d))
	}
	x := float64(bx) + sub
	if x > gridW/2 {
		x -= gridW
	}
	return x, best
}

func complexConj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// degPerPx is the rotation of one grid pixel: calibrated by loop closure
// when it happened, else from the configured field of view.
func (s *Scan) degPerPx() float64 {
	if s.loopClosed {
		return 360 / math.Abs(s.loopPx)
	}
	return s.cfg.FOV / gridW
}

// Add feeds the frame img taken at now. Frames must come in time order; a
// frame that cannot be read (empty, broken) is returned as an error and
// otherwise ignored.
func (s *Scan) Add(now time.Time, img image.Image) (Progress, error) {
	spec, err := s.spectrum(img)
	if err != nil {
		return s.progress(false), fmt.Errorf("room scan frame: %w", err)
	}
	if !s.started {
		s.started, s.start, s.last = true, now, now
		s.first = append([]complex128(nil), spec...)
		s.prev, s.cur = spec, nil
		s.frames = 1
		return s.progress(true), nil
	}
	s.frames++
	s.last = now
	if now.Sub(s.start) > s.cfg.TimeLimit {
		s.timedOut = true
	}
	// correlate(prev, cur) gives how far the content moved towards smaller
	// x: the camera turning right moves it left.
	dx, peak := s.correlate(s.prev, spec)
	step := dx
	measured := peak >= s.cfg.MinConfidence && math.Abs(dx) < 0.45*gridW
	// A weak peak far from the current speed is more likely noise on a
	// blank wall than a hand jerking the camera: keep the speed instead.
	if measured && s.frames > 2 && peak < 3*s.cfg.MinConfidence && math.Abs(dx-s.lastStep) > gridW/8 {
		measured = false
	}
	if !measured {
		// Keep the previous speed: a blurred frame during a steady turn.
		step = s.lastStep
		s.lost++
	}
	s.lastStep = step
	s.px += step
	s.travelPx += math.Abs(step)
	s.prev, s.cur = spec, s.prev
	if !s.loopClosed {
		s.checkLoop(spec)
	}
	return s.progress(measured), nil
}

// checkLoop looks for the first view once the measured turn is close to a
// full one (allowing the configured field of view to be 25 % off).
func (s *Scan) checkLoop(spec []complex128) {
	nominal := math.Abs(s.px) * s.cfg.FOV / gridW
	if nominal < 0.75*360-s.cfg.FOV/2 {
		return
	}
	dx, peak := s.correlate(s.first, spec)
	if peak < s.cfg.LoopConfidence || math.Abs(dx) > 0.45*gridW {
		s.loopCandidate = 0
		return
	}
	// The current view is the first one seen after a turn of dx pixels, so
	// the full turn is the travelled pixels less that.
	full := s.px - dx
	if math.Abs(full) < gridW { // at most one frame's width: not a turn
		s.loopCandidate = 0
		return
	}
	// Two frames in a row must agree on the full turn: one chance match
	// between unrelated views would not repeat at the same place.
	if s.loopCandidate != 0 && math.Abs(full-s.loopCandidate) <= 0.02*math.Abs(full) {
		s.loopPx, s.loopClosed = (full+s.loopCandidate)/2, true
		return
	}
	s.loopCandidate = full
}

func (s *Scan) progress(measured bool) Progress {
	p := Progress{
		Degrees:    s.px * s.degPerPx(),
		Travelled:  s.travelPx * s.degPerPx(),
		Elapsed:    s.last.Sub(s.start),
		Measured:   measured,
		LoopClosed: s.loopClosed,
		TimedOut:   s.timedOut,
	}
	r := s.result(s.last)
	p.Complete = r.Passed
	return p
}

// Finish ends the scan at now and judges it.
func (s *Scan) Finish(now time.Time) Result {
	if s.started && now.Sub(s.start) > s.cfg.TimeLimit && !s.result(s.last).Passed {
		s.timedOut = true
	}
	return s.result(now)
}

func (s *Scan) result(now time.Time) Result {
	r := Result{Start: s.start, End: s.last, Frames: s.frames, Lost: s.lost, LoopClosed: s.loopClosed, FOV: s.cfg.FOV}
	if now.After(r.End) {
		r.End = now
	}
	if !s.started || s.frames < 2 {
		r.Reason = NoFrames
		return r
	}
	k := s.degPerPx()
	if s.loopClosed {
		r.FOV = k * gridW
	}
	r.Degrees, r.Travelled = s.px*k, s.travelPx*k
	net := math.Abs(r.Degrees)
	backward := (r.Travelled - net) / 2
	secs := s.last.Sub(s.start).Seconds()
	switch {
	case r.Travelled < s.cfg.StaticDegrees:
		r.Reason = Static
	case r.Travelled > 0 && backward/r.Travelled > s.cfg.MaxBackward:
		r.Reason = Reversed
	case float64(s.lost) > s.cfg.MaxLost*float64(s.frames-1) || (secs > 0 && net/secs > s.cfg.MaxSpeed):
		r.Reason = TooFast
	case net < 360-s.cfg.Tolerance && s.timedOut:
		r.Reason = TimedOut
	case net < 360-s.cfg.Tolerance:
		r.Reason = TooShort
	case !s.loopClosed:
		r.Reason = NoLoop
	default:
		r.Passed = true
	}
	return r
}

// Transition returns the rule 10.7 event of r: an instant at the scan's end
// with the measured degrees, seconds and reason, naming the start so the
// recording of the scan can be replayed.
func (r Result) Transition() finding.Transition {
	args := i18n.Args{
		"degrees": strconv.Itoa(int(math.Round(math.Abs(r.Degrees)))),
		"seconds": strconv.FormatFloat(r.Duration().Seconds(), 'f', 1, 64),
		"reason":  string(r.Reason),
		"start":   r.Start.UTC().Format(time.RFC3339Nano),
		"end":     r.End.UTC().Format(time.RFC3339Nano),
		"fov":     strconv.Itoa(int(math.Round(r.FOV))),
	}
	t := finding.Transition{Rule: protocol.Rule10_7, Subject: "roomscan", Kind: protocol.KindInstant, At: r.End, Args: args}
	if r.Passed {
		t.Severity, t.Key = protocol.SeverityInfo, i18n.Key("roomscan.passed")
		args["reason"] = "passed"
		return t
	}
	t.Severity = protocol.SeveritySuspected
	switch r.Reason {
	case TooFast:
		t.Key = i18n.Key("roomscan.too_fast")
	case Reversed:
		t.Key = i18n.Key("roomscan.reversed")
	case Static:
		t.Key = i18n.Key("roomscan.static")
	case TimedOut:
		t.Key = i18n.Key("roomscan.timed_out")
	case NoLoop:
		t.Key = i18n.Key("roomscan.no_loop")
	case NoFrames:
		t.Key = i18n.Key("roomscan.no_frames")
		t.Severity = protocol.SeverityUnchecked
	default:
		t.Key = i18n.Key("roomscan.too_short")
	}
	return t
}
