//go:build !windows && !darwin

package config

// desktopLangs: on Linux and the BSDs the environment (LANG and friends)
// is the desktop's setting.
func desktopLangs() []string { return nil }
