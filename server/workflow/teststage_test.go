package workflow_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/exam"
	"kuzet.kz/kuzet/server/qti"
	"kuzet.kz/kuzet/server/score"
	"kuzet.kz/kuzet/server/workflow"
)

// choiceItem is a QTI 2.1 single-choice item of a category (its label);
// the choice "A" is correct, the choices are shuffled for the candidate.
func choiceItem(id, category, text string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="` + id + `" title="` + id + `" label="` + category + `" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>` + text + `</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <prompt>Choose one.</prompt>
      <simpleChoice identifier="A">right</simpleChoice>
      <simpleChoice identifier="B">wrong one</simpleChoice>
      <simpleChoice identifier="C">wrong two</simpleChoice>
      <simpleChoice identifier="D" fixed="true">none of these</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
`
}

// essayItem is graded by people: it cannot be asked in a test.
func essayItem(id string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="` + id + `" title="essay" label="personal-qualities" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <itemBody><extendedTextInteraction responseIdentifier="RESPONSE"><prompt>Write.</prompt></extendedTextInteraction></itemBody>
</assessmentItem>
`
}

const hotspotItem = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="geo-7" title="Hotspot" label="personal-qualities" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"/>
  <itemBody>
    <hotspotInteraction responseIdentifier="RESPONSE" maxChoices="1">
      <object type="image/png" data="map.png" width="100" height="100"/>
      <hotspotChoice identifier="A" shape="circle" coords="10,10,5"/>
    </hotspotInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
`

// contentPackage zips items (file name → XML) with a manifest listing
// them, and the files (path in the package → content) they refer to.
func contentPackage(t *testing.T, items map[string]string, files ...map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(items))
	for n := range items {
		names = append(names, n)
	}
	slices.Sort(names)
	var m strings.Builder
	m.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="bank-test"><organizations/><resources>`)
	for i, n := range names {
		fmt.Fprintf(&m, `<resource identifier="res-%d" type="imsqti_item_xmlv2p1" href="items/%s"><file href="items/%s"/></resource>`, i, n, n)
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
	for _, n := range names {
		add("items/"+n, items[n])
	}
	for _, fs := range files {
		for name, data := range fs {
			add(name, string(data))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bankOf is a package of n items of a category, ids prefix-0 … prefix-(n-1).
func bankOf(t *testing.T, prefix, category string, n int) []byte {
	items := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("%s-%02d", prefix, i)
		items[id+".xml"] = choiceItem(id, category, "Question "+id)
	}
	return contentPackage(t, items)
}

// importBanks fills the default banks of both test stages: 45 personal
// qualities items (the example program asks 40), 12 textual and 12
// numerical (it asks 10 + 10).
func (w *world) importBanks() {
	w.t.Helper()
	must[workflow.BankImport](w.t)(w.e.ImportBank(ctx, "a-hr", "personal_qualities", bankOf(w.t, "pq", "personal-qualities", 45), "pq.zip"))
	tn := map[string]string{}
	for i := range 12 {
		tn[fmt.Sprintf("tx-%02d.xml", i)] = choiceItem(fmt.Sprintf("tx-%02d", i), "textual", "Read the text")
		tn[fmt.Sprintf("nm-%02d.xml", i)] = choiceItem(fmt.Sprintf("nm-%02d", i), "numerical", "Compute")
	}
	must[workflow.BankImport](w.t)(w.e.ImportBank(ctx, "a-hr", "textual_numerical", contentPackage(w.t, tn), "tn.zip"))
}

// testCompetition has the personal-qualities stage on 17 March and the
// textual/numerical test on 18 March, 10:00-11:00 each (after the review,
// which ends 13 March), then the interview, without an essay.
func testCompetition() workflow.NewCompetition {
	in := marchCompetition(false)
	in.Stages = []workflow.Stage{
		{Kind: workflow.StagePersonal, Starts: at("2025-03-17 10:00"), Ends: at("2025-03-17 11:00")},
		{Kind: workflow.StageTextual, Starts: at("2025-03-18 10:00"), Ends: at("2025-03-18 11:00")},
		{Kind: workflow.StageInterview, Starts: at("2025-03-26 10:00"), Ends: at("2025-03-26 13:00"), Link: "https://meet.example.kz/r/123"},
	}
	return in
}

// testsWith admits n candidates to the test competition, fills the banks
// and opens the sittings of both test stages; the clock is 17 March 09:00.
func (w *world) testsWith(n int) (workflow.Competition, []workflow.Applied) {
	w.t.Helper()
	return w.testsOf(testCompetition(), n)
}

// testsOf is testsWith for a competition of the test's own (its stages'
// banks, say).
func (w *world) testsOf(in workflow.NewCompetition, n int) (workflow.Competition, []workflow.Applied) {
	w.t.Helper()
	persons := make([]int, n)
	for i := range n {
		persons[i] = i
	}
	c, apps := w.admitted(in, persons...)
	w.importBanks()
	w.set("2025-03-17 09:00")
	for _, k := range []workflow.StageKind{workflow.StagePersonal, workflow.StageTextual} {
		if got := must[int](w.t)(w.e.OpenStage(ctx, "a-hr", c.ID, k)); got != n {
			w.t.Fatalf("opened %d %s sittings, want %d", got, k, n)
		}
	}
	return c, apps
}

// admitted publishes a March competition (applications 3-7 March),
// files the persons' applications (by their index) on 5 March, admits
// them on 11 March and starts the stages.
func (w *world) admitted(in workflow.NewCompetition, persons ...int) (workflow.Competition, []workflow.Applied) {
	w.t.Helper()
	w.set("2025-03-01 09:00")
	c := must[workflow.Competition](w.t)(w.e.Create(ctx, "a-hr", in))
	must[workflow.Competition](w.t)(w.e.Publish(ctx, "a-hr", c.ID))
	w.set("2025-03-05 12:00")
	var apps []workflow.Applied
	for _, i := range persons {
		apps = append(apps, must[workflow.Applied](w.t)(w.e.Apply(ctx, c.ID, person(i), full(false))))
	}
	w.set("2025-03-11 10:00")
	w.tick()
	for _, a := range apps {
		must[workflow.Application](w.t)(w.e.Review(ctx, "a-hr", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
	}
	return must[workflow.Competition](w.t)(w.e.StartStages(ctx, "a-hr", c.ID)), apps
}

// joinStage is the candidate's agent joining the sitting of a stage.
func (w *world) joinStage(a workflow.Applied, kind workflow.StageKind) {
	w.t.Helper()
	for _, s := range w.app(a).Sittings {
		if s.Stage == kind {
			tok := must[string](w.t)(w.e.JoinToken(s))
			if _, _, err := w.adm.Join(tok); err != nil {
				w.t.Fatal(err)
			}
			return
		}
	}
	w.t.Fatalf("no %s sitting", kind)
}

// answer saves the first right answers correct ("A"), the next wrong
// ("B") ones wrong and leaves the rest unanswered.
func (w *world) answer(a workflow.Applied, kind workflow.StageKind, right, wrong int) workflow.TestView {
	w.t.Helper()
	v := must[workflow.TestView](w.t)(w.e.TestQuestions(ctx, a.Token, kind))
	for i, q := range v.Questions {
		resp := ""
		switch {
		case i < right:
			resp = "A"
		case i < right+wrong:
			resp = "B"
		default:
			continue
		}
		must[workflow.Answer](w.t)(w.e.SaveAnswer(ctx, a.Token, kind, q.Item, []string{resp}, 1))
	}
	return v
}

// take starts, answers and submits a test.
func (w *world) take(a workflow.Applied, kind workflow.StageKind, right, wrong int) workflow.Attempt {
	w.t.Helper()
	w.joinStage(a, kind)
	must[workflow.Attempt](w.t)(w.e.StartTest(ctx, a.Token, kind))
	w.answer(a, kind, right, wrong)
	return must[workflow.Attempt](w.t)(w.e.SubmitTest(ctx, a.Token, kind))
}

// entries are the competition's audit entries with an action.
func (w *world) entries(comp, action string) []map[string]any {
	w.t.Helper()
	recs, err := w.log.Entries(comp)
	if err != nil {
		w.t.Fatal(err)
	}
	out := []map[string]any{}
	for _, r := range recs {
		var d map[string]any
		if err := json.Unmarshal(r.Entry.Data, &d); err != nil {
			w.t.Fatal(err)
		}
		if d["action"] == action {
			d["actor"] = r.Entry.Actor
			out = append(out, d)
		}
	}
	return out
}

func dec(s string) score.Decimal { return score.MustParse(s) }

func TestAnnex3_PersonalQualitiesStageScoresTheAttempt(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.testsWith(1)
	a := apps[0]
	w.set("2025-03-17 10:05")
	w.joinStage(a, workflow.StagePersonal)
	at := must[workflow.Attempt](t)(w.e.StartTest(ctx, a.Token, workflow.StagePersonal))
	if len(at.Questions) != 40 || at.Program != exam.PersonalQualitiesExample || at.Bank != "personal_qualities" {
		t.Fatalf("attempt: %d questions of %s from %s", len(at.Questions), at.Program, at.Bank)
	}
	v := must[workflow.TestView](t)(w.e.TestQuestions(ctx, a.Token, workflow.StagePersonal))
	raw := must[[]byte](t)(json.Marshal(v))
	if bytes.Contains(raw, []byte("correct")) || bytes.Contains(raw, []byte("RESPONSE")) {
		t.Fatalf("the page's view names the correct response: %s", raw[:200])
	}
	q := v.Questions[0]
	if q.Interaction != "choiceInteraction" || q.Cardinality != "single" || q.MaxChoices != 1 || len(q.Choices) != 4 ||
		!strings.HasPrefix(q.Text, "Question pq-") || q.Prompt != "Choose one." || q.Choices[3].ID != "D" || q.Choices[3].Text != "none of these" {
		t.Fatalf("question as the page shows it: %+v", q)
	}
	// 30 right, 5 wrong, 5 unanswered: S = 75 %, T = 0.02 × 75 = 1.5 (Annex 3).
	w.answer(a, workflow.StagePersonal, 30, 5)
	got := must[workflow.Attempt](t)(w.e.SubmitTest(ctx, a.Token, workflow.StagePersonal))
	if got.Result == nil || got.Result.Correct != 30 || got.Score() == nil || !got.Score().Equal(dec("1.5")) || got.Auto {
		t.Fatalf("result: %+v", got.Result)
	}
	if r := got.Result.Reliability; r == nil || !r.Equal(dec("75")) {
		t.Fatalf("reliability %v, want 75", r)
	}
	again := must[workflow.Attempt](t)(w.e.SubmitTest(ctx, a.Token, workflow.StagePersonal))
	if !again.Submitted.Equal(*got.Submitted) || again.Graded != got.Graded {
		t.Fatal("a second submission graded again")
	}
	logged := w.entries(c.ID, "test_submit")
	if len(logged) != 1 || logged[0]["score"] != 1.5 || logged[0]["correct"] != float64(30) || logged[0]["pin"] != at.PIN || logged[0]["actor"] != "candidate:"+at.PIN {
		t.Fatalf("logged submission: %v", logged)
	}
	list := must[[]workflow.AttemptView](t)(w.e.Attempts(ctx, c.ID))
	if len(list) != 1 || list[0].PIN != at.PIN || list[0].Answered != 35 || *list[0].Correct != 30 || !list[0].Score.Equal(dec("1.5")) {
		t.Fatalf("HR's list: %+v", list)
	}
	_, err := w.e.SaveAnswer(ctx, a.Token, workflow.StagePersonal, q.Item, []string{"A"}, 9)
	refused(t, err, "", "submitted")
}

func TestP120_CumulativeScoreSumsTheStages(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.testsWith(4)
	w.set("2025-03-17 10:05")
	// Personal qualities (of 40): 40, 20, 30, 40 right → 2, 1, 1.5, 2.
	for i, right := range []int{40, 20, 30, 40} {
		w.take(apps[i], workflow.StagePersonal, right, 0)
	}
	w.set("2025-03-18 10:05")
	// Textual/numerical (10 + 10): 20, 20 right → 2, 2; the third starts
	// and saves 20 right but never submits; the fourth never starts.
	w.take(apps[0], workflow.StageTextual, 20, 0)
	w.take(apps[1], workflow.StageTextual, 20, 0)
	w.joinStage(apps[2], workflow.StageTextual)
	must[workflow.Attempt](t)(w.e.StartTest(ctx, apps[2].Token, workflow.StageTextual))
	w.answer(apps[2], workflow.StageTextual, 20, 0)
	_, err := w.e.SelectInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.120", "textual_numerical", "runs until")
	// After the stage, before the tick that submits the third's attempt.
	w.set("2025-03-18 11:00")
	_, err = w.e.SelectInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.120", "PIN "+w.app(apps[2]).PIN, "not submitted")
	w.tick()
	st := must[[]workflow.Standing](t)(w.e.Standings(ctx, c.ID))
	want := []struct {
		app                 int
		personal, textual   string
		total               string
		textState, eligible string
	}{{0, "2", "2", "4", "scored", "true"}, {2, "1.5", "2", "3.5", "scored", "true"}, {1, "1", "2", "3", "scored", "true"}, {3, "2", "", "2", workflow.TestNotStarted, "false"}}
	for i, ws := range want {
		s := st[i]
		if s.Application != apps[ws.app].Application.ID || !s.Total.Equal(dec(ws.total)) || s.TextualState != ws.textState || strconv.FormatBool(s.Eligible) != ws.eligible ||
			s.Personal == nil || !s.Personal.Equal(dec(ws.personal)) || (ws.textual == "") != (s.Textual == nil) || (s.Textual != nil && !s.Textual.Equal(dec(ws.textual))) {
			t.Fatalf("standing %d: %+v, want app %d with %s + %s = %s (%s, eligible %s)", i, s, ws.app, ws.personal, ws.textual, ws.total, ws.textState, ws.eligible)
		}
		if s.EssayState != "" || s.Essay != nil {
			t.Fatalf("an essay state in a competition without an essay: %+v", s)
		}
	}
	c = must[workflow.Competition](t)(w.e.SelectInterview(ctx, "a-hr", c.ID))
	var got []string
	for _, f := range c.Interview.Finalists {
		got = append(got, f.Application+"="+f.Total.String())
	}
	wantF := []string{apps[0].Application.ID + "=4", apps[2].Application.ID + "=3.5", apps[1].Application.ID + "=3"}
	if fmt.Sprint(got) != fmt.Sprint(wantF) {
		t.Fatalf("p.120 finalists %v, want %v (the fourth has no textual/numerical score)", got, wantF)
	}
	res := must[[]workflow.Result](t)(w.e.Results(ctx, c.ID))
	if res[0].Personal == nil || !res[0].Personal.Equal(dec("2")) || res[0].Textual == nil || !res[0].Textual.Equal(dec("2")) {
		t.Fatalf("the results carry the test scores: %+v", res[0])
	}
}

func TestTestAnswersAreIdempotentByRevision(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps := w.testsWith(1)
	a := apps[0]
	w.set("2025-03-17 10:05")
	kind := workflow.StagePersonal
	_, err := w.e.SaveAnswer(ctx, a.Token, kind, "pq-00", []string{"A"}, 1)
	refused(t, err, "", "start")
	w.joinStage(a, kind)
	at := must[workflow.Attempt](t)(w.e.StartTest(ctx, a.Token, kind))
	if again := must[workflow.Attempt](t)(w.e.StartTest(ctx, a.Token, kind)); again.Seed != at.Seed || again.Entry != at.Entry {
		t.Fatal("starting twice drew another variant")
	}
	item := at.Questions[0].Item
	before := w.logSize()
	save := func(resp []string, rev int64) workflow.Answer {
		t.Helper()
		return must[workflow.Answer](t)(w.e.SaveAnswer(ctx, a.Token, kind, item, resp, rev))
	}
	if got := save([]string{"A"}, 2); got.Revision != 2 || fmt.Sprint(got.Response) != "[A]" {
		t.Fatalf("saved: %+v", got)
	}
	// A resend of the same revision and an older one change nothing.
	if got := save([]string{"B"}, 2); got.Revision != 2 || fmt.Sprint(got.Response) != "[A]" {
		t.Fatalf("a resent revision changed the answer: %+v", got)
	}
	if got := save([]string{"C"}, 1); got.Revision != 2 || fmt.Sprint(got.Response) != "[A]" {
		t.Fatalf("an older revision changed the answer: %+v", got)
	}
	if got := save([]string{"B"}, 3); got.Revision != 3 || fmt.Sprint(got.Response) != "[B]" {
		t.Fatalf("a newer revision was not saved: %+v", got)
	}
	// Clearing the answer is a save too.
	if got := save([]string{}, 4); got.Revision != 4 || len(got.Response) != 0 {
		t.Fatalf("cleared: %+v", got)
	}
	v := must[workflow.TestView](t)(w.e.TestQuestions(ctx, a.Token, kind))
	if len(v.Answers) != 1 || v.Answers[0].Item != item || v.Answers[0].Revision != 4 || v.Answers[0].Response == nil {
		t.Fatalf("answers held: %+v", v.Answers)
	}
	// Strict responses.
	_, err = w.e.SaveAnswer(ctx, a.Token, kind, item, []string{"Z"}, 5)
	refused(t, err, "", `"Z" is not one of the choices A, B, C, D`)
	_, err = w.e.SaveAnswer(ctx, a.Token, kind, item, []string{"A", "B"}, 5)
	refused(t, err, "", "takes one")
	_, err = w.e.SaveAnswer(ctx, a.Token, kind, "pq-not-asked", []string{"A"}, 5)
	refused(t, err, "", "not a question of your test")
	_, err = w.e.SaveAnswer(ctx, a.Token, kind, item, []string{"A"}, 0)
	refused(t, err, "", "revision")
	_, err = w.e.SaveAnswer(ctx, a.Token, "essay", item, []string{"A"}, 5)
	refused(t, err, "", "not a test stage")
	if after := w.logSize(); after != before {
		t.Fatalf("saves logged %d audit entries", after-before)
	}
}

func TestTestDeadlineIsTheServersClock(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.testsWith(3)
	kind := workflow.StagePersonal
	w.set("2025-03-17 09:59")
	w.joinStage(apps[0], kind)
	_, err := w.e.StartTest(ctx, apps[0].Token, kind)
	refused(t, err, "", "starts at 2025-03-17 10:00")
	w.set("2025-03-17 10:05")
	_, err = w.e.StartTest(ctx, apps[1].Token, kind)
	refused(t, err, "rule 10", "agent")
	// Started at 10:05 with a 40-minute program: the deadline is 10:45.
	first := must[workflow.Attempt](t)(w.e.StartTest(ctx, apps[0].Token, kind))
	if !first.Deadline.Equal(at("2025-03-17 10:45").UTC()) {
		t.Fatalf("deadline %v, want the start plus the program's 40 minutes", first.Deadline)
	}
	// Started at 10:30: the stage's end, 11:00, comes first.
	w.set("2025-03-17 10:30")
	w.joinStage(apps[1], kind)
	second := must[workflow.Attempt](t)(w.e.StartTest(ctx, apps[1].Token, kind))
	if !second.Deadline.Equal(at("2025-03-17 11:00").UTC()) {
		t.Fatalf("deadline %v, want the stage's end", second.Deadline)
	}
	w.answer(apps[0], kind, 10, 0)
	w.set("2025-03-17 10:44")
	w.tick()
	if a := must[workflow.Attempt](t)(w.e.Attempt(ctx, apps[0].Application.ID, kind)); a.Submitted != nil {
		t.Fatal("submitted before the deadline")
	}
	w.set("2025-03-17 10:45")
	_, err = w.e.SaveAnswer(ctx, apps[0].Token, kind, first.Questions[20].Item, []string{"A"}, 1)
	refused(t, err, "", "ended at 2025-03-17 10:45")
	// A resend of what was acknowledged is still acknowledged.
	must[workflow.Answer](t)(w.e.SaveAnswer(ctx, apps[0].Token, kind, first.Questions[0].Item, []string{"A"}, 1))
	w.tick()
	got := must[workflow.Attempt](t)(w.e.Attempt(ctx, apps[0].Application.ID, kind))
	if got.Submitted == nil || !got.Auto || !got.Submitted.Equal(first.Deadline) || got.Result.Correct != 10 || !got.Score().Equal(dec("0.5")) {
		t.Fatalf("auto-submitted: %+v %+v", got.Submitted, got.Result)
	}
	if s := must[workflow.Attempt](t)(w.e.Attempt(ctx, apps[1].Application.ID, kind)); s.Submitted != nil {
		t.Fatal("the attempt with the later deadline was submitted")
	}
	logged := w.entries(c.ID, "test_submit")
	if len(logged) != 1 || logged[0]["actor"] != workflow.System || logged[0]["auto"] != true {
		t.Fatalf("logged: %v", logged)
	}
	// After the stage's end nobody starts.
	w.set("2025-03-17 11:00")
	w.joinStage(apps[2], kind)
	_, err = w.e.StartTest(ctx, apps[2].Token, kind)
	refused(t, err, "", "ended at 2025-03-17 11:00")
	w.tick()
	if s := must[workflow.Attempt](t)(w.e.Attempt(ctx, apps[1].Application.ID, kind)); s.Submitted == nil || !s.Auto || s.Result.Correct != 0 {
		t.Fatalf("the empty attempt at the stage's end: %+v", s)
	}
}

func TestSeedIsLoggedAndReproducesTheVariant(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.testsWith(2)
	kind := workflow.StageTextual
	w.set("2025-03-18 10:05")
	w.joinStage(apps[0], kind)
	w.joinStage(apps[1], kind)
	at := must[workflow.Attempt](t)(w.e.StartTest(ctx, apps[0].Token, kind))
	other := must[workflow.Attempt](t)(w.e.StartTest(ctx, apps[1].Token, kind))
	if at.Seed == other.Seed {
		t.Fatal("two candidates got the same seed")
	}
	view := must[workflow.TestView](t)(w.e.TestQuestions(ctx, apps[0].Token, kind))
	// The bank changes after the start: an item is edited, one added.
	edited := contentPackage(t, map[string]string{
		"tx-00.xml": choiceItem("tx-00", "textual", "Read the EDITED text"),
		"tx-99.xml": choiceItem("tx-99", "textual", "A new one"),
	})
	imp := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "textual_numerical", edited, "edit.zip"))
	if len(imp.Changed) != 1 || len(imp.Added) != 1 || imp.Digest == at.Pool {
		t.Fatalf("the edit: %+v", imp)
	}
	// From the log alone: the seed and the pool; the pool's versions from
	// the store; exam.Draw gives the candidate's questions again.
	logged := w.entries(c.ID, "test_start")
	var entry map[string]any
	for _, e := range logged {
		if e["application"] == at.Application {
			entry = e
		}
	}
	if entry == nil || entry["program"] != exam.TextualNumericalExample || entry["bank"] != "textual_numerical" {
		t.Fatalf("start entries: %v", logged)
	}
	seed, err := strconv.ParseUint(entry["seed"].(string), 10, 64)
	if err != nil || seed != at.Seed {
		t.Fatalf("logged seed %v (%v), want %d", entry["seed"], err, at.Seed)
	}
	pool := must[[]qti.Item](t)(w.e.Snapshot(ctx, entry["bank"].(string), entry["pool"].(string)))
	if len(pool) != 24 {
		t.Fatalf("the pool has %d items, want the 24 of the bank at the start", len(pool))
	}
	p, _ := exam.BuiltinProgram(entry["program"].(string))
	again, err := exam.Draw(p, pool, seed)
	if err != nil {
		t.Fatal(err)
	}
	qs := entry["questions"].([]any)
	if len(again.Questions) != 20 || len(qs) != 20 {
		t.Fatalf("%d questions drawn again, %d logged", len(again.Questions), len(qs))
	}
	for i, q := range again.Questions {
		lq := qs[i].(map[string]any)
		if q.Item != at.Questions[i].Item || q.Version != at.Questions[i].Version || lq["item"] != q.Item || lq["version"] != q.Version ||
			fmt.Sprint(q.Choices) != fmt.Sprint(at.Questions[i].Choices) || fmt.Sprint(q.Choices[0]) != fmt.Sprint(lq["choices"].([]any)[0]) {
			t.Fatalf("question %d drawn again %+v, the candidate had %+v, logged %v", i, q, at.Questions[i], lq)
		}
		var shown []string
		for _, ch := range view.Questions[i].Choices {
			shown = append(shown, ch.ID)
		}
		if fmt.Sprint(shown) != fmt.Sprint(q.Choices[0]) {
			t.Fatalf("question %d: the page showed %v, the draw gives %v", i, shown, q.Choices[0])
		}
	}
	// The candidate keeps the version they saw: grading uses it even
	// after the edit.
	w.answer(apps[0], kind, 20, 0)
	got := must[workflow.Attempt](t)(w.e.SubmitTest(ctx, apps[0].Token, kind))
	if got.Result.Correct != 20 || !got.Score().Equal(dec("2")) {
		t.Fatalf("graded after the edit: %+v", got.Result)
	}
}

func TestBankImportRefusesByIdentifier(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	before := w.logSize()
	pkg := contentPackage(t, map[string]string{
		"a.xml":      choiceItem("pq-a", "personal-qualities", "First"),
		"b.xml":      choiceItem("pq-b", "personal-qualities", "Second"),
		"hot.xml":    hotspotItem,
		"essay.xml":  essayItem("pq-essay"),
		"nocat.xml":  strings.Replace(choiceItem("pq-nocat", "x", "No category"), ` label="x"`, "", 1),
		"broken.xml": "<assessmentItem",
	})
	imp := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "pq-2025", pkg, "bank.zip"))
	if len(imp.Added) != 2 || len(imp.Changed) != 0 || imp.Items != 2 {
		t.Fatalf("added %+v", imp)
	}
	reasons := map[string]string{}
	for _, r := range imp.Refused {
		if r.Reason == "" || r.Key == "" {
			t.Fatalf("a refusal without its reason: %+v", r)
		}
		reasons[r.Item] = r.Reason
	}
	if len(imp.Refused) != 4 || !strings.Contains(reasons["geo-7"], "hotspotInteraction") || !strings.Contains(reasons["pq-essay"], "correctResponse") && !strings.Contains(reasons["pq-essay"], "graded by people") ||
		!strings.Contains(reasons["pq-nocat"], "no category") || !strings.Contains(reasons["res-2"], "broken.xml") {
		t.Fatalf("refused by identifier: %v", reasons)
	}
	if w.logSize() != before+1 {
		t.Fatalf("an import logged %d entries, want one", w.logSize()-before)
	}
	recs := must[[]audit.Record](t)(w.log.Entries("bank:pq-2025"))
	var d map[string]any
	if err := json.Unmarshal(recs[0].Entry.Data, &d); err != nil || d["added"] != float64(2) || len(d["refused"].([]any)) != 4 || len(d["versions"].([]any)) != 2 || d["digest"] != imp.Digest {
		t.Fatalf("the import's entry: %v %v", d, err)
	}
	// The same items again change nothing; edited content is a new version.
	again := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "pq-2025", []byte(choiceItem("pq-a", "personal-qualities", "First")), "pq-a.xml"))
	if len(again.Unchanged) != 1 || len(again.Added)+len(again.Changed) != 0 || again.Digest != imp.Digest {
		t.Fatalf("re-import: %+v", again)
	}
	edit := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "pq-2025", []byte(choiceItem("pq-a", "personal-qualities", "First, edited")), "pq-a.xml"))
	if len(edit.Changed) != 1 || edit.Changed[0].Version == imp.Added[0].Version && edit.Changed[0].Item == imp.Added[0].Item {
		t.Fatalf("edit: %+v", edit)
	}
	list := must[[]workflow.BankEntry](t)(w.e.Bank(ctx, "pq-2025"))
	if len(list) != 2 || list[0].Identifier != "pq-a" || list[0].Version != edit.Changed[0].Version || list[0].Interaction != "choiceInteraction" || fmt.Sprint(list[0].Categories) != "[personal-qualities]" || list[0].Title != "pq-a" {
		t.Fatalf("bank: %+v", list)
	}
	// The old pool is still there for the attempts drawn from it.
	if old := must[[]qti.Item](t)(w.e.Snapshot(ctx, "pq-2025", imp.Digest)); len(old) != 2 {
		t.Fatalf("the first pool: %d items", len(old))
	}
	// A single refused item is reported, not an error; a file that is
	// neither is refused whole; so is one over the limit.
	one := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "pq-2025", []byte(hotspotItem), "hot.xml"))
	if len(one.Refused) != 1 || one.Refused[0].Item != "geo-7" {
		t.Fatalf("one refused item: %+v", one)
	}
	_, err := w.e.ImportBank(ctx, "a-hr", "pq-2025", []byte("PK\x03\x04 not a zip"), "x.zip")
	refused(t, err, "", "cannot be read")
	_, err = w.e.ImportBank(ctx, "a-hr", "pq-2025", make([]byte, workflow.BankImportMaxBytes+1), "big.zip")
	refused(t, err, "", "over")
	_, err = w.e.ImportBank(ctx, "a-hr", "Bad Name", []byte(hotspotItem), "x.xml")
	refused(t, err, "", "not a bank name")
}

// TestTestPrograms: HR reads, beside a bank, what each test stage's
// shipped program draws from the bank named like the stage.
func TestTestPrograms(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	got := map[string]workflow.TestProgram{}
	for _, p := range must[[]workflow.TestProgram](t)(w.e.TestPrograms(ctx)) {
		if !workflow.IsTestStage(p.Stage) || p.Bank != string(p.Stage) || len(p.Sections) == 0 || p.Title.KK == "" {
			t.Errorf("program %s: %+v", p.ID, p)
		}
		got[p.ID] = p
	}
	pq, tn := got["personal-qualities-example"], got["textual-numerical-example"]
	if len(pq.Sections) != 1 || pq.Sections[0].Category != "personal-qualities" || pq.Sections[0].Count != 40 ||
		len(tn.Sections) != 2 || tn.Sections[1].Category != "numerical" || tn.Bank != "textual_numerical" {
		t.Fatalf("the test stages' programs: %+v", got)
	}
}
