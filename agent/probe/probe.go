// Package probe is the agent's system checks: what rules 10.9 (no
// remote-access software), 10.10 (no audio headset) and 10.11 (no
// auxiliary materials: one display, no virtual machine) forbid on the
// candidate's computer, looked for before a stage (the pre-check) and
// throughout it (the Monitor).
//
// Each check is a Checker returning a Result: ok, violation (with
// Findings) or could_not_check (with the reason). A check that cannot run
// never says ok. The Monitor runs the checkers continuously and turns
// their results into finding.Transitions: a span starts when a finding
// appears and ends when it is gone, matched by subject.
//
// What to look for comes from subpackages that only observe: remote (the
// catalogue of remote-access tools, processes, sockets, sessions), audio
// (PulseAudio/PipeWire, BlueZ, MMDevice, system_profiler), display
// (monitors, screenshots, foreground window) and vm (virtual machines).
// This package adds the exam policy (Config) and the rule texts.
package probe

import (
	"context"
	"errors"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Status is the outcome of one check.
type Status string

// Check outcomes.
const (
	// StatusOK: the check ran and found nothing the policy forbids.
	StatusOK Status = "ok"
	// StatusViolation: the check found at least one violation.
	StatusViolation Status = "violation"
	// StatusCouldNotCheck: the check could not run (fully), so nothing is
	// known; never reported as ok.
	StatusCouldNotCheck Status = "could_not_check"
)

// Finding is one thing a check found.
type Finding struct {
	// Rule is the clause of p.10 it concerns.
	Rule protocol.RuleID
	// Subject is its stable identifier, the same while it lasts, so a span
	// can be started and ended: "process:anydesk", "port:tcp/5900",
	// "sink:bluez_sink.xx", "displays", "virtual-machine".
	Subject string
	// Key and Args say, for the candidate, what was found and how to fix
	// it. Args hold no personal data.
	Key  i18n.Key
	Args i18n.Args
	// Detail holds machine facts for the proctor's evidence: pid, exe,
	// port, form factor, vendor strings …
	Detail map[string]string
	// Severity is violation or suspected, as the policy decides.
	Severity protocol.Severity
}

// Result is the outcome of one run of one check.
type Result struct {
	// Check is the checker's name ("remote-access", "headset" …).
	Check string
	// Rule is the clause of p.10 it checks.
	Rule protocol.RuleID
	// Status sums the result up: violation if any finding is a
	// violation, else could_not_check if Reason is set, else ok
	// (suspected findings are kept for the proctor but do not fail it).
	Status Status
	// Findings are what was found, sorted by subject.
	Findings []Finding
	// Reason and ReasonArgs say why the check could not run, or could
	// only run in part; empty when it ran fully.
	Reason     i18n.Key
	ReasonArgs i18n.Args
	// Cause is the underlying error, for logs and the --json output.
	Cause error
}

// Complete reports whether the check ran fully, so findings absent from
// the result are known to be absent.
func (r *Result) Complete() bool { return r.Reason == "" }

// finish sets Status from Findings and Reason.
func (r *Result) finish() Result {
	r.Status = StatusOK
	if r.Reason != "" {
		r.Status = StatusCouldNotCheck
	}
	for _, f := range r.Findings {
		if f.Severity == protocol.SeverityViolation {
			r.Status = StatusViolation
			break
		}
	}
	return *r
}

// Checker is one system check.
type Checker interface {
	// Name is the check's stable name, used in subjects and --json output.
	Name() string
	// Rule is the clause of p.10 it checks.
	Rule() protocol.RuleID
	// Check runs the check once. It honours ctx's deadline and never
	// panics; a failure is a Result with StatusCouldNotCheck.
	Check(ctx context.Context) Result
}

// Watcher is a Checker that can tell when its answer may have changed
// (pactl subscribe, D-Bus signals), so the Monitor re-checks at once
// instead of polling every interval.
type Watcher interface {
	Checker
	// Watch calls changed whenever a new Check may give a different
	// result. It blocks until ctx is done (returning nil) or watching
	// fails (returning why).
	Watch(ctx context.Context, changed func()) error
}

// slow is a Checker whose answer rarely changes and costs more (virtual
// machine detection); the Monitor runs it every Config.SlowInterval.
type slow interface{ slow() }

// Errors of the package.
var (
	// ErrConfig: a Config field is out of range; the message names it.
	ErrConfig = errors.New("invalid system-check configuration")
)
