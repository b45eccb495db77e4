package probe

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

type namedChecker struct{}

func (namedChecker) Name() string                 { return "demo" }
func (namedChecker) Rule() protocol.RuleID        { return protocol.Rule10_9 }
func (namedChecker) Check(context.Context) Result { return Result{} }

func res(reason i18n.Key, subjects ...string) Result {
	r := Result{Check: "demo", Rule: protocol.Rule10_9, Reason: reason}
	for _, s := range subjects {
		r.Findings = append(r.Findings, Finding{Rule: protocol.Rule10_9, Subject: s, Key: "probe.remote.process",
			Severity: protocol.SeverityViolation, Detail: map[string]string{"pid": "1"}})
	}
	return r.finish()
}

func show(ts []string) string { return strings.Join(ts, " ") }

func TestCheckerStateTransitions(t *testing.T) {
	steps := []struct {
		r    Result
		want string
	}{
		{res(""), ""},
		{res("", "process:anydesk"), "start:process:anydesk"},
		{res("", "process:anydesk"), ""},
		{res("", "process:anydesk", "port:tcp/5900"), "start:port:tcp/5900"},
		// An incomplete check cannot end spans it did not see …
		{res("probe.unchecked.sockets", "process:anydesk"), "start:check:demo/unchecked"},
		// … but it reports new ones.
		{res("probe.unchecked.sockets", "process:anydesk", "process:rustdesk"), "start:process:rustdesk"},
		// The reason changes: the unchecked span is replaced.
		{res("probe.unchecked.processes"), "end:check:demo/unchecked start:check:demo/unchecked"},
		{res(""), "end:check:demo/unchecked end:port:tcp/5900 end:process:anydesk end:process:rustdesk"},
		{res(""), ""},
	}
	var s checkerState
	at := time.Unix(1700000000, 0)
	for i, st := range steps {
		var got []string
		for _, tr := range s.update(namedChecker{}, st.r, at) {
			item := string(tr.Kind) + ":" + tr.Subject
			if tr.Severity == protocol.SeverityUnchecked {
				item += "/unchecked"
			}
			if tr.Kind == protocol.KindStart && tr.Severity == protocol.SeverityViolation && len(tr.Evidence) != 1 {
				t.Errorf("step %d: start of %s carries no evidence report", i, tr.Subject)
			}
			if !tr.At.Equal(at) || tr.Rule != protocol.Rule10_9 {
				t.Errorf("step %d: transition %+v has wrong time or rule", i, tr)
			}
			got = append(got, item)
		}
		if show(got) != st.want {
			t.Errorf("step %d: %s, want %s", i, show(got), st.want)
		}
		at = at.Add(time.Second)
	}
}

func TestResultStatus(t *testing.T) {
	sus := Result{Findings: []Finding{{Severity: protocol.SeveritySuspected}}}
	for _, tc := range []struct {
		r    Result
		want Status
	}{
		{Result{}, StatusOK},
		{Result{Reason: "probe.unchecked.audio"}, StatusCouldNotCheck},
		{res("", "x"), StatusViolation},
		{res("probe.unchecked.sockets", "x"), StatusViolation},
		{sus, StatusOK},
	} {
		if got := tc.r.finish().Status; got != tc.want {
			t.Errorf("%s: status %s, want %s", fmt.Sprint(tc.r.Findings), got, tc.want)
		}
	}
}
