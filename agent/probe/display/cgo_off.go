//go:build !cgo && !linux

package display

import "runtime"

const (
	cgoEnabled = false
	goos       = runtime.GOOS
)
