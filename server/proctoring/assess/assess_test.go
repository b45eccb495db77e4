package assess

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// feed builds records numbered from 1.
type feed struct {
	recs []protocol.Record
	seq  uint64
}

func (f *feed) add(rec protocol.Record) uint64 {
	rec.Sitting = "s-1"
	rec.N = uint64(len(f.recs) + 1)
	rec.Received = t0.Add(time.Duration(rec.N) * time.Second)
	f.recs = append(f.recs, rec)
	return rec.N
}

// ev adds an event and returns its record number and seq.
func (f *feed) ev(rule protocol.RuleID, kind protocol.EventKind, sev protocol.Severity, startSeq uint64) (uint64, uint64) {
	f.seq++
	e := &protocol.Event{Seq: f.seq, Time: t0, Rule: rule, Kind: kind, Severity: sev, StartSeq: startSeq, Subject: "x", Key: "k"}
	return f.add(protocol.Record{Event: e}), f.seq
}

func (f *feed) act(kind protocol.ActionKind, target uint64) uint64 {
	a := &protocol.Action{ID: "a", Kind: kind, Time: t0, Actor: "proctor", Target: target, Note: "seen on video"}
	if kind == protocol.ActionVerdict {
		a.Verdict = &protocol.Verdict{Outcome: protocol.VerdictClean}
	}
	return f.add(protocol.Record{Action: a})
}

func (f *feed) state(t *testing.T) *State {
	t.Helper()
	s := New()
	for i := range f.recs {
		if err := s.Apply(&f.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestWhichEventsAreFlags(t *testing.T) {
	cases := []struct {
		kind protocol.EventKind
		sev  protocol.Severity
		want bool
	}{
		{protocol.KindStart, protocol.SeverityViolation, true},
		{protocol.KindInstant, protocol.SeveritySuspected, true},
		{protocol.KindInstant, protocol.SeverityUnchecked, true},
		{protocol.KindStart, protocol.SeverityInfo, false},
		{protocol.KindInstant, protocol.SeverityInfo, false},
		{protocol.KindEnd, protocol.SeverityViolation, false},
	}
	for _, c := range cases {
		if got := IsFlag(&protocol.Event{Kind: c.kind, Severity: c.sev}); got != c.want {
			t.Errorf("IsFlag(%s %s) = %v, want %v", c.kind, c.sev, got, c.want)
		}
	}
}

func TestApplyInOrderOnly(t *testing.T) {
	var f feed
	f.ev(protocol.Rule10_6, protocol.KindInstant, protocol.SeverityInfo, 0)
	f.ev(protocol.Rule10_2, protocol.KindInstant, protocol.SeverityViolation, 0)
	f.ev(protocol.Rule10_3, protocol.KindInstant, protocol.SeverityViolation, 0)
	s := New()
	if err := s.Apply(&f.recs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(&f.recs[2]); !errors.Is(err, ErrGap) {
		t.Fatalf("a record after a gap: err = %v, want ErrGap", err)
	}
	for i := range f.recs {
		if err := s.Apply(&f.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Applying again (a catch-up overlapping the live feed) changes nothing.
	for i := range f.recs {
		if err := s.Apply(&f.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if s.Last() != 3 || len(s.Flags()) != 2 {
		t.Fatalf("last %d, flags %d; want 3 and 2", s.Last(), len(s.Flags()))
	}
}

func TestRiskIsWeightTimesSeverityTimesRepeat(t *testing.T) {
	w := DefaultWeights()
	var f feed
	a, _ := f.ev(protocol.Rule10_2, protocol.KindInstant, protocol.SeverityViolation, 0) // 35
	b, _ := f.ev(protocol.Rule10_2, protocol.KindInstant, protocol.SeveritySuspected, 0) // 35 × 0.5 × 0.5
	c, _ := f.ev(protocol.Rule10_4, protocol.KindInstant, protocol.SeverityUnchecked, 0) // 10 × 0.25
	s := f.state(t)
	sc := s.Risk(w)
	want := []struct {
		n      uint64
		points float64
	}{{a, 35}, {b, 8.75}, {c, 2.5}}
	if len(sc.Items) != len(want) {
		t.Fatalf("items = %+v", sc.Items)
	}
	for i, wt := range want {
		if it := sc.Items[i]; it.N != wt.n || it.Points != wt.points || math.Abs(it.Weight*it.Factor-it.Points) > 0.01 {
			t.Errorf("item %d = %+v, want record %d with %v points (= weight × factor)", i, it, wt.n, wt.points)
		}
	}
	if sc.Total != 46.25 || sc.ByRule[protocol.Rule10_2] != 43.75 {
		t.Fatalf("total %v, 10.2 %v; want 46.25 and 43.75", sc.Total, sc.ByRule[protocol.Rule10_2])
	}

	// Dismissing the first 10.2 flag removes its points, and the second
	// becomes the first of its rule again (no repeat discount).
	f.act(protocol.ActionFlagDismissed, a)
	sc = f.state(t).Risk(w)
	if sc.Total != 17.5+2.5 {
		t.Fatalf("after dismissal total = %v, want 20", sc.Total)
	}
	// Reviewing again: the latest review counts.
	f.act(protocol.ActionFlagConfirmed, a)
	s = f.state(t)
	sc = s.Risk(w)
	if sc.Total != 46.25 || !sc.Items[0].Confirmed {
		t.Fatalf("after confirming again: total %v, first item %+v", sc.Total, sc.Items[0])
	}
}

func TestManyFlagsOfOneRuleAreSummed(t *testing.T) {
	var f feed
	for range ItemsPerRule + 15 {
		f.ev(protocol.Rule10_4, protocol.KindInstant, protocol.SeveritySuspected, 0)
	}
	sc := f.state(t).Risk(DefaultWeights())
	if len(sc.Items) != ItemsPerRule+1 {
		t.Fatalf("%d items, want %d (the rest summed)", len(sc.Items), ItemsPerRule+1)
	}
	last := sc.Items[ItemsPerRule]
	if last.Count != 15 || last.N != uint64(ItemsPerRule+1) {
		t.Fatalf("summed item = %+v, want 15 flags from record %d", last, ItemsPerRule+1)
	}
	// The geometric series: 10 × 0.5 × (1 − 0.5^25) / (1 − 0.5) ≈ 10.
	if math.Abs(sc.Total-10) > 0.01 {
		t.Fatalf("total = %v, want about 10", sc.Total)
	}
	sum := 0.0
	for _, it := range sc.Items {
		sum += it.Points
	}
	if math.Abs(sum-sc.Total) > 0.001 {
		t.Fatalf("items sum to %v but the total is %v", sum, sc.Total)
	}
}

func TestRuleBadges(t *testing.T) {
	w := DefaultWeights()
	var f feed
	f.ev(protocol.Rule10_9, protocol.KindInstant, protocol.SeverityInfo, 0) // pre-check ok
	n, seq := f.ev(protocol.Rule10_3, protocol.KindStart, protocol.SeverityViolation, 0)
	u, _ := f.ev(protocol.Rule10_10, protocol.KindInstant, protocol.SeverityUnchecked, 0)

	var sum protocol.SittingSummary
	f.state(t).Summarize(w, &sum)
	want := map[protocol.RuleID]protocol.RuleStatus{
		protocol.Rule10_9:  {State: protocol.RuleClear},
		protocol.Rule10_3:  {State: protocol.RuleViolation, Active: true, Open: 1, Risk: 15},
		protocol.Rule10_10: {State: protocol.RuleUnchecked, Open: 1, Risk: 5},
	}
	check := func(when string) {
		t.Helper()
		if len(sum.Rules) != len(want) {
			t.Fatalf("%s: rules = %+v, want %+v (rules without data left out)", when, sum.Rules, want)
		}
		for id, st := range want {
			if sum.Rules[id] != st {
				t.Errorf("%s: rule %s = %+v, want %+v", when, id, sum.Rules[id], st)
			}
		}
	}
	check("open span")
	if sum.OpenFlags != 2 || sum.Risk != 20 || sum.LastEvent == nil || sum.LastEvent.N != u {
		t.Fatalf("summary = %+v", sum)
	}

	// The span ends: no longer active, but the flag still stands until reviewed.
	f.ev(protocol.Rule10_3, protocol.KindEnd, protocol.SeverityInfo, seq)
	sum = protocol.SittingSummary{}
	f.state(t).Summarize(w, &sum)
	want[protocol.Rule10_3] = protocol.RuleStatus{State: protocol.RuleViolation, Open: 1, Risk: 15}
	check("ended span")

	// Dismissed: the rule is clear again; confirmed: it stays a violation.
	f.act(protocol.ActionFlagDismissed, n)
	f.act(protocol.ActionFlagConfirmed, u)
	sum = protocol.SittingSummary{}
	f.state(t).Summarize(w, &sum)
	want[protocol.Rule10_3] = protocol.RuleStatus{State: protocol.RuleClear}
	want[protocol.Rule10_10] = protocol.RuleStatus{State: protocol.RuleUnchecked, Risk: 5}
	check("reviewed")
	if sum.OpenFlags != 0 {
		t.Fatalf("open flags = %d after reviewing both", sum.OpenFlags)
	}
}

func TestPauseEndAndVerdict(t *testing.T) {
	var f feed
	f.act(protocol.ActionPause, 0)
	if !f.state(t).Paused() {
		t.Fatal("not paused after a pause")
	}
	f.act(protocol.ActionResume, 0)
	if f.state(t).Paused() {
		t.Fatal("paused after a resume")
	}
	f.act(protocol.ActionPause, 0)
	f.act(protocol.ActionEnd, 0)
	s := f.state(t)
	if s.Paused() || !s.Ended() {
		t.Fatalf("after end: paused %v ended %v", s.Paused(), s.Ended())
	}
	v := f.act(protocol.ActionVerdict, 0)
	f.add(protocol.Record{Action: &protocol.Action{ID: "b", Kind: protocol.ActionVerdict, Time: t0, Actor: "other",
		Verdict: &protocol.Verdict{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_2}}}})
	got := f.state(t).Verdict()
	if got == nil || got.N != v || got.Verdict.Outcome != protocol.VerdictClean || got.Actor != "proctor" {
		t.Fatalf("verdict = %+v, want the first one published (record %d)", got, v)
	}
}

func TestAssessmentExplainsTheScore(t *testing.T) {
	var f feed
	a, _ := f.ev(protocol.Rule10_1, protocol.KindInstant, protocol.SeveritySuspected, 0)
	b, _ := f.ev(protocol.Rule10_8, protocol.KindStart, protocol.SeverityViolation, 0)
	f.act(protocol.ActionFlagConfirmed, b)
	as := f.state(t).Assessment("s-1", DefaultWeights())
	if err := as.Validate(); err != nil {
		t.Fatal(err)
	}
	if as.Risk != 40 || as.Flags != 2 || len(as.OpenFlags) != 1 || as.OpenFlags[0] != a {
		t.Fatalf("assessment = %+v, want risk 40, two flags, %d open", as, a)
	}
	if as.Weights.Rules[protocol.Rule10_1] != 40 || as.Weights.Repeat != 0.5 {
		t.Fatalf("weights shown = %+v", as.Weights)
	}
}

func TestWeightsValidate(t *testing.T) {
	if err := DefaultWeights().Validate(); err != nil {
		t.Fatalf("default weights: %v", err)
	}
	cases := []struct {
		name   string
		change func(*Weights)
		want   string
	}{
		{"missing rule", func(w *Weights) { delete(w.Rules, protocol.Rule10_7) }, "rule 10.7 has no weight"},
		{"negative", func(w *Weights) { w.Rules[protocol.Rule10_2] = -1 }, "use 0 to 1000"},
		{"not a number", func(w *Weights) { w.Rules[protocol.Rule10_2] = math.NaN() }, "use 0 to 1000"},
		{"unknown rule", func(w *Weights) { w.Rules["10.12"] = 1 }, "not a clause"},
		{"missing severity", func(w *Weights) { delete(w.Severity, protocol.SeverityUnchecked) }, "unchecked has no factor"},
		{"info counted", func(w *Weights) { w.Severity[protocol.SeverityInfo] = 1 }, "never flags"},
		{"repeat over one", func(w *Weights) { w.Repeat = 1.5 }, "use 0 to 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := DefaultWeights()
			c.change(&w)
			err := w.Validate()
			if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want ErrWeights containing %q", err, c.want)
			}
		})
	}
}

// BenchmarkApplyAndSummarize measures what one new record costs the server
// for a sitting that already has many flags: folding it in and composing
// the tile's summary (which recomputes the score over the flags).
func BenchmarkApplyAndSummarize(b *testing.B) {
	w := DefaultWeights()
	rules := protocol.Rules()
	for _, flags := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("flags=%d", flags), func(b *testing.B) {
			var f feed
			for i := range flags {
				f.ev(rules[i%len(rules)].ID, protocol.KindInstant, protocol.SeveritySuspected, 0)
			}
			s := New()
			for i := range f.recs {
				if err := s.Apply(&f.recs[i]); err != nil {
					b.Fatal(err)
				}
			}
			// An info event: folded in, but not a flag, so the sitting
			// keeps its size across iterations.
			rec := protocol.Record{Sitting: "s-1", Event: &protocol.Event{Seq: 1, Time: t0, Rule: protocol.Rule10_6,
				Kind: protocol.KindInstant, Severity: protocol.SeverityInfo, Subject: "camera", Key: "k"}}
			b.ReportAllocs()
			for b.Loop() {
				rec.N = s.Last() + 1
				if err := s.Apply(&rec); err != nil {
					b.Fatal(err)
				}
				var sum protocol.SittingSummary
				s.Summarize(w, &sum)
			}
		})
	}
}
