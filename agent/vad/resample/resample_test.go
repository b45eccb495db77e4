package resample

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func sine(rate int, hz float64, n int, amp float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

func TestSineKeepsFrequencyPhaseAndLevel(t *testing.T) {
	cases := []struct {
		from, to int
		hz       float64
	}{
		{22050, 16000, 1000},
		{48000, 16000, 440},
		{44100, 48000, 3000},
		{16000, 48000, 200},
		{8000, 16000, 3000},
		{16000, 16000, 2500},
	}
	for _, tc := range cases {
		r, err := New(tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		n := tc.from // one second
		out := r.Flush(r.Process(nil, sine(tc.from, tc.hz, n, 0.5)))
		wantLen := (n*tc.to + tc.from - 1) / tc.from
		if len(out) != wantLen {
			t.Errorf("%d→%d: %d samples out of one second, want %d", tc.from, tc.to, len(out), wantLen)
		}
		want := sine(tc.to, tc.hz, len(out), 0.5)
		// Skip the edges, where the input starts and stops abruptly.
		edge := tc.to / 50
		var errPow, sigPow float64
		for i := edge; i < len(out)-edge; i++ {
			d := float64(out[i] - want[i])
			errPow += d * d
			sigPow += float64(want[i]) * float64(want[i])
		}
		if snr := 10 * math.Log10(sigPow/errPow); snr < 50 {
			t.Errorf("%d→%d Hz, %.0f Hz sine: output matches the ideal sine only to %.1f dB", tc.from, tc.to, tc.hz, snr)
		}
	}
}

func TestDownsamplingDoesNotAlias(t *testing.T) {
	// 12 kHz is above the 8 kHz Nyquist frequency of 16 kHz audio: it must
	// be removed, not folded down to 4 kHz.
	r, err := New(48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	out := r.Process(nil, sine(48000, 12000, 48000, 0.5))
	var pow float64
	for _, v := range out[200:] {
		pow += float64(v) * float64(v)
	}
	rms := math.Sqrt(pow / float64(len(out)-200))
	if db := 20 * math.Log10(rms/(0.5/math.Sqrt2)); db > -60 {
		t.Fatalf("a 12 kHz tone comes through 48→16 kHz at %.1f dB; want below -60 dB", db)
	}
}

func TestChunkSizeDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, 30000)
	for i := range in {
		in[i] = float32(rng.NormFloat64() * 0.1)
	}
	for _, rates := range [][2]int{{22050, 16000}, {48000, 16000}, {16000, 48000}} {
		r1, _ := New(rates[0], rates[1])
		whole := r1.Flush(r1.Process(nil, in))
		r2, _ := New(rates[0], rates[1])
		var parts []float32
		for rest := in; len(rest) > 0; {
			n := min(len(rest), rng.IntN(700))
			parts = r2.Process(parts, rest[:n])
			rest = rest[n:]
		}
		parts = r2.Flush(parts)
		if len(parts) != len(whole) {
			t.Fatalf("%v: %d samples in chunks, %d at once", rates, len(parts), len(whole))
		}
		for i := range whole {
			if parts[i] != whole[i] {
				t.Fatalf("%v: sample %d differs: %v in chunks, %v at once", rates, i, parts[i], whole[i])
			}
		}
		// After Flush the resampler starts a new stream.
		again := r2.Flush(r2.Process(nil, in))
		if len(again) != len(whole) || again[1000] != whole[1000] {
			t.Fatalf("%v: a second stream after Flush differs from the first", rates)
		}
	}
}

func TestBadRates(t *testing.T) {
	for _, tc := range [][2]int{{0, 16000}, {16000, -1}, {MaxRate + 1, 16000}, {44100, 44099}} {
		if _, err := New(tc[0], tc[1]); !errors.Is(err, ErrRate) {
			t.Errorf("New(%d, %d) = %v, want ErrRate", tc[0], tc[1], err)
		}
	}
}

func BenchmarkResample48kTo16k(b *testing.B) {
	r, _ := New(48000, 16000)
	in := sine(48000, 440, 48000, 0.5)
	out := make([]float32, 0, 20000)
	b.SetBytes(int64(len(in) * 4))
	for b.Loop() {
		out = r.Process(out[:0], in)
	}
}
