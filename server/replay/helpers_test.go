package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/internal/apitest"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// system is the real server parts the replay module runs on: the bbolt
// store, the audit log with its keys, the evidence directory, ingest, and
// the web server with the module, over a real HTTP listener.
type system struct {
	t       testing.TB
	dir     string
	st      *store.Store
	log     *audit.Log
	ev      *evidence.Store
	ing     *ingest.Ingest
	adm     *admin.Admin
	mod     *replay.Module
	clock   *clock
	url     string
	sitting store.Sitting
	token   string
	pw      map[store.Role]string
	clients map[store.Role]*client
}

// published is when the test verdicts are published: a Friday noon in
// Astana (UTC+5).
var published = time.Date(2026, 11, 20, 12, 0, 0, 0, time.FixedZone("UTC+5", 5*3600))

func newSystem(t testing.TB) *system {
	t.Helper()
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
		if err := alog.Close(); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &system{t: t, dir: dir, st: st, log: alog, ev: evidence.New(dir), adm: admin.New(st), clock: &clock{t: published.Add(time.Hour)}, pw: map[store.Role]string{}, clients: map[store.Role]*client{}}
	s.ing = ingest.New(st, hub.New(nil), s.ev, alog)
	s.mod, err = replay.New(replay.Config{Store: st, Log: alog, DataDir: dir, Catalogue: cat, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Admin: s.adm, Agents: http.NotFoundHandler(), Evidence: s.ev, EvidenceLog: s.ing,
		Catalogue: cat, Log: slog.New(slog.DiscardHandler)}, s.mod)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	s.url = hs.URL
	comp, err := s.adm.CreateCompetition("Chief specialist, Ministry of Justice")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.adm.CreateSitting(comp.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	// The sitting was created shortly before its events (the admin's
	// clock is the real one).
	s.sitting, err = st.UpdateSitting(ns.Sitting.ID, func(st *store.Sitting) error { st.Created = base.Add(-time.Minute); return nil })
	if err != nil {
		t.Fatal(err)
	}
	s.token = ns.Token
	return s
}

// id is the test sitting's id.
func (s *system) id() protocol.SittingID { return s.sitting.ID }

// event stores an agent event through ingest (store and log together).
func (s *system) event(ev protocol.Event) protocol.Record {
	s.t.Helper()
	rec, _, err := s.ing.Event(s.id(), ev)
	if err != nil {
		s.t.Fatalf("event %d: %v", ev.Seq, err)
	}
	return rec
}

// evidence uploads a file for the sitting as the agent's upload does.
func (s *system) evidence(content []byte) protocol.EvidenceRef {
	s.t.Helper()
	sum, n, err := s.ev.Put(string(s.id()), bytes.NewReader(content), protocol.MaxEvidenceBytes)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.ing.EvidenceFile(s.id(), sum, n, "image/jpeg"); err != nil {
		s.t.Fatal(err)
	}
	return protocol.EvidenceRef{ID: "snap-" + sum[:8], Kind: protocol.EvidenceSnapshot, MIME: "image/jpeg", SHA256: sum, Size: n}
}

// action stores an action through ingest.
func (s *system) action(a protocol.Action) protocol.Record {
	s.t.Helper()
	if a.ID == "" {
		a.ID = fmt.Sprintf("act-%d", time.Now().UnixNano())
	}
	if a.Actor == "" {
		a.Actor = "user-proctor"
	}
	rec, err := s.ing.Action(s.id(), a)
	if err != nil {
		s.t.Fatalf("action %s: %v", a.Kind, err)
	}
	return rec
}

// base is when the test sitting's events happen.
var base = published.Add(-2 * time.Hour).UTC()

// sittingWithEvents gives the sitting a camera span (10.6) with an evidence
// snapshot, a speech instant (10.8), a remote-access span still open
// (10.9), and a proctor's warning. It returns the records.
func (s *system) sittingWithEvents() []protocol.Record {
	s.t.Helper()
	snap := s.evidence([]byte("\xff\xd8\xff\xe0 a jpeg snapshot of the empty seat \xff\xd9"))
	recs := []protocol.Record{
		s.event(protocol.Event{Seq: 1, Time: base.Add(10 * time.Second), Rule: protocol.Rule10_6, Kind: protocol.KindStart, Subject: "camera",
			Severity: protocol.SeverityViolation, Key: "camera.lost", Args: map[string]string{"seconds": "2"}, Evidence: []protocol.EvidenceRef{snap}}),
		s.event(protocol.Event{Seq: 2, Time: base.Add(25 * time.Second), Rule: protocol.Rule10_6, Kind: protocol.KindEnd, StartSeq: 1, Subject: "camera",
			Severity: protocol.SeverityInfo, Key: "camera.back"}),
		s.event(protocol.Event{Seq: 3, Time: base.Add(40 * time.Second), Rule: protocol.Rule10_8, Kind: protocol.KindInstant, Subject: "speech",
			Severity: protocol.SeveritySuspected, Key: "vad.speech"}),
		s.event(protocol.Event{Seq: 4, Time: base.Add(50 * time.Second), Rule: protocol.Rule10_9, Kind: protocol.KindStart, Subject: "process:anydesk",
			Severity: protocol.SeverityViolation, Key: "probe.remote"}),
	}
	recs = append(recs, s.action(protocol.Action{Kind: protocol.ActionWarning, Time: base.Add(55 * time.Second), Rule: protocol.Rule10_9, Note: "close AnyDesk"}))
	return recs
}

// publish publishes a verdict of the given outcome through ingest, as the
// proctoring module does, at the time published.
func (s *system) publish(outcome protocol.VerdictOutcome, evidence ...uint64) protocol.Record {
	s.t.Helper()
	v := &protocol.Verdict{Outcome: outcome}
	if outcome == protocol.VerdictViolation {
		v.Rules, v.Evidence = []protocol.RuleID{protocol.Rule10_9}, evidence
	}
	rec := s.action(protocol.Action{Kind: protocol.ActionVerdict, Time: published, Verdict: v, Note: "remote access confirmed"})
	if err := s.st.SetVerdict(s.id(), store.PublishedVerdict{Verdict: *v, Record: rec.N, Actor: "user-proctor", Time: published}); err != nil {
		s.t.Fatal(err)
	}
	return rec
}

// client is an HTTP client: a logged-in staff member, or a candidate with
// a bearer token, or nobody.
type client struct {
	t      testing.TB
	base   string
	c      *http.Client
	bearer string
}

func (s *system) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, base: s.url, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// login logs in as the account of role r ("user-<role>"), creating it on
// first use (password hashing is slow; most tests need two roles), and
// keeps the logged-in client.
func (s *system) login(r store.Role) *client {
	s.t.Helper()
	if c, ok := s.clients[r]; ok {
		return c
	}
	if _, ok := s.pw[r]; !ok {
		pw := "pass-" + string(r) + "-1234"
		if _, err := s.adm.CreateAccount("user-"+string(r), pw, r); err != nil {
			s.t.Fatal(err)
		}
		s.pw[r] = pw
	}
	c := s.anon()
	if code, body := c.do("POST", "/api/login", map[string]string{"username": "user-" + string(r), "password": s.pw[r]}, nil); code != http.StatusOK {
		s.t.Fatalf("login as %s: %d %s", r, code, body)
	}
	s.clients[r] = c
	return c
}

func (s *system) candidate(token string) *client {
	c := s.anon()
	c.bearer = token
	return c
}

// in returns the client for use inside t (a fuzz target's own test).
func (c *client) in(t testing.TB) *client {
	cp := *c
	cp.t = t
	return &cp
}

type apiError = apitest.Error

// api is c as an API client.
func (c *client) api() *apitest.Client {
	return &apitest.Client{T: c.t, Base: c.base, HTTP: c.c, Bearer: c.bearer}
}

// do sends a request (a JSON body if body is not nil) and decodes a 2xx
// answer into out; it returns the status and the raw body.
func (c *client) do(method, path string, body, out any) (int, string) {
	c.t.Helper()
	return c.api().Do(method, path, body, out)
}

// refused checks that a request is refused with status and error code.
func (c *client) refused(method, path string, body any, status int, code string) apiError {
	c.t.Helper()
	return c.api().Refused(method, path, body, status, code)
}

// entries returns the sitting's log entries.
func (s *system) entries() []audit.Record {
	s.t.Helper()
	recs, err := s.log.Entries(string(s.id()))
	if err != nil {
		s.t.Fatal(err)
	}
	return recs
}

// indexOf returns the index of the sitting's first entry for which match
// is true.
func (s *system) indexOf(match func(audit.Entry) bool) int64 {
	s.t.Helper()
	for _, e := range s.entries() {
		if match(e.Entry) {
			return e.Index
		}
	}
	s.t.Fatal("no such entry")
	return -1
}

// dataFile is the path of a file the log references.
func (s *system) dataFile(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// flipByte changes one byte of a file in place.
func flipByte(t *testing.T, name string, at int64) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at = int64(len(b)) / 2
	}
	b[at] ^= 0x01
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// contextFor is a test context that ends with the test.
func contextFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustCatalogue(t testing.TB) *i18n.Catalogue {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
