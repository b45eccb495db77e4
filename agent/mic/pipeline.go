package mic

import (
	"errors"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// Opener opens the microphone again after it was lost.
type Opener func() (Source, error)

// Tap sees every chunk before encoding: the samples (digital silence
// while the microphone is missing), their capture time, and whether the
// microphone is missing. It must not block or keep samples.
type Tap func(samples []float32, at time.Time, missing bool)

// Pipeline is the audio side of the agent: the Opus encoder pulls chunks
// through Read, the voice detector sees each one first (Tap), and a lost
// microphone is replaced by silence — so the audio track never stops —
// while it is reopened every two seconds.
type Pipeline struct {
	open Opener
	tap  Tap

	mu     sync.Mutex
	src    Source
	closed bool
	retry  time.Time
	pace   pacer
	stop   chan struct{}
	once   sync.Once
}

var _ audio.Reader = (*Pipeline)(nil)

// NewPipeline reads from src (nil: no microphone yet) and reopens with
// open (nil: never).
func NewPipeline(src Source, open Opener, tap Tap) *Pipeline {
	return &Pipeline{src: src, open: open, tap: tap, stop: make(chan struct{})}
}

// Read implements audio.Reader: one 20 ms chunk, 48 kHz mono float32.
func (p *Pipeline) Read() (wave.Audio, func(), error) {
	p.mu.Lock()
	src, closed := p.src, p.closed
	p.mu.Unlock()
	if closed {
		return nil, nil, ErrClosed
	}
	var samples []float32
	var at time.Time
	missing := src == nil
	if src != nil {
		var err error
		samples, at, err = src.Read()
		if err != nil {
			if errors.Is(err, ErrClosed) && p.isClosed() {
				return nil, nil, ErrClosed
			}
			src.Close()
			p.mu.Lock()
			p.src = nil
			p.retry = time.Now().Add(2 * time.Second)
			p.mu.Unlock()
			missing = true
		}
	}
	if missing {
		p.reopen()
		var ok bool
		if at, ok = p.pace.wait(p.stop); !ok {
			return nil, nil, ErrClosed
		}
		samples = make([]float32, ChunkSamples)
	}
	if p.tap != nil {
		p.tap(samples, at, missing)
	}
	chunk := wave.NewFloat32Interleaved(wave.ChunkInfo{Len: len(samples), Channels: 1, SamplingRate: Rate})
	copy(chunk.Data, samples)
	return chunk, func() {}, nil
}

func (p *Pipeline) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// reopen tries the microphone again once the retry time has come.
func (p *Pipeline) reopen() {
	if p.open == nil {
		return
	}
	p.mu.Lock()
	due := time.Now().After(p.retry)
	if due {
		p.retry = time.Now().Add(2 * time.Second)
	}
	p.mu.Unlock()
	if !due {
		return
	}
	src, err := p.open()
	if err != nil || src == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		src.Close()
		return
	}
	p.src = src
}

// Close stops the pipeline and its source.
func (p *Pipeline) Close() error {
	p.once.Do(func() { close(p.stop) })
	p.mu.Lock()
	p.closed = true
	src := p.src
	p.src = nil
	p.mu.Unlock()
	if src != nil {
		return src.Close()
	}
	return nil
}
