package mic

import (
	"sync"
	"sync/atomic"
	"time"
)

// Synthetic is a quiet room: low pink-ish noise around −60 dBFS, never
// speech, never digital silence. Its Mute switch produces digital silence,
// as a muted microphone does.
type Synthetic struct {
	pace  pacer
	stop  chan struct{}
	once  sync.Once
	seed  uint32
	b0    float32
	b1    float32
	muted atomic.Bool
}

var _ Source = (*Synthetic)(nil)

// NewSynthetic returns the synthetic room.
func NewSynthetic() *Synthetic { return &Synthetic{stop: make(chan struct{}), seed: 12345} }

// Name implements Source.
func (s *Synthetic) Name() string { return "synthetic room" }

// SetMuted switches digital silence on or off.
func (s *Synthetic) SetMuted(v bool) { s.muted.Store(v) }

// Read implements Source.
func (s *Synthetic) Read() ([]float32, time.Time, error) {
	at, ok := s.pace.wait(s.stop)
	if !ok {
		return nil, time.Time{}, ErrClosed
	}
	out := make([]float32, ChunkSamples)
	if s.muted.Load() {
		return out, at, nil
	}
	for i := range out {
		s.seed = s.seed*1664525 + 1013904223
		white := float32(int32(s.seed))/2147483648 - 0
		// A two-pole low-pass gives the noise a room's dull colour.
		s.b0 = 0.97*s.b0 + 0.03*white
		s.b1 = 0.9*s.b1 + 0.1*s.b0
		out[i] = s.b1 * 0.01
	}
	return out, at, nil
}

// Close implements Source.
func (s *Synthetic) Close() error {
	s.once.Do(func() { close(s.stop) })
	return nil
}
