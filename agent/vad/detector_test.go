package vad

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults at 48 kHz", Config{SampleRate: 48000}, true},
		{"defaults at 16 kHz", Config{SampleRate: 16000}, true},
		{"10 ms frames at 44.1 kHz", Config{SampleRate: 44100, Frame: 10 * time.Millisecond}, true},
		{"no sample rate", Config{}, false},
		{"rate too low", Config{SampleRate: 4000}, false},
		{"15 ms frames", Config{SampleRate: 16000, Frame: 15 * time.Millisecond}, false},
		{"negative hangover", Config{SampleRate: 16000, Hangover: -time.Second}, false},
		{"level above -10 dBFS", Config{SampleRate: 16000, MinLevelDBFS: -5}, false},
		{"threshold 1", Config{SampleRate: 16000, Threshold: 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.cfg)
			if tc.ok {
				if err != nil || d == nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

// TestStreamingIsChunkIndependent checks that cutting the stream differently
// gives the very same frames: the microphone's callback size must not change
// a decision.
func TestStreamingIsChunkIndependent(t *testing.T) {
	for _, rate := range []int{16000, 48000} {
		rng := rand.New(rand.NewPCG(4, 4))
		x := make([]float32, rate*3)
		for i := range x {
			// A buzz that comes and goes, over noise.
			on := (i/(rate/2))%2 == 1
			x[i] = float32(0.003 * rng.NormFloat64())
			if on {
				x[i] += float32(0.1 * math.Sin(2*math.Pi*150*float64(i)/float64(rate)) * math.Sin(2*math.Pi*4*float64(i)/float64(rate)))
			}
		}
		d, err := New(Config{SampleRate: rate})
		if err != nil {
			t.Fatal(err)
		}
		whole := append(d.Process(x), d.Flush()...)
		parts := runDetector(t, Config{SampleRate: rate}, x, 11)
		if len(whole) != len(parts) || len(whole) != 150 {
			t.Fatalf("%d Hz: %d frames at once, %d in chunks; want 150", rate, len(whole), len(parts))
		}
		for i := range whole {
			if whole[i] != parts[i] {
				t.Fatalf("%d Hz: frame %d differs:\n at once %+v\n chunks  %+v", rate, i, whole[i], parts[i])
			}
			if want := time.Duration(i) * 20 * time.Millisecond; whole[i].Start != want {
				t.Fatalf("frame %d starts at %v, want %v", i, whole[i].Start, want)
			}
		}
	}
}

func TestLookAheadHoldsFrames(t *testing.T) {
	d, err := New(Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	got := len(d.Process(make([]float32, 16000))) // one second: 50 frames
	if want := 50 - int((lookAhead+preRoll)/(20*time.Millisecond)); got != want {
		t.Fatalf("after 1 s, %d frames out; want %d (the rest wait for look-ahead and pre-roll)", got, want)
	}
	if n := len(d.Flush()); got+n != 50 {
		t.Fatalf("Flush returned %d more, total %d; want 50", n, got+n)
	}
	if l := d.Latency(); l < lookAhead+preRoll {
		t.Fatalf("Latency %v is less than the look-ahead and pre-roll %v", l, lookAhead+preRoll)
	}
}

func TestSilenceAndGarbageAreNotSpeech(t *testing.T) {
	n := 16000 * 5
	cases := map[string][]float32{
		"digital silence":                 make([]float32, n),
		"NaN and Inf":                     make([]float32, n),
		"DC offset":                       make([]float32, n),
		"full-scale square wave at 1 kHz": make([]float32, n),
	}
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			cases["NaN and Inf"][i] = float32(math.NaN())
		case 1:
			cases["NaN and Inf"][i] = float32(math.Inf(1))
		}
		cases["DC offset"][i] = 0.3
		if (i/8)%2 == 0 {
			cases["full-scale square wave at 1 kHz"][i] = 1
		} else {
			cases["full-scale square wave at 1 kHz"][i] = -1
		}
	}
	for name, x := range cases {
		frames := runDetector(t, Config{SampleRate: 16000}, x, 2)
		if len(frames) != 250 {
			t.Fatalf("%s: %d frames, want 250", name, len(frames))
		}
		for _, f := range frames {
			if f.Speech {
				t.Fatalf("%s: frame at %v is speech: %+v", name, f.Start, f.Features)
			}
			if math.IsNaN(f.Probability) || math.IsNaN(f.Features.SNR) || math.IsNaN(f.Features.LevelDBFS) {
				t.Fatalf("%s: NaN in frame %+v", name, f)
			}
		}
	}
}

func TestFeaturesMeasureWhatTheySay(t *testing.T) {
	// A vowel-like buzz: 200 Hz with harmonics, 0.1 amplitude.
	n := 16000 * 2
	buzz := make([]float32, n)
	noise := whiteNoise(rand.New(rand.NewPCG(1, 2)), n)
	for i := range buzz {
		var s float64
		for h := 1; h <= 15; h++ {
			s += math.Sin(2*math.Pi*200*float64(h)*float64(i)/16000) / float64(h)
		}
		buzz[i] = float32(0.05 * s)
	}
	d, err := New(Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	frames := append(d.Process(buzz), d.Flush()...)
	f := frames[60].Features
	if math.Abs(f.PitchHz-200) > 5 {
		t.Errorf("buzz pitch %.1f Hz, want 200", f.PitchHz)
	}
	if f.Harmonicity < 0.9 {
		t.Errorf("buzz harmonicity %.2f, want ≥ 0.9", f.Harmonicity)
	}
	if f.Flatness > 0.1 {
		t.Errorf("buzz flatness %.2f, want a peaky spectrum", f.Flatness)
	}
	d, _ = New(Config{SampleRate: 16000})
	frames = append(d.Process(scaled(noise, -20)), d.Flush()...)
	f = frames[60].Features
	if f.Harmonicity > 0.5 || f.Flatness < 0.4 {
		t.Errorf("white noise: harmonicity %.2f, flatness %.2f; want aperiodic and flat", f.Harmonicity, f.Flatness)
	}
	if math.Abs(f.LevelDBFS+20) > 1 {
		t.Errorf("white noise at -20 dBFS measured %.1f dBFS", f.LevelDBFS)
	}
	if f.Modulation > 2 {
		t.Errorf("steady noise modulation %.1f dB, want under 2", f.Modulation)
	}
	if f.ZeroCrossingRate < 4000 {
		t.Errorf("white noise crosses zero %.0f times a second, want about 8000", f.ZeroCrossingRate)
	}
}

// FuzzProcess feeds arbitrary samples (any bit pattern, including NaN,
// infinities and huge values) in arbitrary chunks: the detector must not
// panic, must produce one frame per 20 ms, and must never report NaN.
func FuzzProcess(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f}, uint16(7), true)
	f.Add(make([]byte, 4*3000), uint16(1000), false)
	f.Fuzz(func(t *testing.T, raw []byte, chunk uint16, at48k bool) {
		raw = raw[:min(len(raw), 4*48000)] // a second is enough to reach every path
		rate := 16000
		if at48k {
			rate = 48000
		}
		x := make([]float32, len(raw)/4)
		for i := range x {
			x[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		d, err := New(Config{SampleRate: rate})
		if err != nil {
			t.Fatal(err)
		}
		step := int(chunk)%2000 + 1
		var frames []Frame
		for off := 0; off < len(x); off += step {
			frames = append(frames, d.Process(x[off:min(off+step, len(x))])...)
		}
		frames = append(frames, d.Flush()...)
		if want := len(x) * AnalysisRate / rate / 320; len(frames) < want-1 || len(frames) > want+1 {
			t.Fatalf("%d samples at %d Hz gave %d frames, want about %d", len(x), rate, len(frames), want)
		}
		for _, fr := range frames {
			ft := fr.Features
			for _, v := range []float64{fr.Probability, ft.LevelDBFS, ft.PeakDBFS, ft.SNR, ft.Harmonicity, ft.PitchHz, ft.Flatness, ft.Modulation, ft.Impulsiveness, ft.ZeroCrossingRate} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("frame at %v has a non-finite value: %+v", fr.Start, fr)
				}
			}
		}
	})
}
