//go:build !cgo

package mic

// OpenDevice fails in builds without cgo: capture needs miniaudio.
func OpenDevice() (Source, error) {
	return nil, ErrNoMicrophone
}
