package vad

import "math"

// complexFFT is an in-place iterative radix-2 FFT of a fixed power-of-two
// size, with its bit-reversal permutation and twiddle factors precomputed.
type complexFFT struct {
	n        int
	rev      []int
	cos, sin []float64 // twiddles e^{-2πik/n}, k < n/2
}

func newComplexFFT(n int) *complexFFT {
	f := &complexFFT{n: n, rev: make([]int, n), cos: make([]float64, n/2), sin: make([]float64, n/2)}
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range f.rev {
		r := 0
		for b := 0; b < bits; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		f.rev[i] = r
	}
	for k := range f.cos {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.cos[k], f.sin[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// transform replaces (re, im) by its forward DFT: X[k] = Σ x[j] e^{-2πijk/n}.
func (f *complexFFT) transform(re, im []float64) {
	n := f.n
	re, im = re[:n], im[:n]
	for i, r := range f.rev {
		if i < r {
			re[i], re[r] = re[r], re[i]
			im[i], im[r] = im[r], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				wr, wi := f.cos[k*step], f.sin[k*step]
				a, b := start+k, start+k+half
				tr := wr*re[b] - wi*im[b]
				ti := wr*im[b] + wi*re[b]
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a] += tr
				im[a] += ti
			}
		}
	}
}

// realFFT computes the DFT of n real samples with one complex FFT of n/2
// points: the even samples go in the real part, the odd ones in the
// imaginary part, and the two interleaved spectra are separated afterwards.
type realFFT struct {
	n      int
	c      *complexFFT
	zr, zi []float64
	wr, wi []float64 // e^{-2πik/n}, k ≤ n/2
}

func newRealFFT(n int) *realFFT {
	f := &realFFT{n: n, c: newComplexFFT(n / 2), zr: make([]float64, n/2), zi: make([]float64, n/2),
		wr: make([]float64, n/2+1), wi: make([]float64, n/2+1)}
	for k := range f.wr {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.wr[k], f.wi[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// transform writes bins 0 … n/2 of the DFT of x (len n) to outRe, outIm
// (len n/2+1 each).
func (f *realFFT) transform(x, outRe, outIm []float64) {
	h := f.n / 2
	for j := 0; j < h; j++ {
		f.zr[j], f.zi[j] = x[2*j], x[2*j+1]
	}
	f.c.transform(f.zr, f.zi)
	for k := 0; k <= h; k++ {
		// Z[k] and conj(Z[h-k]), with Z[h] = Z[0].
		ar, ai := f.zr[k%h], f.zi[k%h]
		br, bi := f.zr[(h-k)%h], -f.zi[(h-k)%h]
		// Even part E = (Z[k] + conj Z[h-k]) / 2, odd part O = (Z[k] - conj Z[h-k]) / 2i.
		er, ei := (ar+br)/2, (ai+bi)/2
		or, oi := (ai-bi)/2, -(ar-br)/2
		// X[k] = E + w^k O
		outRe[k] = er + f.wr[k]*or - f.wi[k]*oi
		outIm[k] = ei + f.wr[k]*oi + f.wi[k]*or
	}
}
