//go:build !linux && !windows

package display

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ForegroundTitle returns, on macOS, the name of the frontmost application
// (best effort: System Events needs the automation permission; window
// titles would need the screen-recording permission).
func ForegroundTitle(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "osascript", "-e",
		`tell application "System Events" to get name of first application process whose frontmost is true`)
	cmd.WaitDelay = 500 * time.Millisecond
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: osascript: %w", ErrUnsupported, err)
	}
	return strings.TrimSpace(string(out)), nil
}
