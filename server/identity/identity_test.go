package identity_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/identity"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/internal/apitest"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

type world struct {
	t       *testing.T
	url     string
	st      *store.Store
	ing     *ingest.Ingest
	ev      *evidence.Store
	adm     *admin.Admin
	sitting protocol.SittingID
}

func newWorld(t *testing.T) *world {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		alog.Close()
		st.Close()
	})
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, ev: evidence.New(dir), adm: admin.New(st)}
	w.ing = ingest.New(st, hub.New(nil), w.ev, alog)
	srv, err := web.New(web.Config{Store: st, Admin: w.adm, Agents: http.NotFoundHandler(), Evidence: w.ev, EvidenceLog: w.ing,
		Catalogue: cat, Log: slog.New(slog.DiscardHandler)}, identity.New(identity.Config{Store: st, Ingest: w.ing, Evidence: w.ev}))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	w.url = hs.URL
	comp, err := w.adm.CreateCompetition("Chief specialist")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := w.adm.CreateSitting(comp.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	w.sitting = ns.Sitting.ID
	return w
}

// photo uploads an image as the agent does and cites it in a rule 10.1
// event of the given evidence kind; it returns the file's hash and record.
func (w *world) photo(seq uint64, kind protocol.EvidenceKind, content string) (string, uint64) {
	w.t.Helper()
	data := append([]byte("\xff\xd8\xff\xe0"), content...)
	sum, n, err := w.ev.Put(string(w.sitting), bytes.NewReader(data), protocol.MaxEvidenceBytes)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.ing.EvidenceFile(w.sitting, sum, n, "image/jpeg"); err != nil {
		w.t.Fatal(err)
	}
	rec, _, err := w.ing.Event(w.sitting, protocol.Event{Seq: seq, Time: time.Now().UTC(), Rule: protocol.Rule10_1, Kind: protocol.KindInstant,
		Subject: "id." + string(kind), Severity: protocol.SeverityInfo, Key: "vision.id_photo",
		Evidence: []protocol.EvidenceRef{{ID: "e-" + sum[:8], Kind: kind, MIME: "image/jpeg", SHA256: sum, Size: n}}})
	if err != nil {
		w.t.Fatal(err)
	}
	return sum, rec.N
}

func (w *world) login(role store.Role) *apitest.Client {
	w.t.Helper()
	user, pass := "user-"+string(role), "pass-"+string(role)+"-1234"
	acct, err := w.adm.CreateAccount(user, pass, role)
	if err != nil {
		w.t.Fatal(err)
	}
	if role == store.RoleProctor {
		if _, err := w.st.UpdateSitting(w.sitting, func(s *store.Sitting) error { s.Proctors = append(s.Proctors, acct.ID); return nil }); err != nil {
			w.t.Fatal(err)
		}
	}
	c := &apitest.Client{T: w.t, Base: w.url, HTTP: apitest.NewHTTP()}
	if code, body := c.Do("POST", "/api/login", map[string]string{"username": user, "password": pass}, nil); code != http.StatusOK {
		w.t.Fatalf("login %s: %d %s", role, code, body)
	}
	return c
}

// TestP74_1_OnlyHRSeesTheIDPhoto is issue 16's finding 4: the proctor's
// focus view showed the ID document, which carries the name and IIN.
// Failed before: the proctor fetched the ID photo (200). Now the proctor
// and the auditor are refused it, HR sees it beside the reference
// snapshot and decides, and the decision reaches the sitting's feed.
func TestP74_1_OnlyHRSeesTheIDPhoto(t *testing.T) {
	w := newWorld(t)
	ref, _ := w.photo(1, protocol.EvidenceReference, "the face at the start")
	id, idRec := w.photo(2, protocol.EvidenceIDPhoto, "an ID card: name and IIN")
	proctor, auditor, hr := w.login(store.RoleProctor), w.login(store.RoleAuditor), w.login(store.RoleHR)

	evidence := "/api/sittings/" + string(w.sitting) + "/evidence/"
	if code, _ := proctor.Do("GET", evidence+ref, nil, nil); code != http.StatusOK {
		t.Fatalf("the proctor cannot see the reference snapshot: %d", code)
	}
	for who, c := range map[string]*apitest.Client{"proctor": proctor, "auditor": auditor} {
		if e := c.Refused("GET", evidence+id, nil, http.StatusForbidden, "id_photo_hr_only"); e.Error.Key != "error.id_photo_hr_only" {
			t.Errorf("%s refused with %+v", who, e.Error)
		}
		c.Refused("GET", "/api/identity", nil, http.StatusForbidden, "forbidden_role")
		c.Refused("GET", "/api/identity/"+string(w.sitting)+"/images/"+id, nil, http.StatusForbidden, "forbidden_role")
		c.Refused("POST", "/api/identity/"+string(w.sitting), identity.DecideRequest{Outcome: "confirmed"}, http.StatusForbidden, "forbidden_role")
	}

	var checks []identity.Check
	if code, body := hr.Do("GET", "/api/identity?pending=true", nil, &checks); code != http.StatusOK || len(checks) != 1 {
		t.Fatalf("HR's pending checks: %d %s", code, body)
	}
	c := checks[0]
	if c.PIN == "" || c.IDPhoto == nil || c.IDPhoto.SHA256 != id || c.IDPhoto.N != idRec || c.Reference == nil || c.Reference.SHA256 != ref || !c.Pending {
		t.Fatalf("HR's check = %+v", c)
	}
	for _, sum := range []string{id, ref} {
		resp, err := hr.HTTP.Get(w.url + "/api/identity/" + string(w.sitting) + "/images/" + sum)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("HR's image %s: %d %v", sum[:8], resp.StatusCode, resp.Header)
		}
	}
	// Only the check's own images: not any evidence file by its hash.
	other, _, _ := w.ev.Put(string(w.sitting), bytes.NewReader([]byte("\xff\xd8\xff\xe0 a screenshot")), protocol.MaxEvidenceBytes)
	hr.Refused("GET", "/api/identity/"+string(w.sitting)+"/images/"+other, nil, http.StatusNotFound, "not_found")

	// Rule 10.1: a rejection says why; a bad outcome is named.
	path := "/api/identity/" + string(w.sitting)
	hr.Refused("POST", path, identity.DecideRequest{Outcome: "rejected"}, http.StatusBadRequest, "invalid")
	hr.Refused("POST", path, identity.DecideRequest{Outcome: "maybe"}, http.StatusBadRequest, "invalid")
	var done identity.Check
	if code, body := hr.Do("POST", path, identity.DecideRequest{Outcome: "rejected", Note: "the face does not match the ID photo"}, &done); code != http.StatusCreated {
		t.Fatalf("reject: %d %s", code, body)
	}
	hr.Refused("POST", path, identity.DecideRequest{Outcome: "confirmed"}, http.StatusConflict, "identity_decided")

	// The decision is in the sitting's feed, as the proctor sees it.
	rec, err := w.st.Record(w.sitting, done.Decision.Record)
	if err != nil {
		t.Fatal(err)
	}
	if a := rec.Action; a == nil || a.Kind != protocol.ActionIdentityRejected || a.Target != idRec || a.Rule != protocol.Rule10_1 || a.Actor != "user-hr" {
		t.Fatalf("the feed's record = %+v", rec.Action)
	}

	// A new ID photo (the candidate tried again) waits for HR again.
	w.photo(3, protocol.EvidenceIDPhoto, "the ID card, held closer")
	checks = nil
	hr.Do("GET", "/api/identity?pending=true", nil, &checks)
	if len(checks) != 1 || !checks[0].Pending {
		t.Fatalf("after a new ID photo: %+v", checks)
	}
	if code, body := hr.Do("POST", path, identity.DecideRequest{Outcome: "confirmed"}, nil); code != http.StatusCreated {
		t.Fatalf("confirm: %d %s", code, body)
	}
}

// A sitting without an ID photo has nothing for HR to decide.
func TestIdentityNeedsAnIDPhoto(t *testing.T) {
	w := newWorld(t)
	hr := w.login(store.RoleHR)
	var checks []identity.Check
	if code, body := hr.Do("GET", "/api/identity", nil, &checks); code != http.StatusOK || checks == nil || len(checks) != 0 {
		t.Fatalf("no ID photos: %d %s", code, body)
	}
	hr.Refused("POST", "/api/identity/"+string(w.sitting), identity.DecideRequest{Outcome: "confirmed"}, http.StatusConflict, "no_id_photo")
	hr.Refused("POST", "/api/identity/s-none", identity.DecideRequest{Outcome: "confirmed"}, http.StatusNotFound, "not_found")
}
