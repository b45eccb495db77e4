package vad

import (
	"math"
	"math/rand/v2"
)

// Recorded-style noise, generated at AnalysisRate. Each generator returns n
// samples scaled to unit RMS; callers scale them to the level they need.

// noiseGen makes n samples of one kind of noise.
type noiseGen struct {
	name string
	make func(rng *rand.Rand, n int) []float32
}

func noiseKinds() []noiseGen {
	return []noiseGen{
		{"white", whiteNoise},
		{"pink", pinkNoise},
		{"brown", brownNoise},
		{"room tone", roomTone},
		{"fan hum", fanHum},
		{"keyboard", keyboardClicks},
	}
}

func whiteNoise(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return normalise(out)
}

// pinkNoise is 1/f noise by the Voss–McCartney method: 16 random rows, row
// r refreshed every 2^r samples, summed with a white term.
func pinkNoise(rng *rand.Rand, n int) []float32 {
	const rows = 16
	var row [rows]float64
	var sum float64
	for r := range row {
		row[r] = rng.NormFloat64()
		sum += row[r]
	}
	out := make([]float32, n)
	for i := range out {
		if i > 0 {
			r := 0
			for i>>r&1 == 0 && r < rows-1 {
				r++
			}
			sum -= row[r]
			row[r] = rng.NormFloat64()
			sum += row[r]
		}
		out[i] = float32(sum + rng.NormFloat64())
	}
	return normalise(out)
}

// brownNoise is white noise through a leaky integrator (1/f² above a few Hz).
func brownNoise(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	var y float64
	for i := range out {
		y = 0.995*y + rng.NormFloat64()
		out[i] = float32(y)
	}
	return normalise(out)
}

// roomTone is what a quiet room sounds like through a laptop microphone:
// pink noise with its top rolled off, a little low rumble, and slow drift in
// level as air moves. No voices.
func roomTone(rng *rand.Rand, n int) []float32 {
	p := pinkNoise(rng, n)
	b := brownNoise(rng, n)
	out := make([]float32, n)
	var lp float64
	for i := range out {
		lp += 0.45 * (float64(p[i]) - lp) // one pole at about 1.5 kHz
		drift := 1 + 0.1*math.Sin(2*math.Pi*0.2*float64(i)/AnalysisRate)
		out[i] = float32(drift * (lp + 0.3*float64(b[i])))
	}
	return normalise(out)
}

// fanHum is a desk fan or a laptop's cooler: the blade-pass tone (here 7
// blades at 17 rev/s = 119 Hz) with harmonics falling off, a 100 Hz mains
// hum from the motor, the speed wandering by a fraction of a percent, a slow
// beat in level, and airflow noise under it all.
func fanHum(rng *rand.Rand, n int) []float32 {
	const harmonics = 12
	var weight [harmonics + 1]float64
	for h := 1; h <= harmonics; h++ {
		weight[h] = 1 / math.Pow(float64(h), 1.3)
	}
	air := pinkNoise(rng, n)
	out := make([]float32, n)
	var phase, mains, lp float64
	f0 := 119.0
	for i := range out {
		t := float64(i) / AnalysisRate
		f := f0 * (1 + 0.004*math.Sin(2*math.Pi*0.13*t) + 0.001*rng.NormFloat64())
		phase += 2 * math.Pi * f / AnalysisRate
		mains += 2 * math.Pi * 100 / AnalysisRate
		// sin(h·φ) for every harmonic by the Chebyshev recurrence.
		c2 := 2 * math.Cos(phase)
		prev, cur := 0.0, math.Sin(phase)
		var s float64
		for h := 1; h <= harmonics; h++ {
			s += weight[h] * cur
			prev, cur = cur, c2*cur-prev
		}
		s += 0.5*math.Sin(mains) + 0.2*math.Sin(2*mains)
		lp += 0.25 * (float64(air[i]) - lp) // airflow below about 800 Hz
		beat := 1 + 0.05*math.Sin(2*math.Pi*0.7*t)
		out[i] = float32(beat*s + 0.4*lp)
	}
	return normalise(out)
}

// keyboardClicks is typing: keys every 90–350 ms in bursts with pauses, each
// key a press click and a softer release 50–120 ms later. A click is a short
// noise burst exciting two plastic resonances (1.5–6 kHz, decaying in a few
// ms) and a low thump of the desk. Quiet room tone runs underneath.
func keyboardClicks(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	click := func(at int, amp float64) {
		r1, r2 := 1500+4500*rng.Float64(), 1500+4500*rng.Float64()
		d1, d2 := 0.002+0.006*rng.Float64(), 0.001+0.004*rng.Float64()
		thump := 150 + 150*rng.Float64()
		for j := 0; j < AnalysisRate/25 && at+j < n; j++ { // 40 ms
			t := float64(j) / AnalysisRate
			burst := rng.NormFloat64() * math.Exp(-t/0.0007)
			s := burst +
				0.8*math.Exp(-t/d1)*math.Sin(2*math.Pi*r1*t) +
				0.5*math.Exp(-t/d2)*math.Sin(2*math.Pi*r2*t) +
				0.3*math.Exp(-t/0.004)*math.Sin(2*math.Pi*thump*t)
			out[at+j] += float32(amp * s)
		}
	}
	at := rng.IntN(AnalysisRate / 5)
	for at < n {
		amp := 0.5 + 0.5*rng.Float64()
		click(at, amp)
		if rel := at + AnalysisRate/20 + rng.IntN(AnalysisRate*7/100); rel < n {
			click(rel, 0.4*amp)
		}
		gap := AnalysisRate*9/100 + rng.IntN(AnalysisRate*26/100)
		if rng.IntN(12) == 0 { // a pause to think
			gap += AnalysisRate + rng.IntN(AnalysisRate)
		}
		at += gap
	}
	normalise(out)
	room := roomTone(rng, n)
	for i := range out {
		out[i] += 0.02 * room[i] // room tone 34 dB under the clicks' RMS
	}
	return normalise(out)
}

// normalise scales x to unit RMS in place and returns it.
func normalise(x []float32) []float32 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		return x
	}
	g := float32(1 / math.Sqrt(s/float64(len(x))))
	for i := range x {
		x[i] *= g
	}
	return x
}

// scaled returns x times the gain that gives it RMS level dbfs.
func scaled(x []float32, dbfs float64) []float32 {
	out := make([]float32, len(x))
	g := float32(math.Pow(10, dbfs/20))
	for i, v := range x {
		out[i] = v * g
	}
	return out
}
