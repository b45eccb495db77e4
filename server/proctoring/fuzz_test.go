package proctoring_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/proctoring"
	"kuzet.kz/kuzet/server/proctoring/assess"
)

// FuzzCheck feeds the verdict rules any request body and any set of flags
// (each byte a flag: its rule and whether it is open, confirmed or
// dismissed) and checks what a published verdict always satisfies: no flag
// open, clean only without confirmed flags, and a violation's rules exactly
// those of its evidence, all confirmed.
func FuzzCheck(f *testing.F) {
	f.Add([]byte{0x11, 0x21, 0x02}, []byte(`{"outcome":"violation","rules":["10.2"],"evidence":[1]}`), true)
	f.Add([]byte{0x20}, []byte(`{"outcome":"clean"}`), true)
	rules := protocol.Rules()
	f.Fuzz(func(t *testing.T, spec, body []byte, ended bool) {
		var req proctoring.VerdictRequest
		if json.Unmarshal(body, &req) != nil || len(spec) > 200 {
			return
		}
		flags := make([]assess.Flag, len(spec))
		for i, b := range spec {
			flags[i] = assess.Flag{N: uint64(i + 1), Rule: rules[int(b&0x0f)%len(rules)].ID, Severity: protocol.SeverityViolation}
			switch (b >> 4) % 3 {
			case 1:
				flags[i].Review = &assess.Review{Confirmed: true}
			case 2:
				flags[i].Review = &assess.Review{}
			}
		}
		v, err := proctoring.Check(req, ended, flags)
		if err != nil {
			return
		}
		if !ended {
			t.Fatal("published before the end")
		}
		a := protocol.Action{ID: "a", Kind: protocol.ActionVerdict, Time: time.Unix(1, 0), Actor: "p", Verdict: &v}
		if err := a.Validate(); err != nil {
			t.Fatalf("Check returned a verdict the protocol refuses: %v", err)
		}
		byN := map[uint64]assess.Flag{}
		for _, fl := range flags {
			byN[fl.N] = fl
			if !fl.Reviewed() {
				t.Fatalf("published with flag %d open", fl.N)
			}
			if v.Outcome == protocol.VerdictClean && fl.Confirmed() {
				t.Fatalf("clean with flag %d confirmed", fl.N)
			}
		}
		var supported []protocol.RuleID
		for _, n := range v.Evidence {
			fl := byN[n]
			if !fl.Confirmed() || !slices.Contains(v.Rules, fl.Rule) {
				t.Fatalf("evidence %d is not a confirmed flag of a named rule", n)
			}
			if !slices.Contains(supported, fl.Rule) {
				supported = append(supported, fl.Rule)
			}
		}
		if len(supported) != len(v.Rules) {
			t.Fatalf("rules %v, supported by evidence %v", v.Rules, supported)
		}
	})
}
