//go:build !cgo

package camera

import (
	"errors"
	"image"
)

// Device is unavailable in builds without cgo.
type Device struct{}

// Devices lists no cameras in builds without cgo.
func Devices() []string { return nil }

// OpenDevice fails in builds without cgo: the camera drivers need it.
func OpenDevice(path string, o Options) (*Device, error) {
	return nil, errors.New("this build of the agent has no camera support (it was built without cgo)")
}

// Read implements Source.
func (d *Device) Read() (image.Image, func(), error) { return nil, nil, ErrClosed }

// Close implements Source.
func (d *Device) Close() error { return nil }

// Name implements Source.
func (d *Device) Name() string { return "" }

// Size implements Source.
func (d *Device) Size() (int, int) { return 0, 0 }

// FPS implements Source.
func (d *Device) FPS() int { return 0 }
