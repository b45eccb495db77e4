package vad

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchmarkDetector measures the cost of one second of audio at rate: the
// ns/op figure is nanoseconds of CPU per second of microphone audio, so
// 10,000,000 ns/op would be 1 % of one core.
func benchmarkDetector(b *testing.B, rate int, frame time.Duration) {
	rng := rand.New(rand.NewPCG(1, 1))
	// Noise is enough: every frame goes through the same analysis whatever
	// it holds, so the cost depends on the length of the audio only.
	in := make([]float32, rate)
	for i := range in {
		in[i] = 0.05 * float32(rng.NormFloat64())
	}
	d, err := New(Config{SampleRate: rate, Frame: frame})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	c0, haveCPU := processCPU()
	for b.Loop() {
		// Chunks of 10 ms, as a capture callback delivers them.
		for off := 0; off < len(in); off += rate / 100 {
			d.Process(in[off : off+rate/100])
		}
	}
	// ns/op is wall time, which other processes inflate on a busy machine;
	// cpu-ns/op is this process's CPU time, the figure the target is about.
	if c1, ok := processCPU(); haveCPU && ok {
		cpu := float64((c1 - c0).Nanoseconds()) / float64(b.N)
		b.ReportMetric(cpu, "cpu-ns/op")
		b.ReportMetric(cpu/1e7, "%core")
	}
}

func BenchmarkDetector16kHz20ms(b *testing.B) { benchmarkDetector(b, 16000, 20*time.Millisecond) }
func BenchmarkDetector48kHz20ms(b *testing.B) { benchmarkDetector(b, 48000, 20*time.Millisecond) }
func BenchmarkDetector48kHz10ms(b *testing.B) { benchmarkDetector(b, 48000, 10*time.Millisecond) }
