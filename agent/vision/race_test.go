//go:build race

package vision

// raceEnabled shortens the quality evaluations under the race detector,
// which slows pigo's and the FFT's inner loops about tenfold; the full sets
// run (and are held) without it.
const raceEnabled = true
