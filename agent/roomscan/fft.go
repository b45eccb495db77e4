package roomscan

import (
	"math"
	"math/bits"
	"math/cmplx"
)

// fft2 is an in-place 2-D FFT of a w×h grid (both powers of two), stored
// row by row, with its twiddle factors precomputed.
type fft2 struct {
	w, h   int
	tw, th []complex128 // twiddles for each length
	col    []complex128 // scratch column
}

func newFFT2(w, h int) *fft2 {
	return &fft2{w: w, h: h, tw: twiddles(w), th: twiddles(h), col: make([]complex128, h)}
}

func twiddles(n int) []complex128 {
	t := make([]complex128, n/2)
	for k := range t {
		t[k] = cmplx.Exp(complex(0, -2*math.Pi*float64(k)/float64(n)))
	}
	return t
}

// fft1 transforms a (length a power of two) in place; inverse uses the
// conjugate twiddles and does not scale.
func fft1(a []complex128, tw []complex128, inverse bool) {
	n := len(a)
	shift := 64 - bits.Len(uint(n-1))
	for i := range a {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				w := tw[k*step]
				if inverse {
					w = cmplx.Conj(w)
				}
				u, v := a[start+k], a[start+k+half]*w
				a[start+k], a[start+k+half] = u+v, u-v
			}
		}
	}
}

// transform runs the 2-D FFT (rows, then columns) in place.
func (f *fft2) transform(a []complex128, inverse bool) {
	for y := 0; y < f.h; y++ {
		fft1(a[y*f.w:(y+1)*f.w], f.tw, inverse)
	}
	for x := 0; x < f.w; x++ {
		for y := 0; y < f.h; y++ {
			f.col[y] = a[y*f.w+x]
		}
		fft1(f.col, f.th, inverse)
		for y := 0; y < f.h; y++ {
			a[y*f.w+x] = f.col[y]
		}
	}
	if inverse {
		s := complex(1/float64(f.w*f.h), 0)
		for i := range a {
			a[i] *= s
		}
	}
}
