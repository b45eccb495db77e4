// Package roster composes the list of sittings as the people watching see
// it: what the store knows (PIN, competition, stage, ended or not) joined
// with what the hub knows now (agent connected, camera arriving) and what
// the sitting's records add up to (each rule's badge, the risk score, the
// flags still open; see package assess). It never exposes a candidate's
// name or IIN; the store does not hold them (p.74-1).
//
// The records are folded in incrementally: the roster keeps each sitting's
// assess.State and, on every change, reads only the records after the last
// one it folded.
package roster

import (
	"fmt"
	"log/slog"
	"sync"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/proctoring/assess"
	"kuzet.kz/kuzet/server/store"
)

// catchUpPage is how many records one store read folds in.
const catchUpPage = 500

// Roster reads sittings and their live state.
type Roster struct {
	store *store.Store
	hub   *hub.Hub
	log   *slog.Logger

	// mu guards the states and weights, and orders the summaries
	// published by Changed.
	mu      sync.Mutex
	weights assess.Weights
	states  map[protocol.SittingID]*assess.State
}

// New returns a roster over st and h that scores risk with
// assess.DefaultWeights.
func New(st *store.Store, h *hub.Hub, log *slog.Logger) *Roster {
	return &Roster{store: st, hub: h, log: log, weights: assess.DefaultWeights(), states: map[protocol.SittingID]*assess.State{}}
}

// SetWeights replaces the risk weights (see assess.Weights). Call it before
// serving; summaries published afterwards use the new weights.
func (r *Roster) SetWeights(w assess.Weights) error {
	if err := w.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.weights = w
	return nil
}

// Weights returns the risk weights in use.
func (r *Roster) Weights() assess.Weights {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.weights
}

// Info is a sitting as everyone but HR sees it.
func (r *Roster) Info(st store.Sitting) protocol.SittingInfo {
	title := st.Competition
	if c, err := r.store.Competition(st.Competition); err == nil {
		title = c.Title
	}
	return protocol.SittingInfo{ID: st.ID, PIN: st.PIN, Competition: title, Stage: st.Stage}
}

// state returns sitting id's folded records, reading from the store only
// the records after the last one folded. Call with r.mu held.
func (r *Roster) state(id protocol.SittingID) (*assess.State, error) {
	s := r.states[id]
	if s == nil {
		s = assess.New()
		r.states[id] = s
	}
	for {
		recs, err := r.store.Records(id, s.Last(), catchUpPage)
		if err != nil {
			return s, fmt.Errorf("read records of %s: %w", id, err)
		}
		for i := range recs {
			if err := s.Apply(&recs[i]); err != nil {
				return s, fmt.Errorf("fold record %d of %s: %w", recs[i].N, id, err)
			}
		}
		if len(recs) < catchUpPage {
			return s, nil
		}
	}
}

// Summary is one line of the proctor's list for a stored sitting.
func (r *Roster) Summary(st store.Sitting) protocol.SittingSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summary(st)
}

func (r *Roster) summary(st store.Sitting) protocol.SittingSummary {
	live := r.hub.Live(st.ID)
	s := protocol.SittingSummary{SittingInfo: r.Info(st), Media: live.Media, Reconnects: live.Reconnects}
	switch {
	case st.State == protocol.StateEnded:
		s.State = protocol.StateEnded
	case live.Connected:
		s.State = protocol.StateLive
	case live.EverConnected || st.State == protocol.StateLive || st.State == protocol.StateOffline:
		s.State = protocol.StateOffline
	default:
		s.State = protocol.StateWaiting
	}
	switch {
	case s.State == protocol.StateLive && live.Media:
		s.Link = protocol.LinkGood
	case s.State == protocol.StateLive:
		s.Link = protocol.LinkDegraded
	case s.State == protocol.StateOffline:
		s.Link = protocol.LinkLost
	default:
		s.Link = protocol.LinkNone
	}
	if !live.LastSeen.IsZero() {
		t := live.LastSeen.UTC()
		s.LastSeen = &t
	}
	state, err := r.state(st.ID)
	if err != nil {
		// The summary goes out with what was folded so far; the next
		// change reads on from there.
		r.log.Warn("sitting records", "sitting", st.ID, "err", err)
	}
	s.Records = state.Last()
	state.Summarize(r.weights, &s)
	if s.Verdict == nil && st.Verdict != nil {
		v := st.Verdict.Verdict
		s.Verdict = &v
	}
	return s
}

// List returns the summaries of the sittings allowed accepts.
func (r *Roster) List(allowed func(store.Sitting) bool) ([]protocol.SittingSummary, error) {
	all, err := r.store.Sittings()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]protocol.SittingSummary, 0, len(all))
	for _, st := range all {
		if allowed == nil || allowed(st) {
			out = append(out, r.summary(st))
		}
	}
	return out, nil
}

// Changed publishes a sitting's new summary to its subscribers. Wire it as
// the hub's change callback: it runs after every new record and every
// change of the live state.
func (r *Roster) Changed(id protocol.SittingID) {
	st, err := r.store.Sitting(id)
	if err != nil {
		r.log.Warn("changed sitting not in store", "sitting", id, "err", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Published under the lock, so two changes at once reach every
	// subscriber in the order they were composed.
	r.hub.Publish(id, &protocol.SittingUpdate{Sitting: r.summary(st)})
}

// Assessment explains sitting id's risk score.
func (r *Roster) Assessment(id protocol.SittingID) (protocol.Assessment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.state(id)
	if err != nil {
		return protocol.Assessment{}, err
	}
	return s.Assessment(id, r.weights), nil
}

// Read runs fn with sitting id's records folded up to the newest stored
// one. fn must be quick and must not call the roster or the hub.
func (r *Roster) Read(id protocol.SittingID, fn func(*assess.State)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.state(id)
	if err != nil {
		return err
	}
	fn(s)
	return nil
}
