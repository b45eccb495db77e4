//go:build !linux && cgo

package mic

func quietALSA() {}
