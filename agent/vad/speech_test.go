package vad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/vad/resample"
	"kuzet.kz/kuzet/agent/wav"
	"kuzet.kz/kuzet/protocol"
)

// utterance is one phrase spoken by espeak-ng in one voice.
type utterance struct{ voice, text string }

// utterances are what a candidate might say on the phone, in the three
// languages of the catalogue, in several voices (espeak-ng variants: +f are
// female, +m male, klatt a different synthesiser).
func utterances() []utterance {
	return []utterance{
		{"kk", "Сәлеметсіз бе, мен емтихандамын."},
		{"kk+f3", "Үшінші сұрақтың жауабын жіберші."},
		{"kk+klatt", "Жарайды, кешке хабарласамын."},
		{"ru", "Алло, я сейчас на экзамене."},
		{"ru+f2", "Посмотри ответ на пятый вопрос."},
		{"ru+m3", "Хорошо, договорились, пока."},
		{"en-us", "Hello, I need the answer to question five."},
		{"en-gb+f4", "Sure, I will call you back later."},
	}
}

// segment is a span of ground-truth speech, in samples at AnalysisRate.
type segment struct{ start, end int }

// scene is a recording with known speech: utterances separated by pauses.
type scene struct {
	speech []float32 // clean speech at AnalysisRate, active level -26 dBFS
	truth  []segment
}

// espeak says text with voice into a WAV file in dir and returns it read
// with agent/wav, mixed to mono and resampled to AnalysisRate.
func espeak(t testing.TB, bin, dir string, i int, u utterance) []float32 {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("u%d.wav", i))
	if out, err := exec.Command(bin, "-v", u.voice, "-w", path, u.text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng -v %s: %v: %s", u.voice, err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := wav.ReadAll(f)
	if err != nil {
		t.Fatalf("read espeak-ng output for %s: %v", u.voice, err)
	}
	rs, err := resample.New(a.Format.SampleRate, AnalysisRate)
	if err != nil {
		t.Fatal(err)
	}
	return rs.Flush(rs.Process(nil, a.Mono()))
}

// makeScene speaks every utterance and lays them out with pauses of 1–1.5 s
// (and 1.5 s of room before the first), so the truth is known to the sample.
// It skips the test if espeak-ng is missing.
func makeScene(t testing.TB, seed uint64) scene {
	t.Helper()
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (Debian package espeak-ng): cannot make real speech for the VAD tests")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 99))
	var sc scene
	sc.speech = make([]float32, AnalysisRate*3/2)
	for i, u := range utterances() {
		x := espeak(t, bin, dir, i, u)
		segs := activeSpans(x)
		if len(segs) == 0 {
			t.Fatalf("espeak-ng produced no audible speech for %q", u.text)
		}
		// Cut the synthesiser's own leading and trailing silence.
		lo, hi := segs[0].start, segs[len(segs)-1].end
		off := len(sc.speech)
		sc.speech = append(sc.speech, x[lo:hi]...)
		for _, s := range segs {
			sc.truth = append(sc.truth, segment{off + s.start - lo, off + s.end - lo})
		}
		gap := AnalysisRate + rng.IntN(AnalysisRate/2)
		sc.speech = append(sc.speech, make([]float32, gap)...)
	}
	// Scale to an active speech level of -26 dBFS, a normal voice at a laptop.
	g := float32(math.Pow(10, -26.0/20) / math.Sqrt(activePower(sc.speech, sc.truth)))
	for i := range sc.speech {
		sc.speech[i] *= g
	}
	return sc
}

// activeSpans finds speech in a clean utterance: 10 ms blocks within 40 dB
// of the loudest block, joined across pauses shorter than 250 ms (pauses
// between words belong to the phrase; a longer one splits it).
func activeSpans(x []float32) []segment {
	const block = AnalysisRate / 100
	n := len(x) / block
	pow := make([]float64, n)
	var peak float64
	for b := range pow {
		for _, v := range x[b*block : (b+1)*block] {
			pow[b] += float64(v) * float64(v)
		}
		peak = max(peak, pow[b])
	}
	var segs []segment
	lastActive := -1000
	for b, p := range pow {
		if p < peak*1e-4 {
			continue
		}
		if len(segs) > 0 && b-lastActive <= 25 {
			segs[len(segs)-1].end = (b + 1) * block
		} else {
			segs = append(segs, segment{b * block, (b + 1) * block})
		}
		lastActive = b
	}
	return segs
}

func activePower(x []float32, segs []segment) float64 {
	var s float64
	var n int
	for _, sg := range segs {
		for _, v := range x[sg.start:sg.end] {
			s += float64(v) * float64(v)
		}
		n += sg.end - sg.start
	}
	return s / float64(n)
}

// mix adds noise to the scene's speech at snr dB (speech active level over
// noise RMS).
func (sc scene) mix(noise []float32, snr float64) []float32 {
	ps := activePower(sc.speech, sc.truth)
	g := float32(math.Sqrt(ps / math.Pow(10, snr/10)))
	out := make([]float32, len(sc.speech))
	for i := range out {
		out[i] = sc.speech[i] + g*noise[i%len(noise)]
	}
	return out
}

// inTruth reports whether the middle of frame f lies in a truth segment.
func (sc scene) inTruth(f Frame) bool {
	mid := int((f.Start + f.Duration/2).Seconds() * AnalysisRate)
	for _, s := range sc.truth {
		if mid >= s.start && mid < s.end {
			return true
		}
	}
	return false
}

// score compares frames with the truth: frame recall and precision, and the
// share of truth segments at least half found.
type score struct {
	recall, precision, segRecall float64
	speechFrames                 int
}

func (sc scene) score(frames []Frame) score {
	var tp, fp, fn int
	for _, f := range frames {
		truth := sc.inTruth(f)
		switch {
		case f.Speech && truth:
			tp++
		case f.Speech:
			fp++
		case truth:
			fn++
		}
	}
	found := 0
	for _, s := range sc.truth {
		var in, hit int
		for _, f := range frames {
			mid := int((f.Start + f.Duration/2).Seconds() * AnalysisRate)
			if mid >= s.start && mid < s.end {
				in++
				if f.Speech {
					hit++
				}
			}
		}
		if in > 0 && 2*hit >= in {
			found++
		}
	}
	s := score{recall: ratio(tp, tp+fn), precision: ratio(tp, tp+fp), segRecall: ratio(found, len(sc.truth)), speechFrames: tp + fp}
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// runDetector feeds x to a new detector in chunks of random size, as a
// microphone callback would, and returns every frame.
func runDetector(t testing.TB, cfg Config, x []float32, seed uint64) []Frame {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	var frames []Frame
	for rest := x; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(1500))
		frames = append(frames, d.Process(rest[:n])...)
		rest = rest[n:]
	}
	return append(frames, d.Flush()...)
}

// TestSpeechInNoise is the acceptance test of the detector: real speech in
// kk, ru and en from several voices, mixed with each kind of noise at 20, 10
// and 5 dB SNR. At 10 dB and above at least 90 % of the speech frames must
// be found; precision must stay above 75 %, so that calling everything
// speech cannot pass.
func TestSpeechInNoise(t *testing.T) {
	sc := makeScene(t, 1)
	t.Logf("scene: %.1f s of audio, %d speech segments, %.1f s of speech",
		float64(len(sc.speech))/AnalysisRate, len(sc.truth), truthSeconds(sc.truth))
	for _, nk := range noiseKinds() {
		t.Run(nk.name, func(t *testing.T) {
			t.Parallel()
			noise := nk.make(rand.New(rand.NewPCG(5, 5)), len(sc.speech))
			for _, snr := range []float64{20, 10, 5} {
				x := sc.mix(noise, snr)
				s := sc.score(runDetector(t, DefaultConfig(AnalysisRate), x, 3))
				t.Logf("%-9s %3.0f dB SNR: frame recall %5.1f%%  precision %5.1f%%  segments found %5.1f%%",
					nk.name, snr, 100*s.recall, 100*s.precision, 100*s.segRecall)
				s.check(t, fmt.Sprintf("%s at %.0f dB SNR", nk.name, snr), snr)
			}
		})
	}
}

// check applies the acceptance thresholds to a score.
func (s score) check(t *testing.T, what string, snr float64) {
	t.Helper()
	if snr >= 10 && s.recall < 0.9 {
		t.Errorf("%s: frame recall %.1f%%, want ≥ 90%%", what, 100*s.recall)
	}
	if snr >= 10 && s.precision < 0.75 {
		t.Errorf("%s: precision %.1f%%, want ≥ 75%%", what, 100*s.precision)
	}
	if s.segRecall < 0.8 {
		t.Errorf("%s: found %.0f%% of the speech segments, want ≥ 80%%", what, 100*s.segRecall)
	}
}

// TestSpeechAtOtherRatesAndFrames runs the same acceptance at the
// microphone's 48 kHz (through the internal resampler) and with 10 and
// 30 ms frames.
func TestSpeechAtOtherRatesAndFrames(t *testing.T) {
	sc := makeScene(t, 2)
	noise := roomTone(rand.New(rand.NewPCG(6, 6)), len(sc.speech))
	x := sc.mix(noise, 10)
	for _, frame := range []time.Duration{10 * time.Millisecond, 30 * time.Millisecond} {
		s := sc.score(runDetector(t, Config{SampleRate: AnalysisRate, Frame: frame}, x, 4))
		t.Logf("room tone 10 dB, %v frames: recall %.1f%% precision %.1f%%", frame, 100*s.recall, 100*s.precision)
		s.check(t, fmt.Sprintf("%v frames", frame), 10)
	}
	up, err := resample.New(AnalysisRate, 48000)
	if err != nil {
		t.Fatal(err)
	}
	x48 := up.Flush(up.Process(nil, x))
	s := sc.score(runDetector(t, Config{SampleRate: 48000}, x48, 5))
	t.Logf("room tone 10 dB at 48 kHz: recall %.1f%% precision %.1f%%", 100*s.recall, 100*s.precision)
	s.check(t, "48 kHz input", 10)
}

func truthSeconds(segs []segment) float64 {
	var n int
	for _, s := range segs {
		n += s.end - s.start
	}
	return float64(n) / AnalysisRate
}

// watch runs x through a detector and a watcher as the agent would: chunks
// as they come from the microphone, the watcher told the wall time of the
// last frame. The stream starts at t0.
func watch(t testing.TB, x []float32, wcfg WatcherConfig, seed uint64) ([]Frame, []finding.Transition) {
	t.Helper()
	d, err := New(DefaultConfig(AnalysisRate))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWatcher(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	var frames []Frame
	var trs []finding.Transition
	step := func(fs []Frame) {
		frames = append(frames, fs...)
		if len(fs) > 0 {
			trs = append(trs, w.Update(t0.Add(fs[len(fs)-1].End()), fs)...)
		}
	}
	for rest := x; len(rest) > 0; {
		n := min(len(rest), 160+rng.IntN(800))
		step(d.Process(rest[:n]))
		rest = rest[n:]
	}
	step(d.Flush())
	end := t0.Add(time.Duration(float64(len(x)) / AnalysisRate * float64(time.Second)))
	trs = append(trs, w.Update(end.Add(time.Minute), nil)...)
	return frames, trs
}

// TestWatcherOnRealSpeech: a candidate talking on the phone (utterances with
// 1–2 s pauses) in a quiet room gives one suspected 10.8 span from the start
// of the first utterance to the end of the last, so the proctor can play
// exactly that part.
func TestWatcherOnRealSpeech(t *testing.T) {
	sc := makeScene(t, 3)
	noise := roomTone(rand.New(rand.NewPCG(7, 7)), len(sc.speech))
	at := func(sample int) time.Time {
		return t0.Add(time.Duration(float64(sample) / AnalysisRate * float64(time.Second)))
	}
	for _, snr := range []float64{20, 10} {
		_, trs := watch(t, sc.mix(noise, snr), WatcherConfig{}, 1)
		if len(trs) != 2 || trs[0].Kind != protocol.KindStart || trs[1].Kind != protocol.KindEnd {
			t.Fatalf("%.0f dB: transitions %+v, want one start and one end", snr, trs)
		}
		first, last := at(sc.truth[0].start), at(sc.truth[len(sc.truth)-1].end)
		start, end := trs[0].At, trs[1].At
		t.Logf("%.0f dB: speech %v … %v; span %v … %v", snr, first.Sub(t0), last.Sub(t0), start.Sub(t0), end.Sub(t0))
		if d := start.Sub(first); d < -100*time.Millisecond || d > 200*time.Millisecond {
			t.Errorf("%.0f dB: span starts %v from the first speech, want within -100 … +200 ms", snr, d)
		}
		if d := end.Sub(last); d < -100*time.Millisecond || d > 500*time.Millisecond {
			t.Errorf("%.0f dB: span ends %v from the last speech, want within -100 … +500 ms (hangover)", snr, d)
		}
		if trs[0].Rule != protocol.Rule10_8 || trs[0].Severity != protocol.SeveritySuspected {
			t.Errorf("span %+v: want a suspected rule 10.8 span", trs[0])
		}
	}
}

// TestNoiseRaisesNoEvent: silence, a quiet room, steady noises, a fan (from
// the start, and switched on mid-stream) and typing never open a speech span,
// whatever their level.
func TestNoiseRaisesNoEvent(t *testing.T) {
	const seconds = 20 // two watcher windows
	n := seconds * AnalysisRate
	type source struct {
		name string
		make func(rng *rand.Rand) []float32
	}
	sources := []source{{"digital silence", func(*rand.Rand) []float32 { return make([]float32, n) }}}
	for _, nk := range noiseKinds() {
		sources = append(sources, source{nk.name, func(rng *rand.Rand) []float32 { return nk.make(rng, n) }})
	}
	sources = append(sources, source{"fan switched on after 6 s", func(rng *rand.Rand) []float32 {
		fan := fanHum(rng, n)
		room := scaled(roomTone(rng, n), -25) // 25 dB under the fan
		for i := range fan {
			if i < 6*AnalysisRate {
				fan[i] = 0
			}
			fan[i] += room[i]
		}
		return fan
	}})
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			for _, level := range []float64{-50, -35, -20} {
				x := scaled(src.make(rand.New(rand.NewPCG(uint64(-level), 1))), level)
				frames, trs := watch(t, x, WatcherConfig{}, 2)
				var speech int
				for _, f := range frames {
					if f.Speech {
						speech++
					}
				}
				t.Logf("%-25s %3.0f dBFS: %4.1f%% of frames speech, %d transitions", src.name, level, 100*float64(speech)/float64(len(frames)), len(trs))
				if len(trs) != 0 {
					t.Errorf("%s at %.0f dBFS raised %+v", src.name, level, trs)
				}
				if len(frames) != seconds*50 {
					t.Fatalf("%s: %d frames, want %d", src.name, len(frames), seconds*50)
				}
			}
		})
	}
}
