//go:build !linux

package display

import (
	"context"
	"fmt"

	"github.com/kbinani/screenshot"
)

// Count returns the number of active displays. screenshot reports 0 both
// for "no display" and when it cannot ask, so 0 is an error here: a
// desktop always has at least one display.
func Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !cgoEnabled && goos == "darwin" {
		return 0, fmt.Errorf("%w: macOS build without cgo", ErrUnsupported)
	}
	n := screenshot.NumActiveDisplays()
	if n <= 0 {
		return 0, fmt.Errorf("%w: the system reports no active display", ErrNoDisplay)
	}
	return n, nil
}
