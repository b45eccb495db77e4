package replay_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/store"
)

// Who may use the replay: auditors and administrators read; only auditors
// decide appeals; no other role, and nobody without a login, gets in.
func TestRoles(t *testing.T) {
	s := newSystem(t)
	s.sittingWithEvents()
	id := string(s.id())
	reads := []string{
		"/api/replay/sittings?pin=" + s.sitting.PIN,
		"/api/replay/sittings/" + id,
		"/api/replay/sittings/" + id + "/verify",
		"/api/replay/sittings/" + id + "/proofs",
		"/api/replay/checkpoint",
	}
	// Sign a checkpoint so the checkpoint route has one to give.
	if _, err := s.log.Checkpoint(contextFor(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role  store.Role
		read  int
		write int
	}{
		{store.RoleAuditor, http.StatusOK, http.StatusConflict}, // no appeal to decide, but admitted
		{store.RoleAdmin, http.StatusOK, http.StatusForbidden},
		{store.RoleProctor, http.StatusForbidden, http.StatusForbidden},
		{store.RoleHR, http.StatusForbidden, http.StatusForbidden},
		{store.RoleCommittee, http.StatusForbidden, http.StatusForbidden},
		{store.RoleAssessor, http.StatusForbidden, http.StatusForbidden},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			c := s.login(tc.role)
			for _, p := range reads {
				if got, body := c.do("GET", p, nil, nil); got != tc.read {
					t.Errorf("GET %s: %d %s, want %d", p, got, body, tc.read)
				}
			}
			got, body := c.do("POST", "/api/replay/sittings/"+id+"/appeal/decision", replay.DecisionRequest{Outcome: replay.DecisionUpheld, Reasons: "seen"}, nil)
			if got != tc.write {
				t.Errorf("POST decision: %d %s, want %d", got, body, tc.write)
			}
		})
	}
	anon := s.anon()
	for _, p := range reads {
		anon.refused("GET", p, nil, http.StatusUnauthorized, "unauthorized")
	}
	// The table admits auditors to exactly one write on the records: the
	// appeal decision (besides changing their own password, r.Own).
	for _, r := range authz.Table() {
		if r.Writes && !r.Own && r.Allows(authz.Staff(store.RoleAuditor)) && r.Route != "POST /api/replay/sittings/{id}/appeal/decision" {
			t.Errorf("auditors may call %s, a write that is not an appeal decision", r.Route)
		}
	}
}

func TestTimeline(t *testing.T) {
	s := newSystem(t)
	recs := s.sittingWithEvents()
	c := s.login(store.RoleAuditor)
	var tl replay.Timeline
	if code, body := c.do("GET", "/api/replay/sittings/"+string(s.id()), nil, &tl); code != http.StatusOK {
		t.Fatalf("timeline: %d %s", code, body)
	}
	if tl.Sitting.PIN != s.sitting.PIN || tl.Sitting.Competition != "Chief specialist, Ministry of Justice" || tl.Sitting.Stage != "essay" {
		t.Fatalf("sitting = %+v", tl.Sitting)
	}
	if len(tl.Records) != len(recs) {
		t.Fatalf("%d records on the timeline, want %d", len(tl.Records), len(recs))
	}
	for i, it := range tl.Records {
		if it.N != recs[i].N || it.Entry < 0 {
			t.Errorf("record %d: n %d entry %d; want n %d with a log entry", i, it.N, it.Entry, recs[i].N)
		}
	}
	// Spans: 10.6 closed by its end event, 10.8 an instant, 10.9 open to the
	// end of the timeline.
	want := []struct {
		rule    protocol.RuleID
		start   time.Duration
		end     time.Duration
		open    bool
		instant bool
	}{
		{protocol.Rule10_6, 10 * time.Second, 25 * time.Second, false, false},
		{protocol.Rule10_8, 40 * time.Second, 40 * time.Second, false, true},
		{protocol.Rule10_9, 50 * time.Second, 55 * time.Second, true, false},
	}
	if len(tl.Spans) != len(want) {
		t.Fatalf("spans = %+v, want %d", tl.Spans, len(want))
	}
	for i, w := range want {
		sp := tl.Spans[i]
		if sp.Kind != replay.SpanRule || sp.Rule != w.rule || !sp.Start.Equal(base.Add(w.start)) || !sp.End.Equal(base.Add(w.end)) || sp.Open != w.open || sp.Instant != w.instant {
			t.Errorf("span %d = %+v; want rule %s from +%s to +%s open %v instant %v", i, sp, w.rule, w.start, w.end, w.open, w.instant)
		}
	}
	if len(tl.Evidence) != 1 || tl.Evidence[0].N != recs[0].N || tl.Evidence[0].Rule != protocol.Rule10_6 {
		t.Fatalf("evidence = %+v", tl.Evidence)
	}
	// The evidence URL serves the file to the auditor.
	if code, body := c.do("GET", tl.Evidence[0].URL, nil, nil); code != http.StatusOK || len(body) != int(tl.Evidence[0].Size) {
		t.Fatalf("evidence file: %d, %d bytes", code, len(body))
	}
	if tl.Verdict != nil || tl.Appeal != nil || tl.Effective != "" || tl.AppealDeadline != nil {
		t.Fatalf("verdict %+v appeal %+v effective %q before any verdict", tl.Verdict, tl.Appeal, tl.Effective)
	}
	c.refused("GET", "/api/replay/sittings/nope", nil, http.StatusNotFound, "not_found")
}

func TestLostLinkAndPauseSpans(t *testing.T) {
	s := newSystem(t)
	s.action(protocol.Action{Kind: protocol.ActionAgentLost, Actor: "system", Time: base.Add(5 * time.Second)})
	s.action(protocol.Action{Kind: protocol.ActionAgentBack, Actor: "system", Time: base.Add(9 * time.Second)})
	s.action(protocol.Action{Kind: protocol.ActionPause, Time: base.Add(20 * time.Second)})
	var tl replay.Timeline
	if code, body := s.login(store.RoleAdmin).do("GET", "/api/replay/sittings/"+string(s.id()), nil, &tl); code != http.StatusOK {
		t.Fatalf("timeline: %d %s", code, body)
	}
	if len(tl.Spans) != 2 || tl.Spans[0].Kind != replay.SpanLink || tl.Spans[0].End.Sub(tl.Spans[0].Start) != 4*time.Second || tl.Spans[0].Open ||
		tl.Spans[1].Kind != replay.SpanPause || !tl.Spans[1].Open {
		t.Fatalf("spans = %+v; want a 4 s lost link and an open pause", tl.Spans)
	}
}

func TestSearchByPIN(t *testing.T) {
	s := newSystem(t)
	c := s.login(store.RoleAuditor)
	var res replay.SearchResult
	if code, body := c.do("GET", "/api/replay/sittings?pin="+s.sitting.PIN[:4], nil, &res); code != http.StatusOK {
		t.Fatalf("search: %d %s", code, body)
	}
	if len(res.Sittings) != 1 || res.Sittings[0].ID != s.id() {
		t.Fatalf("search by PIN prefix = %+v", res)
	}
	other := "9"
	if s.sitting.PIN[0] == '9' {
		other = "1"
	}
	if code, _ := c.do("GET", "/api/replay/sittings?pin="+other, nil, &res); code != http.StatusOK || len(res.Sittings) != 0 {
		t.Fatalf("search by another PIN found %+v", res)
	}
	if code, _ := c.do("GET", "/api/replay/sittings?appeal=pending", nil, &res); code != http.StatusOK || len(res.Sittings) != 0 {
		t.Fatalf("pending appeals before any = %+v", res)
	}
	for _, bad := range []string{"12ab", "'; drop", "12345678901234567"} {
		c.refused("GET", "/api/replay/sittings?pin="+url.QueryEscape(bad), nil, http.StatusBadRequest, "invalid")
	}
	c.refused("GET", "/api/replay/sittings?appeal=maybe", nil, http.StatusBadRequest, "invalid")
}

func TestConfigRefusesBadValues(t *testing.T) {
	s := newSystem(t)
	for _, tc := range []struct {
		name string
		cfg  replay.Config
	}{
		{"no store", replay.Config{}},
		{"period", replay.Config{Store: s.st, Log: s.log, DataDir: s.dir, Catalogue: mustCatalogue(t), AppealDays: 31}},
	} {
		if _, err := replay.New(tc.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
}
