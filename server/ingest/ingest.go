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

// Ingest stores events and tells the hub.
type Ingest struct {
	store *store.Store
	hub   *hub.Hub
	now   func() time.Time
}

// New returns an Ingest writing to st and publishing to h.
func New(st *store.Store, h *hub.Hub) *Ingest {
	return &Ingest{store: st, hub: h, now: time.Now}
}

// Event stores ev for sitting id and publishes the new record. A resent
// event (same seq) returns the stored record with dup set and publishes
// nothing. When Event returns without error the record is durable.
func (i *Ingest) Event(id protocol.SittingID, ev protocol.Event) (protocol.Record, bool, error) {
	rec, dup, err := i.store.AppendEvent(id, ev, i.now())
	if err != nil {
		return rec, false, fmt.Errorf("store event %d of %s: %w", ev.Seq, id, err)
	}
	if !dup {
		i.hub.Publish(id, &rec)
	}
	return rec, dup, nil
}
