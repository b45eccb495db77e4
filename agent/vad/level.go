package vad

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
)

// Level is an input level reading, for the pre-check's meter.
type Level struct {
	// RMSDBFS is the RMS level in dBFS (a full-scale square wave is 0 dBFS,
	// a full-scale sine -3 dBFS); -120 for digital silence.
	RMSDBFS float64
	// PeakDBFS is the largest sample magnitude in dBFS; -120 for silence.
	PeakDBFS float64
}

// Thresholds the pre-check's verdict uses.
const (
	// LevelSilentDBFS: an RMS below this is no signal at all.
	LevelSilentDBFS = -70.0
	// LevelLowDBFS: an RMS below this is too quiet to be a voice at a laptop.
	LevelLowDBFS = -50.0
	// LevelClipDBFS: a peak at or above this is clipping.
	LevelClipDBFS = -0.5
)

// Measure returns the level of samples.
func Measure(samples []float32) Level {
	var sq, peak float64
	for _, s := range samples {
		v := float64(s)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sq += v * v
		peak = max(peak, math.Abs(v))
	}
	if len(samples) == 0 {
		return Level{RMSDBFS: silenceDB, PeakDBFS: silenceDB}
	}
	return Level{RMSDBFS: powDB(sq / float64(len(samples))), PeakDBFS: ampDB(peak)}
}

func ampDB(a float64) float64 {
	if a <= 1e-6 {
		return silenceDB
	}
	return 20 * math.Log10(a)
}

// Verdict returns the catalogue text that tells the candidate what the
// reading means and what to do: clipping, silent, low or working.
func (l Level) Verdict() (i18n.Key, i18n.Args) {
	args := i18n.Args{
		"rms":  strconv.FormatFloat(math.Round(l.RMSDBFS), 'f', 0, 64),
		"peak": strconv.FormatFloat(math.Round(l.PeakDBFS), 'f', 0, 64),
	}
	switch {
	case l.PeakDBFS >= LevelClipDBFS:
		return i18n.Key("vad.level.clipping"), args
	case l.RMSDBFS < LevelSilentDBFS:
		return i18n.Key("vad.level.silent"), args
	case l.RMSDBFS < LevelLowDBFS:
		return i18n.Key("vad.level.low"), args
	}
	return i18n.Key("vad.level.ok"), args
}

// meterBlock is the resolution of the meter's sliding window.
const meterBlock = 10 * time.Millisecond

// Meter measures the level over a sliding window of the most recent input,
// as a level meter shows it. It is not safe for concurrent use.
type Meter struct {
	blockLen int       // samples per block
	sq, pk   []float64 // per-block sum of squares and peak, ring
	next     int       // ring position of the block being filled
	fill     int       // samples in the block being filled
	blocks   int       // complete blocks, up to len(sq)-1
}

// NewMeter returns a Meter for input at sampleRate over window (10 ms to
// 10 s; 300 ms is what level meters usually show).
func NewMeter(sampleRate int, window time.Duration) (*Meter, error) {
	if sampleRate < 1000 || sampleRate > 768000 {
		return nil, fmt.Errorf("%w: meter sample rate %d Hz: use 1000 … 768000 Hz", ErrConfig, sampleRate)
	}
	if window < meterBlock || window > 10*time.Second {
		return nil, fmt.Errorf("%w: meter window %v: use 10ms … 10s", ErrConfig, window)
	}
	n := int(window / meterBlock)
	// One block more than the window: the block being filled is never read.
	return &Meter{
		blockLen: int(int64(sampleRate) * int64(meterBlock) / int64(time.Second)),
		sq:       make([]float64, n+1),
		pk:       make([]float64, n+1),
	}, nil
}

// Write adds samples to the meter.
func (m *Meter) Write(samples []float32) {
	for _, s := range samples {
		v := float64(s)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		if m.fill == 0 {
			m.sq[m.next], m.pk[m.next] = 0, 0
		}
		m.sq[m.next] += v * v
		m.pk[m.next] = max(m.pk[m.next], math.Abs(v))
		m.fill++
		if m.fill == m.blockLen {
			m.fill = 0
			m.next = (m.next + 1) % len(m.sq)
			m.blocks = min(m.blocks+1, len(m.sq)-1)
		}
	}
}

// Level returns the level over the window's complete blocks (silence before
// the first block is complete).
func (m *Meter) Level() Level {
	if m.blocks == 0 {
		return Level{RMSDBFS: silenceDB, PeakDBFS: silenceDB}
	}
	var sq, pk float64
	for i := 1; i <= m.blocks; i++ {
		j := (m.next - i + len(m.sq)) % len(m.sq)
		sq += m.sq[j]
		pk = max(pk, m.pk[j])
	}
	return Level{RMSDBFS: powDB(sq / float64(m.blocks*m.blockLen)), PeakDBFS: ampDB(pk)}
}
