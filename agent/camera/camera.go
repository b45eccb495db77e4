// Package camera gives the agent its video frames: from a real camera
// (V4L2 on Linux, through pion/mediadevices), from a synthetic test pattern
// where there is no camera, or from recorded footage. It also watches the
// stream for rule 10.6: a camera that is lost, unplugged or stops
// delivering frames is reported, and reported again when it comes back.
package camera

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"
)

// Errors of the camera package.
var (
	// ErrNoCamera: --camera auto found no camera on this computer.
	ErrNoCamera = errors.New("no camera was found")
	// ErrClosed: the source was closed.
	ErrClosed = errors.New("camera closed")
)

// Source is a stream of frames. Read blocks until the next frame; the
// caller may call release once it no longer needs img.
type Source interface {
	// Read returns the next frame.
	Read() (img image.Image, release func(), err error)
	// Close stops the source; a blocked Read returns ErrClosed.
	Close() error
	// Name describes the source for people ("test pattern", "/dev/video0").
	Name() string
	// Size is the frame size.
	Size() (width, height int)
	// FPS is the nominal frame rate.
	FPS() int
}

// Spec is a parsed --camera value.
type Spec struct {
	// Kind is "auto", "test", "file" or "device".
	Kind string
	// Path is the file or device path for "file" and "device".
	Path string
}

// ParseSpec parses --camera: auto, test, file:PATH, or a device name/path.
func ParseSpec(s string) (Spec, error) {
	switch {
	case s == "" || s == "auto":
		return Spec{Kind: "auto"}, nil
	case s == "test":
		return Spec{Kind: "test"}, nil
	case strings.HasPrefix(s, "file:"):
		p := strings.TrimPrefix(s, "file:")
		if p == "" {
			return Spec{}, fmt.Errorf("--camera file: needs a path, e.g. file:footage.y4m")
		}
		return Spec{Kind: "file", Path: p}, nil
	default:
		return Spec{Kind: "device", Path: s}, nil
	}
}

// Options are the capture settings asked for.
type Options struct {
	Width, Height, FPS int
}

// DefaultOptions is 640×480 at 15 frames a second: enough to see a face and
// a room, small enough for an ordinary laptop and a slow uplink.
func DefaultOptions() Options { return Options{Width: 640, Height: 480, FPS: 15} }

// pacer sleeps so that frames come at a steady rate.
type pacer struct {
	period time.Duration
	next   time.Time
}

func (p *pacer) wait(stop <-chan struct{}) bool {
	now := time.Now()
	if p.next.IsZero() || now.Sub(p.next) > time.Second {
		p.next = now
	}
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-stop:
			return false
		}
	}
	p.next = p.next.Add(p.period)
	return true
}
