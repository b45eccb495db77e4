package kit

import (
	"crypto/sha256"
	"os"
	"testing"
)

func TestProcessFigures(t *testing.T) {
	before, err := CPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn some CPU so the counter (in 10 ms ticks) moves.
	sum := sha256.Sum256(nil)
	for after := before; after <= before; after, _ = CPUSeconds(os.Getpid()) {
		for range 100000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	rss, hwm := Memory(os.Getpid())
	if rss <= 0 || hwm < rss {
		t.Errorf("memory: rss %d, peak %d", rss, hwm)
	}
	if _, err := CPUSeconds(-1); err == nil {
		t.Error("CPUSeconds of no process: no error")
	}
}
