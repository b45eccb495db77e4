//go:build windows

package probe

import (
	"log/slog"

	"kuzet.kz/kuzet/agent/probe/audio"
)

// audioCheckers are Windows' rule 10.10 checks: the active MMDevice
// endpoints' form factors.
func audioCheckers(Config, *slog.Logger) []Checker {
	return []Checker{&Headset{list: audio.Endpoints}}
}
