package footage

import (
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/y4m"
)

// Frame is one rendered frame of a script, with the truth about it.
type Frame struct {
	// Index counts frames from 0 over the whole script.
	Index int
	// At is the frame's time from the start of the script.
	At time.Duration
	// Scene is the scene the frame belongs to; Offset is the time into it.
	Scene  Scene
	Offset time.Duration
	// Image is the frame.
	Image *image.YCbCr
}

// Check reports, before anything is rendered or written, whether Play
// would accept the size, rate and script.
func Check(w, h, fps int, script []Scene) error {
	if w < MinWidth || h < MinHeight || w > MaxWidth || h > MaxHeight {
		return fmt.Errorf("%w: %dx%d (want %dx%d to %dx%d)", ErrSize, w, h, MinWidth, MinHeight, MaxWidth, MaxHeight)
	}
	if fps < 1 || fps > MaxFPS {
		return fmt.Errorf("%w: %d frames per second (want 1–%d)", ErrSize, fps, MaxFPS)
	}
	if len(script) == 0 {
		return fmt.Errorf("%w: the script has no scenes", ErrScene)
	}
	for i, s := range script {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("scene %d: %w", i+1, err)
		}
	}
	return nil
}

// Play renders script at fps and hands each frame to fn, stopping at the
// first error fn returns.
func Play(w, h, fps int, seed uint64, script []Scene, fn func(Frame) error) error {
	if err := Check(w, h, fps, script); err != nil {
		return err
	}
	r, err := NewRenderer(w, h, seed)
	if err != nil {
		return err
	}
	n := 0
	var start time.Duration
	for _, s := range script {
		for i := range sceneFrames(s, fps) {
			off := time.Duration(i) * time.Second / time.Duration(fps)
			img, err := r.Frame(s, off, n)
			if err != nil {
				return err
			}
			if err := fn(Frame{Index: n, At: start + off, Scene: s, Offset: off, Image: img}); err != nil {
				return err
			}
			n++
		}
		start += s.Duration
	}
	return nil
}

// sceneFrames is the number of frames of s at fps: its duration rounded to
// whole frames (at least one), so a script's frames add up to its length.
func sceneFrames(s Scene, fps int) int {
	return max(1, int(math.Round(s.Duration.Seconds()*float64(fps))))
}

// Frames returns how many frames Play renders of script at fps.
func Frames(script []Scene, fps int) int {
	n := 0
	for _, s := range script {
		n += sceneFrames(s, fps)
	}
	return n
}

// WriteY4M renders script into a y4m stream (C420jpeg).
func WriteY4M(out io.Writer, w, h, fps int, seed uint64, script []Scene) error {
	if err := Check(w, h, fps, script); err != nil {
		return err
	}
	yw, err := y4m.NewWriter(out, y4m.Header{
		Width: w, Height: h, FrameRate: y4m.Rational{Num: fps, Den: 1},
		Interlace: 'p', Aspect: y4m.Rational{Num: 1, Den: 1}, Colorspace: y4m.C420jpeg,
		Comments: []string{"kuzet-footage"},
	})
	if err != nil {
		return fmt.Errorf("start y4m: %w", err)
	}
	err = Play(w, h, fps, seed, script, func(f Frame) error { return yw.WriteFrame(f.Image) })
	if err != nil {
		return err
	}
	return yw.Flush()
}

// DemoScript is the demo loop (about 50 s): the candidate sits, leaves the
// seat, comes back, is joined by a second person, covers the camera, turns
// away, and sits facing the screen again, so each camera rule can be seen
// being raised and cleared.
func DemoScript() []Scene {
	return []Scene{
		{Kind: Face, Duration: 8 * time.Second},
		{Kind: Empty, Duration: 8 * time.Second},
		{Kind: Face, Duration: 5 * time.Second},
		{Kind: People, People: 2, Duration: 5 * time.Second},
		{Kind: Face, Duration: 4 * time.Second},
		{Kind: Covered, Duration: 5 * time.Second},
		{Kind: Face, Duration: 4 * time.Second},
		{Kind: Away, Duration: 8 * time.Second},
		{Kind: Face, Duration: 5 * time.Second},
	}
}

// Demo writes the demo loop as a y4m stream of w×h at fps.
func Demo(w io.Writer, width, height, fps int) error {
	return WriteY4M(w, width, height, fps, 1, DemoScript())
}

// ParseScript reads a script written as comma-separated scenes
// KIND[=ARG]:DURATION, e.g. "face:5s,empty:6s,people=3:4s,pan=360/60:30s".
// ARG is the number of faces of "people", "DEGREES/FOV" of "pan" and
// "wiggle" (FOV optional, 60° by default).
func ParseScript(s string) ([]Scene, error) {
	var out []Scene
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		head, dur, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("%w: scene %d %q: want KIND[=ARG]:DURATION, e.g. face:5s", ErrScene, i+1, part)
		}
		d, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("%w: scene %d %q: duration %q (want e.g. 5s): %w", ErrScene, i+1, part, dur, err)
		}
		kind, arg, hasArg := strings.Cut(head, "=")
		sc := Scene{Kind: Kind(kind), Duration: d}
		switch sc.Kind {
		case People:
			if !hasArg {
				return nil, fmt.Errorf("%w: scene %d: people needs a count, e.g. people=2:5s", ErrScene, i+1)
			}
			if sc.People, err = strconv.Atoi(arg); err != nil {
				return nil, fmt.Errorf("%w: scene %d: people=%q is not a number", ErrScene, i+1, arg)
			}
		case Pan, Wiggle:
			if !hasArg {
				return nil, fmt.Errorf("%w: scene %d: %s needs degrees, e.g. %s=360/60:30s", ErrScene, i+1, kind, kind)
			}
			deg, fov, hasFOV := strings.Cut(arg, "/")
			if sc.Degrees, err = strconv.ParseFloat(deg, 64); err != nil {
				return nil, fmt.Errorf("%w: scene %d: degrees %q is not a number", ErrScene, i+1, deg)
			}
			if hasFOV {
				if sc.FOV, err = strconv.ParseFloat(fov, 64); err != nil || sc.FOV <= 0 {
					return nil, fmt.Errorf("%w: scene %d: field of view %q is not a positive number", ErrScene, i+1, fov)
				}
			}
		default:
			if hasArg {
				return nil, fmt.Errorf("%w: scene %d: %s takes no argument", ErrScene, i+1, kind)
			}
		}
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("scene %d: %w", i+1, err)
		}
		out = append(out, sc)
	}
	return out, nil
}
