package vad

import (
	"math"
	"time"
)

// Frame probability model. Each feature maps to a soft membership through a
// logistic curve centred where speech and noise separate; the product is the
// probability that the frame is voiced speech. The centres were set from the
// feature distributions of espeak-ng speech (kk, ru, en) and the noises in
// the tests, and are deliberately conservative: unvoiced sounds are carried
// by the hangover, not by this model.
const (
	snrCentre       = 3.0 // dB: mean voice-band level above the floor
	snrWidth        = 0.8
	harmCentre      = 0.5 // normalised autocorrelation peak
	harmWidth       = 0.05
	flatCentre      = 0.45 // a voiced frame's spectrum is far from flat
	flatWidth       = 0.05
	activeSNR       = 3.0 // dB: a frame this far above the floor continues speech
	clickShare      = 0.6 // a window with this share of its energy in 5 ms is a click
	clickWidth      = 0.05
	clickBlock      = AnalysisRate / 200
	pitchFloorH     = 0.3 // below this harmonicity no pitch is reported
	octaveTolerance = 0.9
	initFrames      = 0.2  // seconds at the start averaged into the first noise floor
	smoothAlpha     = 0.7  // smoothing of band power for minimum tracking
	learnRate       = 0.05 // floor averaging in frames without speech
	tinyPower       = 1e-12
)

// analyse measures the window that ends with the frame just completed,
// updates the noise floor, and returns the frame with its probability.
func (d *Detector) analyse() Frame {
	k := d.frames
	d.frames++
	f := Frame{Start: time.Duration(k) * d.cfg.Frame, Duration: d.cfg.Frame}
	ft := &f.Features

	// Level and peak of the raw samples; zero crossings of the filtered ones.
	var sq, peak float64
	for _, s := range d.raw {
		v := float64(s)
		sq += v * v
		peak = max(peak, math.Abs(v))
	}
	ft.LevelDBFS = powDB(sq / float64(len(d.raw)))
	ft.PeakDBFS = ampDB(peak)
	crossings := 0
	prev := d.zcrPrev
	for _, v := range d.cur {
		if (v >= 0) != (prev >= 0) {
			crossings++
		}
		prev = v
	}
	d.zcrPrev = prev
	ft.ZeroCrossingRate = float64(crossings) / d.cfg.Frame.Seconds()
	ft.Impulsiveness = impulsiveness(d.win)

	// Power spectrum of the Hann-windowed 40 ms window, zero-padded.
	for i, w := range d.hann {
		d.x[i] = d.win[i] * w
	}
	clear(d.x[windowLen:])
	d.fft.transform(d.x, d.re, d.im)
	for i := range d.pow {
		d.pow[i] = d.re[i]*d.re[i] + d.im[i]*d.im[i]
	}

	// Band energies as mean-square signal (full scale = 1).
	scale := 2 / (fftLen * d.hannPow)
	var e [numBands]float64
	var voice float64
	for b := range e {
		var s float64
		for _, p := range d.pow[d.bandBins[b]:d.bandBins[b+1]] {
			s += p
		}
		e[b] = s * scale
		if b < speechBands {
			voice += e[b]
		}
	}
	voiceDB := powDB(voice)

	// Spectral flatness over 300–4000 Hz.
	lo, hi := int(math.Round(300/binHz)), int(math.Round(4000/binHz))
	// The log of the product is taken once: mantissas are multiplied and
	// binary exponents added, which is exact and saves a log per bin.
	var linSum float64
	prod, exp := 1.0, 0
	for _, p := range d.pow[lo:hi] {
		p += tinyPower
		linSum += p
		m, e := math.Frexp(p)
		prod *= m
		exp += e
		if prod < 0x1p-900 {
			m, e = math.Frexp(prod)
			prod, exp = m, exp+e
		}
	}
	n := float64(hi - lo)
	logSum := math.Log(prod) + float64(exp)*math.Ln2
	ft.Flatness = math.Exp(logSum/n) / (linSum / n)

	ft.Harmonicity, ft.PitchHz = d.harmonicity()

	// Modulation: spread of the voice-band energy over the last 300 ms.
	if len(d.logE) == cap(d.logE) {
		copy(d.logE, d.logE[1:])
		d.logE = d.logE[:len(d.logE)-1]
	}
	d.logE = append(d.logE, voiceDB)
	ft.Modulation = stddev(d.logE)

	// SNR against the floor learnt so far, then the model.
	ft.SNR = d.snr(&e)
	if ft.LevelDBFS >= d.cfg.MinLevelDBFS {
		f.Probability = logistic((ft.SNR-snrCentre)/snrWidth) *
			logistic((ft.Harmonicity-harmCentre)/harmWidth) *
			logistic((flatCentre-ft.Flatness)/flatWidth) *
			logistic((clickShare-ft.Impulsiveness)/clickWidth)
	}
	d.updateNoise(&e, f)
	return f
}

// harmonicity returns the peak of the window-corrected normalised
// autocorrelation between minLag and maxLag, and its pitch. The
// autocorrelation comes from the power spectrum limited to 60–2000 Hz, where
// voiced speech has its strongest harmonics, so broadband noise and hiss
// weigh less.
func (d *Detector) harmonicity() (h, pitch float64) {
	lo, hi := int(math.Round(60/binHz)), int(math.Round(2000/binHz))
	clear(d.acIn)
	for k := lo; k <= hi; k++ {
		d.acIn[k] = d.pow[k]
		d.acIn[fftLen-k] = d.pow[k]
	}
	d.fft.transform(d.acIn, d.acRe, d.acIm)
	r0 := d.acRe[0]
	if r0 <= tinyPower {
		return 0, 0
	}
	r := func(lag int) float64 { return d.acRe[lag] / r0 / d.hannAC[lag] }
	// The highest peak gives the harmonicity. For the pitch, a periodic
	// signal also peaks at two and three periods, and the window correction
	// can lift those a little above the true one: take the shortest lag
	// whose peak comes within octaveTolerance of the highest.
	var peaks [maxLag]int
	np := 0
	best := 0.0
	prev, cur := r(minLag-1), r(minLag)
	for lag := minLag; lag <= maxLag; lag++ {
		next := r(lag + 1)
		if cur > prev && cur >= next && cur > 0 {
			peaks[np] = lag
			np++
			best = max(best, cur)
		}
		prev, cur = cur, next
	}
	if np == 0 {
		return 0, 0
	}
	bestLag := 0
	for _, lag := range peaks[:np] {
		if r(lag) >= octaveTolerance*best {
			bestLag = lag
			break
		}
	}
	h = min(best, 1)
	if h < pitchFloorH {
		return h, 0
	}
	best = r(bestLag)
	// Parabolic interpolation of the peak for a finer period.
	a, b, c := r(bestLag-1), best, r(bestLag+1)
	shift := 0.0
	if den := a - 2*b + c; den < 0 {
		shift = 0.5 * (a - c) / den
	}
	return h, AnalysisRate / (float64(bestLag) + shift)
}

// snr returns the mean positive level of the voice bands above their floor.
func (d *Detector) snr(e *[numBands]float64) float64 {
	if d.frames <= 1 {
		return 0
	}
	var s float64
	for b := 0; b < speechBands; b++ {
		s += max(0, powDB(e[b])-powDB(d.noise[b]))
	}
	return s / speechBands
}

// updateNoise learns the noise floor from this frame.
func (d *Detector) updateNoise(e *[numBands]float64, f Frame) {
	frameSec := d.cfg.Frame.Seconds()
	if d.frames == 1 {
		d.smooth = *e
	}
	// Minimum of the smoothed power over the last subWindows sub-windows.
	for b := range e {
		d.smooth[b] = smoothAlpha*d.smooth[b] + (1-smoothAlpha)*e[b]
		d.subMin[b] = min(d.subMin[b], d.smooth[b])
	}
	d.subCount++
	if float64(d.subCount)*frameSec >= subWindowSec {
		if len(d.mins) == subWindows {
			copy(d.mins, d.mins[1:])
			d.mins = d.mins[:subWindows-1]
		}
		d.mins = append(d.mins, d.subMin)
		for b := range d.subMin {
			d.subMin[b] = math.Inf(1)
		}
		d.subCount = 0
	}

	// Steady input: once the energy has hardly moved for steadyFor, the
	// floor is that input, whatever it sounds like.
	if f.Features.Modulation < steadyDB && len(d.logE) == cap(d.logE) {
		d.steady++
		for b := range e {
			d.steadyE[b] += e[b]
		}
	} else {
		d.steady = 0
		clear(d.steadyE[:])
	}

	switch {
	case float64(d.frames)*frameSec <= initFrames:
		// The first frames are assumed to be the room: average them.
		for b := range e {
			d.noise[b] += (e[b] - d.noise[b]) / float64(d.frames)
		}
	case float64(d.steady)*frameSec >= steadyFor:
		// The minimum tracker would still remember the quieter room
		// before this input began; make it agree.
		for b := range e {
			d.noise[b] = d.steadyE[b] / float64(d.steady)
			d.subMin[b] = min(d.smooth[b], d.noise[b])
			for i := range d.mins {
				d.mins[i][b] = d.subMin[b]
			}
		}
	case f.Probability < 0.2 && f.Features.SNR < activeSNR:
		for b := range e {
			d.noise[b] += learnRate * (e[b] - d.noise[b])
		}
	}
	// Keep the floor within a few dB of the tracked minimum, so it can
	// neither stay high after a loud start nor lag behind rising noise.
	for b := range e {
		m := d.subMin[b]
		for _, w := range d.mins {
			m = min(m, w[b])
		}
		if !math.IsInf(m, 1) {
			d.noise[b] = min(max(d.noise[b], m*minOverMin), m*maxOverMin)
		}
		d.noise[b] = max(d.noise[b], tinyPower)
	}
}

// emit queues f for look-ahead and appends the frames now final to out.
func (d *Detector) emit(out []Frame, f Frame) []Frame {
	d.pending = append(d.pending, f)
	d.voiced = append(d.voiced, f.Probability >= d.cfg.Threshold)
	for len(d.pending) > d.delay {
		d.hold(d.decide())
	}
	for len(d.held) > d.preroll {
		out = append(out, d.held[0])
		copy(d.held, d.held[1:])
		d.held = d.held[:len(d.held)-1]
	}
	return out
}

// hold keeps a decided frame back for the pre-roll. When f starts a speech
// run, the run reaches back over the unbroken weak sound just before it.
func (d *Detector) hold(f Frame) {
	if f.Speech && (len(d.held) == 0 || !d.held[len(d.held)-1].Speech) {
		for i := len(d.held) - 1; i >= 0; i-- {
			h := &d.held[i]
			if h.Speech || !d.weak(h.Features) {
				break
			}
			h.Speech = true
		}
	}
	d.held = append(d.held, f)
}

// weak reports whether a frame has sound that could be the quiet start of
// speech: above the floor and the minimum level, and not a click.
func (d *Detector) weak(ft Features) bool {
	return ft.LevelDBFS >= d.cfg.MinLevelDBFS && ft.SNR >= weakSNR && ft.Impulsiveness < clickShare
}

// decide settles the oldest pending frame: a speech run starts at a voiced
// frame followed, within the onset window, by enough voiced frames, and
// lasts until a hangover without speech-like frames has passed.
func (d *Detector) decide() Frame {
	f := d.pending[0]
	v := d.voiced[0]
	if !d.inSpeech && v {
		count := 0
		for _, x := range d.voiced[:min(d.onsetWin, len(d.voiced))] {
			if x {
				count++
			}
		}
		if count >= d.onsetMin {
			d.inSpeech = true
		}
	}
	if d.inSpeech {
		// A loud frame that is not a click carries the run (fricatives,
		// plosives' release, breathy vowels); a click does not.
		active := f.Features.LevelDBFS >= d.cfg.MinLevelDBFS && f.Features.SNR >= activeSNR &&
			f.Features.Impulsiveness < clickShare
		switch {
		case v || active:
			d.hang = d.hangLen
		case d.hang > 0:
			d.hang--
		default:
			d.inSpeech = false
		}
	}
	f.Speech = d.inSpeech
	// The queue is a few frames long: shifting is cheaper than reallocating.
	copy(d.pending, d.pending[1:])
	d.pending = d.pending[:len(d.pending)-1]
	copy(d.voiced, d.voiced[1:])
	d.voiced = d.voiced[:len(d.voiced)-1]
	return f
}

// impulsiveness returns the share of x's energy in its loudest 5 ms block.
// Over the 40 ms window a click or a key's thump puts most of its energy in
// one block; voiced speech, even with sharp glottal pulses, spreads it over
// several pitch periods.
func impulsiveness(x []float64) float64 {
	var total, loudest float64
	for i := 0; i+clickBlock <= len(x); i += clickBlock {
		var e float64
		for _, v := range x[i : i+clickBlock] {
			e += v * v
		}
		total += e
		loudest = max(loudest, e)
	}
	if total <= 0 {
		return 0
	}
	return loudest / total
}

func powDB(p float64) float64 {
	if p <= tinyPower {
		return silenceDB
	}
	return 10 * math.Log10(p)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func stddev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)))
}
