package vad

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

func TestMicWatcher(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	room := scaled(roomTone(rng, 1600), -60) // 100 ms of a quiet room at 16 kHz
	zeros := make([]float32, 1600)
	lsb := make([]float32, 1600) // 16-bit dither of one step: still digital silence
	for i := range lsb {
		lsb[i] = float32(rng.IntN(3)-1) / 32768
	}
	// Each step is 100 ms of capture; the script says what the layer saw.
	// Update k (from 1) is made at t0 + k×100 ms.
	type step struct {
		n     int // how many 100 ms steps
		input MicInput
	}
	sound := MicInput{Samples: room}
	cases := []struct {
		name  string
		steps []step
		want  string
	}{
		{"a working microphone reports nothing", []step{{300, sound}}, ""},
		{"digital silence for 10 s", []step{{20, sound}, {120, MicInput{Samples: zeros}}, {10, sound}},
			"start:silent@2s(12s) end@14.1s(14.1s)"},
		{"one-step dither is still silence", []step{{5, sound}, {110, MicInput{Samples: lsb}}},
			"start:silent@500ms(10.5s)"},
		{"no samples for 3 s", []step{{10, sound}, {40, MicInput{}}, {5, sound}},
			"start:no_samples@1s(4s) end@5.1s(5.1s)"},
		{"missing after the grace period, then back", []step{{10, sound}, {30, MicInput{Missing: true}}, {5, sound}},
			"start:missing@1.1s(3.1s) end@4.1s(4.1s)"},
		{"a short unplug is forgiven", []step{{10, sound}, {15, MicInput{Missing: true}}, {50, sound}}, ""},
		{"muted, then unplugged: one span after the other", []step{{10, sound}, {30, MicInput{Muted: true}}, {30, MicInput{Missing: true, Muted: true}}},
			"start:muted@1.1s(3.1s) end@6.1s(6.1s) start:missing@6.1s(6.1s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMicWatcher(MicConfig{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			k := 0
			for _, s := range tc.steps {
				for i := 0; i < s.n; i++ {
					k++
					now := t0.Add(time.Duration(k) * 100 * time.Millisecond)
					for _, tr := range m.Update(now, s.input) {
						if tr.Rule != protocol.Rule10_8 || tr.Subject != SubjectMicrophone || tr.Severity != protocol.SeveritySuspected {
							t.Fatalf("transition %+v: want rule 10.8, subject microphone, suspected", tr)
						}
						d := fmt.Sprintf("%s@%v(%v)", tr.Kind, tr.At.Sub(t0), now.Sub(t0))
						if tr.Kind == protocol.KindStart {
							d = fmt.Sprintf("start:%s@%v(%v)", m.Problem(), tr.At.Sub(t0), now.Sub(t0))
							if !strings.HasPrefix(string(tr.Key), "vad.mic.") {
								t.Fatalf("start key %q", tr.Key)
							}
						} else if tr.Key != "vad.mic.restored" {
							t.Fatalf("end key %q", tr.Key)
						}
						got = append(got, d)
					}
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

func TestMicConfig(t *testing.T) {
	for _, c := range []MicConfig{{SilentAfter: -time.Second}, {SilenceDBFS: -20}, {Severity: "maybe"}} {
		if _, err := NewMicWatcher(c); !errors.Is(err, ErrConfig) {
			t.Errorf("NewMicWatcher(%+v) = %v, want ErrConfig", c, err)
		}
	}
	m, err := NewMicWatcher(MicConfig{Severity: protocol.SeverityViolation})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(t0, MicInput{Missing: true})
	trs := m.Update(t0.Add(3*time.Second), MicInput{Missing: true})
	if len(trs) != 1 || trs[0].Severity != protocol.SeverityViolation {
		t.Fatalf("policy severity not applied: %+v", trs)
	}
}

func TestMeasureAndMeter(t *testing.T) {
	sine := make([]float32, 48000)
	for i := range sine {
		sine[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/48000))
	}
	l := Measure(sine)
	if math.Abs(l.RMSDBFS-(-9.03)) > 0.05 || math.Abs(l.PeakDBFS-(-6.02)) > 0.05 {
		t.Fatalf("half-scale sine: %+v, want RMS -9.03 and peak -6.02 dBFS", l)
	}
	if l := Measure(nil); l.RMSDBFS != -120 || l.PeakDBFS != -120 {
		t.Fatalf("no samples: %+v", l)
	}

	m, err := NewMeter(48000, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Level(); l.RMSDBFS != -120 {
		t.Fatalf("empty meter: %+v", l)
	}
	m.Write(sine)
	if l := m.Level(); math.Abs(l.RMSDBFS-(-9.03)) > 0.05 {
		t.Fatalf("meter after a sine: %+v", l)
	}
	// 200 ms of silence: a third of the window is still the sine.
	m.Write(make([]float32, 9600))
	if l := m.Level(); math.Abs(l.RMSDBFS-(-9.03-10*math.Log10(3))) > 0.1 || math.Abs(l.PeakDBFS-(-6.02)) > 0.05 {
		t.Fatalf("meter with 100 ms of sine left: %+v", l)
	}
	// Partial block of silence does not count yet; a full window of it does.
	m.Write(make([]float32, 4800+100))
	if l := m.Level(); l.RMSDBFS != -120 || l.PeakDBFS != -120 {
		t.Fatalf("meter after 300 ms of silence: %+v", l)
	}
	if _, err := NewMeter(48000, time.Millisecond); !errors.Is(err, ErrConfig) {
		t.Fatalf("1 ms window accepted: %v", err)
	}
}

func TestLevelVerdicts(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		level Level
		key   i18n.Key
	}{
		{Level{-120, -120}, "vad.level.silent"},
		{Level{-58, -40}, "vad.level.low"},
		{Level{-25, -8}, "vad.level.ok"},
		{Level{-6, 0}, "vad.level.clipping"},
	}
	for _, tc := range cases {
		key, args := tc.level.Verdict()
		if key != tc.key {
			t.Errorf("%+v: verdict %q, want %q", tc.level, key, tc.key)
		}
		for _, lang := range i18n.Langs() {
			text := c.Text(lang, key, args)
			if strings.Contains(text, "{") || strings.HasPrefix(text, "[") {
				t.Errorf("%s %s: text %q has an unfilled placeholder or is missing", lang, key, text)
			}
		}
	}
}
