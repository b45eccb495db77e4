package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/precheck"
	"kuzet.kz/kuzet/agent/probe"
	"kuzet.kz/kuzet/agent/probe/remote"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// checksConfig turns the exam policy's checks section into the probe's
// configuration, over the probe's defaults.
func checksConfig(p protocol.ChecksPolicy) (probe.Config, error) {
	cfg := probe.DefaultConfig()
	for k, v := range p.Categories {
		cfg.Categories[remote.Category(k)] = probe.Action(v)
	}
	cfg.Allow = append(cfg.Allow, p.Allow...)
	if p.VirtualMachine != "" {
		cfg.VirtualMachine = probe.Action(p.VirtualMachine)
	}
	if p.MaxDisplays > 0 {
		cfg.MaxDisplays = p.MaxDisplays
	}
	switch {
	case p.ScreenshotMS < 0:
		cfg.ScreenshotInterval = 0
	case p.ScreenshotMS > 0:
		cfg.ScreenshotInterval = time.Duration(p.ScreenshotMS) * time.Millisecond
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("the server's policy for the system checks: %w", err)
	}
	return cfg, nil
}

// precheckEvents runs every system check once and turns each check's
// outcome into an instant event (subject "precheck:<check>") with the full
// report attached, so the proctor sees the pre-check the candidate saw.
func precheckEvents(ctx context.Context, checkers []probe.Checker, cfg probe.Config, cat *i18n.Catalogue, lang i18n.Lang) (precheck.Report, []finding.Transition) {
	results := probe.CheckAll(ctx, checkers, cfg.CheckTimeout)
	rep := precheck.Build(results, cat, lang)
	raw, _ := json.Marshal(rep)
	now := time.Now()
	var out []finding.Transition
	for _, r := range results {
		sev := protocol.SeverityInfo
		switch r.Status {
		case probe.StatusViolation:
			sev = protocol.SeverityViolation
		case probe.StatusCouldNotCheck:
			sev = protocol.SeverityUnchecked
		}
		out = append(out, finding.Transition{
			Rule: r.Rule, Subject: "precheck:" + r.Check, Kind: protocol.KindInstant, At: now, Severity: sev,
			// The text names the check; the severity says how it came out,
			// and the report says what was found.
			Key:      precheckTitle(r.Check),
			Args:     i18n.Args{"status": string(r.Status)},
			Evidence: []finding.Evidence{{Kind: protocol.EvidenceReport, MIME: "application/json", Data: raw}},
		})
	}
	return rep, out
}

func precheckTitle(check string) i18n.Key {
	return i18n.Key("precheck.check." + strings.ReplaceAll(check, "-", "_"))
}

// runChecks starts the continuous system checks once the policy is known:
// it reports the pre-check, then every change until ctx ends.
// The pre-check report is shown to the candidate through show.
func runChecks(ctx context.Context, policy protocol.ChecksPolicy, cat *i18n.Catalogue, lang i18n.Lang, emit func(finding.Transition), show func(precheck.Report), log *slog.Logger) {
	cfg, err := checksConfig(policy)
	if err != nil {
		log.Error("system checks", "err", err)
		cfg = probe.DefaultConfig()
	}
	checkers, err := probe.Checkers(cfg, log)
	if err != nil {
		log.Error("system checks could not start", "err", err)
		return
	}
	rep, events := precheckEvents(ctx, checkers, cfg, cat, lang)
	show(rep)
	for _, t := range events {
		emit(t)
	}
	if err := probe.NewMonitor(cfg, checkers, log).Run(ctx, emit); err != nil && ctx.Err() == nil {
		log.Error("system checks stopped", "err", err)
	}
}
