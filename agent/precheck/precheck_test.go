package precheck

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"kuzet.kz/kuzet/agent/probe"
	"kuzet.kz/kuzet/agent/probe/probetest"
	"kuzet.kz/kuzet/internal/nonull"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

func catalogue(t *testing.T) *i18n.Catalogue {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestRunCommandLive runs `kuzet-agent check --json` for real on this
// machine, with an AnyDesk-named process running: the report names it,
// every check has a definite status, and the exit code agrees.
func TestRunCommandLive(t *testing.T) {
	cmd, _ := probetest.Process(t, "anydesk")
	var out, errOut bytes.Buffer
	code := RunCommand(context.Background(), []string{"--json"}, &out, &errOut, catalogue(t), i18n.EN, quiet())
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out.String())
	}
	if nulls, err := nonull.Find(out.Bytes()); err != nil || len(nulls) > 0 {
		t.Errorf("--json writes null at %v (%v); lists must be []", nulls, err)
	}
	if rep.Version != ReportVersion || rep.Lang != i18n.EN || len(rep.Rules) != 3 {
		t.Fatalf("report header = %+v", rep)
	}
	if code != ExitFail || rep.OK {
		t.Fatalf("exit %d ok %v with AnyDesk running, want %d and false", code, rep.OK, ExitFail)
	}
	found := false
	for _, rr := range rep.Rules {
		for _, cr := range rr.Checks {
			switch cr.Status {
			case probe.StatusOK, probe.StatusViolation:
			case probe.StatusCouldNotCheck:
				if cr.Reason == nil || cr.Reason.Message == "" || strings.HasPrefix(cr.Reason.Message, "[") {
					t.Errorf("%s could not check without a readable reason: %+v", cr.Check, cr.Reason)
				}
			default:
				t.Errorf("%s: status %q", cr.Check, cr.Status)
			}
			if strings.HasPrefix(cr.Title, "[") {
				t.Errorf("check %s has no title in the catalogue", cr.Check)
			}
			for _, f := range cr.Findings {
				if f.Subject == "process:anydesk" && f.Detail["pid"] != "" && strings.Contains(f.Detail["pid"], strconv.Itoa(cmd.Process.Pid)) {
					found = true
					if rr.Rule != protocol.Rule10_9 || rr.Status != probe.StatusViolation || rr.Fix == "" {
						t.Errorf("rule %s status %s fix %q", rr.Rule, rr.Status, rr.Fix)
					}
				}
			}
		}
	}
	if !found {
		t.Fatalf("AnyDesk (pid %d) not in the report:\n%s", cmd.Process.Pid, out.String())
	}
}

// TestRenderLanguages renders a live report in each language: no text is
// missing from the catalogue and the statuses are the language's own.
func TestRenderLanguages(t *testing.T) {
	cat := catalogue(t)
	cs, err := probe.Checkers(probe.DefaultConfig(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	results := probe.CheckAll(context.Background(), cs, probe.DefaultConfig().CheckTimeout)
	words := map[i18n.Lang]string{i18n.KK: "Кезең", i18n.RU: "Системная", i18n.EN: "System check"}
	for lang, word := range words {
		var b bytes.Buffer
		if err := Render(&b, Build(results, cat, lang), cat); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		if strings.Contains(s, "[probe.") || strings.Contains(s, "[precheck.") || strings.Contains(s, "[rule.") {
			t.Errorf("%s: a key is missing from the catalogue:\n%s", lang, s)
		}
		if !strings.Contains(s, word) {
			t.Errorf("%s: title %q missing:\n%s", lang, word, s)
		}
	}
}

func TestBuildStatuses(t *testing.T) {
	cat := catalogue(t)
	results := []probe.Result{
		{Check: "remote-access", Rule: protocol.Rule10_9, Status: probe.StatusOK},
		{Check: "remote-session", Rule: protocol.Rule10_9, Status: probe.StatusCouldNotCheck, Reason: "probe.unchecked.session"},
		{Check: "headset", Rule: protocol.Rule10_10, Status: probe.StatusViolation, Findings: []probe.Finding{{
			Rule: protocol.Rule10_10, Subject: "sink:hs", Key: "probe.headset.form_factor", Args: i18n.Args{"device": "Jabra"},
			Severity: protocol.SeverityViolation}}},
		{Check: "displays", Rule: protocol.Rule10_11, Status: probe.StatusOK},
		{Check: "virtual-machine", Rule: protocol.Rule10_11, Status: probe.StatusOK, Findings: []probe.Finding{{
			Rule: protocol.Rule10_11, Subject: "virtual-machine", Key: "probe.vm.found", Args: i18n.Args{"hypervisor": "KVM"},
			Severity: protocol.SeveritySuspected}}},
	}
	rep := Build(results, cat, i18n.RU)
	want := []probe.Status{probe.StatusCouldNotCheck, probe.StatusViolation, probe.StatusOK}
	for i, rr := range rep.Rules {
		if rr.Status != want[i] {
			t.Errorf("rule %s: %s, want %s", rr.Rule, rr.Status, want[i])
		}
		if (rr.Fix != "") != (rr.Status == probe.StatusViolation) {
			t.Errorf("rule %s: fix %q with status %s", rr.Rule, rr.Fix, rr.Status)
		}
	}
	if rep.OK {
		t.Error("report ok with a violation")
	}
	var b bytes.Buffer
	if err := Render(&b, rep, cat); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Jabra", "К сведению проктора", "KVM", "Нарушений: 1, невыполненных проверок: 1"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("rendering lacks %q:\n%s", s, b.String())
		}
	}
	all := Build([]probe.Result{{Check: "displays", Rule: protocol.Rule10_11, Status: probe.StatusOK}}, cat, i18n.EN)
	if !all.OK {
		t.Error("report not ok when every check is ok")
	}
}

func TestRunCommandUsage(t *testing.T) {
	cat := catalogue(t)
	for _, args := range [][]string{{"--bogus"}, {"--json=maybe"}, {"extra"}, {"-h"}} {
		var out, errOut bytes.Buffer
		code := RunCommand(context.Background(), args, &out, &errOut, cat, i18n.KK, quiet())
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
		if !strings.Contains(errOut.String(), "Қолданылуы: kuzet-agent check [--json]") || out.Len() != 0 {
			t.Errorf("%v: stderr %q stdout %q; want the Kazakh usage on stderr only", args, errOut.String(), out.String())
		}
	}
}
