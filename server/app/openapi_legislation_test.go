package app_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/store"
)

// walkLegislation is the part of the OpenAPI walk for the legislation
// test (p.14): HR imports a legislation bank (15/15/15/10 by act plus
// spares), a competition of the walk's own runs its legislation stage
// now; before a result the certificate is refused; the candidate sits
// the test under a joined agent, answers 20 right (below the 30 to pass)
// and submits; the test view carries the result and the certificate,
// the cabinet serves the certificate as a PDF in each language, the
// later stage is closed, and the standings say below_pass.
func walkLegislation(t *testing.T, w *conformance, r app.Ready, staff map[store.Role]*http.Client, clk *shiftClock) {
	t.Helper()
	hr := staff[store.RoleHR]
	lk := map[string]string{"kind": "legislation"}

	// ---- HR defines a program of its own (once: never changed)
	program := `{"id":"walk-pq-10","stage":"personal_qualities","title":{"kk":"Жеке қасиеттер, 10 сұрақ","ru":"Личные качества, 10 вопросов","en":"Personal qualities, 10 questions"},` +
		`"description":"the walk's program","source":"the OpenAPI walk","time_limit":"15m","scoring":"personal_qualities",` +
		`"sections":[{"id":"all","title":{"kk":"Барлығы","ru":"Все","en":"All"},"category":"personal-qualities","count":10}]}`
	define := func(who string, c *http.Client, body, ctype string, good bool) (int, []byte) {
		return w.do(call{who: who, client: c, route: "POST /api/test-programs", body: []byte(body), ctype: ctype, good: good, bad: !good})
	}
	if code, raw := define("hr", hr, program, "application/json", true); code != http.StatusCreated || !strings.Contains(string(raw), `"shipped":false`) || !strings.Contains(string(raw), `"questions":10`) {
		t.Errorf("define a program: want 201 with HR's program: %d %s", code, raw)
	}
	code, raw := define("hr", hr, program, "application/json", true)
	wantRefusal(t, "a program defined twice", code, raw, http.StatusConflict, "conflict", "")
	code, raw = define("hr", hr, strings.Replace(program, `"id":"walk-pq-10"`, `"id":"walk-pq-11","colour":"red"`, 1), "application/json", true)
	wantRefusal(t, "a program with an unknown field", code, raw, http.StatusBadRequest, "invalid", "")
	code, raw = define("hr", hr, program, "text/plain", false)
	wantRefusal(t, "a program sent as text/plain", code, raw, http.StatusUnsupportedMediaType, "invalid", "")
	define("proctor", staff[store.RoleProctor], program, "application/json", true)
	if _, raw := w.do(call{who: "hr", client: hr, route: "GET /api/test-programs", good: true}); !strings.Contains(string(raw), `"id":"walk-pq-10"`) {
		t.Errorf("HR's program is not listed: %s", raw)
	}

	items, order := map[string]string{}, []string{}
	for _, act := range []struct {
		category string
		n        int
	}{{"constitution", 16}, {"civil-service", 16}, {"anti-corruption", 16}, {"ethics-code", 11}} {
		for i := range act.n {
			id := fmt.Sprintf("walk-%s-%02d", act.category, i)
			items[id], order = qtiChoice(id, act.category), append(order, id)
		}
	}
	code, raw = w.do(call{who: "hr", client: hr, route: "POST /api/banks/{bank}/import", params: map[string]string{"bank": "walk-legislation"}, query: "filename=legislation.zip",
		body: qtiPackage(t, items, order, nil), ctype: "application/zip", good: true})
	if im := decodeAs[bankImport](t, "import the legislation bank", raw); code != http.StatusOK || len(im.Added) != 59 {
		t.Fatalf("import the legislation bank of 59 items: %d %s", code, raw)
	}

	starts, ends := time.Now().Add(-30*time.Minute).UTC(), time.Now().Add(3*time.Hour).UTC()
	stage := map[string]any{"kind": "legislation", "starts": starts, "ends": ends, "bank": "walk-legislation"}
	later := map[string]any{"kind": "personal_qualities", "starts": ends.Add(time.Hour), "ends": ends.Add(2 * time.Hour), "bank": "walk-pq"}
	comp, cab, a := walkAdmitted(t, w, r, hr, clk, "legislation", "Test Candidate Three", 43, nil, stage, later)
	if comp.Stages[0].Kind != "legislation" || comp.Stages[0].Program != "legislation-corps-b" {
		t.Errorf("the legislation stage takes the legislation program: %+v", comp.Stages)
	}
	if code, raw := w.do(call{who: "hr", client: hr, route: "POST /api/competitions/{id}/stages/{kind}/open", params: map[string]string{"id": comp.ID, "kind": "legislation"}, body: []byte("{}"), good: true}); code != http.StatusOK {
		t.Fatalf("open the legislation sittings: %d %s", code, raw)
	}
	code, raw = w.do(call{who: "candidate", route: "GET /api/cabinet/certificate.pdf", bearer: cab, good: true})
	wantRefusal(t, "a certificate before the test", code, raw, http.StatusNotFound, "not_found", "p.14")
	w.do(call{who: "candidate", route: "GET /api/cabinet/certificate.pdf", good: true})

	_, raw = w.do(call{who: "candidate", route: "GET /api/cabinet/inbox", bearer: cab, good: true})
	join := decodeAs[inboxJoins](t, "inbox", raw).token("legislation")
	if join == "" {
		t.Fatalf("the inbox has no legislation join link: %s", raw)
	}
	ag := joinAgent(t, r.URL, join)
	defer ag.Close()
	code, raw = w.do(call{who: "candidate", route: "POST /api/cabinet/tests/{kind}/start", params: lk, bearer: cab, body: []byte("{}"), good: true})
	tv := decodeAs[testView](t, "start the legislation test", raw)
	if code != http.StatusOK || tv.Program != "legislation-corps-b" || len(tv.Questions) != 55 {
		t.Fatalf("start the legislation test: want 55 questions: %d %s", code, raw)
	}
	for i, q := range tv.Questions {
		choice := "B"
		if i < 20 {
			choice = "A"
		}
		if code, raw := w.do(call{who: "candidate", route: "PUT /api/cabinet/tests/{kind}/answers", params: lk, bearer: cab, good: true,
			body: jsonBody(t, map[string]any{"item": q.Item, "response": []string{choice}, "revision": 1})}); code != http.StatusOK {
			t.Fatalf("save an answer: %d %s", code, raw)
		}
	}
	code, raw = w.do(call{who: "candidate", route: "POST /api/cabinet/tests/{kind}/submit", params: lk, bearer: cab, body: []byte("{}"), good: true})
	res := decodeAs[struct {
		Correct     *int  `json:"correct"`
		Passed      *bool `json:"passed"`
		Certificate *struct {
			PIN        string `json:"pin"`
			RetestFrom string `json:"retest_from"`
			Correct    int    `json:"correct"`
		} `json:"certificate"`
	}](t, "submit the legislation test", raw)
	if code != http.StatusOK || res.Correct == nil || *res.Correct != 20 || res.Passed == nil || *res.Passed || res.Certificate == nil ||
		res.Certificate.PIN != a.PIN || res.Certificate.Correct != 20 || res.Certificate.RetestFrom == "" {
		t.Fatalf("the submitted legislation test: want 20 correct, below pass, with the certificate: %d %s", code, raw)
	}

	for _, lang := range []struct{ q, want string }{{"", "анықтама"}, {"lang=ru", "Справка"}, {"lang=en", "Certificate"}} {
		code, raw = w.do(call{who: "candidate", route: "GET /api/cabinet/certificate.pdf", bearer: cab, query: lang.q, good: true})
		if code != http.StatusOK || !strings.HasPrefix(string(raw), "%PDF-") {
			t.Fatalf("the certificate PDF (%s): %d %.200s", lang.q, code, raw)
		}
		text := pdfText(t, raw)
		if text == "" {
			continue
		}
		if !strings.Contains(text, lang.want) || !strings.Contains(text, a.PIN) || !strings.Contains(text, res.Certificate.RetestFrom) || strings.Contains(text, "Test Candidate") {
			t.Errorf("the certificate (%s) says: want %q, the PIN %s, the retest day %s and no name: %s", lang.q, lang.want, a.PIN, res.Certificate.RetestFrom, text)
		}
	}
	code, raw = w.do(call{who: "candidate", route: "GET /api/cabinet/certificate.pdf", bearer: cab, query: "lang=de", bad: true})
	wantRefusal(t, "a certificate in German", code, raw, http.StatusBadRequest, "invalid", "")

	code, raw = w.do(call{who: "hr", client: hr, route: "GET /api/competitions/{id}/standings", params: map[string]string{"id": comp.ID}, good: true})
	if code != http.StatusOK || !strings.Contains(string(raw), `"legislation":"below_pass"`) || !strings.Contains(string(raw), `"eligible":false`) {
		t.Errorf("the standings after a below-pass legislation test: %d %s", code, raw)
	}
}

// pdfText is a PDF's text by pdftotext (poppler-utils, which
// scripts/setup installs), or "" with a note when it is missing.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("could not check the PDF's text: pdftotext (poppler-utils) is not installed")
		return ""
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = strings.NewReader(string(pdf))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
