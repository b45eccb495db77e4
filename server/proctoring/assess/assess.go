// Package assess folds a sitting's records, one at a time and in order,
// into what the proctor's dashboard shows and the verdict rules need: how
// each rule of p.10 stands, which events are flags and how each was
// reviewed, the risk score with the items it is made of, whether the
// sitting is paused, and the published verdict.
//
// A flag is an agent event that needs a proctor's review before check
// results can be published: a start or an instant whose severity is
// violation, suspected or unchecked. Unchecked counts because a clean
// verdict over a check that never ran would claim what nobody observed; the
// proctor dismisses it with a note (the room scan covered it) or confirms
// it. Ends and info events are never flags.
//
// The package is pure: it reads no store and takes no locks. Its caller
// (the roster) keeps one State per sitting and feeds it each new record, so
// an update costs the new records, never the whole history.
package assess

import (
	"errors"
	"fmt"
	"math"
	"time"

	"kuzet.kz/kuzet/protocol"
)

// ErrGap is returned by Apply for a record that is not the next one: the
// caller must apply the records in between first (read them from the store).
var ErrGap = errors.New("assess: a record is missing before this one")

// ItemsPerRule is how many flags of one rule an Assessment lists one by
// one; later ones are summed into one item, so the explanation stays short
// (and within one frame) however often a rule flickers.
const ItemsPerRule = 10

// IsFlag reports whether an event needs a proctor's review.
func IsFlag(e *protocol.Event) bool {
	return e.Kind != protocol.KindEnd && e.Severity != protocol.SeverityInfo
}

// Review is a proctor's decision on a flag. The latest one counts.
type Review struct {
	// N is the record number of the review action.
	N uint64
	// Confirmed is true for a confirmed breach, false for a dismissal.
	Confirmed bool
	Actor     string
	Time      time.Time
	Note      string
}

// Flag is an event that needs review.
type Flag struct {
	// N is the event's record number.
	N        uint64
	Seq      uint64
	Rule     protocol.RuleID
	Severity protocol.Severity
	Kind     protocol.EventKind
	Subject  string
	Time     time.Time
	// Open is true while the flag's span has not ended.
	Open bool
	// Review is the latest review, nil while the flag is unreviewed.
	Review *Review
}

// Reviewed reports whether a proctor reviewed the flag.
func (f *Flag) Reviewed() bool { return f.Review != nil }

// Dismissed reports whether the latest review dismissed the flag.
func (f *Flag) Dismissed() bool { return f.Review != nil && !f.Review.Confirmed }

// Confirmed reports whether the latest review confirmed the flag.
func (f *Flag) Confirmed() bool { return f.Review != nil && f.Review.Confirmed }

// Published is a verdict as it was published.
type Published struct {
	// N is the verdict action's record number.
	N       uint64
	Verdict protocol.Verdict
	Actor   string
	Time    time.Time
}

type span struct {
	n        uint64
	rule     protocol.RuleID
	severity protocol.Severity
}

// State is one sitting's records folded. The zero value is not usable;
// call New.
type State struct {
	last      uint64
	flags     []*Flag
	byN       map[uint64]*Flag
	spans     map[uint64]span // open spans by their start event's seq
	active    map[protocol.RuleID]int
	reported  map[protocol.RuleID]bool
	paused    bool
	ended     bool
	verdict   *Published
	lastEvent *protocol.EventBrief
}

// New returns the state of a sitting without records.
func New() *State {
	return &State{byN: map[uint64]*Flag{}, spans: map[uint64]span{}, active: map[protocol.RuleID]int{},
		reported: map[protocol.RuleID]bool{}}
}

// Last is the number of the last record applied.
func (s *State) Last() uint64 { return s.last }

// Apply folds the sitting's next record in. A record already applied is
// ignored; one that skips ahead is refused with ErrGap.
func (s *State) Apply(rec *protocol.Record) error {
	switch {
	case rec.N <= s.last:
		return nil
	case rec.N != s.last+1:
		return fmt.Errorf("%w: have %d, got %d", ErrGap, s.last, rec.N)
	}
	switch {
	case rec.Event != nil:
		s.event(rec.N, rec.Event)
	case rec.Action != nil:
		s.action(rec.N, rec.Action)
	}
	s.last = rec.N
	return nil
}

func (s *State) event(n uint64, e *protocol.Event) {
	s.reported[e.Rule] = true
	var args map[string]string
	if len(e.Args) > 0 {
		args = make(map[string]string, len(e.Args))
		for k, v := range e.Args {
			args[k] = v
		}
	}
	s.lastEvent = &protocol.EventBrief{N: n, Time: e.Time, Rule: e.Rule, Kind: e.Kind, Severity: e.Severity, Key: e.Key, Args: args}
	switch e.Kind {
	case protocol.KindStart:
		s.spans[e.Seq] = span{n: n, rule: e.Rule, severity: e.Severity}
		if e.Severity != protocol.SeverityInfo {
			s.active[e.Rule]++
		}
	case protocol.KindEnd:
		if sp, ok := s.spans[e.StartSeq]; ok {
			delete(s.spans, e.StartSeq)
			if sp.severity != protocol.SeverityInfo {
				s.active[sp.rule]--
			}
			if f := s.byN[sp.n]; f != nil {
				f.Open = false
			}
		}
	}
	if IsFlag(e) {
		f := &Flag{N: n, Seq: e.Seq, Rule: e.Rule, Severity: e.Severity, Kind: e.Kind, Subject: e.Subject, Time: e.Time,
			Open: e.Kind == protocol.KindStart}
		s.flags = append(s.flags, f)
		s.byN[n] = f
	}
}

func (s *State) action(n uint64, a *protocol.Action) {
	switch a.Kind {
	case protocol.ActionFlagConfirmed, protocol.ActionFlagDismissed:
		if f := s.byN[a.Target]; f != nil {
			f.Review = &Review{N: n, Confirmed: a.Kind == protocol.ActionFlagConfirmed, Actor: a.Actor, Time: a.Time, Note: a.Note}
		}
	case protocol.ActionPause:
		s.paused = true
	case protocol.ActionResume:
		s.paused = false
	case protocol.ActionEnd:
		s.ended, s.paused = true, false
	case protocol.ActionVerdict:
		// Publishing is once (the proctoring module refuses a second); if
		// a store ever held two, the first is the one that was published.
		if s.verdict == nil && a.Verdict != nil {
			v := *a.Verdict
			v.Rules = append([]protocol.RuleID(nil), v.Rules...)
			v.Evidence = append([]uint64(nil), v.Evidence...)
			s.verdict = &Published{N: n, Verdict: v, Actor: a.Actor, Time: a.Time}
		}
	}
}

// Paused reports whether the sitting is paused.
func (s *State) Paused() bool { return s.paused }

// Ended reports whether a proctor ended the sitting.
func (s *State) Ended() bool { return s.ended }

// Verdict returns the published verdict, or nil.
func (s *State) Verdict() *Published {
	if s.verdict == nil {
		return nil
	}
	v := *s.verdict
	return &v
}

// Flags returns a copy of every flag in record order.
func (s *State) Flags() []Flag {
	out := make([]Flag, len(s.flags))
	for i, f := range s.flags {
		out[i] = *f
		if f.Review != nil {
			r := *f.Review
			out[i].Review = &r
		}
	}
	return out
}

// Flag returns the flag at record n.
func (s *State) Flag(n uint64) (Flag, bool) {
	f, ok := s.byN[n]
	if !ok {
		return Flag{}, false
	}
	out := *f
	if f.Review != nil {
		r := *f.Review
		out.Review = &r
	}
	return out, true
}

// OpenFlags returns the record numbers of the flags nobody reviewed yet.
func (s *State) OpenFlags() []uint64 {
	var out []uint64
	for _, f := range s.flags {
		if f.Review == nil {
			out = append(out, f.N)
		}
	}
	return out
}

// severityRank orders severities for a badge: the worst standing flag wins.
func severityRank(sev protocol.Severity) int {
	switch sev {
	case protocol.SeverityViolation:
		return 3
	case protocol.SeveritySuspected:
		return 2
	case protocol.SeverityUnchecked:
		return 1
	}
	return 0
}

func ruleState(rank int) protocol.RuleState {
	switch rank {
	case 3:
		return protocol.RuleViolation
	case 2:
		return protocol.RuleSuspected
	case 1:
		return protocol.RuleUnchecked
	}
	return protocol.RuleClear
}

// Score is a risk score with its items.
type Score struct {
	// Total is the sum of the items' points.
	Total float64
	// Items are the contributions in record order.
	Items []protocol.RiskItem
	// ByRule is each rule's share.
	ByRule map[protocol.RuleID]float64
}

// Risk computes the risk score with w: every flag not dismissed adds its
// points (see Weights), the first ItemsPerRule flags of a rule as items of
// their own and the rest of that rule as one summed item.
func (s *State) Risk(w Weights) Score {
	sc := Score{ByRule: map[protocol.RuleID]float64{}}
	count := map[protocol.RuleID]int{}
	repeat := map[protocol.RuleID]float64{} // Repeat^k of the rule's next flag
	rest := map[protocol.RuleID]int{}       // index of the rule's summed item
	for _, f := range s.flags {
		if f.Dismissed() {
			continue
		}
		k := count[f.Rule]
		count[f.Rule] = k + 1
		rf, ok := repeat[f.Rule]
		if !ok {
			rf = 1
		}
		repeat[f.Rule] = rf * w.Repeat
		weight := w.Rules[f.Rule]
		factor := w.Severity[f.Severity] * rf
		points := weight * factor
		if k < ItemsPerRule {
			sc.Items = append(sc.Items, protocol.RiskItem{N: f.N, Rule: f.Rule, Severity: f.Severity, Confirmed: f.Confirmed(),
				Weight: weight, Factor: factor, Points: points})
			continue
		}
		i, ok := rest[f.Rule]
		if !ok {
			i = len(sc.Items)
			rest[f.Rule] = i
			sc.Items = append(sc.Items, protocol.RiskItem{N: f.N, Count: 0, Rule: f.Rule, Severity: f.Severity,
				Confirmed: true, Weight: weight})
		}
		it := &sc.Items[i]
		it.Count++
		it.Points += points
		it.Confirmed = it.Confirmed && f.Confirmed()
		if severityRank(f.Severity) > severityRank(it.Severity) {
			it.Severity = f.Severity
		}
	}
	for i := range sc.Items {
		it := &sc.Items[i]
		it.Points = round(it.Points, 100)
		if it.Weight > 0 {
			it.Factor = round(it.Points/it.Weight, 10000)
		} else {
			it.Factor = round(it.Factor, 10000)
		}
		if it.Count == 1 {
			it.Count = 0 // one flag: the field is left out
		}
		sc.Total += it.Points
		sc.ByRule[it.Rule] += it.Points
	}
	sc.Total = round(sc.Total, 100)
	for r, v := range sc.ByRule {
		sc.ByRule[r] = round(v, 100)
	}
	return sc
}

func round(v, unit float64) float64 { return math.Round(v*unit) / unit }

// Summarize fills the dashboard's fields of a summary: per-rule status,
// risk, open flags, last event, pause and verdict.
func (s *State) Summarize(w Weights, sum *protocol.SittingSummary) {
	sc := s.Risk(w)
	worst := map[protocol.RuleID]int{}
	open := map[protocol.RuleID]int{}
	standing := map[protocol.RuleID]bool{}
	total := 0
	for _, f := range s.flags {
		if f.Review == nil {
			open[f.Rule]++
			total++
		}
		if f.Dismissed() {
			continue
		}
		standing[f.Rule] = true
		if r := severityRank(f.Severity); r > worst[f.Rule] {
			worst[f.Rule] = r
		}
	}
	rules := map[protocol.RuleID]protocol.RuleStatus{}
	for _, r := range protocol.Rules() {
		id := r.ID
		if !s.reported[id] && !standing[id] {
			continue // no data: left out of the map
		}
		rules[id] = protocol.RuleStatus{State: ruleState(worst[id]), Active: s.active[id] > 0, Open: open[id], Risk: sc.ByRule[id]}
	}
	if len(rules) > 0 {
		sum.Rules = rules
	}
	sum.Risk = sc.Total
	sum.OpenFlags = total
	if s.lastEvent != nil {
		e := *s.lastEvent
		sum.LastEvent = &e
	}
	sum.Paused = s.paused
	if s.verdict != nil {
		v := s.verdict.Verdict
		sum.Verdict = &v
	}
}

// Assessment explains the risk of sitting id with w.
func (s *State) Assessment(id protocol.SittingID, w Weights) protocol.Assessment {
	sc := s.Risk(w)
	a := protocol.Assessment{Sitting: id, Risk: sc.Total, Items: sc.Items, Weights: w.Wire(), Flags: len(s.flags)}
	for _, f := range s.flags {
		if f.Review == nil && len(a.OpenFlags) < protocol.MaxAssessmentFlags {
			a.OpenFlags = append(a.OpenFlags, f.N)
		}
	}
	return a
}
