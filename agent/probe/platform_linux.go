//go:build linux

package probe

import (
	"log/slog"

	"kuzet.kz/kuzet/agent/probe/audio"
)

// audioCheckers are Linux's rule 10.10 checks: the sound server through
// pactl, and BlueZ.
func audioCheckers(cfg Config, _ *slog.Logger) []Checker {
	return []Checker{
		NewPactlHeadset(&audio.Pactl{Path: cfg.Pactl, Timeout: cfg.CheckTimeout}),
		NewBluetooth(audio.BlueZ{}),
	}
}
