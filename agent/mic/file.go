package mic

import (
	"fmt"
	"os"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/vad/resample"
	"kuzet.kz/kuzet/agent/wav"
)

// File plays a WAV file as the microphone, in a loop, in real time: a
// recorded conversation can be proctored exactly as a live one would.
type File struct {
	name    string
	samples []float32 // the whole file at 48 kHz, mono
	pos     int
	pace    pacer
	stop    chan struct{}
	once    sync.Once
}

var _ Source = (*File)(nil)

// OpenFile reads a WAV file (any rate, mono or stereo) into memory.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("microphone file: %w", err)
	}
	defer f.Close()
	a, err := wav.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("microphone file %s: %w", path, err)
	}
	mono := a.Mono()
	rate := a.Format.SampleRate
	if rate != Rate {
		r, err := resample.New(rate, Rate)
		if err != nil {
			return nil, fmt.Errorf("microphone file %s: %w", path, err)
		}
		out := r.Process(nil, mono)
		mono = r.Flush(out)
	}
	if len(mono) < ChunkSamples {
		return nil, fmt.Errorf("microphone file %s is shorter than 20 ms", path)
	}
	return &File{name: path, samples: mono, stop: make(chan struct{})}, nil
}

// Name implements Source.
func (f *File) Name() string { return f.name }

// Read implements Source.
func (f *File) Read() ([]float32, time.Time, error) {
	at, ok := f.pace.wait(f.stop)
	if !ok {
		return nil, time.Time{}, ErrClosed
	}
	out := make([]float32, ChunkSamples)
	for i := range out {
		out[i] = f.samples[f.pos]
		f.pos = (f.pos + 1) % len(f.samples)
	}
	return out, at, nil
}

// Close implements Source.
func (f *File) Close() error {
	f.once.Do(func() { close(f.stop) })
	return nil
}
