//go:build !windows

package audio

import (
	"context"
	"errors"
)

// ErrUnsupported: this way of listing audio devices does not exist on this OS.
var ErrUnsupported = errors.New("not supported on this operating system")

// Endpoints lists the active Windows audio endpoints; other systems have none.
func Endpoints(context.Context) ([]Device, error) { return nil, ErrUnsupported }
