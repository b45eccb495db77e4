package consent

import (
	"net/http"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/web"
)

// Acknowledged is the answer to POST /v1/acknowledge: the record of the
// acknowledgement (new, or the one already made).
type Acknowledged struct {
	Record protocol.Record `json:"record"`
}

// acknowledge records that the candidate read a proctor's message or
// warning (issue 13: acknowledged by the candidate, the acknowledgement
// logged). Acknowledging the same record again answers with the first
// acknowledgement and records nothing.
func (m *Module) acknowledge(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	var a protocol.Acknowledgement
	if err := web.Decode(r, &a); err != nil {
		return err
	}
	if a.Record == 0 {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "record: give the number of the message's or warning's record")
	}
	rec, err := m.cfg.Store.Record(st.ID, a.Record)
	if err != nil || rec.Action == nil || (rec.Action.Kind != protocol.ActionMessage && rec.Action.Kind != protocol.ActionWarning) {
		return web.Errorf(http.StatusNotFound, "not_found", "ack.err.not_message", "record %d is not a message or warning of this sitting", a.Record)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok, err := m.acknowledgement(st.ID, a.Record); err != nil {
		return err
	} else if ok {
		web.WriteJSON(w, http.StatusOK, Acknowledged{Record: prev})
		return nil
	}
	aid, err := auth.NewID("k-")
	if err != nil {
		return err
	}
	done, err := m.cfg.Ingest.Action(st.ID, protocol.Action{ID: aid, Kind: protocol.ActionAcknowledged, Time: m.cfg.Now().UTC(), Actor: "candidate", Target: a.Record, Rule: rec.Action.Rule})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, Acknowledged{Record: done})
	return nil
}

// acknowledgement finds the record acknowledging n, if any.
func (m *Module) acknowledgement(id protocol.SittingID, n uint64) (protocol.Record, bool, error) {
	after := n
	for {
		recs, err := m.cfg.Store.Records(id, after, 500)
		if err != nil {
			return protocol.Record{}, false, err
		}
		for _, r := range recs {
			if r.Action != nil && r.Action.Kind == protocol.ActionAcknowledged && r.Action.Target == n {
				return r, true, nil
			}
		}
		if len(recs) < 500 {
			return protocol.Record{}, false, nil
		}
		after = recs[len(recs)-1].N
	}
}
