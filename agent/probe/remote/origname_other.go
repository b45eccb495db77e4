//go:build !windows

package remote

import "errors"

// ErrNoVersionInfo: the executable has no readable version resource (or
// this OS has none).
var ErrNoVersionInfo = errors.New("no version resource")

// OriginalFilename reads the OriginalFilename of a Windows executable's
// version resource. Other systems have no such resource.
func OriginalFilename(string) (string, error) { return "", ErrNoVersionInfo }
