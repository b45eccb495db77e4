//go:build cgo

package display

import "runtime"

const (
	cgoEnabled = true
	goos       = runtime.GOOS
)
