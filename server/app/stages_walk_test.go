package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
)

// stageAPI calls the real server and fails the test on an unexpected
// status; it keeps every answer a commission member got, for p.74-1.
type stageAPI struct {
	t    *testing.T
	base string
	// seen are the answers of commission members, by request.
	seen map[string][]byte
}

type stageErr struct {
	Error struct {
		Code    string            `json:"code"`
		Key     string            `json:"key"`
		Message string            `json:"message"`
		Args    map[string]string `json:"args"`
	} `json:"error"`
}

func (a *stageAPI) do(c *http.Client, method, path, token string, body any, want int, out any) stageErr {
	a.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	if (method == http.MethodPost || method == http.MethodPut) && rd == nil {
		rd = strings.NewReader("{}")
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	var e stageErr
	_ = json.Unmarshal(raw, &e)
	if out != nil {
		switch o := out.(type) {
		case *[]byte:
			*o = raw
		default:
			if err := json.Unmarshal(raw, out); err != nil {
				a.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
			}
		}
	}
	return e
}

// refused checks a clause's refusal: its key, the clause in args.clause and
// at the start of the message.
func (e stageErr) refused(t *testing.T, what, key, clause string) {
	t.Helper()
	if e.Error.Key != key || e.Error.Args["clause"] != clause || !strings.HasPrefix(e.Error.Message, clause+": ") {
		t.Errorf("%s: refused with %+v, want key %s citing %s", what, e.Error, key, clause)
	}
}

// stageMember is a commission member: the session and the Ed25519 key
// the grading page would make with WebCrypto.
type stageMember struct {
	id   string
	name string
	c    *http.Client
	priv ed25519.PrivateKey
}

type gradePayload struct {
	Payload string `json:"payload"`
	Issued  string `json:"issued"`
	Nonce   string `json:"nonce"`
}

func (m stageMember) sign(p gradePayload, sc int) map[string]any {
	return map[string]any{"score": sc, "issued": p.Issued, "nonce": p.Nonce, "format": "ed25519", "signature": ed25519.Sign(m.priv, []byte(p.Payload))}
}

// TestP115_CompetitionThroughTheAPIWithGradesAppealsAndInterview drives a
// competition with an essay and an interview through the real server's
// HTTP API on the dates of March 2026: five candidates admitted, a
// commission of three members who register their Ed25519 keys, the essays
// written in the cabinets under agents joined with the cabinets' links
// (one only saved, and submitted by the server at the end), the check
// results published by the proctor — two violations, one appealed and
// overturned by the auditor — the released essays graded with signatures
// over the server's payloads (forged, another member's, changed,
// unsigned, moved to another essay and replayed grades refused), the p.120 selection of at most three finalists, the p.122
// notice to them only, the members' signed interview scores (p.130) and
// the final ranking as JSON and CSV. No answer a commission member gets
// in the whole flow carries a candidate's name, IIN or contacts (p.74-1).
func TestP115_CompetitionThroughTheAPIWithGradesAppealsAndInterview(t *testing.T) {
	clk := &clock{t: almaty("2026-03-02 09:00")}
	r := startWith(t, clk.now)
	ctx := context.Background()
	api := &stageAPI{t: t, base: r.URL, seen: map[string][]byte{}}
	hr := login(t, r, r.Demo.HRUser, r.Demo.HRPassword)
	admin := login(t, r, r.Demo.AdminUser, r.Demo.AdminPassword)
	proctor := login(t, r, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	auditor := login(t, r, r.Demo.AuditorUser, r.Demo.AuditorPassword)
	tick := func() {
		t.Helper()
		if err := r.Workflow.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// mdo is a commission member's call: its answer is kept for p.74-1.
	mdo := func(m stageMember, method, path string, body any, want int, out any) stageErr {
		t.Helper()
		var raw []byte
		e := api.do(m.c, method, path, "", body, want, &raw)
		api.seen[m.name+" "+method+" "+path+fmt.Sprintf(" #%d", len(api.seen))] = raw
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, raw)
			}
		}
		return e
	}

	// ---- the competition, published
	var comp struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	api.do(hr, "POST", "/api/competitions", "", map[string]any{"body": "min-justice", "position": "Chief expert, stages walk",
		"opens": "2026-03-02", "deadline": "2026-03-04", "stages": []map[string]any{
			{"kind": "essay", "starts": almaty("2026-03-16 10:00"), "ends": almaty("2026-03-16 12:00")},
			{"kind": "interview", "starts": almaty("2026-03-18 10:00"), "ends": almaty("2026-03-18 13:00"), "link": "https://meet.example.kz/stages"},
		}}, http.StatusCreated, &comp)
	cid := comp.ID
	api.do(hr, "POST", "/api/competitions/"+cid+"/publish", "", nil, http.StatusOK, nil)

	// ---- five candidates apply with their scans
	const n = 5
	type cand struct {
		app, cabinet, join, sitting, pin string
		name, iin, email, phone          string
	}
	cs := make([]cand, n)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	for i := range cs {
		c := &cs[i]
		c.name, c.iin = fmt.Sprintf("Stage Candidate %c", 'A'+i), validIIN(t, i)
		c.email, c.phone = fmt.Sprintf("stage%d@example.kz", i), fmt.Sprintf("+7 701 555 %04d", 1000+i)
		var ap struct{ Application, Token string }
		api.do(nil, "POST", "/api/competitions/"+cid+"/apply", "", map[string]string{"name": c.name, "iin": c.iin, "email": c.email, "phone": c.phone}, http.StatusCreated, &ap)
		c.app, c.cabinet = ap.Application, ap.Token
		for _, k := range []string{"education", "education_attachment"} {
			api.do(nil, "POST", "/api/cabinet/documents?kind="+k, c.cabinet, pdf, http.StatusCreated, nil)
		}
	}

	// ---- a commission of three, made by the administrator
	var members []stageMember
	for i := range 3 {
		var made struct {
			Account  struct{ ID string }
			Password string
		}
		user := fmt.Sprintf("stage.member%d", i+1)
		api.do(admin, "POST", "/api/accounts", "", map[string]string{"username": user, "role": "commission"}, http.StatusCreated, &made)
		members = append(members, stageMember{id: made.Account.ID, name: user, c: login(t, r, user, made.Password)})
	}

	// ---- review after the deadline: all admitted with PINs
	clk.set(almaty("2026-03-05 09:00"))
	tick()
	for _, c := range cs {
		api.do(hr, "POST", "/api/applications/"+c.app+"/review", "", map[string]any{"outcome": "admitted"}, http.StatusOK, nil)
	}
	for _, m := range members {
		api.do(hr, "POST", "/api/competitions/"+cid+"/commission", "", map[string]string{"account": m.id, "role": "member"}, http.StatusOK, nil)
	}
	api.do(hr, "POST", "/api/competitions/"+cid+"/start-stages", "", nil, http.StatusOK, nil)

	// ---- each member registers the key the grading page made (SPKI or raw)
	for i := range members {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		members[i].priv = priv
		format, key := "spki", []byte(nil)
		if i == 2 {
			format, key = "raw", pub
		} else if key, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			t.Fatal(err)
		}
		mdo(members[i], "GET", "/api/me/signing-key", nil, http.StatusNotFound, nil)
		mdo(members[i], "POST", "/api/me/signing-key", map[string]string{"format": format, "key": base64.StdEncoding.EncodeToString(key)}, http.StatusOK, nil)
		mdo(members[i], "GET", "/api/me/signing-key", nil, http.StatusOK, nil)
	}

	// ---- the essay's sittings open under the PINs; the agents join with
	// the links of the cabinets
	clk.set(almaty("2026-03-16 09:00"))
	var opened struct{ Count int }
	api.do(hr, "POST", "/api/competitions/"+cid+"/stages/essay/open", "", nil, http.StatusOK, &opened)
	if opened.Count != n {
		t.Fatalf("opened %d essay sittings, want %d", opened.Count, n)
	}
	var hrApps []struct {
		ID     string `json:"id"`
		PIN    string `json:"pin"`
		Stages []struct{ Stage, Sitting string }
	}
	api.do(hr, "GET", "/api/competitions/"+cid+"/applications", "", nil, http.StatusOK, &hrApps)
	for _, a := range hrApps {
		for i := range cs {
			if cs[i].app == a.ID && len(a.Stages) == 1 {
				cs[i].sitting, cs[i].pin = a.Stages[0].Sitting, a.PIN
			}
		}
	}
	for i := range cs {
		c := &cs[i]
		if c.sitting == "" || c.pin == "" {
			t.Fatalf("candidate %d has no essay sitting or PIN: %+v", i, hrApps)
		}
		var inbox inboxJoins
		api.do(nil, "GET", "/api/cabinet/inbox", c.cabinet, nil, http.StatusOK, &inbox)
		if c.join = inbox.token("essay"); c.join == "" {
			t.Fatalf("candidate %d's inbox has no essay join link", i)
		}
		api.do(hr, "PUT", "/api/sittings/"+c.sitting+"/proctors", "", map[string][]string{"proctors": {r.Demo.ProctorUser}}, http.StatusOK, nil)
	}
	clk.set(almaty("2026-03-16 10:05"))
	api.do(nil, "PUT", "/api/cabinet/essay", cs[0].cabinet, map[string]any{"text": "too early", "revision": 1}, http.StatusConflict, nil).
		refused(t, "an essay before the agent joined", "workflow.err.essay_no_agent", "rule 10")
	agents := make([]*agentConn, n)
	for i, c := range cs {
		agents[i] = joinAgent(t, r.URL, c.join)
		defer agents[i].Close()
	}

	// ---- the essays: four submitted, one (C) only saved
	essay := func(words int) string {
		return strings.TrimSpace(strings.Repeat("мемлекет қызметі ", words/2))
	}
	for i, c := range cs {
		api.do(nil, "PUT", "/api/cabinet/essay", c.cabinet, map[string]any{"text": essay(40), "revision": 1}, http.StatusOK, nil)
		if i == 2 {
			continue
		}
		var ev struct {
			Words  int    `json:"words"`
			SHA256 string `json:"sha256"`
		}
		api.do(nil, "POST", "/api/cabinet/essay/submit", c.cabinet, map[string]any{"text": essay(120), "revision": 2}, http.StatusOK, &ev)
		if ev.Words != 120 || ev.SHA256 == "" {
			t.Fatalf("candidate %d's submitted essay: %+v", i, ev)
		}
	}
	// The essay time ends: C's saved draft is submitted by the server.
	clk.set(almaty("2026-03-16 12:01"))
	api.do(nil, "PUT", "/api/cabinet/essay", cs[2].cabinet, map[string]any{"text": essay(60), "revision": 3}, http.StatusConflict, nil).
		refused(t, "a save after the essay time", "workflow.err.p115_ended", "p.115")
	tick()
	type hrEssay struct {
		Application string   `json:"application"`
		Auto        bool     `json:"auto"`
		Held        string   `json:"held"`
		Graders     []string `json:"graders"`
		Released    *string  `json:"released"`
	}
	essays := func() map[string]hrEssay {
		var list []hrEssay
		api.do(hr, "GET", "/api/competitions/"+cid+"/essays", "", nil, http.StatusOK, &list)
		out := map[string]hrEssay{}
		for _, es := range list {
			out[es.Application] = es
		}
		return out
	}
	if es := essays(); len(es) != n || !es[cs[2].app].Auto || es[cs[0].app].Auto || es[cs[0].app].Held != "awaiting_verdict" {
		t.Fatalf("after the essay time: %+v", es)
	}
	// Held until the check results are published (p.115).
	mdo(members[0], "GET", "/api/grading/essays/"+cs[0].app, nil, http.StatusConflict, nil).
		refused(t, "an essay before its check results", "workflow.err.p115_held", "p.115")
	api.do(hr, "POST", "/api/competitions/"+cid+"/interview/select", "", nil, http.StatusConflict, nil).
		refused(t, "the finalists before the check results", "workflow.err.p120_pending", "p.120")

	// ---- the check results: D and E broke rule 10.2 (a second person),
	// the others are clean; the proctor reviews the flags and publishes
	for _, i := range []int{3, 4} {
		ag := agents[i]
		ag.event(t, protocol.Event{Seq: ag.seq + 1, Time: time.Now().UTC(), Rule: protocol.Rule10_2, Kind: protocol.KindInstant, Subject: "persons",
			Severity: protocol.SeverityViolation, Key: "vision.persons", Args: map[string]string{"count": "2"}})
	}
	for i, c := range cs {
		api.do(proctor, "POST", "/api/sittings/"+c.sitting+"/end", "", map[string]string{"reason": "the essay time ended"}, http.StatusCreated, nil)
		if i < 3 {
			api.do(proctor, "POST", "/api/sittings/"+c.sitting+"/verdict", "", map[string]any{"outcome": "clean"}, http.StatusCreated, nil)
			continue
		}
		var tl struct {
			Records []struct {
				N     uint64 `json:"n"`
				Event *struct {
					Rule string `json:"rule"`
				} `json:"event"`
			} `json:"records"`
		}
		api.do(auditor, "GET", "/api/replay/sittings/"+c.sitting, "", nil, http.StatusOK, &tl)
		flag := uint64(0)
		for _, rec := range tl.Records {
			if rec.Event != nil && rec.Event.Rule == "10.2" {
				flag = rec.N
			}
		}
		if flag == 0 {
			t.Fatalf("candidate %d's timeline has no 10.2 flag", i)
		}
		api.do(proctor, "POST", fmt.Sprintf("/api/sittings/%s/flags/%d/review", c.sitting, flag), "", map[string]string{"decision": "confirm", "note": "a second person in view"}, http.StatusCreated, nil)
		api.do(proctor, "POST", "/api/sittings/"+c.sitting+"/verdict", "", map[string]any{"outcome": "violation", "rules": []string{"10.2"}, "evidence": []uint64{flag}}, http.StatusCreated, nil)
	}
	tick()
	es := essays()
	for i, c := range cs {
		got := es[c.app]
		switch {
		case i < 3 && (got.Released == nil || len(got.Graders) != 2):
			t.Fatalf("candidate %d's essay after clean check results: %+v (want 2 graders: two thirds of 3, rounded up)", i, got)
		case i >= 3 && (got.Released != nil || got.Held != "violation"):
			t.Fatalf("candidate %d's essay after a violation: %+v", i, got)
		}
	}
	for _, m := range members {
		mdo(m, "GET", "/api/grading/essays/"+cs[3].app, nil, http.StatusConflict, nil).
			refused(t, "an essay held for a violation", "workflow.err.p115_violation", "p.115")
	}

	// ---- E appeals; the auditor overturns the violation; the essay goes
	// to the graders. D does not appeal.
	api.do(nil, "POST", "/api/cabinet/appeal", cs[4].join, map[string]string{"text": "The second person was my reflection in the window", "lang": "en"}, http.StatusCreated, nil)
	api.do(auditor, "POST", "/api/replay/sittings/"+cs[4].sitting+"/appeal/decision", "", map[string]string{"outcome": "overturned", "reasons": "the reference snapshot shows the window"}, http.StatusOK, nil)
	tick()
	es = essays()
	if got := es[cs[4].app]; got.Released == nil || len(got.Graders) != 2 {
		t.Fatalf("the essay after the appeal overturned the violation: %+v", got)
	}
	if got := es[cs[3].app]; got.Released != nil || got.Held != "violation" {
		t.Fatalf("the violation nobody appealed: %+v", got)
	}

	// ---- grading: each member grades the essays assigned to them with a
	// signature over the server's payload
	byApp := map[string]int{}
	for i, c := range cs {
		byApp[c.app] = i
	}
	marks := map[int][]int{0: {5, 5}, 1: {4, 3}, 2: {2, 2}, 4: {4, 4}}
	given := map[int]int{}
	type graderEssay struct {
		Application string `json:"application"`
		PIN         string `json:"pin"`
		Text        string `json:"text"`
		Mine        *struct {
			Score int    `json:"score"`
			Key   string `json:"key"`
		} `json:"mine"`
	}
	graded := 0
	for mi, m := range members {
		var list []graderEssay
		mdo(m, "GET", "/api/grading/essays", nil, http.StatusOK, &list)
		assigned := map[string]bool{}
		for _, ge := range list {
			assigned[ge.Application] = true
		}
		for _, ge := range list {
			i := byApp[ge.Application]
			if ge.PIN != cs[i].pin || ge.Text == "" {
				t.Fatalf("the grader's essay of candidate %d: %+v", i, ge)
			}
			sc := marks[i][given[i]]
			path := "/api/grading/essays/" + ge.Application
			var p gradePayload
			mdo(m, "POST", path+"/payload", map[string]int{"score": sc}, http.StatusOK, &p)
			good := m.sign(p, sc)
			if graded == 0 {
				// Forged (one bit of the signature), signed by another
				// member, for another score: refused, nothing kept.
				forged := m.sign(p, sc)
				sig := append([]byte(nil), forged["signature"].([]byte)...)
				sig[3] ^= 0x10
				forged["signature"] = sig
				mdo(m, "POST", path+"/grade", forged, http.StatusBadRequest, nil).refused(t, "a forged grade", "workflow.err.grade_signature", "p.115")
				other := members[(mi+1)%3].sign(p, sc)
				mdo(m, "POST", path+"/grade", other, http.StatusBadRequest, nil).refused(t, "a grade signed with another member's key", "workflow.err.grade_signature", "p.115")
				raised := m.sign(p, sc)
				raised["score"] = (sc + 1) % 6
				mdo(m, "POST", path+"/grade", raised, http.StatusBadRequest, nil).refused(t, "a grade changed after signing", "workflow.err.grade_signature", "p.115")
				unsigned := m.sign(p, sc)
				delete(unsigned, "signature")
				mdo(m, "POST", path+"/grade", unsigned, http.StatusBadRequest, nil).refused(t, "an unsigned grade", "workflow.err.grade_unsigned", "p.115")
				// The signature of this essay's grade sent for another
				// essay of the member: bound to its subject, it fails.
				for _, o := range list {
					if o.Application != ge.Application {
						mdo(m, "POST", "/api/grading/essays/"+o.Application+"/grade", good, http.StatusBadRequest, nil).refused(t, "a grade moved to another essay", "workflow.err.grade_signature", "p.115")
						break
					}
				}
			}
			var after graderEssay
			mdo(m, "POST", path+"/grade", good, http.StatusOK, &after)
			if after.Mine == nil || after.Mine.Score != sc || after.Mine.Key == "" {
				t.Fatalf("the grade of candidate %d: %+v", i, after)
			}
			// Replayed: the very same signed grade again.
			mdo(m, "POST", path+"/grade", good, http.StatusConflict, nil).refused(t, "a replayed grade", "workflow.err.graded_once", "p.115")
			given[i]++
			graded++
		}
		// An essay assigned to others is refused.
		for i, c := range cs {
			if i == 3 || assigned[c.app] {
				continue
			}
			mdo(m, "GET", "/api/grading/essays/"+c.app, nil, http.StatusForbidden, nil).refused(t, "an essay assigned to other members", "workflow.err.not_grader", "p.115")
		}
	}
	if graded != 8 {
		t.Fatalf("%d grades given, want 8 (4 released essays × 2 graders)", graded)
	}
	// ---- p.120: at most three finalists, by the cumulative score
	var st []struct {
		Application string          `json:"application"`
		Essay       json.RawMessage `json:"essay"`
		EssayState  string          `json:"essay_state"`
		Eligible    bool            `json:"eligible"`
	}
	api.do(hr, "GET", "/api/competitions/"+cid+"/standings", "", nil, http.StatusOK, &st)
	wantOrder := []int{0, 4, 1, 2, 3} // 5, 4, 3.5, 2, violation
	if len(st) != n {
		t.Fatalf("standings: %+v", st)
	}
	for k, i := range wantOrder {
		if st[k].Application != cs[i].app {
			t.Fatalf("standings place %d is %s, want candidate %d: %+v", k+1, st[k].Application, i, st)
		}
	}
	if st[4].EssayState != "violation" || st[4].Eligible || string(st[0].Essay) != "5" || string(st[2].Essay) != "3.5" {
		t.Fatalf("standings: %+v", st)
	}
	var sel struct {
		Interview struct {
			Finalists []struct {
				Application string `json:"application"`
				Rank        int    `json:"rank"`
			} `json:"finalists"`
		} `json:"interview"`
	}
	api.do(hr, "POST", "/api/competitions/"+cid+"/interview/select", "", nil, http.StatusOK, &sel)
	fin := sel.Interview.Finalists
	if len(fin) != 3 || fin[0].Application != cs[0].app || fin[1].Application != cs[4].app || fin[2].Application != cs[1].app {
		t.Fatalf("p.120 finalists %+v, want A, E, B", fin)
	}
	api.do(hr, "POST", "/api/competitions/"+cid+"/interview/select", "", nil, http.StatusConflict, nil).
		refused(t, "a second selection", "workflow.err.p120_selected", "p.120")

	// ---- p.122: the notice reaches the finalists only
	clk.set(almaty("2026-03-17 09:00"))
	var sent struct{ Count int }
	api.do(hr, "POST", "/api/competitions/"+cid+"/interview/notify", "", nil, http.StatusOK, &sent)
	if sent.Count != 3 {
		t.Fatalf("the interview notice went to %d, want the 3 finalists", sent.Count)
	}
	for i, c := range cs {
		var inbox struct {
			Notifications []struct{ Key string }
		}
		api.do(nil, "GET", "/api/cabinet/inbox", c.cabinet, nil, http.StatusOK, &inbox)
		invited := false
		for _, x := range inbox.Notifications {
			invited = invited || x.Key == "workflow.notify.interview"
		}
		if finalist := i == 0 || i == 1 || i == 4; invited != finalist {
			t.Errorf("candidate %d: invited %v, finalist %v (p.120, p.122)", i, invited, finalist)
		}
	}

	// ---- p.130: every member scores every finalist, signed
	ivScores := map[int]int{0: 1, 4: 3, 1: 2}
	path := func(i int) string { return "/api/competitions/" + cid + "/interview/" + cs[i].app }
	var p gradePayload
	mdo(members[0], "POST", path(0)+"/payload", map[string]int{"score": 1}, http.StatusOK, &p)
	mdo(members[0], "POST", path(0)+"/score", members[0].sign(p, 1), http.StatusConflict, nil).
		refused(t, "an interview score before the interview", "workflow.err.p130_not_started", "p.130")
	mdo(members[0], "POST", path(2)+"/payload", map[string]int{"score": 1}, http.StatusNotFound, nil).
		refused(t, "an interview payload of a candidate who is no finalist", "workflow.err.p120_not_finalist", "p.120")
	clk.set(almaty("2026-03-18 10:30"))
	mdo(members[0], "POST", path(0)+"/payload", map[string]int{"score": 4}, http.StatusBadRequest, nil).
		refused(t, "an interview score of 4", "workflow.err.grade_range", "p.130")
	for mi, m := range members {
		for _, i := range []int{0, 4, 1} {
			sc := ivScores[i]
			mdo(m, "POST", path(i)+"/payload", map[string]int{"score": sc}, http.StatusOK, &p)
			if mi == 0 && i == 0 {
				forged := members[1].sign(p, sc)
				mdo(m, "POST", path(i)+"/score", forged, http.StatusBadRequest, nil).refused(t, "a forged interview score", "workflow.err.grade_signature", "p.130")
			}
			var c struct{ Status string }
			mdo(m, "POST", path(i)+"/score", m.sign(p, sc), http.StatusOK, &c)
			if last := mi == 2 && i == 1; (c.Status == "completed") != last {
				t.Fatalf("after %s scored candidate %d: status %s", m.name, i, c.Status)
			}
			if mi == 0 && i == 0 {
				mdo(m, "POST", path(i)+"/score", m.sign(p, sc), http.StatusConflict, nil).refused(t, "a replayed interview score", "workflow.err.scored_once", "p.130")
			}
		}
	}

	// ---- the results: E 4+3, A 5+1, B 3.5+2, then C and D
	var res []struct {
		Rank        int             `json:"rank"`
		Application string          `json:"application"`
		PIN         string          `json:"pin"`
		Total       json.RawMessage `json:"total"`
		Interview   json.RawMessage `json:"interview"`
		Finalist    bool            `json:"finalist"`
	}
	api.do(hr, "GET", "/api/competitions/"+cid+"/results", "", nil, http.StatusOK, &res)
	want := []struct {
		cand  int
		total string
	}{{4, "7"}, {0, "6"}, {1, "5.5"}, {2, "2"}, {3, "0"}}
	if len(res) != n {
		t.Fatalf("results: %+v", res)
	}
	for k, w := range want {
		got := res[k]
		if got.Rank != k+1 || got.Application != cs[w.cand].app || string(got.Total) != w.total || got.Finalist != (k < 3) {
			t.Errorf("results place %d: %+v, want candidate %d with %s", k+1, got, w.cand, w.total)
		}
	}
	mdo(members[0], "GET", "/api/competitions/"+cid+"/results", nil, http.StatusOK, nil)
	mdo(members[0], "GET", "/api/competitions/"+cid+"/standings", nil, http.StatusOK, nil)
	mdo(members[0], "GET", "/api/competitions/"+cid+"/results.csv", nil, http.StatusForbidden, nil)
	var raw []byte
	api.do(hr, "GET", "/api/competitions/"+cid+"/results.csv", "", nil, http.StatusOK, &raw)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("results.csv: %v: %s", err, raw)
	}
	wantRows := [][]string{
		{"rank", "pin", "personal_qualities", "textual_numerical", "essay", "essay_state", "interview", "total", "finalist", "legislation"},
		{"1", cs[4].pin, "", "", "4", "scored", "3", "7", "true", ""},
		{"2", cs[0].pin, "", "", "5", "scored", "1", "6", "true", ""},
		{"3", cs[1].pin, "", "", "3.5", "scored", "2", "5.5", "true", ""},
		{"4", cs[2].pin, "", "", "2", "scored", "", "2", "false", ""},
		{"5", cs[3].pin, "", "", "", "violation", "", "0", "false", ""},
	}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("results.csv:\n%q\nwant\n%q", rows, wantRows)
	}

	// ---- p.74-1: no commission answer of the flow names a candidate
	fields := regexp.MustCompile(`"(personal|iin|email|e_mail|phone|full_name|surname|first_name|last_name|birth_date)"\s*:`)
	if len(api.seen) < 40 {
		t.Fatalf("only %d commission answers kept; the p.74-1 check would prove little", len(api.seen))
	}
	pinsSeen := 0
	for what, body := range api.seen {
		if m := fields.Find(body); m != nil {
			t.Errorf("p.74-1: %s answered with the field %s", what, m)
		}
		for i, c := range cs {
			for kind, v := range map[string]string{"name": c.name, "IIN": c.iin, "e-mail": c.email, "phone": c.phone} {
				if bytes.Contains(body, []byte(v)) {
					t.Errorf("p.74-1: %s answered with candidate %d's %s", what, i, kind)
				}
			}
			if bytes.Contains(body, []byte(c.pin)) {
				pinsSeen++
			}
		}
	}
	if pinsSeen == 0 {
		t.Fatal("no commission answer shows a PIN: the check looked at nothing")
	}
}
