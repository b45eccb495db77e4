package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/store"
)

// shiftClock is the real clock moved by an offset the walk sets: the
// workflow runs on it, so a competition of the walk's own can be created
// and applied to in the past and taken to its stages now.
type shiftClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *shiftClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

// at moves the clock so that it reads t now.
func (c *shiftClock) at(t time.Time) {
	c.mu.Lock()
	c.d = time.Until(t)
	c.mu.Unlock()
}

func (c *shiftClock) reset() {
	c.mu.Lock()
	c.d = 0
	c.mu.Unlock()
}

// qtiChoice is a QTI 2.1 single-choice item of a category (its label);
// the choice "A" is correct.
func qtiChoice(id, category string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="` + id + `" title="` + id + `" label="` + category + `" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Question ` + id + `: how do you answer a citizen's complaint?</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <prompt>Choose one.</prompt>
      <simpleChoice identifier="A">within the time the law sets</simpleChoice>
      <simpleChoice identifier="B">when there is time</simpleChoice>
      <simpleChoice identifier="C">never</simpleChoice>
      <simpleChoice identifier="D" fixed="true">none of these</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
`
}

// qtiPictured is qtiChoice with two pictures under its question: a PNG
// the page shows and an SVG it does not (its alt stays in the text).
func qtiPictured(id, category string) string {
	return strings.Replace(qtiChoice(id, category), "</p>\n", `</p>
    <p><img src="img/seal.png" alt="the walk's seal"/> <img src="img/seal.svg" alt="the seal, drawn"/></p>
`, 1)
}

// walkPictures are the files qtiPictured refers to, by their path in the
// package (next to the items): a "PNG" (the server checks its signature,
// nothing decodes it) and an SVG.
func walkPictures() map[string][]byte {
	return map[string][]byte{"items/img/seal.png": []byte("\x89PNG\r\n\x1a\nthe walk's seal"), "items/img/seal.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}
}

// qtiEssay is graded by people: a test cannot ask it.
const qtiEssay = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="walk-essay" title="essay" label="personal-qualities" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <itemBody><extendedTextInteraction responseIdentifier="RESPONSE"><prompt>Write.</prompt></extendedTextInteraction></itemBody>
</assessmentItem>
`

// qtiPackage zips items (identifier → XML) with a manifest listing them,
// and the files (path → content) they refer to.
func qtiPackage(t *testing.T, items map[string]string, order []string, files map[string][]byte) []byte {
	t.Helper()
	var m strings.Builder
	m.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="walk-bank"><organizations/><resources>`)
	for i, id := range order {
		fmt.Fprintf(&m, `<resource identifier="res-%d" type="imsqti_item_xmlv2p1" href="items/%s.xml"><file href="items/%s.xml"/></resource>`, i, id, id)
	}
	m.WriteString(`</resources></manifest>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, data string) {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	add("imsmanifest.xml", m.String())
	for _, id := range order {
		add("items/"+id+".xml", items[id])
	}
	for name, data := range files {
		add(name, string(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type bankImport struct {
	Added     []struct{ Item, Version string } `json:"added"`
	Changed   []struct{ Item, Version string } `json:"changed"`
	Unchanged []struct{ Item, Version string } `json:"unchanged"`
	Refused   []struct {
		Item string `json:"item"`
		Key  string `json:"key"`
	} `json:"refused"`
	Items int `json:"items"`
}

type testView struct {
	Stage     string `json:"stage"`
	Program   string `json:"program"`
	Deadline  string `json:"deadline"`
	Questions []struct {
		Item    string `json:"item"`
		Text    string `json:"text"`
		Choices []struct {
			ID string `json:"id"`
		} `json:"choices"`
		Images []struct {
			Src string `json:"src"`
			Alt string `json:"alt"`
		} `json:"images"`
	} `json:"questions"`
	Answers []struct {
		Item     string   `json:"item"`
		Response []string `json:"response"`
		Revision int64    `json:"revision"`
	} `json:"answers"`
	Submitted *string  `json:"submitted"`
	Score     *float64 `json:"score"`
}

// walkComp is a competition of the walk as created.
type walkComp struct {
	ID       string    `json:"id"`
	Deadline time.Time `json:"deadline"`
	Stages   []struct {
		Kind, Program, Bank string
	} `json:"stages"`
}

// walkApp is an application by its id and PIN.
type walkApp struct {
	ID  string `json:"id"`
	PIN string `json:"pin"`
}

// walkAdmitted creates a competition of the walk's own with the stages,
// two weeks ago on the workflow's clock, publishes it, files one
// candidate's application with the documents (beforeReview sees it
// then), admits the candidate the day after the deadline and starts the
// stages; the clock is the real one again when it returns.
func walkAdmitted(t *testing.T, w *conformance, r app.Ready, hr *http.Client, clk *shiftClock, what, name string, iin int, beforeReview func(walkComp, string), stages ...map[string]any) (walkComp, string, walkApp) {
	t.Helper()
	defer clk.reset()
	clk.at(time.Now().AddDate(0, 0, -14))
	day := clk.now().In(calendar.Zone).Format(time.DateOnly)
	code, raw := w.do(call{who: "hr", client: hr, route: "POST /api/competitions", good: true,
		body: jsonBody(t, map[string]any{"body": "min-justice", "position": "expert, OpenAPI walk of the " + what + " stage", "opens": day, "deadline": day, "stages": stages})})
	if code != http.StatusCreated {
		t.Fatalf("create a competition with a %s stage: %d %s", what, code, raw)
	}
	comp := decodeAs[walkComp](t, "create", raw)
	cp := map[string]string{"id": comp.ID}
	if code, raw := w.do(call{who: "hr", client: hr, route: "POST /api/competitions/{id}/publish", params: cp, good: true, body: []byte("{}")}); code != http.StatusOK {
		t.Fatalf("publish: %d %s", code, raw)
	}
	code, raw = w.do(call{who: "public", route: "POST /api/competitions/{id}/apply", params: cp, good: true,
		body: jsonBody(t, map[string]string{"name": name, "iin": validIIN(t, iin), "email": fmt.Sprintf("walk%d@example.kz", iin), "phone": "+77010000002"})})
	if code != http.StatusCreated {
		t.Fatalf("apply: %d %s", code, raw)
	}
	cab := decodeAs[struct {
		Token string `json:"token"`
	}](t, "apply", raw).Token
	for _, kind := range []string{"education", "education_attachment"} {
		if code, raw := w.do(call{who: "candidate", route: "POST /api/cabinet/documents", query: "kind=" + kind, bearer: cab, good: true, body: tinyPDF, ctype: "application/pdf"}); code != http.StatusCreated {
			t.Fatalf("upload %s: %d %s", kind, code, raw)
		}
	}
	if beforeReview != nil {
		beforeReview(comp, cab)
	}
	// The day after the deadline: the review; the candidate admitted,
	// the stages started.
	clk.at(r.Workflow.Calendar().AddDays(comp.Deadline, 1).Add(4 * time.Hour))
	if err := r.Workflow.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	applications := func() []walkApp {
		_, raw := w.do(call{who: "hr", client: hr, route: "GET /api/competitions/{id}/applications", params: cp, good: true})
		apps := decodeAs[[]walkApp](t, "applications", raw)
		if len(apps) != 1 {
			t.Fatalf("the walk's competition has %d applications, want 1: %s", len(apps), raw)
		}
		return apps
	}
	a := applications()[0]
	if code, raw := w.do(call{who: "hr", client: hr, route: "POST /api/applications/{id}/review", params: map[string]string{"id": a.ID}, good: true, body: jsonBody(t, map[string]any{"outcome": "admitted"})}); code != http.StatusOK {
		t.Fatalf("admit: %d %s", code, raw)
	}
	if code, raw := w.do(call{who: "hr", client: hr, route: "POST /api/competitions/{id}/start-stages", params: cp, good: true, body: []byte("{}")}); code != http.StatusOK {
		t.Fatalf("start the stages: %d %s", code, raw)
	}
	if a = applications()[0]; a.PIN == "" {
		t.Fatalf("the admitted candidate has no PIN")
	}
	return comp, cab, a
}

// walkTests is the part of the OpenAPI walk for the test stages (Annex 3,
// rule 10): the demo candidate's competition has none (refused); HR's
// bank imports, good and refused; then a competition of the walk's own
// with a personal-qualities stage running now, created and applied to on
// a clock moved into the past, its candidate admitted, the stage's
// sitting opened and joined, the test started, answered, submitted and
// scored, and the score in HR's attempts, the standings and the results.
func walkTests(t *testing.T, w *conformance, r app.Ready, staff map[store.Role]*http.Client, clk *shiftClock) {
	t.Helper()
	defer clk.reset()
	hr, proctor := staff[store.RoleHR], staff[store.RoleProctor]
	do := func(who string, c *http.Client, bearer, route string, params map[string]string, body any, good bool) (int, []byte) {
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
	file := func(route string, params map[string]string, query, ctype string, body []byte, good bool) (int, []byte) {
		t.Helper()
		return w.do(call{who: "hr", client: hr, route: route, params: params, query: query, body: body, ctype: ctype, good: good, bad: !good})
	}
	wantKey := func(what string, raw []byte, key string) {
		t.Helper()
		if e := decodeAs[apiError](t, what, raw); e.Error.Key != key {
			t.Errorf("%s: key %q, want %q: %s", what, e.Error.Key, key, raw)
		}
	}
	pq := map[string]string{"kind": "personal_qualities"}

	// ---- the demo candidate: the competition has no test stage
	demo := strings.TrimPrefix(r.Demo.EssayCabinet, "/cabinet.html#inbox=")
	code, raw := do("candidate (essay)", nil, demo, "GET /api/cabinet/tests/{kind}", pq, nil, true)
	wantRefusal(t, "a test of a competition without that stage", code, raw, http.StatusNotFound, "not_found", "")
	wantKey("a test of a competition without that stage", raw, "workflow.err.test_no_stage")
	code, raw = do("candidate (essay)", nil, demo, "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
	wantRefusal(t, "starting a test the competition does not have", code, raw, http.StatusNotFound, "not_found", "")
	do("candidate (essay)", nil, demo, "PUT /api/cabinet/tests/{kind}/answers", pq, map[string]any{"item": "x", "response": []string{"A"}, "revision": 1}, true)
	do("candidate (essay)", nil, demo, "POST /api/cabinet/tests/{kind}/submit", map[string]string{"kind": "textual_numerical"}, nil, true)
	code, raw = do("candidate (essay)", nil, demo, "GET /api/cabinet/tests/{kind}", map[string]string{"kind": "essay"}, nil, false)
	wantRefusal(t, "the essay as a test", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("the essay as a test", raw, "workflow.err.test_kind")
	do("candidate", nil, "", "GET /api/cabinet/tests/{kind}", pq, nil, true)
	do("candidate", nil, "not-a-token", "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
	do("candidate", nil, "not-a-token", "PUT /api/cabinet/tests/{kind}/answers", pq, map[string]any{"item": "x", "response": []string{}, "revision": 1}, true)
	do("candidate", nil, "", "POST /api/cabinet/tests/{kind}/submit", pq, nil, true)

	// ---- HR's banks: refusals, then 40 personal-qualities items by
	// package and one more as a single document
	bank := map[string]string{"bank": "walk-pq"}
	if code, raw := do("hr", hr, "", "GET /api/banks/{bank}", bank, nil, true); code != http.StatusOK || strings.TrimSpace(string(raw)) != "[]" {
		t.Errorf("GET /api/banks/{bank} before any import: %d %s", code, raw)
	}
	do("hr", hr, "", "GET /api/banks/{bank}", map[string]string{"bank": "Walk PQ"}, nil, false)
	do("proctor", proctor, "", "GET /api/banks/{bank}", bank, nil, true)
	code, raw = file("POST /api/banks/{bank}/import", bank, "", "text/plain", []byte(qtiChoice("walk-pq-x", "personal-qualities")), false)
	wantRefusal(t, "a bank file sent as text/plain", code, raw, http.StatusUnsupportedMediaType, "invalid", "")
	wantKey("a bank file sent as text/plain", raw, "workflow.err.bank_type")
	code, raw = file("POST /api/banks/{bank}/import", map[string]string{"bank": "-walk"}, "", "application/xml", []byte(qtiChoice("walk-pq-x", "personal-qualities")), false)
	wantRefusal(t, "a bank name starting with '-'", code, raw, http.StatusBadRequest, "invalid", "")
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=empty.xml", "application/xml", []byte("  \n"), true)
	wantRefusal(t, "an empty bank file", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("an empty bank file", raw, "workflow.err.bank_file")
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=walk.zip", "application/zip", []byte("PK\x03\x04 not a zip"), true)
	wantRefusal(t, "a broken content package", code, raw, http.StatusBadRequest, "invalid", "")
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=big.zip", "application/zip", make([]byte, 20<<20+1), true)
	wantRefusal(t, "a bank file over 20 MiB", code, raw, http.StatusRequestEntityTooLarge, "too_large", "")
	wantKey("a bank file over 20 MiB", raw, "workflow.err.bank_large")
	w.do(call{who: "proctor", client: proctor, route: "POST /api/banks/{bank}/import", params: bank, body: []byte(qtiEssay), ctype: "application/xml", good: true})
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=essay.xml", "text/xml", []byte(qtiEssay), true)
	if im := decodeAs[bankImport](t, "import an essay item", raw); code != http.StatusOK || len(im.Refused) != 1 || im.Refused[0].Item != "walk-essay" ||
		im.Refused[0].Key != "workflow.err.bank_unusable" || len(im.Added) != 0 || im.Items != 0 {
		t.Errorf("an essay item imported into a test bank: want 200 with it refused by identifier: %d %s", code, raw)
	}
	items, order := map[string]string{}, []string{}
	for i := range 40 {
		id := fmt.Sprintf("walk-pq-%02d", i)
		items[id], order = qtiPictured(id, "personal-qualities"), append(order, id)
	}
	pictures := walkPictures()
	pkg := qtiPackage(t, items, order, pictures)
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=walk-pq.zip", "application/zip", pkg, true)
	if im := decodeAs[bankImport](t, "import a package", raw); code != http.StatusOK || len(im.Added) != 40 || len(im.Refused) != 0 || im.Items != 40 {
		t.Fatalf("import a package of 40 items: %d %s", code, raw)
	}
	code, raw = file("POST /api/banks/{bank}/import", bank, "", "application/x-zip-compressed", pkg, true)
	if im := decodeAs[bankImport](t, "import a package again", raw); code != http.StatusOK || len(im.Unchanged) != 40 || len(im.Added)+len(im.Changed) != 0 {
		t.Errorf("the same package imported again: want 40 unchanged: %d %s", code, raw)
	}
	code, raw = file("POST /api/banks/{bank}/import", bank, "filename=walk-pq-40.xml", "application/xml", []byte(qtiChoice("walk-pq-40", "personal-qualities")), true)
	if im := decodeAs[bankImport](t, "import an item", raw); code != http.StatusOK || len(im.Added) != 1 || im.Added[0].Item != "walk-pq-40" || im.Items != 41 {
		t.Errorf("import one item: %d %s", code, raw)
	}
	code, raw = do("hr", hr, "", "GET /api/banks/{bank}", bank, nil, true)
	if list := decodeAs[[]struct {
		Identifier string   `json:"identifier"`
		Categories []string `json:"categories"`
	}](t, "GET /api/banks/{bank}", raw); code != http.StatusOK || len(list) != 41 || strings.Contains(string(raw), "correctResponse") {
		t.Errorf("GET /api/banks/{bank} after the imports: want the 41 items without their correct responses: %d %s", code, raw)
	}
	// What the programs draw, for HR to see the walk's bank suffices.
	code, raw = do("hr", hr, "", "GET /api/test-programs", nil, nil, true)
	if ps := decodeAs[[]struct {
		ID       string `json:"id"`
		Bank     string `json:"bank"`
		Sections []struct {
			Category string `json:"category"`
			Count    int    `json:"count"`
		} `json:"sections"`
	}](t, "GET /api/test-programs", raw); code != http.StatusOK || len(ps) < 2 || ps[0].ID == "" || len(ps[0].Sections) == 0 || ps[0].Sections[0].Count < 1 {
		t.Errorf("GET /api/test-programs: want the test stages' programs with their sections: %d %s", code, raw)
	}
	do("proctor", proctor, "", "GET /api/test-programs", nil, nil, true)

	// ---- a competition with a personal-qualities stage running now,
	// created and applied to two weeks ago on the workflow's clock
	stageStarts, stageEnds := time.Now().Add(-30*time.Minute).UTC(), time.Now().Add(3*time.Hour).UTC()
	clk.at(time.Now().AddDate(0, 0, -14))
	day := clk.now().In(calendar.Zone).Format(time.DateOnly)
	newComp := func(stages ...map[string]any) map[string]any {
		return map[string]any{"body": "min-justice", "position": "expert, OpenAPI walk of the test stages", "opens": day, "deadline": day, "stages": stages}
	}
	pqStage := map[string]any{"kind": "personal_qualities", "starts": stageStarts, "ends": stageEnds, "program": "personal-qualities-example", "bank": "walk-pq"}
	code, raw = do("hr", hr, "", "POST /api/competitions", nil, newComp(map[string]any{"kind": "personal_qualities", "starts": stageStarts, "ends": stageEnds, "program": "textual-numerical-example"}), true)
	wantRefusal(t, "a personal-qualities stage under the textual/numerical program", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("a personal-qualities stage under the textual/numerical program", raw, "workflow.err.stage_program")
	code, raw = do("hr", hr, "", "POST /api/competitions", nil, newComp(map[string]any{"kind": "essay", "starts": stageStarts, "ends": stageEnds, "bank": "walk-pq"}), true)
	wantRefusal(t, "an essay stage with a bank", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("an essay stage with a bank", raw, "workflow.err.stage_not_test")
	do("hr", hr, "", "POST /api/competitions", nil, newComp(map[string]any{"kind": "personal_qualities", "starts": stageStarts, "ends": stageEnds, "bank": "Walk PQ"}), false)
	interview := map[string]any{"kind": "interview", "starts": stageEnds.Add(24 * time.Hour), "ends": stageEnds.Add(27 * time.Hour), "link": "https://meet.example.kz/walk"}
	comp, cab, app := walkAdmitted(t, w, r, hr, clk, "personal_qualities", "Test Candidate Two", 41, func(comp walkComp, cab string) {
		if len(comp.Stages) != 2 || comp.Stages[0].Program != "personal-qualities-example" || comp.Stages[0].Bank != "walk-pq" {
			t.Errorf("the stage's program and bank as created: %+v", comp.Stages)
		}
		code, raw := do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
		wantRefusal(t, "a test started before admission", code, raw, http.StatusConflict, "conflict", "p.74-1")
	}, pqStage, interview)
	cp := map[string]string{"id": comp.ID}

	// ---- the test, now: refused before the sitting and before the agent
	code, raw = do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
	wantRefusal(t, "a test started before its sitting was opened", code, raw, http.StatusConflict, "conflict", "")
	wantKey("a test started before its sitting was opened", raw, "workflow.err.test_no_sitting")
	if code, raw := do("hr", hr, "", "POST /api/competitions/{id}/stages/{kind}/open", map[string]string{"id": comp.ID, "kind": "personal_qualities"}, nil, true); code != http.StatusOK {
		t.Fatalf("open the personal-qualities sittings: %d %s", code, raw)
	}
	code, raw = do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
	wantRefusal(t, "a test started without the agent", code, raw, http.StatusConflict, "conflict", "rule 10")
	wantKey("a test started without the agent", raw, "workflow.err.test_no_agent")
	code, raw = do("candidate 3", nil, cab, "GET /api/cabinet/tests/{kind}", pq, nil, true)
	wantRefusal(t, "a test read before it was started", code, raw, http.StatusConflict, "conflict", "")
	wantKey("a test read before it was started", raw, "workflow.err.test_not_begun")
	code, raw = do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/submit", pq, nil, true)
	wantRefusal(t, "a test submitted before it was started", code, raw, http.StatusConflict, "conflict", "")
	_, raw = do("candidate 3", nil, cab, "GET /api/cabinet/inbox", nil, nil, true)
	join := decodeAs[inboxJoins](t, "inbox", raw).token("personal_qualities")
	if join == "" {
		t.Fatalf("the inbox has no personal-qualities join link: %s", raw)
	}
	ag := joinAgent(t, r.URL, join)
	defer ag.Close()
	seal := func(item, file string) map[string]string {
		return map[string]string{"kind": "personal_qualities", "item": item, "path": file}
	}
	code, raw = do("candidate 3", nil, cab, "GET /api/cabinet/tests/{kind}/assets/{item}/{path}", seal("walk-pq-00", "items/img/seal.png"), nil, true)
	wantRefusal(t, "a question's picture before the test started", code, raw, http.StatusConflict, "conflict", "")
	wantKey("a question's picture before the test started", raw, "workflow.err.test_not_begun")

	code, raw = do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/start", pq, nil, true)
	if code != http.StatusOK {
		t.Fatalf("start the test under a joined agent: %d %s", code, raw)
	}
	tv := decodeAs[testView](t, "start", raw)
	if tv.Stage != "personal_qualities" || tv.Program != "personal-qualities-example" || len(tv.Questions) != 40 || len(tv.Answers) != 0 || tv.Submitted != nil {
		t.Fatalf("the started test: want 40 questions of the example program, no answers: %s", raw)
	}
	if strings.Contains(string(raw), "correct") {
		t.Errorf("the candidate's test shows the correct responses: %s", raw)
	}
	if code, again := do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/start", pq, nil, true); code != http.StatusOK || decodeAs[testView](t, "start again", again).Questions[0].Item != tv.Questions[0].Item {
		t.Errorf("starting again: want the same attempt: %d %s", code, again)
	}
	walkPicturesServed(t, w, r.URL, cab, demo, tv, pictures["items/img/seal.png"])

	// 30 right, 10 wrong: S = 75 %, T = 0.02 × 75 = 1.5 (Annex 3).
	ap := func(item string, response []string, rev int64) map[string]any {
		return map[string]any{"item": item, "response": response, "revision": rev}
	}
	for i, q := range tv.Questions {
		choice := "A"
		if i >= 30 {
			choice = "B"
		}
		if code, raw := do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(q.Item, []string{choice}, 2), true); code != http.StatusOK {
			t.Fatalf("save the answer to %s: %d %s", q.Item, code, raw)
		}
	}
	first := tv.Questions[0].Item
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{"C"}, 1), true)
	if held := decodeAs[struct {
		Answer struct {
			Response []string `json:"response"`
			Revision int64    `json:"revision"`
		} `json:"answer"`
	}](t, "an older save", raw).Answer; code != http.StatusOK || held.Revision != 2 || len(held.Response) != 1 || held.Response[0] != "A" {
		t.Errorf("an older save overwrote a newer answer: %d %s", code, raw)
	}
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{"Z"}, 3), true)
	wantRefusal(t, "an answer that is not a choice", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("an answer that is not a choice", raw, "workflow.err.test_response")
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{"A", "B"}, 3), true)
	wantRefusal(t, "two answers to a single-choice question", code, raw, http.StatusBadRequest, "invalid", "")
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap("walk-essay", []string{"A"}, 3), true)
	wantRefusal(t, "an answer to a question not in the test", code, raw, http.StatusBadRequest, "invalid", "")
	wantKey("an answer to a question not in the test", raw, "workflow.err.test_item")
	do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{"A"}, 0), false)
	do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, `{"item":"`+first+`","response":["A"],"revision":3,"score":1}`, false)
	do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, make([]string, 101), 3), false)
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{strings.Repeat("a", 70<<10)}, 3), true)
	wantRefusal(t, "an answer over 64 KiB", code, raw, http.StatusRequestEntityTooLarge, "too_large", "")
	wantKey("an answer over 64 KiB", raw, "workflow.err.answer_body_large")
	code, raw = w.do(call{who: "candidate 3", route: "PUT /api/cabinet/tests/{kind}/answers", params: pq, bearer: cab, body: jsonBody(t, ap(first, []string{"A"}, 3)), ctype: "text/plain", bad: true})
	wantRefusal(t, "an answer sent as text/plain", code, raw, http.StatusUnsupportedMediaType, "invalid", "")

	code, raw = do("candidate 3", nil, cab, "GET /api/cabinet/tests/{kind}", pq, nil, true)
	if got := decodeAs[testView](t, "GET the test", raw); code != http.StatusOK || len(got.Answers) != 40 || got.Answers[0].Item != first || got.Score != nil {
		t.Errorf("the test with its 40 saved answers, in the order of the questions: %d %s", code, raw)
	}
	code, raw = do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/submit", pq, nil, true)
	if got := decodeAs[testView](t, "submit", raw); code != http.StatusOK || got.Submitted == nil || got.Score == nil || *got.Score != 1.5 {
		t.Fatalf("submit: want the Annex 3 score 1.5 (30 of 40 correct): %d %s", code, raw)
	}
	if code, raw := do("candidate 3", nil, cab, "POST /api/cabinet/tests/{kind}/submit", pq, nil, true); code != http.StatusOK || !strings.Contains(string(raw), `"score":1.5`) {
		t.Errorf("a second submission: want the same result: %d %s", code, raw)
	}
	code, raw = do("candidate 3", nil, cab, "PUT /api/cabinet/tests/{kind}/answers", pq, ap(first, []string{"B"}, 9), true)
	wantRefusal(t, "an answer changed after submission", code, raw, http.StatusConflict, "conflict", "")
	wantKey("an answer changed after submission", raw, "workflow.err.test_submitted")
	do("candidate 3", nil, cab, "GET /api/cabinet/tests/{kind}", pq, nil, true)
	do("candidate 3", nil, cab, "GET /api/cabinet/tests/{kind}", map[string]string{"kind": "textual_numerical"}, nil, true)

	// ---- HR's view: the attempt by PIN with its result; the standings
	// and the results carry the score
	code, raw = do("hr", hr, "", "GET /api/competitions/{id}/tests", cp, nil, true)
	atts := decodeAs[[]struct {
		PIN     string   `json:"pin"`
		Stage   string   `json:"stage"`
		Correct *int     `json:"correct"`
		Score   *float64 `json:"score"`
		Seed    string   `json:"seed"`
		Result  *struct {
			Reliability *float64 `json:"reliability"`
		} `json:"result"`
	}](t, "GET /api/competitions/{id}/tests", raw)
	if code != http.StatusOK || len(atts) != 1 || atts[0].PIN != app.PIN || atts[0].Correct == nil || *atts[0].Correct != 30 ||
		atts[0].Score == nil || *atts[0].Score != 1.5 || atts[0].Seed == "" || atts[0].Result == nil || atts[0].Result.Reliability == nil || *atts[0].Result.Reliability != 75 {
		t.Errorf("HR's attempts: want PIN %s with 30 correct, S = 75, T = 1.5 and its seed: %d %s", app.PIN, code, raw)
	}
	if strings.Contains(string(raw), "Test Candidate") {
		t.Errorf("HR's attempts carry the candidate's name (p.74-1): %s", raw)
	}
	do("proctor", proctor, "", "GET /api/competitions/{id}/tests", cp, nil, true)
	code, raw = do("hr", hr, "", "GET /api/competitions/{id}/standings", cp, nil, true)
	if st := decodeAs[[]struct {
		PersonalQualities *float64 `json:"personal_qualities"`
		State             string   `json:"personal_qualities_state"`
		Total             float64  `json:"total"`
		Eligible          bool     `json:"eligible"`
	}](t, "standings", raw); code != http.StatusOK || len(st) != 1 || st[0].PersonalQualities == nil || *st[0].PersonalQualities != 1.5 ||
		st[0].State != "scored" || st[0].Total != 1.5 || !st[0].Eligible {
		t.Errorf("the standings after the test: want 1.5 scored and eligible: %d %s", code, raw)
	}
	code, raw = do("hr", hr, "", "GET /api/competitions/{id}/results", cp, nil, true)
	if code != http.StatusOK || !strings.Contains(string(raw), `"personal_qualities":1.5`) {
		t.Errorf("the results after the test: %d %s", code, raw)
	}
	code, raw = do("hr", hr, "", "GET /api/competitions/{id}/results.csv", cp, nil, true)
	if code != http.StatusOK || !strings.Contains(string(raw), ","+app.PIN+",1.5,,") {
		t.Errorf("results.csv after the test: want the PIN's line with 1.5 personal qualities: %d %s", code, raw)
	}
	// The stage runs: the interview's candidates are not selected yet.
	code, raw = do("hr", hr, "", "POST /api/competitions/{id}/interview/select", cp, nil, true)
	wantRefusal(t, "selecting the finalists while the test stage runs", code, raw, http.StatusConflict, "conflict", "p.120")
	wantKey("selecting the finalists while the test stage runs", raw, "workflow.err.p120_test_running")
}

// walkPicturesServed: the pictures of the started test's questions are
// listed with them and served to their candidate only, with the headers
// that keep them out of caches and sniffers; the SVG, a path climbing
// out, an item not in the variant, another candidate's and no token are
// refused.
func walkPicturesServed(t *testing.T, w *conformance, base, cab, other string, tv testView, want []byte) {
	t.Helper()
	route := "GET /api/cabinet/tests/{kind}/assets/{item}/{path}"
	get := func(who, bearer, item, file string, good bool) (int, []byte) {
		t.Helper()
		return w.do(call{who: who, route: route, bearer: bearer, params: map[string]string{"kind": "personal_qualities", "item": item, "path": file}, good: good, bad: !good})
	}
	// The package's 40 items have the pictures, the 41st does not.
	drawn := map[string]bool{}
	q := tv.Questions[0]
	for _, x := range slices.Backward(tv.Questions) {
		drawn[x.Item] = true
		if x.Item != "walk-pq-40" {
			q = x
		}
	}
	if len(q.Images) != 1 || q.Images[0].Alt != "the walk's seal" ||
		q.Images[0].Src != "/api/cabinet/tests/personal_qualities/assets/"+q.Item+"/items%2Fimg%2Fseal.png" {
		t.Fatalf("the question's pictures: want the PNG only, by its cabinet URL: %+v", q.Images)
	}
	if strings.Contains(q.Text, "walk's seal") || !strings.Contains(q.Text, "[the seal, drawn]") {
		t.Errorf("the question's text: want the SVG's alt in it and not the shown PNG's: %q", q.Text)
	}
	code, raw := get("candidate 3", cab, q.Item, "items/img/seal.png", true)
	if code != http.StatusOK || !bytes.Equal(raw, want) {
		t.Fatalf("the question's picture: %d, %d bytes", code, len(raw))
	}
	req, err := http.NewRequest(http.MethodGet, base+q.Images[0].Src, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cab)
	resp, err := client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header; resp.StatusCode != http.StatusOK || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "private, no-store" {
		t.Errorf("the picture by the src the view gives: %d %v", resp.StatusCode, h)
	}
	code, raw = get("candidate 3", cab, q.Item, "items/img/seal.svg", true)
	wantRefusal(t, "an SVG picture", code, raw, http.StatusNotFound, "not_found", "")
	if e := decodeAs[apiError](t, "an SVG picture", raw); e.Error.Key != "workflow.err.test_asset_type" {
		t.Errorf("an SVG picture: key %q: %s", e.Error.Key, raw)
	}
	for what, file := range map[string]string{"a path climbing out of the package": "../items/img/seal.png", "a file the item does not have": "items/img/none.png"} {
		code, raw = get("candidate 3", cab, q.Item, file, true)
		wantRefusal(t, what, code, raw, http.StatusNotFound, "not_found", "")
		if e := decodeAs[apiError](t, what, raw); e.Error.Key != "workflow.err.test_asset" {
			t.Errorf("%s: key %q: %s", what, e.Error.Key, raw)
		}
	}
	for i := range 41 {
		if id := fmt.Sprintf("walk-pq-%02d", i); !drawn[id] {
			code, raw = get("candidate 3", cab, id, "items/img/seal.png", true)
			wantRefusal(t, "a picture of a bank item not in the variant", code, raw, http.StatusNotFound, "not_found", "")
			if e := decodeAs[apiError](t, "a picture of a bank item not in the variant", raw); e.Error.Key != "workflow.err.test_asset" {
				t.Errorf("a picture of an item not in the variant: key %q: %s", e.Error.Key, raw)
			}
		}
	}
	code, raw = get("candidate (essay)", other, q.Item, "items/img/seal.png", true)
	wantRefusal(t, "another candidate's token", code, raw, http.StatusNotFound, "not_found", "")
	get("candidate", "", q.Item, "items/img/seal.png", true)
	get("candidate", "not-a-token", q.Item, "items/img/seal.png", true)
}
