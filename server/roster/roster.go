// Package roster composes the list of sittings as the people watching see
// it: what the store knows (PIN, competition, stage, ended or not) joined
// with what the hub knows now (agent connected, camera arriving). It never
// exposes a candidate's name or IIN; the store does not hold them (p.74-1).
package roster

import (
	"log/slog"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/store"
)

// Roster reads sittings and their live state.
type Roster struct {
	store *store.Store
	hub   *hub.Hub
	log   *slog.Logger
}

// New returns a roster over st and h.
func New(st *store.Store, h *hub.Hub, log *slog.Logger) *Roster {
	return &Roster{store: st, hub: h, log: log}
}

// Info is a sitting as everyone but HR sees it.
func (r *Roster) Info(st store.Sitting) protocol.SittingInfo {
	title := st.Competition
	if c, err := r.store.Competition(st.Competition); err == nil {
		title = c.Title
	}
	return protocol.SittingInfo{ID: st.ID, PIN: st.PIN, Competition: title, Stage: st.Stage}
}

// Summary is one line of the proctor's list for a stored sitting.
func (r *Roster) Summary(st store.Sitting) protocol.SittingSummary {
	live := r.hub.Live(st.ID)
	s := protocol.SittingSummary{SittingInfo: r.Info(st), Media: live.Media}
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
	if !live.LastSeen.IsZero() {
		t := live.LastSeen.UTC()
		s.LastSeen = &t
	}
	if _, n, err := r.store.Counters(st.ID); err == nil {
		s.Records = n
	}
	return s
}

// List returns the summaries of the sittings allowed accepts.
func (r *Roster) List(allowed func(store.Sitting) bool) ([]protocol.SittingSummary, error) {
	all, err := r.store.Sittings()
	if err != nil {
		return nil, err
	}
	out := make([]protocol.SittingSummary, 0, len(all))
	for _, st := range all {
		if allowed == nil || allowed(st) {
			out = append(out, r.Summary(st))
		}
	}
	return out, nil
}

// Changed publishes a sitting's new summary to its subscribers. Wire it as
// the hub's change callback.
func (r *Roster) Changed(id protocol.SittingID) {
	st, err := r.store.Sitting(id)
	if err != nil {
		r.log.Warn("changed sitting not in store", "sitting", id, "err", err)
		return
	}
	r.hub.Publish(id, &protocol.SittingUpdate{Sitting: r.Summary(st)})
}
