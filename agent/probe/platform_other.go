//go:build !linux && !windows

package probe

import (
	"context"
	"log/slog"

	"kuzet.kz/kuzet/agent/probe/audio"
)

// audioCheckers are macOS' rule 10.10 checks: system_profiler's audio
// report.
func audioCheckers(cfg Config, _ *slog.Logger) []Checker {
	return []Checker{&Headset{list: func(ctx context.Context) ([]audio.Device, error) {
		return audio.SystemProfiler(ctx, cfg.CheckTimeout)
	}}}
}
