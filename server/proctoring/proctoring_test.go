package proctoring_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/proctoring"
	"kuzet.kz/kuzet/server/proctoring/assess"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

func path(id string, tail string) string { return "/api/sittings/" + id + "/" + tail }

// lastRecord returns the sitting's last stored record.
func lastRecord(t *testing.T, st *store.Store, id protocol.SittingID) protocol.Record {
	t.Helper()
	_, n, err := st.Counters(id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Record(id, n)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// Every action reaches the agent and the candidate's page, and is stored
// (through Ingest, as the audit log sees it) with who did it and when.
func TestActionsReachTheAgentAndThePageAndAreRecorded(t *testing.T) {
	r := start(t, tempDir(t))
	id := r.Demo.SittingID
	sid := protocol.SittingID(id)
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)
	page := candidatePage(t, r.URL, ag)

	cases := []struct {
		name   string
		route  string
		body   any
		action protocol.ActionKind
		cmd    protocol.CommandKind
		check  func(t *testing.T, a *protocol.Action, c *protocol.Command)
	}{
		{"room scan", "room-scan", map[string]string{"note": "a shadow moved behind"}, protocol.ActionRoomScan, protocol.CommandRoomScan,
			func(t *testing.T, a *protocol.Action, c *protocol.Command) {
				if a.Rule != protocol.Rule10_7 || c.Rule != protocol.Rule10_7 || c.Key != "dashboard.cmd.room_scan" || a.Note != "a shadow moved behind" {
					t.Errorf("room scan action %+v, command %+v", a, c)
				}
			}},
		{"message", "message", map[string]string{"text": "Please sit closer to the camera."}, protocol.ActionMessage, protocol.CommandMessage,
			func(t *testing.T, a *protocol.Action, c *protocol.Command) {
				if c.Text != "Please sit closer to the camera." || a.Note != c.Text {
					t.Errorf("message action %+v, command %+v", a, c)
				}
			}},
		{"warning", "warning", map[string]string{"rule": "10.4", "text": "Look at your screen."}, protocol.ActionWarning, protocol.CommandWarning,
			func(t *testing.T, a *protocol.Action, c *protocol.Command) {
				if a.Rule != protocol.Rule10_4 || c.Rule != protocol.Rule10_4 || c.Key != "rule.10.4.fix" || c.Text != "Look at your screen." {
					t.Errorf("warning action %+v, command %+v", a, c)
				}
			}},
		{"pause", "pause", map[string]string{}, protocol.ActionPause, protocol.CommandPause, nil},
		{"resume", "resume", map[string]string{"note": "back"}, protocol.ActionResume, protocol.CommandResume, nil},
		{"end", "end", map[string]string{"reason": "The candidate finished the essay."}, protocol.ActionEnd, protocol.CommandEndSitting,
			func(t *testing.T, a *protocol.Action, c *protocol.Command) {
				if a.Note != "The candidate finished the essay." || c.Args["reason"] != a.Note || c.Key != "dashboard.cmd.end" {
					t.Errorf("end action %+v, command %+v", a, c)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var done proctoring.Done
			if code, body := p.do("POST", path(id, c.route), c.body, &done); code != http.StatusCreated {
				t.Fatalf("%s: %d %s", c.route, code, body)
			}
			if !done.Agent {
				t.Errorf("%s: the answer says the agent did not get the command", c.route)
			}
			rec := lastRecord(t, r.Store, sid)
			a := rec.Action
			if rec.N != done.Record.N || a == nil || a.Kind != c.action || a.Actor != r.Demo.ProctorUser || a.Time.IsZero() || a.ID == "" {
				t.Fatalf("stored record %+v, want a %s action by %s as answered (%d)", rec, c.action, r.Demo.ProctorUser, done.Record.N)
			}
			cmd := ag.command()
			if cmd.Kind != c.cmd || cmd.ID != a.ID || !cmd.Time.Equal(a.Time) {
				t.Fatalf("agent got %+v, want %s with the action's id and time", cmd, c.cmd)
			}
			if pc := pageCommand(t, page); pc.Kind != c.cmd || pc.ID != a.ID {
				t.Fatalf("candidate page got %+v, want %s", pc, c.cmd)
			}
			if c.check != nil {
				c.check(t, a, cmd)
			}
		})
	}
	st, err := r.Store.Sitting(sid)
	if err != nil || st.State != protocol.StateEnded || st.Ended == nil {
		t.Fatalf("after end the sitting is %+v (%v), want ended", st, err)
	}
	// Nothing more can be done to an ended sitting but reviews and the verdict.
	for route, body := range map[string]map[string]string{"room-scan": {}, "message": {"text": "x"}, "warning": {"rule": "10.2"},
		"pause": {}, "end": {"reason": "x"}} {
		p.refused("POST", path(id, route), body, http.StatusConflict, "sitting_ended")
	}
}

func TestActionsRefuseBadInput(t *testing.T) {
	r := start(t, tempDir(t))
	id := r.Demo.SittingID
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)

	// Without an agent a room scan cannot be done, and says so.
	e := p.refused("POST", path(id, "room-scan"), map[string]string{}, http.StatusConflict, "agent_offline")
	if e.Error.Key != "dashboard.error.agent_offline" {
		t.Errorf("agent offline: key %q", e.Error.Key)
	}
	cases := []struct {
		name  string
		route string
		body  any
		key   string
	}{
		{"empty message", "message", map[string]string{"text": "   "}, "dashboard.error.text_required"},
		{"message citing a rule", "message", map[string]string{"text": "hi", "rule": "10.2"}, "dashboard.error.bad_rule"},
		{"overlong message", "message", map[string]string{"text": strings.Repeat("я", proctoring.MaxTextLen)}, "dashboard.error.text_long"},
		{"warning without rule", "warning", map[string]string{"text": "stop"}, "dashboard.error.bad_rule"},
		{"warning with a bad rule", "warning", map[string]string{"rule": "10.12"}, "dashboard.error.bad_rule"},
		{"end without reason", "end", map[string]string{"reason": ""}, "dashboard.error.reason_required"},
		{"unknown field", "pause", map[string]any{"note": "x", "force": true}, ""},
		{"review: bad decision", "flags/1/review", map[string]string{"decision": "maybe", "note": "x"}, "dashboard.error.bad_decision"},
		{"review: no note", "flags/1/review", map[string]string{"decision": "dismiss"}, "dashboard.error.note_required"},
		{"review: not a number", "flags/x/review", map[string]string{"decision": "dismiss", "note": "x"}, "dashboard.error.not_a_flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := p.refused("POST", path(id, c.route), c.body, http.StatusBadRequest, "invalid")
			if e.Error.Key != c.key || e.Error.Message == "" {
				t.Fatalf("error %+v, want key %q and a message", e.Error, c.key)
			}
		})
	}
	p.refused("POST", path(id, "resume"), map[string]string{}, http.StatusConflict, "not_paused")
	p.do("POST", path(id, "pause"), map[string]string{}, nil)
	p.refused("POST", path(id, "pause"), map[string]string{}, http.StatusConflict, "paused")
	// A record that is not a flag cannot be reviewed.
	p.refused("POST", path(id, "flags/1/review"), map[string]string{"decision": "dismiss", "note": "x"}, http.StatusNotFound, "not_found")
}

// Publishing follows the verdict rules: refused while a flag is open, once
// only, clean only without confirmed breaches; and it is stored on the
// sitting for the workflow (p.115).
func TestPublishingTheVerdict(t *testing.T) {
	dataDir := tempDir(t)
	r, stop := startStoppable(t, dataDir)
	t.Cleanup(stop)
	id := r.Demo.SittingID
	sid := protocol.SittingID(id)
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)

	ag.event(protocol.Rule10_6, protocol.KindInstant, protocol.SeverityInfo, 0) // not a flag
	start := ag.event(protocol.Rule10_2, protocol.KindStart, protocol.SeverityViolation, 0)
	ag.event(protocol.Rule10_2, protocol.KindEnd, protocol.SeverityInfo, start)
	ag.event(protocol.Rule10_8, protocol.KindInstant, protocol.SeveritySuspected, 0)
	recs, err := r.Store.Records(sid, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var flagN, speechN, infoN uint64
	for _, rec := range recs {
		switch {
		case rec.Event == nil:
		case rec.Event.Rule == protocol.Rule10_2 && rec.Event.Kind == protocol.KindStart:
			flagN = rec.N
		case rec.Event.Rule == protocol.Rule10_8:
			speechN = rec.N
		case rec.Event.Rule == protocol.Rule10_6:
			infoN = rec.N
		}
	}
	verdict := map[string]any{"outcome": "violation", "rules": []string{"10.2"}, "evidence": []uint64{flagN}}

	// Not before the sitting has ended.
	p.refused("POST", path(id, "verdict"), verdict, http.StatusConflict, "not_ended")
	if code, body := p.do("POST", path(id, "end"), map[string]string{"reason": "time is up"}, nil); code != http.StatusCreated {
		t.Fatalf("end: %d %s", code, body)
	}
	// Not while a flag is open; the answer names them.
	e := p.refused("POST", path(id, "verdict"), verdict, http.StatusConflict, "flags_open")
	if !strings.Contains(e.Error.Message, "#") || e.Error.Key != "dashboard.error.flags_open" {
		t.Fatalf("flags open: %+v", e.Error)
	}
	p.refused("POST", path(id, "flags/"+itoa(infoN)+"/review"), map[string]string{"decision": "dismiss", "note": "x"}, http.StatusNotFound, "not_found")
	var done proctoring.Done
	if code, body := p.do("POST", path(id, "flags/"+itoa(flagN)+"/review"), map[string]string{"decision": "confirm", "note": "a second face for 40 s"}, &done); code != http.StatusCreated {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if a := done.Record.Action; a == nil || a.Kind != protocol.ActionFlagConfirmed || a.Target != flagN || a.Rule != protocol.Rule10_2 || a.Actor != r.Demo.ProctorUser {
		t.Fatalf("review record = %+v", done.Record)
	}
	p.refused("POST", path(id, "verdict"), verdict, http.StatusConflict, "flags_open")
	if code, body := p.do("POST", path(id, "flags/"+itoa(speechN)+"/review"), map[string]string{"decision": "dismiss", "note": "reading the question aloud"}, nil); code != http.StatusCreated {
		t.Fatalf("dismiss: %d %s", code, body)
	}

	// Everything reviewed: the rules of the verdict apply.
	p.refused("POST", path(id, "verdict"), map[string]any{"outcome": "clean"}, http.StatusConflict, "flags_confirmed")
	p.refused("POST", path(id, "verdict"), map[string]any{"outcome": "violation", "rules": []string{"10.2", "10.8"}, "evidence": []uint64{flagN}}, http.StatusBadRequest, "invalid")
	p.refused("POST", path(id, "verdict"), map[string]any{"outcome": "violation", "rules": []string{"10.8"}, "evidence": []uint64{speechN}}, http.StatusBadRequest, "invalid")
	p.refused("POST", path(id, "verdict"), map[string]any{"outcome": "guilty"}, http.StatusBadRequest, "invalid")

	var before proctoring.VerdictState
	p.do("GET", path(id, "verdict"), nil, &before)
	if before.Published {
		t.Fatal("a verdict shows as published before it was")
	}
	if code, body := p.do("POST", path(id, "verdict"), map[string]any{"outcome": "violation", "rules": []string{"10.2"}, "evidence": []uint64{flagN, flagN}, "note": "second person confirmed"}, &done); code != http.StatusCreated {
		t.Fatalf("publish: %d %s", code, body)
	}
	rec := lastRecord(t, r.Store, sid)
	if rec.N != done.Record.N || rec.Action.Kind != protocol.ActionVerdict || rec.Action.Actor != r.Demo.ProctorUser ||
		!slices.Equal(rec.Action.Verdict.Evidence, []uint64{flagN}) {
		t.Fatalf("verdict record = %+v", rec.Action)
	}
	st, err := r.Store.Sitting(sid)
	if err != nil || st.Verdict == nil || st.Verdict.Clean() || st.Verdict.Record != rec.N || st.Verdict.Rules[0] != protocol.Rule10_2 {
		t.Fatalf("verdict on the sitting = %+v (%v)", st.Verdict, err)
	}
	var after proctoring.VerdictState
	p.do("GET", path(id, "verdict"), nil, &after)
	if !after.Published || after.Verdict.Outcome != protocol.VerdictViolation {
		t.Fatalf("GET verdict = %+v", after)
	}
	// Once: a second publication and later reviews are refused.
	p.refused("POST", path(id, "verdict"), map[string]any{"outcome": "clean"}, http.StatusConflict, "verdict_published")
	p.refused("POST", path(id, "flags/"+itoa(flagN)+"/review"), map[string]string{"decision": "dismiss", "note": "x"}, http.StatusConflict, "verdict_published")

	// Every action is in the audit log, with who; the log verifies.
	stop()
	kinds, actors := auditEntries(t, dataDir, id)
	if kinds[audit.KindAction] != 3 || kinds[audit.KindVerdict] != 1 {
		t.Fatalf("audit entries by kind: %v; want 3 actions (end, confirm, dismiss) and 1 verdict", kinds)
	}
	if len(actors) != 1 || !actors[r.Demo.ProctorUser] {
		t.Fatalf("actions logged as %v, want the proctor %s", actors, r.Demo.ProctorUser)
	}
}

// auditEntries opens the stopped server's audit log, verifies it, and
// counts the sitting's entries by kind and the actors of actions.
func auditEntries(t *testing.T, dataDir, sitting string) (map[audit.Kind]int, map[string]bool) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dataDir, "kuzet.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if rep := audit.Verify(context.Background(), db, dataDir); !rep.OK() {
		t.Fatalf("the audit log does not verify: %+v", rep.First())
	}
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(db, keys, audit.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entries, err := l.Entries(sitting)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[audit.Kind]int{}
	actors := map[string]bool{}
	for _, e := range entries {
		if e.Entry.Actor == "demo" {
			// The demo's synthetic candidate consenting (server/consent),
			// not a proctor's action.
			continue
		}
		kinds[e.Entry.Kind]++
		if e.Entry.Kind == audit.KindAction || e.Entry.Kind == audit.KindVerdict {
			actors[e.Entry.Actor] = true
		}
	}
	return kinds, actors
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// errCode is the code of a handler error.
func errCode(err error) string {
	var we *web.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return ""
}

// Who may do what: only a proctor assigned to the sitting acts on it; HR
// and administrators assign; auditors read.
func TestAuthorisation(t *testing.T) {
	r := start(t, tempDir(t))
	id := r.Demo.SittingID
	adm := admin.New(r.Store)
	for _, a := range []struct {
		name string
		role store.Role
	}{{"proctor2", store.RoleProctor}, {"hr1", store.RoleHR}, {"auditor1", store.RoleAuditor}} {
		if _, err := adm.CreateAccount(a.name, "correct-horse-battery", a.role); err != nil {
			t.Fatal(err)
		}
	}
	other := login(t, r.URL, "proctor2", "correct-horse-battery")
	hr := login(t, r.URL, "hr1", "correct-horse-battery")
	aud := login(t, r.URL, "auditor1", "correct-horse-battery")
	boss := login(t, r.URL, r.Demo.AdminUser, r.Demo.AdminPassword)
	mine := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)

	writes := []string{"room-scan", "message", "warning", "pause", "resume", "end", "flags/1/review", "verdict"}
	for _, route := range writes {
		// Another proctor: the sitting is not theirs, and looks absent.
		other.refused("POST", path(id, route), map[string]string{}, http.StatusNotFound, "not_found")
		// Auditors, HR and administrators do not act as proctors.
		for _, u := range []*user{aud, hr, boss} {
			u.refused("POST", path(id, route), map[string]string{}, http.StatusForbidden, "forbidden_role")
		}
	}
	other.refused("GET", path(id, "verdict"), nil, http.StatusNotFound, "not_found")
	for _, u := range []*user{aud, hr, boss} {
		if code, body := u.do("GET", path(id, "verdict"), nil, nil); code != http.StatusOK {
			t.Fatalf("GET verdict: %d %s", code, body)
		}
	}

	// Assignment: HR and administrators only, to proctors only.
	mine.refused("PUT", path(id, "proctors"), map[string]any{"proctors": []string{"proctor2"}}, http.StatusForbidden, "forbidden_role")
	aud.refused("PUT", path(id, "proctors"), map[string]any{"proctors": []string{"proctor2"}}, http.StatusForbidden, "forbidden_role")
	hr.refused("PUT", path(id, "proctors"), map[string]any{"proctors": []string{"hr1"}}, http.StatusBadRequest, "invalid")
	hr.refused("PUT", path(id, "proctors"), map[string]any{"proctors": []string{"nobody"}}, http.StatusBadRequest, "invalid")
	var as proctoring.Assignment
	if code, body := hr.do("PUT", path(id, "proctors"), map[string]any{"proctors": []string{"proctor2", "proctor2"}}, &as); code != http.StatusOK {
		t.Fatalf("assign: %d %s", code, body)
	}
	if !slices.Equal(as.Proctors, []string{"proctor2"}) {
		t.Fatalf("assigned %v", as.Proctors)
	}
	boss.do("GET", path(id, "proctors"), nil, &as)
	if !slices.Equal(as.Proctors, []string{"proctor2"}) {
		t.Fatalf("GET proctors = %v", as.Proctors)
	}
	// Now the other proctor acts, and the demo proctor no longer may.
	if code, body := other.do("POST", path(id, "pause"), map[string]string{}, nil); code != http.StatusCreated {
		t.Fatalf("assigned proctor pauses: %d %s", code, body)
	}
	mine.refused("POST", path(id, "resume"), map[string]string{}, http.StatusNotFound, "not_found")
	if code, _ := mine.do("GET", "/api/sittings/nope/verdict", nil, nil); code != http.StatusNotFound {
		t.Fatalf("verdict of a missing sitting: %d", code)
	}
}

// The verdict rules on their own: what each refusal says, and that the
// published verdict lists its rules and evidence once, in order.
func TestVerdictRules(t *testing.T) {
	reviewed := func(n uint64, rule protocol.RuleID, confirmed bool) assess.Flag {
		return assess.Flag{N: n, Rule: rule, Severity: protocol.SeverityViolation, Review: &assess.Review{Confirmed: confirmed}}
	}
	open := assess.Flag{N: 9, Rule: protocol.Rule10_4, Severity: protocol.SeveritySuspected}
	flags := []assess.Flag{reviewed(3, protocol.Rule10_9, true), reviewed(5, protocol.Rule10_2, true), reviewed(7, protocol.Rule10_4, false)}
	cases := []struct {
		name  string
		req   proctoring.VerdictRequest
		ended bool
		flags []assess.Flag
		code  string
		want  *protocol.Verdict
	}{
		{"not ended", proctoring.VerdictRequest{Outcome: protocol.VerdictClean}, false, nil, "not_ended", nil},
		{"open flag", proctoring.VerdictRequest{Outcome: protocol.VerdictClean}, true, append(slices.Clone(flags), open), "flags_open", nil},
		{"clean over confirmed", proctoring.VerdictRequest{Outcome: protocol.VerdictClean}, true, flags, "flags_confirmed", nil},
		{"clean naming rules", proctoring.VerdictRequest{Outcome: protocol.VerdictClean, Rules: []protocol.RuleID{protocol.Rule10_2}}, true, nil, "invalid", nil},
		{"clean", proctoring.VerdictRequest{Outcome: protocol.VerdictClean}, true, []assess.Flag{reviewed(7, protocol.Rule10_4, false)}, "",
			&protocol.Verdict{Outcome: protocol.VerdictClean}},
		{"no rules", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation}, true, flags, "invalid", nil},
		{"bad rule", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{"10.99"}}, true, flags, "invalid", nil},
		{"dismissed as evidence", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_4}, Evidence: []uint64{7}}, true, flags, "invalid", nil},
		{"evidence of another rule", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_2}, Evidence: []uint64{3, 5}}, true, flags, "invalid", nil},
		{"rule without evidence", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_2, protocol.Rule10_9}, Evidence: []uint64{5}}, true, flags, "invalid", nil},
		{"violation", proctoring.VerdictRequest{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_9, protocol.Rule10_2, protocol.Rule10_2}, Evidence: []uint64{5, 3, 5}}, true, flags, "",
			&protocol.Verdict{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_2, protocol.Rule10_9}, Evidence: []uint64{3, 5}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := proctoring.Check(c.req, c.ended, c.flags)
			if c.want == nil {
				if err == nil || errCode(err) != c.code {
					t.Fatalf("Check = %+v, %v; want refusal %q", v, err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Outcome != c.want.Outcome || !slices.Equal(v.Rules, c.want.Rules) || !slices.Equal(v.Evidence, c.want.Evidence) {
				t.Fatalf("Check = %+v, want %+v", v, c.want)
			}
		})
	}
}

// TestEndClosesTheAgentsChannel: when the proctor ends the sitting the
// agent gets the end command, then sitting_closed with the reason, and its
// channel closes (4409); events cannot follow on it, and its resume token
// opens nothing.
func TestEndClosesTheAgentsChannel(t *testing.T) {
	r := start(t, tempDir(t))
	id := r.Demo.SittingID
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)
	ag.event(protocol.Rule10_6, protocol.KindStart, protocol.SeverityViolation, 0)
	var done proctoring.Done
	if code, body := p.do("POST", path(id, "end"), map[string]string{"reason": "The time is up."}, &done); code != http.StatusCreated {
		t.Fatalf("end: %d %s", code, body)
	}
	if c := ag.command(); c.Kind != protocol.CommandEndSitting {
		t.Fatalf("first command after the end: %+v, want end_sitting", c)
	}
	select {
	case <-ag.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's channel is still open 10 s after the end")
	}
	var ce *websocket.CloseError
	if ag.failure == nil || ag.failure.Code != protocol.ErrSittingClosed || !strings.Contains(ag.failure.Message, "ended") ||
		!errors.As(ag.closed, &ce) || ce.Code != protocol.CloseSittingClosed {
		t.Fatalf("after the end the agent got %+v and %v; want sitting_closed saying the sitting ended, and close %d", ag.failure, ag.closed, protocol.CloseSittingClosed)
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(r.URL, "/v1/agent"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	frame, _ := ag.codec.Encode(&protocol.Hello{Versions: []int{protocol.Version}, Token: ag.welcome.ResumeToken, Agent: protocol.AgentInfo{Version: "test", OS: "linux", Arch: "amd64"}, Lang: "en"})
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, data, err := ws.ReadMessage(); err != nil || !strings.Contains(string(data), `"sitting_closed"`) {
		t.Fatalf("the resume token after the end: %s, %v; want sitting_closed", data, err)
	}
}

// uploadEvidence posts content as the agent's evidence upload does,
// announcing the SHA-256 of announced, and returns the status.
func uploadEvidence(t *testing.T, base string, ag *agent, content, announced []byte) int {
	t.Helper()
	sum := sha256.Sum256(announced)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/evidence/snap-"+hex.EncodeToString(sum[:4]), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ag.welcome.UploadToken)
	req.Header.Set("Content-Type", "image/jpeg")
	req.Header.Set("X-Kuzet-SHA256", hex.EncodeToString(sum[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRefusedAndUncitedEvidenceIsDeleted: a file that arrives damaged
// (not the hash the agent announced) is not kept; a file no event cited
// is deleted when the sitting ends, its deletion logged, so the log still
// verifies; the cited file stays.
func TestRefusedAndUncitedEvidenceIsDeleted(t *testing.T) {
	data := tempDir(t)
	r := start(t, data)
	sid := protocol.SittingID(r.Demo.SittingID)
	dir := filepath.Join(data, "evidence", string(sid))
	files := func() []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)
	if code := uploadEvidence(t, r.URL, ag, []byte("damaged on the way"), []byte("the snapshot as sent")); code != http.StatusBadRequest {
		t.Fatalf("a damaged upload: %d, want 400", code)
	}
	if got := files(); len(got) != 0 {
		t.Fatalf("the refused file stayed on disk: %v", got)
	}
	cited, uncited := []byte("\xff\xd8 the cited snapshot \xff\xd9"), []byte("\xff\xd8 a snapshot no event cites \xff\xd9")
	for _, c := range [][]byte{cited, uncited} {
		if code := uploadEvidence(t, r.URL, ag, c, c); code != http.StatusCreated {
			t.Fatalf("upload: %d", code)
		}
	}
	sum := sha256.Sum256(cited)
	ag.seq++
	ag.send(&protocol.Event{Seq: ag.seq, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindStart, Severity: protocol.SeverityViolation,
		Subject: "camera", Key: "camera.lost", Evidence: []protocol.EvidenceRef{{ID: "snap-cited", Kind: protocol.EvidenceSnapshot, MIME: "image/jpeg",
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(cited))}}})
	select {
	case <-ag.acks:
	case <-time.After(10 * time.Second):
		t.Fatal("the event citing the snapshot was not acknowledged")
	}
	if code, body := p.do("POST", path(string(sid), "end"), map[string]string{"reason": "The time is up."}, nil); code != http.StatusCreated {
		t.Fatalf("end: %d %s", code, body)
	}
	if got := files(); len(got) != 1 || got[0] != hex.EncodeToString(sum[:]) {
		t.Fatalf("after the end the sitting holds %v, want only the cited %x", got, sum)
	}
	if rep := audit.Verify(context.Background(), r.Store.DB(), data); !rep.OK() {
		t.Fatalf("the log does not verify after the deletion: %v %+v", rep.Err, rep.First())
	}
}

// TestCandidatePageGetsOnlyWhatIsMeantForIt is issue 16's finding 5: the
// candidate's channel received every staff record — a dismissed flag's
// internal note and the proctor's username among them. Failed before: the
// page's frames held the note and the username. Now it gets its own
// events and the actions meant for it, without a staff name.
func TestCandidatePageGetsOnlyWhatIsMeantForIt(t *testing.T) {
	r := start(t, tempDir(t))
	id := r.Demo.SittingID
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)
	n := ag.event(protocol.Rule10_4, protocol.KindInstant, protocol.SeverityViolation, 0)
	var flag uint64 // acknowledged, so stored
	recs, err := r.Store.Records(protocol.SittingID(id), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Event != nil && rec.Event.Seq == n {
			flag = rec.N
		}
	}
	const internal = "internal: the candidate's cousin is a colleague"
	if code, body := p.do("POST", path(id, "flags/"+strconv.FormatUint(flag, 10)+"/review"), proctoring.ReviewRequest{Decision: "dismiss", Note: internal}, nil); code != http.StatusCreated {
		t.Fatalf("review: %d %s", code, body)
	}
	if code, body := p.do("POST", path(id, "message"), map[string]string{"text": "Please sit closer to the camera."}, nil); code != http.StatusCreated {
		t.Fatalf("message: %d %s", code, body)
	}

	// A page that opens now catches up on the whole sitting.
	u, err := url.Parse(ag.welcome.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(r.URL, "/v1/candidate?t="+url.QueryEscape(frag.Get("t"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var all strings.Builder
	kinds := map[string]bool{}
	codec := protocol.NewCodec(protocol.ServerToCandidate, protocol.CandidateToServer)
	_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			break
		}
		all.Write(data)
		if m, err := codec.Decode(data); err == nil {
			if rec, ok := m.(*protocol.Record); ok && rec.Action != nil {
				kinds[string(rec.Action.Kind)] = true
			}
		}
	}
	got := all.String()
	if !strings.Contains(got, "Please sit closer to the camera.") || !kinds["message"] {
		t.Fatalf("the page did not get the proctor's message: %v", kinds)
	}
	if strings.Contains(got, internal) || kinds["flag_dismissed"] {
		t.Errorf("the page got the flag review and its internal note (kinds %v)", kinds)
	}
	if strings.Contains(got, `"`+r.Demo.ProctorUser+`"`) {
		t.Errorf("the page got the proctor's username %q", r.Demo.ProctorUser)
	}
}
