// Package ingest accepts what agents report. An event is validated (by the
// protocol codec), stored once per (sitting, seq), and only then fanned out
// to the people watching and acknowledged to the agent, so an acknowledged
// event is never lost and a resent one is never counted twice.
package ingest

import (
	"fmt"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/store"
)

// Evidence tells whether a sitting's evidence file was uploaded.
type Evidence interface {
	Has(sitting, sha256 string) bool
}

// Ingest stores events and tells the hub.
type Ingest struct {
	store    *store.Store
	hub      *hub.Hub
	evidence Evidence
	now      func() time.Time
}

// New returns an Ingest writing to st, publishing to h, and checking that
// the evidence an event cites is in ev.
func New(st *store.Store, h *hub.Hub, ev Evidence) *Ingest {
	return &Ingest{store: st, hub: h, evidence: ev, now: time.Now}
}

// Event stores ev for sitting id and publishes the new record. A resent
// event (same seq) returns the stored record with dup set and publishes
// nothing. When Event returns without error the record is durable.
func (i *Ingest) Event(id protocol.SittingID, ev protocol.Event) (protocol.Record, bool, error) {
	for _, ref := range ev.Evidence {
		if !i.evidence.Has(string(id), ref.SHA256) {
			return protocol.Record{}, false, &protocol.Error{Code: protocol.ErrInvalid, Seq: ev.Seq,
				Message: fmt.Sprintf("event %d cites evidence %s that was not uploaded: upload it (POST /v1/evidence/%s) before the event", ev.Seq, ref.ID, ref.ID)}
		}
	}
	rec, dup, err := i.store.AppendEvent(id, ev, i.now())
	if err != nil {
		return rec, false, fmt.Errorf("store event %d of %s: %w", ev.Seq, id, err)
	}
	if !dup {
		i.hub.Publish(id, &rec)
	}
	return rec, dup, nil
}

// Action stores an action taken on sitting id (by a proctor or by the
// server) as its next record and publishes it. When Action returns without
// error the record is durable.
func (i *Ingest) Action(id protocol.SittingID, a protocol.Action) (protocol.Record, error) {
	if err := a.Validate(); err != nil {
		return protocol.Record{}, err
	}
	rec, err := i.store.AppendAction(id, a, i.now())
	if err != nil {
		return rec, fmt.Errorf("store action %s of %s: %w", a.Kind, id, err)
	}
	i.hub.Publish(id, &rec)
	return rec, nil
}
