package probe

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// retryWatch is how long the Monitor waits before following a checker's
// events again after watching failed (no sound server yet, bus restarted).
const retryWatch = 5 * time.Second

// Monitor runs the checkers continuously while a stage lasts and reports
// what changes as finding.Transitions: a start when a finding appears, an
// end when it is gone (matched by subject), an unchecked span while a
// check cannot run, and periodic screen evidence (rule 10.11).
type Monitor struct {
	cfg      Config
	checkers []Checker
	log      *slog.Logger
	// evidence captures the screen; nil turns screen evidence off.
	evidence func(ctx context.Context) (finding.Evidence, finding.Evidence, error)
}

// NewMonitor makes a monitor of checkers under cfg (which must be valid).
func NewMonitor(cfg Config, checkers []Checker, log *slog.Logger) *Monitor {
	m := &Monitor{cfg: cfg, checkers: checkers, log: log}
	if cfg.ScreenshotInterval > 0 {
		m.evidence = func(ctx context.Context) (finding.Evidence, finding.Evidence, error) {
			return ScreenEvidence(ctx, cfg.ScreenshotWidth, cfg.ScreenshotQuality)
		}
	}
	return m
}

// checkResult is one result on its way to the loop that diffs them.
type checkResult struct {
	idx int
	at  time.Time
	res Result
}

// Run checks until ctx is done and calls out, from one goroutine and in
// time order, for every transition. It returns nil when ctx is cancelled,
// after every goroutine it started has stopped.
func (m *Monitor) Run(ctx context.Context, out func(finding.Transition)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan checkResult)
	shots := make(chan finding.Transition)
	var wg sync.WaitGroup
	for i, c := range m.checkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.loop(ctx, i, c, results)
		}()
	}
	if m.evidence != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.screenLoop(ctx, shots)
		}()
	}
	defer wg.Wait()
	states := make([]checkerState, len(m.checkers))
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-results:
			for _, t := range states[r.idx].update(m.checkers[r.idx], r.res, r.at) {
				out(t)
			}
		case t := <-shots:
			out(t)
		}
	}
}

// loop runs one checker: at once, then every interval, and at once when
// its Watch says something changed.
func (m *Monitor) loop(ctx context.Context, idx int, c Checker, results chan<- checkResult) {
	trigger := make(chan struct{}, 1)
	poke := func() {
		select {
		case trigger <- struct{}{}:
		default:
		}
	}
	var watching atomic.Bool // true while Watch runs
	var wg sync.WaitGroup
	defer wg.Wait()
	if w, ok := c.(Watcher); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.watch(ctx, w, &watching, poke)
		}()
	}
	interval := m.cfg.Interval
	if _, ok := c.(slow); ok {
		interval = m.cfg.SlowInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-trigger:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		at := time.Now()
		r := runCheck(ctx, c, m.cfg.CheckTimeout)
		if ctx.Err() != nil {
			return
		}
		select {
		case results <- checkResult{idx: idx, at: at, res: r}:
		case <-ctx.Done():
			return
		}
		next := interval
		if watching.Load() {
			// Watch is running: events bring changes, polls are a safety net.
			next = max(interval, m.cfg.WatchedInterval)
		}
		// Keep the period at next from the start of this check, so a
		// change is seen within one interval plus one check's time.
		timer.Reset(max(0, next-time.Since(at)))
	}
}

// watch follows w's events while ctx lasts, with watching true while it
// does, and retries after retryWatch when watching fails.
func (m *Monitor) watch(ctx context.Context, w Watcher, watching *atomic.Bool, poke func()) {
	for {
		watching.Store(true)
		// Check once more now: a change between the last check and the
		// subscription would otherwise wait for the next poll.
		poke()
		err := w.Watch(ctx, poke)
		watching.Store(false)
		if ctx.Err() != nil {
			return
		}
		if err == errNoWatch {
			return
		}
		m.log.Debug("system check stopped following events; polling", "check", w.Name(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retryWatch):
		}
	}
}

// screenLoop keeps a screenshot and the foreground window's title every
// ScreenshotInterval.
func (m *Monitor) screenLoop(ctx context.Context, out chan<- finding.Transition) {
	t := time.NewTicker(m.cfg.ScreenshotInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		at := time.Now()
		shot, report, err := m.evidence(ctx)
		if err != nil {
			// The displays check reports why the screen is not reachable.
			m.log.Debug("no screen evidence this time", "err", err)
			continue
		}
		tr := finding.Transition{
			Rule: protocol.Rule10_11, Subject: "screen", Kind: protocol.KindInstant, At: at,
			Severity: protocol.SeverityInfo, Key: i18n.Key("probe.evidence.screen"),
			Evidence: []finding.Evidence{shot, report},
		}
		select {
		case out <- tr:
		case <-ctx.Done():
			return
		}
	}
}

// checkerState is what the Monitor remembers of one checker's spans.
type checkerState struct {
	open      map[string]Finding
	unchecked bool
	reason    i18n.Key
}

// update diffs r against the open spans and returns the transitions, in
// subject order: ends first, then starts.
func (s *checkerState) update(c Checker, r Result, at time.Time) []finding.Transition {
	if s.open == nil {
		s.open = map[string]Finding{}
	}
	var out []finding.Transition
	uncheckedSubject := "check:" + c.Name()
	if !r.Complete() {
		if !s.unchecked || s.reason != r.Reason {
			if s.unchecked {
				out = append(out, finding.Transition{Rule: c.Rule(), Subject: uncheckedSubject, Kind: protocol.KindEnd, At: at,
					Severity: protocol.SeverityUnchecked, Key: s.reason})
			}
			out = append(out, finding.Transition{Rule: c.Rule(), Subject: uncheckedSubject, Kind: protocol.KindStart, At: at,
				Severity: protocol.SeverityUnchecked, Key: r.Reason, Args: r.ReasonArgs})
			s.unchecked, s.reason = true, r.Reason
		}
	} else if s.unchecked {
		out = append(out, finding.Transition{Rule: c.Rule(), Subject: uncheckedSubject, Kind: protocol.KindEnd, At: at,
			Severity: protocol.SeverityUnchecked, Key: s.reason})
		s.unchecked, s.reason = false, ""
	}
	now := map[string]Finding{}
	for _, f := range r.Findings {
		now[f.Subject] = f
	}
	// Only a complete check can say a finding is gone: an incomplete one
	// may simply not have seen it.
	if r.Complete() {
		var gone []string
		for subj := range s.open {
			if _, ok := now[subj]; !ok {
				gone = append(gone, subj)
			}
		}
		sort.Strings(gone)
		for _, subj := range gone {
			f := s.open[subj]
			out = append(out, finding.Transition{Rule: f.Rule, Subject: subj, Kind: protocol.KindEnd, At: at,
				Severity: f.Severity, Key: f.Key, Args: f.Args})
			delete(s.open, subj)
		}
	}
	var started []string
	for subj := range now {
		if _, ok := s.open[subj]; !ok {
			started = append(started, subj)
		}
	}
	sort.Strings(started)
	for _, subj := range started {
		f := now[subj]
		tr := finding.Transition{Rule: f.Rule, Subject: subj, Kind: protocol.KindStart, At: at,
			Severity: f.Severity, Key: f.Key, Args: f.Args}
		if len(f.Detail) > 0 {
			if b, err := json.Marshal(map[string]any{"check": c.Name(), "subject": subj, "detail": f.Detail}); err == nil {
				tr.Evidence = []finding.Evidence{{Kind: protocol.EvidenceReport, MIME: "application/json", Data: b}}
			}
		}
		out = append(out, tr)
		s.open[subj] = f
	}
	return out
}
