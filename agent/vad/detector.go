// Package vad detects speech in microphone audio on the candidate's
// computer, before it is encoded, and turns it into rule 10.8 events
// (talking on the phone; other voices may also mean another person, rule
// 10.2).
//
// Detector is the voice activity detector. It works on mono float32 samples,
// resampled internally to 16 kHz, in frames of 10–30 ms, and decides each
// frame from several features, not from loudness alone:
//
//   - sub-band energies from an FFT, each compared with its own adaptive
//     noise floor (tracked by the minimum of the smoothed band power over
//     the last 1.5 s, refined by averaging in frames without speech, and
//     reset at once when the input has been steady for 0.4 s, so a fan
//     switched on is learnt as noise within a second);
//   - harmonicity: the peak of the normalised autocorrelation in the pitch
//     range 70–400 Hz, computed from the band-limited power spectrum and
//     corrected for the analysis window (Boersma 1993), which separates
//     voiced speech from clicks and broadband noise;
//   - spectral flatness, which is high for noise and low for the harmonic
//     spectrum of a vowel, and the zero-crossing rate, reported for tuning;
//   - impulsiveness: the share of the window's energy in its loudest 5 ms,
//     which marks key clicks and knocks, whose thump can look periodic;
//   - the energy modulation over the last 300 ms, which tells steady noise
//     (a hum, a fan) from speech, whose energy rises and falls with syllables.
//
// A frame's speech probability combines these; the frame decision then
// needs 60 ms of voiced frames within 100 ms to start speech (so a click is
// never speech) and holds speech through a hangover (300 ms by default) to
// cover consonants and short pauses. The decision is made with 80 ms of
// look-ahead, so a speech run starts at its first voiced frame, not at the
// moment it was confirmed, and it reaches back up to 100 ms over the weaker
// sound just before (an initial consonant).
//
// Watcher turns frames into rule 10.8 spans under the policy (minimum speech
// length within a window, hysteresis, stages where the candidate speaks);
// MicWatcher reports a missing, muted or silent microphone; Meter measures
// the input level for the pre-check.
package vad

import (
	"errors"
	"fmt"
	"math"
	"time"

	"kuzet.kz/kuzet/agent/vad/resample"
)

// Sentinel errors of the package.
var (
	// ErrConfig: a configuration value is out of range.
	ErrConfig = errors.New("invalid VAD configuration")
)

// AnalysisRate is the sample rate, in Hz, at which the detector analyses
// audio; input at other rates is resampled to it.
const AnalysisRate = 16000

// Analysis constants at AnalysisRate.
const (
	windowLen = 640  // 40 ms analysis window: three periods of a 75 Hz voice
	fftLen    = 1024 // ≥ windowLen + maxLag, so the autocorrelation does not wrap
	minLag    = 40   // 400 Hz
	maxLag    = 229  // 70 Hz
	binHz     = float64(AnalysisRate) / fftLen
)

// bandEdges returns the sub-band edges in Hz, each band about one critical
// band wide. (A function, not a package variable, so nothing can change it.)
func bandEdges() [numBands + 1]float64 {
	return [...]float64{100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700}
}

const (
	numBands    = 20
	speechBands = 17 // bands up to 4400 Hz, the telephone and voice range used for the SNR
)

// Config sets up a Detector. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// SampleRate of the input in Hz. The microphone usually gives 48000 and
	// tests give 16000; any rate from 8000 to 192000 is accepted.
	SampleRate int
	// Frame is the decision interval: 10, 20 or 30 ms. Default 20 ms.
	Frame time.Duration
	// Hangover keeps a speech run going this long after its last speech
	// frame, to bridge consonants and pauses between words. Default 300 ms.
	Hangover time.Duration
	// MinLevelDBFS is the quietest frame (RMS level, dBFS) that can be
	// speech; quieter sound is too far away to matter. Default -60.
	MinLevelDBFS float64
	// Threshold is the frame speech probability above which a frame counts
	// as voiced. Default 0.5.
	Threshold float64
}

// DefaultConfig returns the defaults for input at sampleRate.
func DefaultConfig(sampleRate int) Config {
	return Config{
		SampleRate:   sampleRate,
		Frame:        20 * time.Millisecond,
		Hangover:     300 * time.Millisecond,
		MinLevelDBFS: -60,
		Threshold:    0.5,
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.SampleRate)
	if c.Frame == 0 {
		c.Frame = d.Frame
	}
	if c.Hangover == 0 {
		c.Hangover = d.Hangover
	}
	if c.MinLevelDBFS == 0 {
		c.MinLevelDBFS = d.MinLevelDBFS
	}
	if c.Threshold == 0 {
		c.Threshold = d.Threshold
	}
	return c
}

// Validate reports the first field out of range, saying what is accepted.
func (c Config) Validate() error {
	switch {
	case c.SampleRate < 8000 || c.SampleRate > 192000:
		return fmt.Errorf("%w: sample rate %d Hz: use 8000 … 192000 Hz (microphones give 48000)", ErrConfig, c.SampleRate)
	case c.Frame != 10*time.Millisecond && c.Frame != 20*time.Millisecond && c.Frame != 30*time.Millisecond:
		return fmt.Errorf("%w: frame %v: use 10ms, 20ms or 30ms", ErrConfig, c.Frame)
	case c.Hangover < 0 || c.Hangover > 2*time.Second:
		return fmt.Errorf("%w: hangover %v: use 0 … 2s", ErrConfig, c.Hangover)
	case c.MinLevelDBFS < -100 || c.MinLevelDBFS > -10:
		return fmt.Errorf("%w: minimum level %.1f dBFS: use -100 … -10 dBFS", ErrConfig, c.MinLevelDBFS)
	case c.Threshold <= 0 || c.Threshold >= 1:
		return fmt.Errorf("%w: threshold %.2f: use a probability between 0 and 1", ErrConfig, c.Threshold)
	}
	return nil
}

// Features are the measurements behind one frame's decision, kept for
// diagnostics and for tuning.
type Features struct {
	// LevelDBFS is the RMS level of the frame in dBFS (a full-scale square
	// wave is 0 dBFS, a full-scale sine -3 dBFS); -120 for digital silence.
	LevelDBFS float64
	// PeakDBFS is the frame's largest absolute sample in dBFS.
	PeakDBFS float64
	// SNR is the mean over the voice sub-bands (100–4400 Hz) of each band's
	// level above its noise floor, in dB (bands below their floor count 0).
	SNR float64
	// Harmonicity is the peak normalised autocorrelation in the pitch range,
	// 0 (no periodicity) … 1 (perfectly periodic).
	Harmonicity float64
	// PitchHz is the period of that peak as a frequency, 0 when Harmonicity
	// is too low for a pitch to mean anything.
	PitchHz float64
	// Flatness is the spectral flatness (geometric over arithmetic mean of
	// the power spectrum, 300–4000 Hz): near 0.5 for white noise, low for
	// harmonic sound.
	Flatness float64
	// ZeroCrossingRate is sign changes per second.
	ZeroCrossingRate float64
	// Modulation is the standard deviation, in dB, of the voice-band energy
	// over the last 300 ms: below 2 dB for steady noise, several dB for speech.
	Modulation float64
	// Impulsiveness is the share of the analysis window's energy in its
	// loudest 5 ms: 1/8 for steady sound, near 1 for a click.
	Impulsiveness float64
}

// Frame is the detector's decision for one interval of audio.
type Frame struct {
	// Start is the offset of the frame's first sample from the start of the
	// stream (the first sample given to Process).
	Start time.Duration
	// Duration is the frame's length (Config.Frame).
	Duration time.Duration
	// Speech is the smoothed decision: the frame is part of a speech run.
	Speech bool
	// Probability is this frame's own speech probability, before smoothing.
	Probability float64
	// Features are the measurements behind the decision.
	Features Features
}

// End returns the offset of the end of the frame.
func (f Frame) End() time.Duration { return f.Start + f.Duration }

// Detector is a streaming voice activity detector. Feed it samples in chunks
// of any size; it returns each frame once the look-ahead behind it has
// arrived. It is not safe for concurrent use: one goroutine, the one that
// reads the microphone, owns it.
type Detector struct {
	cfg   Config
	rs    *resample.Resampler // nil at AnalysisRate
	hop   int                 // frame length in samples at AnalysisRate
	delay int                 // look-ahead in frames

	// Input conditioning.
	hpX, hpY float64   // DC-blocking high-pass state
	win      []float64 // last windowLen high-passed samples (newest last)
	raw      []float32 // raw samples of the frame being filled
	cur      []float64 // high-passed samples of the frame being filled
	rsOut    []float32

	// Analysis.
	fft      *realFFT
	hann     []float64
	hannAC   []float64 // normalised autocorrelation of the window
	x        []float64
	re, im   []float64
	pow      []float64
	acIn     []float64
	acRe     []float64
	acIm     []float64
	bandBins [numBands + 1]int
	hannPow  float64 // Σ w², for levels from the spectrum

	// Noise floor per band.
	noise    [numBands]float64
	smooth   [numBands]float64
	subMin   [numBands]float64
	mins     [][numBands]float64 // minima of past sub-windows
	subCount int
	frames   int // frames analysed
	steady   int // consecutive frames with low modulation
	steadyE  [numBands]float64
	logE     []float64 // voice-band energy in dB, last modulation frames
	zcrPrev  float64

	// Decision.
	pending  []Frame // analysed, waiting for look-ahead
	voiced   []bool
	held     []Frame // decided, waiting in case a run starting after them reaches back
	preroll  int
	inSpeech bool
	hang     int
	onsetWin int
	onsetMin int
	hangLen  int
}

// Noise-floor and decision constants.
const (
	subWindowSec   = 0.25 // seconds per minimum sub-window
	subWindows     = 6    // 6 × 0.25 s = 1.5 s of minimum tracking
	maxOverMin     = 4.0  // noise floor at most 6 dB above the tracked minimum
	minOverMin     = 1.0
	modulationSpan = 0.3 // seconds of energy history for Modulation
	steadyDB       = 2.0 // Modulation below this is steady noise
	steadyFor      = 0.4 // seconds of steady input before the floor snaps to it
	lookAhead      = 80 * time.Millisecond
	preRoll        = 100 * time.Millisecond // how far a run may reach back over weak sound
	weakSNR        = 2.0                    // dB: sound this far above the floor can lead into a run
	onsetWindow    = 100 * time.Millisecond
	onsetVoiced    = 60 * time.Millisecond
	silenceDB      = -120.0
)

// New returns a Detector for cfg (zero fields take the defaults).
func New(cfg Config) (*Detector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg}
	if cfg.SampleRate != AnalysisRate {
		rs, err := resample.New(cfg.SampleRate, AnalysisRate)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		d.rs = rs
	}
	frameSec := cfg.Frame.Seconds()
	d.hop = int(math.Round(frameSec * AnalysisRate))
	d.delay = int(lookAhead / cfg.Frame)
	d.preroll = int(preRoll / cfg.Frame)
	d.onsetWin = int(onsetWindow / cfg.Frame)
	d.onsetMin = int((onsetVoiced + cfg.Frame - 1) / cfg.Frame)
	d.hangLen = int((cfg.Hangover + cfg.Frame - 1) / cfg.Frame)

	d.fft = newRealFFT(fftLen)
	d.hann = make([]float64, windowLen)
	for i := range d.hann {
		d.hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/windowLen)
		d.hannPow += d.hann[i] * d.hann[i]
	}
	d.hannAC = make([]float64, maxLag+2)
	for lag := range d.hannAC {
		var s float64
		for i := 0; i+lag < windowLen; i++ {
			s += d.hann[i] * d.hann[i+lag]
		}
		d.hannAC[lag] = s / d.hannPow
	}
	d.win = make([]float64, windowLen)
	d.raw = make([]float32, 0, d.hop)
	d.cur = make([]float64, 0, d.hop)
	d.x = make([]float64, fftLen)
	d.re = make([]float64, fftLen/2+1)
	d.im = make([]float64, fftLen/2+1)
	d.pow = make([]float64, fftLen/2+1)
	d.acIn = make([]float64, fftLen)
	d.acRe = make([]float64, fftLen/2+1)
	d.acIm = make([]float64, fftLen/2+1)
	for b, hz := range bandEdges() {
		d.bandBins[b] = int(math.Round(hz / binHz))
	}
	d.mins = make([][numBands]float64, 0, subWindows)
	for b := range d.subMin {
		d.subMin[b] = math.Inf(1)
	}
	d.logE = make([]float64, 0, int(modulationSpan/frameSec))
	return d, nil
}

// Config returns the configuration in use, with defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Latency is the most by which the end of the newest frame Process returns
// lags behind the newest sample given to it: the decision's look-ahead and
// pre-roll, the frame being filled, and what the resampler holds back. The
// agent subtracts it from the capture time of the newest sample to get the
// now it passes to Watcher.Update.
func (d *Detector) Latency() time.Duration {
	l := lookAhead + preRoll + d.cfg.Frame
	if d.rs != nil {
		l += 2 * time.Millisecond
	}
	return l
}

// Process analyses samples (mono, at Config.SampleRate, nominally in
// [-1, 1]) and returns the frames whose decision is now final, in order.
// Chunks may be any size, including empty; the frames are the same however
// the stream is cut. NaN and infinite samples are treated as silence.
func (d *Detector) Process(samples []float32) []Frame {
	in := samples
	if d.rs != nil {
		d.rsOut = d.rs.Process(d.rsOut[:0], samples)
		in = d.rsOut
	}
	return d.analyseSamples(nil, in)
}

// analyseSamples runs samples at AnalysisRate through the frame analysis.
func (d *Detector) analyseSamples(out []Frame, in []float32) []Frame {
	for _, s := range in {
		v := float64(s)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v, s = 0, 0
		}
		// One-pole DC blocker at about 30 Hz: a microphone's DC offset and
		// rumble are not sound.
		y := v - d.hpX + 0.988*d.hpY
		d.hpX, d.hpY = v, y
		d.raw = append(d.raw, s)
		d.cur = append(d.cur, y)
		if len(d.cur) < d.hop {
			continue
		}
		// Slide the analysis window on by one frame.
		copy(d.win, d.win[d.hop:])
		copy(d.win[windowLen-d.hop:], d.cur)
		out = d.emit(out, d.analyse())
		d.raw, d.cur = d.raw[:0], d.cur[:0]
	}
	return out
}

// Flush ends the stream: it analyses what the resampler still holds and
// returns every frame still waiting for look-ahead, decided without it. A
// partial last frame is dropped. Process may be called again afterwards; it
// continues the same stream as if the input had paused.
func (d *Detector) Flush() []Frame {
	var out []Frame
	if d.rs != nil {
		d.rsOut = d.rs.Flush(d.rsOut[:0])
		out = d.analyseSamples(out, d.rsOut)
	}
	for len(d.pending) > 0 {
		d.hold(d.decide())
	}
	out = append(out, d.held...)
	d.held = d.held[:0]
	return out
}
