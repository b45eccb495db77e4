package config

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// desktopLangs is the macOS region setting (AppleLocale, e.g. "kk_KZ"):
// an app started from Finder has no LANG.
func desktopLangs() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "defaults", "read", "-g", "AppleLocale").Output()
	if err != nil {
		return nil
	}
	return []string{strings.TrimSpace(string(out))}
}
