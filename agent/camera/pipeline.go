package camera

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"kuzet.kz/kuzet/agent/finding"
)

// Opener opens the camera again after it failed.
type Opener func() (Source, error)

// Pipeline is the capture side of the agent: the encoder pulls frames
// through Read, every frame is counted by the rule 10.6 monitor and offered
// to the analysis tap, and a failed device is reopened until it comes back.
type Pipeline struct {
	open    Opener
	monitor *Monitor
	emit    func(finding.Transition)
	// taps see every frame before encoding. They must not block or keep
	// img after returning (copy what they need).
	taps []func(img image.Image, at time.Time)

	mu     sync.Mutex
	src    Source
	closed bool
	frames atomic.Uint64
	stop   chan struct{}
	once   sync.Once
}

// NewPipeline starts capture from src. emit receives the rule 10.6
// transitions; open reopens the camera after a failure (nil: never).
func NewPipeline(src Source, open Opener, lostAfter time.Duration, emit func(finding.Transition)) *Pipeline {
	p := &Pipeline{src: src, open: open, monitor: &Monitor{LostAfter: lostAfter}, emit: emit, stop: make(chan struct{})}
	w, h := src.Size()
	p.emitAll(p.monitor.Started(time.Now(), src.Name(), w, h))
	return p
}

// AddTap adds a tap (the thumbnailer, the analysis); call before the
// first Read.
func (p *Pipeline) AddTap(tap func(img image.Image, at time.Time)) { p.taps = append(p.taps, tap) }

// Frames is how many frames were captured.
func (p *Pipeline) Frames() uint64 { return p.frames.Load() }

func (p *Pipeline) emitAll(ts []finding.Transition) {
	for _, t := range ts {
		p.emit(t)
	}
}

// Run watches for gaps in the frames until ctx ends.
func (p *Pipeline) Run(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p.emitAll(p.monitor.Tick(now))
		}
	}
}

// Read returns the next frame for the encoder. If the device fails, it is
// reported (rule 10.6) and reopened every two seconds until it works; Read
// returns ErrClosed only after Close.
func (p *Pipeline) Read() (image.Image, func(), error) {
	for {
		p.mu.Lock()
		src, closed := p.src, p.closed
		p.mu.Unlock()
		if closed {
			return nil, nil, ErrClosed
		}
		if src == nil {
			if !p.reopen() {
				return nil, nil, ErrClosed
			}
			continue
		}
		img, release, err := src.Read()
		if err != nil {
			p.mu.Lock()
			closed = p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, ErrClosed) && p.open == nil {
				return nil, nil, ErrClosed
			}
			p.emitAll(p.monitor.Failed(time.Now(), err.Error()))
			src.Close()
			p.mu.Lock()
			p.src = nil
			p.mu.Unlock()
			continue
		}
		now := time.Now()
		p.frames.Add(1)
		p.emitAll(p.monitor.Frame(now))
		for _, tap := range p.taps {
			tap(img, now)
		}
		if release == nil {
			release = func() {}
		}
		return img, release, nil
	}
}

// reopen tries to open the camera again, every two seconds, until it works
// or the pipeline closes.
func (p *Pipeline) reopen() bool {
	if p.open == nil {
		return false
	}
	for {
		select {
		case <-p.stop:
			return false
		case <-time.After(2 * time.Second):
		}
		src, err := p.open()
		if err != nil {
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			src.Close()
			return false
		}
		p.src = src
		p.mu.Unlock()
		return true
	}
}

// Close stops capture.
func (p *Pipeline) Close() error {
	p.once.Do(func() { close(p.stop) })
	p.mu.Lock()
	p.closed = true
	src := p.src
	p.mu.Unlock()
	if src != nil {
		return src.Close()
	}
	return nil
}
