// Package precheck is `kuzet-agent check [--json]`: it runs every system
// check of rules 10.9, 10.10 and 10.11 once and tells the candidate, in
// Kazakh, Russian or English, for each rule: ok, violation (what was found
// and how to fix it) or could not check (why). The exit code is 0 only
// when every check ran and found nothing; 1 when any found a violation or
// could not run; 2 for a usage error.
//
// With --json it prints one Report object instead; its field names are
// stable (version 1):
//
//	{
//	  "version": 1,
//	  "lang": "en",
//	  "ok": false,
//	  "rules": [{
//	    "rule": "10.9", "title": "…", "status": "violation", "fix": "…",
//	    "checks": [{
//	      "check": "remote-access", "title": "…", "status": "violation",
//	      "findings": [{"subject": "process:anydesk", "severity": "violation",
//	                    "key": "probe.remote.process", "message": "…",
//	                    "detail": {"pid": "4242", "exe": "/usr/bin/anydesk"}}],
//	      "reason": {"key": "probe.unchecked.sockets", "message": "…"},
//	      "error": "list sockets: …"
//	    }]
//	  }]
//	}
//
// status is "ok", "violation" or "could_not_check"; "fix" is present when
// the rule's status is violation; "reason" and "error" only when the check
// could not run in full; "findings" is always a list (possibly empty) and
// may hold "suspected" findings under an ok check, for the proctor.
package precheck

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/agent/probe"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Exit codes of the check command.
const (
	ExitOK    = 0 // every check ran and found nothing
	ExitFail  = 1 // a violation was found or a check could not run
	ExitUsage = 2 // bad arguments or configuration
)

// ReportVersion is the version of the --json output's shape.
const ReportVersion = 1

// Report is the --json output.
type Report struct {
	Version int          `json:"version"`
	Lang    i18n.Lang    `json:"lang"`
	OK      bool         `json:"ok"`
	Rules   []RuleReport `json:"rules"`
}

// RuleReport is one rule's outcome: the worst of its checks.
type RuleReport struct {
	Rule   protocol.RuleID `json:"rule"`
	Title  string          `json:"title"`
	Status probe.Status    `json:"status"`
	Fix    string          `json:"fix,omitempty"`
	Checks []CheckReport   `json:"checks"`
}

// CheckReport is one check's outcome.
type CheckReport struct {
	Check    string          `json:"check"`
	Title    string          `json:"title"`
	Status   probe.Status    `json:"status"`
	Findings []FindingReport `json:"findings"`
	Reason   *Message        `json:"reason,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// FindingReport is one finding with its text in the report's language.
type FindingReport struct {
	Subject  string            `json:"subject"`
	Severity protocol.Severity `json:"severity"`
	Key      i18n.Key          `json:"key"`
	Message  string            `json:"message"`
	Detail   map[string]string `json:"detail,omitempty"`
}

// Message is a catalogue text with its key.
type Message struct {
	Key     i18n.Key `json:"key"`
	Message string   `json:"message"`
}

// rules are the rules the system checks cover, in clause order.
func rules() []protocol.RuleID {
	return []protocol.RuleID{protocol.Rule10_9, protocol.Rule10_10, protocol.Rule10_11}
}

// Build turns results into a report in lang.
func Build(results []probe.Result, cat *i18n.Catalogue, lang i18n.Lang) Report {
	rep := Report{Version: ReportVersion, Lang: lang, OK: true}
	for _, id := range rules() {
		rr := RuleReport{Rule: id, Title: cat.Text(lang, titleKey(id), nil), Status: probe.StatusOK, Checks: []CheckReport{}}
		for _, r := range results {
			if r.Rule != id {
				continue
			}
			cr := CheckReport{Check: r.Check, Title: cat.Text(lang, checkTitle(r.Check), nil), Status: r.Status, Findings: []FindingReport{}}
			for _, f := range r.Findings {
				cr.Findings = append(cr.Findings, FindingReport{
					Subject: f.Subject, Severity: f.Severity, Key: f.Key,
					Message: cat.Text(lang, f.Key, f.Args), Detail: f.Detail,
				})
			}
			if r.Reason != "" {
				cr.Reason = &Message{Key: r.Reason, Message: cat.Text(lang, r.Reason, r.ReasonArgs)}
				if r.Cause != nil {
					cr.Error = r.Cause.Error()
				}
			}
			rr.Status = worse(rr.Status, r.Status)
			rr.Checks = append(rr.Checks, cr)
		}
		if rr.Status == probe.StatusViolation {
			rr.Fix = cat.Text(lang, fixKey(id), nil)
		}
		if rr.Status != probe.StatusOK {
			rep.OK = false
		}
		rep.Rules = append(rep.Rules, rr)
	}
	return rep
}

func worse(a, b probe.Status) probe.Status {
	rank := func(s probe.Status) int {
		switch s {
		case probe.StatusViolation:
			return 2
		case probe.StatusCouldNotCheck:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func titleKey(id protocol.RuleID) i18n.Key {
	switch id {
	case protocol.Rule10_9:
		return i18n.Key("rule.10.9.title")
	case protocol.Rule10_10:
		return i18n.Key("rule.10.10.title")
	}
	return i18n.Key("rule.10.11.title")
}

func fixKey(id protocol.RuleID) i18n.Key {
	switch id {
	case protocol.Rule10_9:
		return i18n.Key("rule.10.9.fix")
	case protocol.Rule10_10:
		return i18n.Key("rule.10.10.fix")
	}
	return i18n.Key("rule.10.11.fix")
}

// checkTitle is the catalogue key of a check's name; an unknown check
// shows its key in brackets, which the tests rule out.
func checkTitle(name string) i18n.Key {
	switch name {
	case "remote-access":
		return i18n.Key("precheck.check.remote_access")
	case "remote-session":
		return i18n.Key("precheck.check.remote_session")
	case "headset":
		return i18n.Key("precheck.check.headset")
	case "bluetooth-audio":
		return i18n.Key("precheck.check.bluetooth_audio")
	case "displays":
		return i18n.Key("precheck.check.displays")
	case "virtual-machine":
		return i18n.Key("precheck.check.virtual_machine")
	}
	return i18n.Key("precheck.check." + name)
}

// statusText is the catalogue key of a status.
func statusText(s probe.Status) i18n.Key {
	switch s {
	case probe.StatusViolation:
		return i18n.Key("precheck.status.violation")
	case probe.StatusCouldNotCheck:
		return i18n.Key("precheck.status.could_not_check")
	}
	return i18n.Key("precheck.status.ok")
}

// Render writes the report for a person.
func Render(w io.Writer, rep Report, cat *i18n.Catalogue) error {
	lang := rep.Lang
	var b strings.Builder
	b.WriteString(cat.Text(lang, i18n.Key("precheck.title"), nil) + "\n\n")
	violations, unchecked := 0, 0
	for _, rr := range rep.Rules {
		fmt.Fprintf(&b, "%s %s: %s\n", rr.Rule, rr.Title, cat.Text(lang, statusText(rr.Status), nil))
		for _, cr := range rr.Checks {
			fmt.Fprintf(&b, "  %s: %s\n", cr.Title, cat.Text(lang, statusText(cr.Status), nil))
			for _, f := range cr.Findings {
				if f.Severity == protocol.SeverityViolation {
					violations++
					fmt.Fprintf(&b, "    - %s\n", f.Message)
				} else {
					fmt.Fprintf(&b, "    - %s\n", cat.Text(lang, i18n.Key("precheck.noted"), i18n.Args{"text": f.Message}))
				}
			}
			if cr.Reason != nil {
				unchecked++
				fmt.Fprintf(&b, "    - %s\n", cr.Reason.Message)
			}
		}
		if rr.Fix != "" {
			fmt.Fprintf(&b, "  %s\n", cat.Text(lang, i18n.Key("precheck.how_to_fix"), i18n.Args{"fix": rr.Fix}))
		}
		b.WriteString("\n")
	}
	if rep.OK {
		b.WriteString(cat.Text(lang, i18n.Key("precheck.summary.ok"), nil) + "\n")
	} else {
		b.WriteString(cat.Text(lang, i18n.Key("precheck.summary.fail"), i18n.Args{
			"violations": strconv.Itoa(violations), "unchecked": strconv.Itoa(unchecked)}) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RunCommand implements `kuzet-agent check [--json]`: args are the
// arguments after "check". It runs the checks of probe.DefaultConfig once
// and returns the exit code.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer, cat *i18n.Catalogue, lang i18n.Lang, log *slog.Logger) int {
	cfg := probe.DefaultConfig()
	checkers, err := probe.Checkers(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("precheck.error.config"), i18n.Args{"error": err.Error()}))
		return ExitUsage
	}
	return run(ctx, args, stdout, stderr, cat, lang, checkers, cfg)
}

// run is RunCommand over given checkers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, cat *i18n.Catalogue, lang i18n.Lang, checkers []probe.Checker, cfg probe.Config) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("precheck.error.usage"), i18n.Args{"arg": badArg(args, err)}))
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("precheck.error.usage"), i18n.Args{"arg": fs.Arg(0)}))
		return ExitUsage
	}
	results := probe.CheckAll(ctx, checkers, cfg.CheckTimeout)
	rep := Build(results, cat, lang)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, err)
			return ExitFail
		}
	} else if err := Render(stdout, rep, cat); err != nil {
		return ExitFail
	}
	if !rep.OK {
		return ExitFail
	}
	return ExitOK
}

// badArg picks the argument the flag package complained about.
func badArg(args []string, err error) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") && strings.Contains(err.Error(), strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")) {
			return a
		}
	}
	return strings.Join(args, " ")
}
