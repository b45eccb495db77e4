package probe

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/probe/remote"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Checkers makes every system check of this OS under cfg: remote access
// and remote session (10.9), headsets (10.10), displays and virtual
// machine (10.11). It fails when cfg is invalid or the shipped catalogue
// is broken.
func Checkers(cfg Config, log *slog.Logger) ([]Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cat, err := remote.Load()
	if err != nil {
		return nil, fmt.Errorf("load the rule 10.9 catalogue: %w", err)
	}
	cs := []Checker{
		NewRemoteAccess(cfg, cat, remote.SystemSource{}, runtime.GOOS, log),
		NewRemoteSession(cfg, os.Getenv, "/"),
	}
	cs = append(cs, audioCheckers(cfg, log)...)
	cs = append(cs, NewDisplays(cfg), NewVirtualMachine(cfg, "/"))
	return cs, nil
}

// CheckAll runs every checker once, concurrently, each bounded by timeout,
// and returns their results in the checkers' order. A checker that does
// not return in time (one that ignores its context) is reported as could
// not check; CheckAll still waits for it before returning.
func CheckAll(ctx context.Context, checkers []Checker, timeout time.Duration) []Result {
	out := make([]Result, len(checkers))
	var wg sync.WaitGroup
	for i, c := range checkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = runCheck(ctx, c, timeout)
		}()
	}
	wg.Wait()
	return out
}

// runCheck runs c once with a deadline and makes sure the result is
// consistent: named, with a status, and never ok after the deadline.
func runCheck(ctx context.Context, c Checker, timeout time.Duration) Result {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := c.Check(cctx)
	r.Check, r.Rule = c.Name(), c.Rule()
	if cctx.Err() != nil && r.Reason == "" {
		r.Reason, r.Cause = i18n.Key("probe.unchecked.timeout"), cctx.Err()
	}
	return r.finish()
}
