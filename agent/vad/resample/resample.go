// Package resample converts mono audio from one sample rate to another, as
// a stream: chunks of any size go in and come out at the new rate, with the
// same result as converting the whole signal at once.
//
// It is a polyphase windowed-sinc resampler: for a rate ratio L/M in lowest
// terms it keeps L filter phases, each a Kaiser-windowed sinc low-pass cut
// below the lower of the two Nyquist frequencies, so downsampling does not
// alias and upsampling does not image. Output sample n is the filtered input
// evaluated at input time n·M/L, so the output is time-aligned with the
// input (the filter is symmetric and its delay is hidden by holding back the
// last few input samples until more arrive or Flush is called).
package resample

import (
	"errors"
	"fmt"
	"math"
)

// ErrRate is returned for a sample rate the resampler cannot use.
var ErrRate = errors.New("unusable sample rate")

// MaxRate is the highest sample rate accepted, in Hz.
const MaxRate = 768000

// maxPhases bounds the filter table (phases × taps floats) for awkward ratios
// such as 44100 → 44099.
const maxPhases = 4096

// zeroCrossings is the half-width of the filter in zero crossings of the
// lower rate's sinc; with the Kaiser window below it gives about 80 dB of
// stop-band rejection, far more than a voice detector needs.
const zeroCrossings = 12

// kaiserBeta sets the Kaiser window's trade-off of transition width for
// stop-band rejection.
const kaiserBeta = 8.0

// rolloff places the cut-off just below the lower Nyquist frequency.
const rolloff = 0.92

// Resampler converts a stream from one rate to another. It is not safe for
// concurrent use.
type Resampler struct {
	from, to int
	up, down int64       // L and M: output rate / input rate = up/down
	half     int         // K: taps on each side of the output point
	table    [][]float32 // table[phase][j] multiplies input i-half+1+j
	buf      []float32   // input samples; buf[0] is absolute index base
	base     int64
	next     int64 // next output sample index
	flushed  bool
}

// New returns a resampler from rate from to rate to, both in Hz.
func New(from, to int) (*Resampler, error) {
	for _, r := range []int{from, to} {
		if r < 1 || r > MaxRate {
			return nil, fmt.Errorf("%w: %d Hz is outside 1 … %d Hz", ErrRate, r, MaxRate)
		}
	}
	g := gcd(from, to)
	up, down := int64(to/g), int64(from/g)
	if up > maxPhases {
		return nil, fmt.Errorf("%w: %d Hz → %d Hz needs %d filter phases (at most %d); pick rates with a simpler ratio", ErrRate, from, to, up, maxPhases)
	}
	// Cut-off in Hz, and the filter's half-width in input samples.
	fc := rolloff * float64(min(from, to)) / 2
	halfSec := zeroCrossings / (2 * fc)
	half := int(math.Ceil(halfSec * float64(from)))
	r := &Resampler{from: from, to: to, up: up, down: down, half: half}
	r.table = make([][]float32, up)
	for ph := range r.table {
		row := make([]float32, 2*half)
		var sum float64
		vals := make([]float64, 2*half)
		for j := range vals {
			// Time from the output point to input sample i-half+1+j, in seconds.
			t := (float64(j-half+1) - float64(ph)/float64(up)) / float64(from)
			v := sinc(2*fc*t) * kaiser(t/halfSec)
			vals[j] = v
			sum += v
		}
		for j, v := range vals {
			row[j] = float32(v / sum) // unity gain at DC for every phase
		}
		r.table[ph] = row
	}
	r.Reset()
	return r, nil
}

// Reset forgets all input, as if the resampler were new.
func (r *Resampler) Reset() {
	// half-1 zeros of history before the first sample.
	r.buf = make([]float32, r.half-1, 4096)
	r.base = -int64(r.half - 1)
	r.next = 0
	r.flushed = false
}

// From returns the input rate in Hz.
func (r *Resampler) From() int { return r.from }

// To returns the output rate in Hz.
func (r *Resampler) To() int { return r.to }

// Process appends the output made available by in to dst and returns it.
// Up to a few milliseconds of output are held back until the input after
// them arrives (or Flush is called).
func (r *Resampler) Process(dst, in []float32) []float32 {
	if r.flushed {
		r.Reset()
	}
	r.buf = append(r.buf, in...)
	return r.drain(dst)
}

// Flush appends the output still held back, treating the input as ended
// (followed by silence), and readies the resampler for a new stream.
func (r *Resampler) Flush(dst []float32) []float32 {
	if r.flushed {
		return dst
	}
	end := r.base + int64(len(r.buf)) // absolute index one past the last input
	r.buf = append(r.buf, make([]float32, r.half)...)
	// Emit every output whose time lies before the end of the input.
	for {
		i := r.next * r.down / r.up
		if i >= end {
			break
		}
		dst = append(dst, r.sample(i, int(r.next*r.down%r.up)))
		r.next++
	}
	r.flushed = true
	return dst
}

// drain emits every output sample whose filter support is in the buffer.
func (r *Resampler) drain(dst []float32) []float32 {
	avail := r.base + int64(len(r.buf)) // one past the last input index
	for {
		i := r.next * r.down / r.up
		if i+int64(r.half) >= avail {
			break
		}
		dst = append(dst, r.sample(i, int(r.next*r.down%r.up)))
		r.next++
	}
	// Drop input no future output needs.
	keepFrom := r.next*r.down/r.up - int64(r.half) + 1
	if drop := int(keepFrom - r.base); drop > 0 && drop <= len(r.buf) {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.base = keepFrom
	}
	return dst
}

// sample computes the output at input index i and phase ph.
func (r *Resampler) sample(i int64, ph int) float32 {
	start := int(i - int64(r.half) + 1 - r.base)
	x := r.buf[start : start+2*r.half]
	h := r.table[ph]
	h = h[:len(x)]
	var acc float32
	for j, v := range x {
		acc += v * h[j]
	}
	return acc
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window over [-1, 1].
func kaiser(x float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	return besselI0(kaiserBeta*math.Sqrt(1-x*x)) / besselI0(kaiserBeta)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges fast for the arguments used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 50; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
