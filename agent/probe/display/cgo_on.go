//go:build cgo && !linux

package display

import "runtime"

const (
	cgoEnabled = true
	goos       = runtime.GOOS
)
