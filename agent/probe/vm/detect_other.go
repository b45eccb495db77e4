//go:build !linux && !windows && !darwin

package vm

import (
	"context"
	"fmt"
)

// Detect is not implemented on this system.
func Detect(context.Context, string) (Report, error) {
	return Report{}, fmt.Errorf("%w: no detector for this operating system", ErrCannotTell)
}
