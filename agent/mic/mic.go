// Package mic gives the agent its microphone: 20 ms chunks of mono
// float32 samples at 48 kHz, each with the time its first sample was
// captured. A real microphone is opened through miniaudio (PulseAudio or
// ALSA on Linux, WASAPI on Windows, CoreAudio on macOS); recorded speech
// can stand in for it (file:PATH, a WAV file played in a loop), and a quiet
// synthetic room (test) for machines without one.
//
// The chunks feed both the Opus encoder and the voice activity detector
// (rule 10.8), which sees the samples before any encoding.
package mic

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Rate is the sample rate of every source.
const Rate = 48000

// ChunkSamples is the number of samples in one chunk (20 ms).
const ChunkSamples = Rate / 50

// ChunkDuration is the length of one chunk.
const ChunkDuration = 20 * time.Millisecond

// Errors of the mic package.
var (
	// ErrNoMicrophone: no capture device could be opened.
	ErrNoMicrophone = errors.New("no microphone was found")
	// ErrClosed: the source was closed.
	ErrClosed = errors.New("microphone closed")
	// ErrLost: the device stopped (unplugged, server gone).
	ErrLost = errors.New("the microphone stopped")
)

// Source is a stream of 20 ms chunks.
type Source interface {
	// Read returns the next chunk (ChunkSamples samples in [-1, 1]) and
	// the capture time of its first sample. The slice is the caller's.
	Read() ([]float32, time.Time, error)
	// Close stops the source; a blocked Read returns ErrClosed.
	Close() error
	// Name describes the source for people.
	Name() string
}

// Spec is a parsed --mic value.
type Spec struct {
	// Kind is "auto", "test", "file" or "none".
	Kind string
	// Path is the WAV file for "file".
	Path string
}

// ParseSpec parses --mic: auto, test, none or file:PATH.
func ParseSpec(s string) (Spec, error) {
	switch {
	case s == "" || s == "auto":
		return Spec{Kind: "auto"}, nil
	case s == "test" || s == "none":
		return Spec{Kind: s}, nil
	case strings.HasPrefix(s, "file:") && len(s) > len("file:"):
		return Spec{Kind: "file", Path: strings.TrimPrefix(s, "file:")}, nil
	}
	return Spec{}, fmt.Errorf("--mic %q: use auto, test, none or file:PATH (a WAV file)", s)
}

// Open opens the source a spec names. "none" returns (nil, nil).
func Open(spec Spec) (Source, error) {
	switch spec.Kind {
	case "none":
		return nil, nil
	case "test":
		return NewSynthetic(), nil
	case "file":
		return OpenFile(spec.Path)
	default:
		d, err := OpenDevice()
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

// pacer releases chunks at the real-time rate for generated sources.
type pacer struct {
	next time.Time
}

func (p *pacer) wait(stop <-chan struct{}) (time.Time, bool) {
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
			return time.Time{}, false
		}
	}
	at := p.next
	p.next = p.next.Add(ChunkDuration)
	return at, true
}
