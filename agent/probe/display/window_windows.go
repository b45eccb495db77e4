//go:build windows

package display

import (
	"context"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ForegroundTitle returns the title of the foreground window
// (GetForegroundWindow, GetWindowTextW).
func ForegroundTitle(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	user32 := windows.NewLazySystemDLL("user32.dll")
	fg := user32.NewProc("GetForegroundWindow")
	text := user32.NewProc("GetWindowTextW")
	if err := fg.Find(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	h, _, _ := fg.Call()
	if h == 0 {
		return "", fmt.Errorf("%w: GetForegroundWindow returned none", ErrNoActiveWindow)
	}
	buf := make([]uint16, 512)
	n, _, _ := text.Call(h, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	return windows.UTF16ToString(buf[:n]), nil
}
