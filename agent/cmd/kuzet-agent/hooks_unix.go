//go:build unix

package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"kuzet.kz/kuzet/agent/camera"
)

// testHooks lets tests and demos simulate an unplugged camera on the
// synthetic source: SIGUSR1 stops its frames, SIGUSR2 resumes them. A real
// camera ignores the signals.
func testHooks(ctx context.Context, s camera.Source, log *slog.Logger) {
	syn, ok := s.(*camera.Synthetic)
	if !ok {
		return
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-ch:
				syn.SetStalled(sig == syscall.SIGUSR1)
				log.Info("test pattern", "stalled", syn.Stalled())
			}
		}
	}()
}
