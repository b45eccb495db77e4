//go:build !cgo

package display

import "runtime"

const (
	cgoEnabled = false
	goos       = runtime.GOOS
)
