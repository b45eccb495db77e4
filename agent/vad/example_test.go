package vad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"kuzet.kz/kuzet/agent/vad"
)

// Example shows the agent's wiring: microphone samples go to the detector,
// its frames to the watcher with the wall time they ended at, and the
// watcher's transitions to the session (here, printed).
func Example() {
	const rate = 48000
	det, err := vad.New(vad.Config{SampleRate: rate})
	if err != nil {
		fmt.Println(err)
		return
	}
	watch, err := vad.NewWatcher(vad.WatcherConfig{}) // 3 s within 10 s
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

	// 12 s of a quiet room with a voice-like buzz (150 Hz and harmonics,
	// six syllables a second) from 2 s to 6 s.
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 12*rate)
	for i := range x {
		t := float64(i) / rate
		x[i] = float32(0.001 * rng.NormFloat64())
		if t >= 2 && t < 6 {
			var s float64
			for h := 1; h <= 10; h++ {
				s += math.Sin(2*math.Pi*150*float64(h)*t) / float64(h)
			}
			x[i] += float32(0.05 * s * math.Abs(math.Sin(2*math.Pi*3*t)))
		}
	}
	// Feed 10 ms at a time, as the capture callback does.
	for off := 0; off < len(x); off += rate / 100 {
		frames := det.Process(x[off : off+rate/100])
		if len(frames) == 0 {
			continue
		}
		now := start.Add(frames[len(frames)-1].End())
		for _, tr := range watch.Update(now, frames) {
			fmt.Printf("rule %s %s %s at %v (%s)\n", tr.Rule, tr.Subject, tr.Kind, tr.At.Sub(start), tr.Key)
		}
	}
	// Output:
	// rule 10.8 speech start at 2s (vad.speech.start)
	// rule 10.8 speech end at 6.24s (vad.speech.end)
}
