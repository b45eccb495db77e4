//go:build windows

package remote

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ErrNoVersionInfo: the executable has no readable version resource.
var ErrNoVersionInfo = errors.New("no version resource")

// OriginalFilename reads the OriginalFilename of a Windows executable's
// version resource, which stays the same when the file is renamed, so a
// copied and renamed remote-access tool is still recognised (rule 10.9).
func OriginalFilename(path string) (string, error) {
	size, err := windows.GetFileVersionInfoSize(path, nil)
	if err != nil || size == 0 {
		return "", fmt.Errorf("%w: %s: %w", ErrNoVersionInfo, path, err)
	}
	buf := make([]byte, size)
	if err := windows.GetFileVersionInfo(path, 0, size, unsafe.Pointer(&buf[0])); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNoVersionInfo, path, err)
	}
	// The translation table lists (language, code page) pairs; the
	// string table is keyed by them as 8 hex digits.
	var trans unsafe.Pointer
	var tlen uint32
	keys := []string{}
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), `\VarFileInfo\Translation`, unsafe.Pointer(&trans), &tlen); err == nil && tlen >= 4 {
		n := int(tlen / 4)
		pairs := unsafe.Slice((*[2]uint16)(trans), n)
		for _, p := range pairs {
			keys = append(keys, fmt.Sprintf("%04x%04x", p[0], p[1]))
		}
	}
	// Common defaults when the table is missing: US English with Unicode or ANSI.
	keys = append(keys, "040904b0", "040904e4", "000004b0")
	for _, k := range keys {
		var val unsafe.Pointer
		var vlen uint32
		sub := `\StringFileInfo\` + k + `\OriginalFilename`
		if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), sub, unsafe.Pointer(&val), &vlen); err != nil || vlen == 0 {
			continue
		}
		s := windows.UTF16PtrToString((*uint16)(val))
		if s != "" {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: %s has no OriginalFilename", ErrNoVersionInfo, path)
}
