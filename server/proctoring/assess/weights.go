package assess

import (
	"errors"
	"fmt"
	"math"

	"kuzet.kz/kuzet/protocol"
)

// ErrWeights wraps every problem Weights.Validate finds.
var ErrWeights = errors.New("risk weights")

// Weights turn flags into a risk score. A flag adds
//
//	Rules[rule] × Severity[severity] × Repeat^k
//
// points, where k counts the earlier flags of the same rule that were not
// dismissed; a dismissed flag adds nothing. The score ranks the sittings a
// proctor watches; it decides nothing (only the published verdict does,
// p.115). docs/dashboard.md explains the defaults.
type Weights struct {
	// Rules gives the points of one violation flag of each rule of p.10.
	// Every clause needs an entry, from 0 to 1000.
	Rules map[protocol.RuleID]float64
	// Severity scales a flag by how sure the agent was: suspected,
	// violation and unchecked need an entry from 0 to 10; info, if
	// present, must be 0 (info events are never flags).
	Severity map[protocol.Severity]float64
	// Repeat is how much each further flag of one rule counts compared
	// with the one before it, from 0 to 1. Below 1 it keeps a rule that
	// flickers (turned away twenty times) from burying a single serious
	// flag of another rule; the sum for one rule stays under
	// Rules[rule] / (1 − Repeat).
	Repeat float64
}

// DefaultWeights returns the weights used unless the server is configured
// otherwise. Identity (10.1), another person (10.2) and remote access
// (10.9) weigh most: each lets someone else sit the exam. Auxiliary
// materials (10.11) follow. Covering the camera (10.5), disconnecting it
// (10.6), talking on the phone (10.8) and a headset (10.10) each hide or
// bring in outside help but have innocent causes more often. Leaving the
// seat (10.3) and a failed room scan (10.7) are weaker on their own, and
// turning away (10.4) is the noisiest signal of all. A suspected flag counts
// half a violation, a check that could not run a quarter (nothing was seen,
// but nothing was checked either), and each further flag of one rule half
// the one before.
func DefaultWeights() Weights {
	return Weights{
		Rules: map[protocol.RuleID]float64{
			protocol.Rule10_1:  40,
			protocol.Rule10_2:  35,
			protocol.Rule10_9:  35,
			protocol.Rule10_11: 25,
			protocol.Rule10_5:  20,
			protocol.Rule10_6:  20,
			protocol.Rule10_8:  20,
			protocol.Rule10_10: 20,
			protocol.Rule10_3:  15,
			protocol.Rule10_7:  15,
			protocol.Rule10_4:  10,
		},
		Severity: map[protocol.Severity]float64{
			protocol.SeverityViolation: 1,
			protocol.SeveritySuspected: 0.5,
			protocol.SeverityUnchecked: 0.25,
		},
		Repeat: 0.5,
	}
}

// Validate reports the first weight that is missing or out of range.
func (w Weights) Validate() error {
	for _, r := range protocol.Rules() {
		v, ok := w.Rules[r.ID]
		if !ok {
			return fmt.Errorf("%w: rule %s has no weight; give every clause 10.1 … 10.11 one (0 to ignore it)", ErrWeights, r.ID)
		}
		if !finite(v) || v < 0 || v > 1000 {
			return fmt.Errorf("%w: rule %s weighs %v; use 0 to 1000", ErrWeights, r.ID, v)
		}
	}
	for id := range w.Rules {
		if !id.Valid() {
			return fmt.Errorf("%w: %q is not a clause of p.10", ErrWeights, id)
		}
	}
	for _, sev := range []protocol.Severity{protocol.SeverityViolation, protocol.SeveritySuspected, protocol.SeverityUnchecked} {
		v, ok := w.Severity[sev]
		if !ok {
			return fmt.Errorf("%w: severity %s has no factor", ErrWeights, sev)
		}
		if !finite(v) || v < 0 || v > 10 {
			return fmt.Errorf("%w: severity %s has factor %v; use 0 to 10", ErrWeights, sev, v)
		}
	}
	for sev, v := range w.Severity {
		switch sev {
		case protocol.SeverityViolation, protocol.SeveritySuspected, protocol.SeverityUnchecked:
		case protocol.SeverityInfo:
			if v != 0 {
				return fmt.Errorf("%w: info events are never flags, so severity info must have factor 0", ErrWeights)
			}
		default:
			return fmt.Errorf("%w: %q is not a severity", ErrWeights, sev)
		}
	}
	if !finite(w.Repeat) || w.Repeat < 0 || w.Repeat > 1 {
		return fmt.Errorf("%w: repeat is %v; use 0 to 1", ErrWeights, w.Repeat)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Wire returns the weights as the dashboard shows them.
func (w Weights) Wire() protocol.RiskWeights {
	out := protocol.RiskWeights{Rules: make(map[protocol.RuleID]float64, len(w.Rules)),
		Severity: make(map[protocol.Severity]float64, len(w.Severity)), Repeat: w.Repeat}
	for k, v := range w.Rules {
		out.Rules[k] = v
	}
	for k, v := range w.Severity {
		out.Severity[k] = v
	}
	return out
}
