package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/store"
)

// walkStages is the part of the OpenAPI walk for the stages (p.115, p.120,
// p.130), on the demo competition whose essay runs now: the essay of the
// demo candidate (no agent joined: refused), the essay of a second
// candidate of that competition written under a joined agent, its clean
// check results published by the proctor, its release to the commission,
// the demo commission member's signing key and signed grade (a forged and
// a replayed one refused), and HR's and the members' interview routes,
// refused while the essay runs.
func walkStages(t *testing.T, w *conformance, r app.Ready, staff map[store.Role]*http.Client) {
	t.Helper()
	d := r.Demo
	hr, proctor, member := staff[store.RoleHR], staff[store.RoleProctor], staff[store.RoleCommittee]
	cp := map[string]string{"id": d.Competition}
	jdo := func(who string, c *http.Client, bearer, route string, params map[string]string, body any, good bool) (int, []byte) {
		t.Helper()
		var b []byte
		switch x := body.(type) {
		case nil:
		case string:
			b = []byte(x)
		default:
			b = jsonBody(t, x)
		}
		return w.do(call{who: who, client: c, bearer: bearer, route: route, params: params, body: b, good: good, bad: !good})
	}
	wantKey := func(what string, raw []byte, key string) {
		t.Helper()
		if e := decodeAs[apiError](t, what, raw); e.Error.Key != key {
			t.Errorf("%s: key %q, want %q: %s", what, e.Error.Key, key, raw)
		}
	}

	// ---- the demo candidate's essay: shown, but no agent joined its sitting
	demoEssay := strings.TrimPrefix(d.EssayCabinet, "/cabinet.html#inbox=")
	if demoEssay == "" {
		t.Fatal("the demo has no essay cabinet")
	}
	code, raw := jdo("candidate (essay)", nil, demoEssay, "GET /api/cabinet/essay", nil, nil, true)
	if code != http.StatusOK {
		t.Fatalf("GET /api/cabinet/essay: %d %s", code, raw)
	}
	if ev := decodeAs[struct {
		Limit    int   `json:"limit"`
		Revision int64 `json:"revision"`
		Ends     *string
	}](t, "GET /api/cabinet/essay", raw); ev.Limit != 250 || ev.Revision != 0 || ev.Ends == nil {
		t.Errorf("the demo candidate's essay before any save: %s", raw)
	}
	jdo("candidate", nil, "not-a-token", "GET /api/cabinet/essay", nil, nil, true)
	code, raw = jdo("candidate (essay)", nil, demoEssay, "PUT /api/cabinet/essay", nil, map[string]any{"text": "бірінші сөз", "revision": 1}, true)
	wantRefusal(t, "an essay saved before the agent joined", code, raw, http.StatusConflict, "conflict", "rule 10")
	wantKey("an essay saved before the agent joined", raw, "workflow.err.essay_no_agent")
	jdo("candidate (essay)", nil, demoEssay, "POST /api/cabinet/essay/submit", nil, map[string]any{"text": "бірінші сөз", "revision": 1}, true)
	jdo("candidate (essay)", nil, demoEssay, "PUT /api/cabinet/essay", nil, map[string]any{"text": "x", "revision": 0}, false)
	jdo("candidate (essay)", nil, demoEssay, "PUT /api/cabinet/essay", nil, `{"text":"x","revision":1,"words":1}`, false)
	jdo("candidate", nil, "", "PUT /api/cabinet/essay", nil, map[string]any{"text": "x", "revision": 1}, true)
	jdo("candidate", nil, "", "POST /api/cabinet/essay/submit", nil, map[string]any{"text": "x", "revision": 1}, true)

	// ---- a second candidate of the competition: a cabinet token from HR,
	// the agent joins with the link of the cabinet, the essay is written
	type appStages struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		PIN    string `json:"pin"`
		Stages []struct {
			Stage   string `json:"stage"`
			Sitting string `json:"sitting"`
		} `json:"stages"`
	}
	_, raw = jdo("hr", hr, "", "GET /api/competitions/{id}/applications", cp, nil, true)
	apps := decodeAs[[]appStages](t, "applications", raw)
	var app, sitting, pin string
	for _, a := range apps {
		for _, s := range a.Stages {
			if a.Status == "admitted" && s.Stage == "essay" && s.Sitting != d.SittingID && app == "" {
				app, sitting, pin = a.ID, s.Sitting, a.PIN
			}
		}
	}
	if app == "" {
		t.Fatalf("the demo competition %s has no second candidate with an essay sitting: %s", d.Competition, raw)
	}
	code, raw = jdo("hr", hr, "", "POST /api/applications/{id}/cabinet", map[string]string{"id": app}, nil, true)
	if code != http.StatusCreated {
		t.Fatalf("a cabinet token for %s: %d %s", app, code, raw)
	}
	cab := decodeAs[struct {
		Token string `json:"token"`
	}](t, "cabinet", raw).Token
	_, raw = jdo("candidate 2", nil, cab, "GET /api/cabinet/inbox", nil, nil, true)
	join := decodeAs[inboxJoins](t, "inbox", raw).token("essay")
	if join == "" {
		t.Fatalf("the inbox has no essay join link: %s", raw)
	}
	ag := joinAgent(t, r.URL, join)
	defer ag.Close()
	jdo("hr", hr, "", "PUT /api/sittings/{id}/proctors", map[string]string{"id": sitting}, map[string][]string{"proctors": {d.ProctorUser}}, true)

	text := "Мемлекеттік қызмет — халыққа қызмет ету."
	if code, raw := jdo("candidate 2", nil, cab, "PUT /api/cabinet/essay", nil, map[string]any{"text": text, "revision": 2}, true); code != http.StatusOK {
		t.Fatalf("PUT /api/cabinet/essay under a joined agent: %d %s", code, raw)
	}
	// A resent older save changes nothing.
	_, raw = jdo("candidate 2", nil, cab, "PUT /api/cabinet/essay", nil, map[string]any{"text": "old", "revision": 1}, true)
	if ev := decodeAs[struct {
		Text     string `json:"text"`
		Revision int64  `json:"revision"`
	}](t, "PUT /api/cabinet/essay", raw); ev.Text != text || ev.Revision != 2 {
		t.Errorf("an older save overwrote a newer one: %s", raw)
	}
	code, raw = jdo("candidate 2", nil, cab, "PUT /api/cabinet/essay", nil, map[string]any{"text": strings.Repeat("a", 40<<10), "revision": 3}, true)
	wantRefusal(t, "an essay over 32 KiB", code, raw, http.StatusRequestEntityTooLarge, "too_large", "")
	long := strings.TrimSpace(strings.Repeat("сөз ", 251))
	code, raw = jdo("candidate 2", nil, cab, "POST /api/cabinet/essay/submit", nil, map[string]any{"text": long, "revision": 3}, true)
	wantRefusal(t, "an essay of 251 words", code, raw, http.StatusBadRequest, "invalid", "p.115")
	code, raw = jdo("candidate 2", nil, cab, "POST /api/cabinet/essay/submit", nil, map[string]any{"text": text, "revision": 4}, true)
	if code != http.StatusOK || decodeAs[struct {
		SHA256 string `json:"sha256"`
	}](t, "submit", raw).SHA256 == "" {
		t.Fatalf("submit the essay: %d %s", code, raw)
	}
	code, raw = jdo("candidate 2", nil, cab, "POST /api/cabinet/essay/submit", nil, map[string]any{"text": "another text", "revision": 5}, true)
	wantRefusal(t, "another text after submission", code, raw, http.StatusConflict, "conflict", "p.115")

	// Before the check results: held (p.115).
	if err := r.Workflow.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	ap := map[string]string{"app": app}
	code, raw = jdo("commission", member, "", "GET /api/grading/essays/{app}", ap, nil, true)
	wantRefusal(t, "an essay before its check results", code, raw, http.StatusConflict, "conflict", "p.115")
	jdo("proctor", proctor, "", "POST /api/sittings/{id}/end", map[string]string{"id": sitting}, map[string]string{"reason": "OpenAPI walk: essay submitted"}, true)
	if code, raw := jdo("proctor", proctor, "", "POST /api/sittings/{id}/verdict", map[string]string{"id": sitting}, map[string]any{"outcome": "clean"}, true); code != http.StatusCreated {
		t.Fatalf("publish the essay's clean check results: %d %s", code, raw)
	}
	if err := r.Workflow.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, raw = jdo("hr", hr, "", "GET /api/competitions/{id}/essays", cp, nil, true)
	released := false
	for _, es := range decodeAs[[]struct {
		Application string   `json:"application"`
		Text        string   `json:"text"`
		Graders     []string `json:"graders"`
		Released    *string  `json:"released"`
	}](t, "essays", raw) {
		if es.Application == app {
			released = es.Released != nil && len(es.Graders) > 0
		}
		if es.Text != "" {
			t.Errorf("HR's essay list carries the text of %s", es.Application)
		}
	}
	if !released {
		t.Fatalf("the essay was not released after clean check results: %s", raw)
	}

	// ---- the commission member's key and grade
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	jdo("commission", member, "", "POST /api/me/signing-key", nil, map[string]string{"format": "pem", "key": base64.StdEncoding.EncodeToString(spki)}, false)
	code, raw = jdo("commission", member, "", "POST /api/me/signing-key", nil, map[string]string{"format": "spki", "key": base64.StdEncoding.EncodeToString([]byte("not a key"))}, true)
	wantRefusal(t, "a signing key that is no Ed25519 key", code, raw, http.StatusBadRequest, "invalid", "p.115")
	code, raw = jdo("commission", member, "", "POST /api/me/signing-key", nil, map[string]string{"format": "spki", "key": base64.StdEncoding.EncodeToString(spki)}, true)
	sum := sha256.Sum256(pub)
	if code != http.StatusOK || decodeAs[struct {
		Fingerprint string `json:"fingerprint"`
	}](t, "signing key", raw).Fingerprint != hex.EncodeToString(sum[:]) {
		t.Fatalf("register an SPKI key: %d %s, want the fingerprint %x", code, raw, sum)
	}
	if code, raw := jdo("commission", member, "", "GET /api/me/signing-key", nil, nil, true); code != http.StatusOK {
		t.Errorf("GET /api/me/signing-key after registering: %d %s", code, raw)
	}
	jdo("proctor", proctor, "", "GET /api/me/signing-key", nil, nil, true)
	_, raw = jdo("commission", member, "", "GET /api/grading/essays", nil, nil, true)
	mine := decodeAs[[]struct {
		Application string `json:"application"`
		PIN         string `json:"pin"`
	}](t, "grading", raw)
	if len(mine) != 1 || mine[0].Application != app || mine[0].PIN != pin {
		t.Fatalf("the commission member's essays: %s, want the one of %s (PIN %s)", raw, app, pin)
	}
	if code, raw := jdo("commission", member, "", "GET /api/grading/essays/{app}", ap, nil, true); code != http.StatusOK || !strings.Contains(string(raw), "халыққа") {
		t.Fatalf("GET /api/grading/essays/{app}: %d %s", code, raw)
	}
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/payload", ap, map[string]int{"score": 9}, true)
	wantRefusal(t, "an essay grade of 9", code, raw, http.StatusBadRequest, "invalid", "p.115")
	jdo("commission", member, "", "POST /api/grading/essays/{app}/payload", map[string]string{"app": "no-such-application"}, map[string]int{"score": 4}, true)
	jdo("commission", member, "", "POST /api/grading/essays/{app}/payload", ap, `{"score":"four"}`, false)
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/payload", ap, map[string]int{"score": 4}, true)
	if code != http.StatusOK {
		t.Fatalf("the payload of a grade: %d %s", code, raw)
	}
	pl := decodeAs[struct {
		Payload string `json:"payload"`
		Issued  string `json:"issued"`
		Nonce   string `json:"nonce"`
	}](t, "payload", raw)
	sig := ed25519.Sign(priv, []byte(pl.Payload))
	signed := func(sc int, sig []byte) map[string]any {
		return map[string]any{"score": sc, "issued": pl.Issued, "nonce": pl.Nonce, "format": "ed25519", "signature": sig}
	}
	forged := append([]byte(nil), sig...)
	forged[5] ^= 1
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/grade", ap, signed(4, forged), true)
	wantRefusal(t, "a forged essay grade", code, raw, http.StatusBadRequest, "invalid", "p.115")
	wantKey("a forged essay grade", raw, "workflow.err.grade_signature")
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/grade", ap, signed(5, sig), true)
	wantRefusal(t, "a grade raised after signing", code, raw, http.StatusBadRequest, "invalid", "p.115")
	jdo("commission", member, "", "POST /api/grading/essays/{app}/grade", ap, `{"score":4,"signature":"not base64!"}`, false)
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/grade", ap, signed(4, sig), true)
	if code != http.StatusOK || !strings.Contains(string(raw), `"mine":`) {
		t.Fatalf("a signed essay grade: %d %s", code, raw)
	}
	code, raw = jdo("commission", member, "", "POST /api/grading/essays/{app}/grade", ap, signed(4, sig), true)
	wantRefusal(t, "a replayed essay grade", code, raw, http.StatusConflict, "conflict", "p.115")
	jdo("proctor", proctor, "", "POST /api/grading/essays/{app}/grade", ap, signed(4, sig), true)
	jdo("assessor", staff[store.RoleAssessor], "", "GET /api/grading/essays", nil, nil, true)
	jdo("assessor", staff[store.RoleAssessor], "", "GET /api/grading/essays/{app}", ap, nil, true)

	// ---- standings, the interview (the essay still runs), results
	for _, route := range []string{"GET /api/competitions/{id}/standings", "GET /api/competitions/{id}/results"} {
		for _, c := range []*http.Client{hr, member} {
			if code, raw := jdo("hr or commission", c, "", route, cp, nil, true); code != http.StatusOK || !strings.Contains(string(raw), pin) {
				t.Errorf("%s: %d %s", route, code, raw)
			}
		}
	}
	code, raw = jdo("hr", hr, "", "GET /api/competitions/{id}/results.csv", cp, nil, true)
	if code != http.StatusOK || !strings.HasPrefix(string(raw), "rank,pin,personal_qualities,textual_numerical,essay,essay_state,interview,total,finalist,legislation\n") {
		t.Errorf("GET results.csv: %d %s", code, raw)
	}
	jdo("commission", member, "", "GET /api/competitions/{id}/results.csv", cp, nil, true)
	code, raw = jdo("hr", hr, "", "GET /api/competitions/{id}/results.pdf", cp, nil, true)
	if code != http.StatusOK || !strings.HasPrefix(string(raw), "%PDF-") {
		t.Errorf("GET results.pdf: %d %.40q", code, raw)
	}
	code, raw = w.do(call{who: "hr", client: hr, route: "GET /api/competitions/{id}/results.pdf", params: cp, query: "lang=fr", bad: true})
	wantRefusal(t, "a results PDF in French", code, raw, http.StatusBadRequest, "invalid", "")
	jdo("commission", member, "", "GET /api/competitions/{id}/results.pdf", cp, nil, true)
	if code, raw := jdo("commission", member, "", "GET /api/grading/interviews", nil, nil, true); code != http.StatusOK || string(raw) != "[]\n" && string(raw) != "[]" {
		t.Errorf("GET /api/grading/interviews before any selection: %d %s", code, raw)
	}
	jdo("proctor", proctor, "", "GET /api/grading/interviews", nil, nil, true)
	code, raw = jdo("hr", hr, "", "POST /api/competitions/{id}/interview/select", cp, nil, true)
	wantRefusal(t, "selecting the finalists while the essay runs", code, raw, http.StatusConflict, "conflict", "p.120")
	jdo("hr", hr, "", "POST /api/competitions/{id}/interview/select", map[string]string{"id": "no-such-competition"}, nil, true)
	jdo("commission", member, "", "POST /api/competitions/{id}/interview/select", cp, nil, true)
	ip := map[string]string{"id": d.Competition, "app": app}
	code, raw = jdo("commission", member, "", "POST /api/competitions/{id}/interview/{app}/payload", ip, map[string]int{"score": 2}, true)
	wantRefusal(t, "an interview payload before the finalists were selected", code, raw, http.StatusNotFound, "not_found", "p.120")
	jdo("commission", member, "", "POST /api/competitions/{id}/interview/{app}/payload", ip, `{"score":2,"extra":true}`, false)
	jdo("hr", hr, "", "POST /api/competitions/{id}/interview/{app}/payload", ip, map[string]int{"score": 2}, true)
	code, raw = jdo("commission", member, "", "POST /api/competitions/{id}/interview/{app}/score", ip, signed(2, sig), true)
	wantRefusal(t, "an interview score before the finalists were selected", code, raw, http.StatusNotFound, "not_found", "p.120")
	jdo("commission", member, "", "POST /api/competitions/{id}/interview/{app}/score", ip, `{"score":2}`, false)
	jdo("hr", hr, "", "POST /api/competitions/{id}/interview/{app}/score", ip, signed(2, sig), true)
}

// inboxJoins is the join links of a cabinet's inbox.
type inboxJoins struct {
	Join []struct{ Stage, Link string }
}

// token is the join token of stage's link ("" when the inbox has none).
func (ib inboxJoins) token(stage string) string {
	for _, j := range ib.Join {
		if j.Stage == stage {
			_, tok, _ := strings.Cut(j.Link, "#token=")
			return tok
		}
	}
	return ""
}
