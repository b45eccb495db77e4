// Package identity is HR's side of rule 10.1 (the candidate takes part in
// person): the agent photographs the ID document the candidate holds to
// the camera, and HR — who may see personal data — compares it with the
// reference snapshot of the face and confirms or rejects the identity. An
// ID card shows the name and IIN, so proctors and auditors never get the
// photo (p.74-1); they see the result, an action in the sitting's feed
// ("identity confirmed by HR", or rejected with the reason).
package identity

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// Recorder stores an action in a sitting's feed and the audit log
// (ingest.Ingest).
type Recorder interface {
	Action(id protocol.SittingID, a protocol.Action) (protocol.Record, error)
}

// Config holds the module's parts.
type Config struct {
	Store    *store.Store
	Ingest   Recorder
	Evidence *evidence.Store
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Module serves HR's identity checks.
type Module struct {
	cfg Config
	// mu makes check-then-decide one step: two HR officers clicking at
	// once cannot both decide the same photo.
	mu sync.Mutex
}

var _ web.Module = (*Module)(nil)

// New returns the module.
func New(cfg Config) *Module {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Module{cfg: cfg}
}

// Routes implements web.Module.
func (m *Module) Routes(r *web.Router) error {
	r.Staff("GET /api/identity", m.list)
	r.Staff("GET /api/identity/{id}/images/{sha}", m.image)
	r.Staff("POST /api/identity/{id}", m.decide)
	return nil
}

// Image is a photo of the check: its record and file.
type Image struct {
	N      uint64    `json:"n"`
	SHA256 string    `json:"sha256"`
	Time   time.Time `json:"time"`
	URL    string    `json:"url"`
}

// Decision is HR's result.
type Decision struct {
	Outcome protocol.ActionKind `json:"outcome"`
	Note    string              `json:"note,omitempty"`
	Actor   string              `json:"actor"`
	Time    time.Time           `json:"time"`
	// Record is the feed record of the decision; Target the ID photo's.
	Record uint64 `json:"record"`
	Target uint64 `json:"target"`
}

// Check is one sitting's identity check, by PIN (HR may look the person
// up in the competition's applications).
type Check struct {
	Sitting     protocol.SittingID `json:"sitting"`
	PIN         string             `json:"pin"`
	Competition string             `json:"competition"`
	Stage       string             `json:"stage"`
	IDPhoto     *Image             `json:"id_photo"`
	Reference   *Image             `json:"reference"`
	Decision    *Decision          `json:"decision"`
	// Pending: an ID photo newer than any decision waits for HR.
	Pending bool `json:"pending"`
}

// DecideRequest is the body of POST /api/identity/{id}.
type DecideRequest struct {
	// Outcome is "confirmed" or "rejected".
	Outcome string `json:"outcome"`
	// Note says why, for a rejection (required) or a remark.
	Note string `json:"note"`
}

// check reads a sitting's records into its check.
func (m *Module) check(st store.Sitting) (Check, error) {
	c := Check{Sitting: st.ID, PIN: st.PIN, Competition: st.Competition, Stage: st.Stage}
	var after uint64
	for {
		recs, err := m.cfg.Store.Records(st.ID, after, 500)
		if err != nil {
			return c, err
		}
		for _, r := range recs {
			after = r.N
			if e := r.Event; e != nil {
				for _, ev := range e.Evidence {
					img := &Image{N: r.N, SHA256: ev.SHA256, Time: e.Time, URL: "/api/identity/" + string(st.ID) + "/images/" + ev.SHA256}
					switch ev.Kind {
					case protocol.EvidenceIDPhoto:
						c.IDPhoto = img
					case protocol.EvidenceReference:
						c.Reference = img
					}
				}
			}
			if a := r.Action; a != nil && (a.Kind == protocol.ActionIdentityConfirmed || a.Kind == protocol.ActionIdentityRejected) {
				c.Decision = &Decision{Outcome: a.Kind, Note: a.Note, Actor: a.Actor, Time: a.Time, Record: r.N, Target: a.Target}
			}
		}
		if len(recs) < 500 {
			break
		}
	}
	c.Pending = c.IDPhoto != nil && (c.Decision == nil || c.Decision.Target < c.IDPhoto.N)
	return c, nil
}

// list returns the identity checks of every sitting with an ID photo,
// those waiting for HR first; ?pending=true keeps only those.
func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	sittings, err := m.cfg.Store.Sittings()
	if err != nil {
		return err
	}
	out := []Check{}
	for _, st := range sittings {
		c, err := m.check(st)
		if err != nil {
			return err
		}
		if c.IDPhoto == nil || r.URL.Query().Get("pending") == "true" && !c.Pending {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pending != out[j].Pending {
			return out[i].Pending
		}
		return out[i].IDPhoto.Time.Before(out[j].IDPhoto.Time)
	})
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) sitting(r *http.Request) (store.Sitting, error) {
	st, err := m.cfg.Store.Sitting(protocol.SittingID(r.PathValue("id")))
	if errors.Is(err, store.ErrNotFound) {
		return st, web.Errorf(http.StatusNotFound, "not_found", "", "there is no sitting %s", r.PathValue("id"))
	}
	return st, err
}

// image serves the ID photo or the reference snapshot of a sitting, and
// no other file.
func (m *Module) image(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	c, err := m.check(st)
	if err != nil {
		return err
	}
	sum := r.PathValue("sha")
	if (c.IDPhoto == nil || c.IDPhoto.SHA256 != sum) && (c.Reference == nil || c.Reference.SHA256 != sum) {
		return web.Errorf(http.StatusNotFound, "not_found", "", "this sitting's identity check has no image %s", sum)
	}
	f, err := m.cfg.Evidence.Open(string(st.ID), sum)
	if errors.Is(err, evidence.ErrNotFound) || errors.Is(err, evidence.ErrBadName) {
		return web.Errorf(http.StatusNotFound, "not_found", "", "the image was not uploaded (yet)")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	ctype := http.DetectContentType(head[:n])
	if ctype != "image/jpeg" && ctype != "image/png" {
		return web.Errorf(http.StatusUnprocessableEntity, "not_an_image", "", "the file is not a JPEG or PNG image")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	// Personal data: never kept by a shared cache.
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = io.Copy(w, f)
	return err
}

// decide records HR's result for the sitting's latest ID photo (rule
// 10.1): an action in the sitting's feed and the audit log, which the
// proctor sees in place of the photo (p.74-1).
func (m *Module) decide(w http.ResponseWriter, r *http.Request) error {
	var in DecideRequest
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	in.Note = strings.TrimSpace(in.Note)
	var kind protocol.ActionKind
	switch in.Outcome {
	case "confirmed":
		kind = protocol.ActionIdentityConfirmed
	case "rejected":
		kind = protocol.ActionIdentityRejected
		if in.Note == "" {
			return web.Errorf(http.StatusBadRequest, "invalid", "error.identity_reason", "rule 10.1: a rejected identity says why (e.g. the face does not match the ID photo)")
		}
	default:
		e := web.Errorf(http.StatusBadRequest, "invalid", "error.identity_outcome", "outcome %q is not confirmed or rejected", in.Outcome)
		e.Args = map[string]string{"outcome": in.Outcome}
		return e
	}
	if utf8.RuneCountInString(in.Note) > 1000 {
		return web.Errorf(http.StatusBadRequest, "invalid", "error.identity_note_long", "the note is longer than 1000 characters")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	c, err := m.check(st)
	if err != nil {
		return err
	}
	switch {
	case c.IDPhoto == nil:
		return web.Errorf(http.StatusConflict, "no_id_photo", "error.identity_no_photo", "rule 10.1: the candidate has not shown the ID document yet")
	case !c.Pending:
		return web.Errorf(http.StatusConflict, "identity_decided", "error.identity_decided", "rule 10.1: this ID photo was already checked (%s)", c.Decision.Outcome)
	}
	id, err := auth.NewID("a-")
	if err != nil {
		return err
	}
	a := protocol.Action{ID: id, Kind: kind, Time: m.cfg.Now().UTC(), Actor: web.Account(r).Username, Target: c.IDPhoto.N, Rule: protocol.Rule10_1, Note: in.Note}
	rec, err := m.cfg.Ingest.Action(st.ID, a)
	if err != nil {
		return fmt.Errorf("record the identity check: %w", err)
	}
	m.cfg.Log.Info("identity checked", "sitting", st.ID, "outcome", kind, "record", rec.N)
	c.Decision = &Decision{Outcome: kind, Note: in.Note, Actor: a.Actor, Time: a.Time, Record: rec.N, Target: a.Target}
	c.Pending = false
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}
