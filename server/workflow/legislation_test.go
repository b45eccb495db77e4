package workflow_test

import (
	"fmt"
	"testing"

	"kuzet.kz/kuzet/server/workflow"
)

// legislationActs are the sections of the legislation program with their
// categories and counts (15/15/15/10).
var legislationActs = []struct {
	section, category string
	count             int
}{{"constitution", "constitution", 15}, {"civil-service", "civil-service", 15}, {"anti-corruption", "anti-corruption", 15}, {"ethics", "ethics-code", 10}}

// importLegislation fills the legislation bank with two items more than
// each act's count.
func (w *world) importLegislation() {
	w.t.Helper()
	items := map[string]string{}
	for _, act := range legislationActs {
		for i := range act.count + 2 {
			id := fmt.Sprintf("%s-%02d", act.section, i)
			items[id+".xml"] = choiceItem(id, act.category, "Question "+id)
		}
	}
	must[workflow.BankImport](w.t)(w.e.ImportBank(ctx, "a-hr", "legislation", contentPackage(w.t, items), "legislation.zip"))
}

// legislationCompetition has the legislation test (its window given),
// then personal qualities on 24 March, then the interview.
func legislationCompetition(starts, ends string) workflow.NewCompetition {
	in := marchCompetition(false)
	in.Stages = []workflow.Stage{
		{Kind: workflow.StageLegislation, Starts: at(starts), Ends: at(ends)},
		{Kind: workflow.StagePersonal, Starts: at("2025-03-24 10:00"), Ends: at("2025-03-24 11:00")},
		{Kind: workflow.StageInterview, Starts: at("2025-03-26 10:00"), Ends: at("2025-03-26 13:00"), Link: "https://meet.example.kz/r/123"},
	}
	return in
}

// legislationWith publishes a competition with its legislation window,
// admits persons (by their index) and opens the legislation sittings.
func (w *world) legislationWith(starts, ends string, persons ...int) (workflow.Competition, []workflow.Applied) {
	w.t.Helper()
	c, apps := w.admitted(legislationCompetition(starts, ends), persons...)
	must[int](w.t)(w.e.OpenStage(ctx, "a-hr", c.ID, workflow.StageLegislation))
	return c, apps
}

// sitLegislation takes the legislation test answering right the given
// number of questions of each act (in the program's order) and the rest
// wrong.
func (w *world) sitLegislation(a workflow.Applied, right ...int) workflow.TestView {
	w.t.Helper()
	w.joinStage(a, workflow.StageLegislation)
	must[workflow.Attempt](w.t)(w.e.StartTest(ctx, a.Token, workflow.StageLegislation))
	v := must[workflow.TestView](w.t)(w.e.TestQuestions(ctx, a.Token, workflow.StageLegislation))
	done := map[string]int{}
	for _, q := range v.Questions {
		want := 0
		for i, act := range legislationActs {
			if act.section == q.Section {
				want = right[i]
			}
		}
		resp := "B"
		if done[q.Section] < want {
			resp = "A"
		}
		done[q.Section]++
		must[workflow.Answer](w.t)(w.e.SaveAnswer(ctx, a.Token, workflow.StageLegislation, q.Item, []string{resp}, 1))
	}
	must[workflow.Attempt](w.t)(w.e.SubmitTest(ctx, a.Token, workflow.StageLegislation))
	return must[workflow.TestView](w.t)(w.e.TestQuestions(ctx, a.Token, workflow.StageLegislation))
}

// The legislation test is 55 questions 15/15/15/10 by act; a result below
// the pass values (30 in all, 5 per act) gives the Annex 6 certificate in
// the cabinet with the counts per act and the retest day; a pass gives
// none.
func TestP14_BelowPassCertificateInCabinet(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	w.importLegislation()
	_, apps := w.legislationWith("2025-03-17 10:00", "2025-03-17 11:00", 0, 1, 2)
	w.set("2025-03-17 10:05")
	passed := w.sitLegislation(apps[0], 8, 8, 8, 6)    // 30 in all, each act ≥ 5
	total := w.sitLegislation(apps[1], 8, 8, 8, 5)     // 29 in all
	perAct := w.sitLegislation(apps[2], 15, 15, 15, 4) // 49 in all, ethics 4

	if len(passed.Questions) != 55 || passed.Passed == nil || !*passed.Passed || *passed.Correct != 30 || passed.Certificate != nil {
		t.Fatalf("a pass at exactly 30 and 5: %d questions, passed %v, correct %v, certificate %+v", len(passed.Questions), passed.Passed, passed.Correct, passed.Certificate)
	}
	if _, err := w.e.BelowPassCertificate(ctx, apps[0].Token); err == nil {
		t.Fatal("a pass got a below-pass certificate")
	} else {
		refused(t, err, "p.14", "meets the pass values")
	}
	for _, v := range []workflow.TestView{total, perAct} {
		if v.Passed == nil || *v.Passed || v.Certificate == nil {
			t.Fatalf("below pass: passed %v certificate %+v", v.Passed, v.Certificate)
		}
	}
	c := must[workflow.Certificate](t)(w.e.BelowPassCertificate(ctx, apps[1].Token))
	if c.PIN != w.app(apps[1]).PIN || c.TestDate != "2025-03-17" || c.RetestFrom != "2025-03-20" || c.Questions != 55 || c.Correct != 29 || c.MinTotalCorrect != 30 || c.Entry == 0 {
		t.Fatalf("certificate: %+v", c)
	}
	if len(c.Sections) != 4 || c.Sections[3].Section != "ethics" || c.Sections[3].Questions != 10 || c.Sections[3].Correct != 5 || c.Sections[3].MinCorrect != 5 || len(c.Reasons) != 1 {
		t.Fatalf("certificate's acts: %+v, reasons %v", c.Sections, c.Reasons)
	}
	c = must[workflow.Certificate](t)(w.e.BelowPassCertificate(ctx, apps[2].Token))
	if c.Correct != 49 || c.Sections[3].Correct != 4 || len(c.Reasons) != 1 {
		t.Fatalf("below pass on one act: %+v", c)
	}
	// The result is logged under p.14 with the reasons.
	subs := w.entries(apps[1].Application.Competition, "test_submit")
	if len(subs) != 3 || subs[1]["clause"] != "p.14" || subs[1]["passed"] != false || len(subs[1]["reasons"].([]any)) != 1 {
		t.Fatalf("logged submissions: %v", subs)
	}
}

// A result below the pass values closes the competition's later stages
// (tests and the essay) and the interview to the candidate; a pass opens
// them.
func TestP14_BelowPassClosesTheLaterStages(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	w.importLegislation()
	w.importBanks()
	c, apps := w.legislationWith("2025-03-17 10:00", "2025-03-17 11:00", 0, 1, 2)
	w.set("2025-03-17 10:05")
	w.sitLegislation(apps[0], 15, 15, 15, 10)
	w.sitLegislation(apps[1], 1, 1, 1, 1)
	// apps[2] never sits it.
	w.set("2025-03-24 09:00")
	must[int](t)(w.e.OpenStage(ctx, "a-hr", c.ID, workflow.StagePersonal))
	w.set("2025-03-24 10:01")
	for i, want := range []string{"", "below the pass values", "no result"} {
		w.joinStage(apps[i], workflow.StagePersonal)
		_, err := w.e.StartTest(ctx, apps[i].Token, workflow.StagePersonal)
		if want == "" {
			if err != nil {
				t.Fatalf("a pass may take the next stage: %v", err)
			}
			continue
		}
		refused(t, err, "p.14", want)
	}
	st := must[[]workflow.Standing](t)(w.e.Standings(ctx, c.ID))
	states := map[string]string{}
	for _, s := range st {
		states[s.PIN] = fmt.Sprintf("%s/%v", s.Legislation, s.Eligible)
	}
	for i, want := range []string{"passed/false", "below_pass/false", "not_started/false"} {
		if got := states[w.app(apps[i]).PIN]; got != want {
			t.Fatalf("standing of candidate %d: %s, want %s (personal qualities not taken yet)", i, got, want)
		}
	}
}

// Retesting is allowed no earlier than three calendar days after the test
// date, in any competition: a person below the pass values on Monday 17
// March is refused another legislation test until 00:00 (UTC+5) on 20
// March, weekends or not, and told that day; a pass is not held back.
func TestP14_RetestAfterThreeCalendarDays(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	w.importLegislation()
	_, first := w.legislationWith("2025-03-17 10:00", "2025-03-17 11:00", 0, 1)
	_, second := w.legislationWith("2025-03-19 10:00", "2025-03-21 12:00", 0, 1)
	w.set("2025-03-17 10:50")
	w.sitLegislation(first[0], 15, 15, 15, 10)
	w.sitLegislation(first[1], 2, 2, 2, 2)

	w.set("2025-03-19 23:59")
	w.joinStage(second[1], workflow.StageLegislation)
	_, err := w.e.StartTest(ctx, second[1].Token, workflow.StageLegislation)
	e := refused(t, err, "p.14", "2025-03-20")
	if e.Key != "workflow.err.p14_retest" || e.Args["from"] != "2025-03-20" || e.Args["tested"] != "2025-03-17" {
		t.Fatalf("refusal: %s %v", e.Key, e.Args)
	}
	// The pass of the same day holds nobody back.
	w.joinStage(second[0], workflow.StageLegislation)
	must[workflow.Attempt](t)(w.e.StartTest(ctx, second[0].Token, workflow.StageLegislation))

	w.set("2025-03-20 00:00")
	at := must[workflow.Attempt](t)(w.e.StartTest(ctx, second[1].Token, workflow.StageLegislation))
	if at.Stage != workflow.StageLegislation || len(at.Questions) != 55 {
		t.Fatalf("the retest on the third day: %+v", at)
	}
}
