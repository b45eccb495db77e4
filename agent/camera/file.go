package camera

import "errors"

// OpenFile opens recorded footage as a looping camera.
func OpenFile(path string, o Options) (Source, error) {
	return nil, errors.New("recorded footage as a camera is not available yet")
}
