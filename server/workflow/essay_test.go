package workflow_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/score"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
)

// grader is a commission member with an Ed25519 key registered, as the
// grading page makes one with WebCrypto.
type grader struct {
	id   string
	priv ed25519.PrivateKey
}

// stagesWith admits n candidates (at most 5) and puts members on the
// commission, each with a registered signing key.
func (w *world) stagesWith(n, members int) (workflow.Competition, []workflow.Applied, []grader) {
	w.t.Helper()
	people := []int{}
	for i := range n {
		people = append(people, i)
	}
	c, apps := w.inReview(false, people...)
	for _, a := range apps {
		must[workflow.Application](w.t)(w.e.Review(ctx, "a-hr", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
	}
	var gs []grader
	for i := range members {
		acc := must[store.Account](w.t)(w.adm.CreateAccount(fmt.Sprintf("member%d", i), "pass-word-1234", store.RoleCommittee))
		must[workflow.Competition](w.t)(w.e.AddMember(ctx, w.port, "a-hr", c.ID, acc.ID, workflow.RoleMember))
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			w.t.Fatal(err)
		}
		must[workflow.SignerKey](w.t)(w.e.RegisterKey(ctx, acc.ID, "raw", pub))
		gs = append(gs, grader{id: acc.ID, priv: priv})
	}
	c = must[workflow.Competition](w.t)(w.e.StartStages(ctx, "a-hr", c.ID))
	w.set("2025-03-19 09:00")
	if got := must[int](w.t)(w.e.OpenStage(ctx, "a-hr", c.ID, workflow.StageEssay)); got != n {
		w.t.Fatalf("opened %d essay sittings, want %d", got, n)
	}
	return c, apps, gs
}

// app reloads an application (its sittings are added by OpenStage).
func (w *world) app(a workflow.Applied) workflow.Application {
	return must[workflow.Application](w.t)(w.e.Application(ctx, a.Application.ID))
}

func (w *world) sitting(a workflow.Applied) protocol.SittingID {
	for _, s := range w.app(a).Sittings {
		if s.Stage == workflow.StageEssay {
			return protocol.SittingID(s.Sitting)
		}
	}
	w.t.Fatal("no essay sitting")
	return ""
}

// join is the candidate's agent joining the essay's sitting with its join code.
func (w *world) join(a workflow.Applied) {
	w.t.Helper()
	for _, s := range w.app(a).Sittings {
		if s.Stage == workflow.StageEssay {
			tok := must[string](w.t)(w.e.JoinToken(s))
			if _, _, err := w.adm.Join(tok); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

// write joins, writes and submits an essay of the given words.
func (w *world) write(a workflow.Applied, words int) workflow.Essay {
	w.t.Helper()
	w.join(a)
	text := strings.TrimSpace(strings.Repeat("мемлекет ", words))
	return must[workflow.Essay](w.t)(w.e.SubmitEssay(ctx, a.Token, workflow.EssayDraft{Text: text, Revision: 1}))
}

func (w *world) verdict(a workflow.Applied, outcome protocol.VerdictOutcome) {
	w.t.Helper()
	v := store.PublishedVerdict{Verdict: protocol.Verdict{Outcome: outcome}, Actor: "a-proctor", Time: w.now().UTC()}
	if outcome == protocol.VerdictViolation {
		v.Rules = []protocol.RuleID{"10.8"}
	}
	if err := w.st.SetVerdict(w.sitting(a), v); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) tick() {
	w.t.Helper()
	if err := w.e.Tick(ctx); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) essay(a workflow.Applied) workflow.Essay {
	w.t.Helper()
	for _, es := range must[[]workflow.Essay](w.t)(w.e.Essays(ctx, a.Application.Competition)) {
		if es.Application == a.Application.ID {
			return es
		}
	}
	w.t.Fatal("no essay")
	return workflow.Essay{}
}

// signed is the grading page: ask for the payload, sign it, send it.
func (g grader) signed(t *testing.T, p workflow.GradePayload, sc int) workflow.Signed {
	return workflow.Signed{Score: sc, Issued: p.Issued, Nonce: p.Nonce, Format: "ed25519", Signature: ed25519.Sign(g.priv, []byte(p.Payload))}
}

func (w *world) grade(g grader, a workflow.Applied, sc int) (workflow.GraderEssay, error) {
	p, err := w.e.EssayPayload(ctx, g.id, a.Application.ID, sc)
	if err != nil {
		return workflow.GraderEssay{}, err
	}
	return w.e.GradeEssay(ctx, g.id, a.Application.ID, g.signed(w.t, p, sc))
}

func TestP115_EssayHeldUntilVerdictPublished(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps, gs := w.stagesWith(1, 3)
	a := apps[0]
	w.set("2025-03-19 10:05")
	es := w.write(a, 120)
	if es.Words != 120 || es.SHA256 == "" || es.Submitted == nil {
		t.Fatalf("submitted essay: words %d hash %q", es.Words, es.SHA256)
	}
	w.set("2025-03-19 12:30")
	w.tick()
	for _, g := range gs {
		_, err := w.e.GraderEssay(ctx, g.id, a.Application.ID)
		refused(t, err, "p.115", "not published")
		_, err = w.grade(g, a, 4)
		refused(t, err, "p.115", "not published")
	}
	if list := must[[]workflow.GraderEssay](t)(w.e.GraderEssays(ctx, gs[0].id)); len(list) != 0 {
		t.Fatalf("a held essay is listed to a grader: %+v", list)
	}
	// Thursday 20 March, 15:00: the check results are published, clean.
	w.set("2025-03-20 15:00")
	w.verdict(a, protocol.VerdictClean)
	w.tick()
	es = w.essay(a)
	if es.Released == nil || len(es.Graders) != 2 {
		t.Fatalf("after a clean verdict: released %v, graders %v (want 2 of 3: two thirds rounded up)", es.Released, es.Graders)
	}
	// p.115: 1 working day after the publication. 21-25 March are the
	// Nauryz days off, so the grading is due at the end of Wednesday 26 March.
	if got := es.Due.In(kz).Format("2006-01-02 15:04"); got != "2025-03-27 00:00" {
		t.Fatalf("due %s, want the end of 2025-03-26", got)
	}
	ge := must[workflow.GraderEssay](t)(w.e.GraderEssay(ctx, es.Graders[0], a.Application.ID))
	if ge.PIN != w.app(a).PIN || ge.Words != 120 || !strings.HasPrefix(ge.Text, "мемлекет") {
		t.Fatalf("what the grader sees: %+v", ge)
	}
	if strings.Contains(fmt.Sprintf("%+v", ge), person(0).Name) || strings.Contains(fmt.Sprintf("%+v", ge), iins[0]) {
		t.Fatal("p.74-1: the grader sees the candidate's name or IIN")
	}
	for _, g := range gs {
		if !contains(es.Graders, g.id) {
			_, err := w.e.GraderEssay(ctx, g.id, a.Application.ID)
			refused(t, err, "p.115", "other members")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestP115_ViolationHoldsTheEssayUntilAnAppealOverturnsIt(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps, gs := w.stagesWith(2, 3)
	w.set("2025-03-19 10:05")
	w.write(apps[0], 100)
	w.write(apps[1], 100)
	w.set("2025-03-19 13:00")
	w.verdict(apps[0], protocol.VerdictViolation)
	w.verdict(apps[1], protocol.VerdictClean)
	w.tick()
	held := w.essay(apps[0])
	if held.Released != nil || held.Held != workflow.HeldViolation {
		t.Fatalf("a violation's essay: released %v held %q", held.Released, held.Held)
	}
	_, err := w.e.GraderEssay(ctx, gs[0].id, apps[0].Application.ID)
	refused(t, err, "p.115", "violation")
	if w.essay(apps[1]).Released == nil {
		t.Fatal("the clean essay was not released")
	}
	// The appeal commission overturns the violation on Monday 31 March.
	w.set("2025-03-31 11:00")
	if _, err := w.st.UpdateSitting(w.sitting(apps[0]), func(s *store.Sitting) error {
		s.Appeal = &store.AppealDecision{Overturned: true, Effective: protocol.VerdictClean, Actor: "a-auditor", Time: w.now().UTC()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.tick()
	es := w.essay(apps[0])
	if es.Released == nil || len(es.Graders) != 2 {
		t.Fatalf("after the appeal: released %v graders %v", es.Released, es.Graders)
	}
	if got := es.Due.In(kz).Format("2006-01-02"); got != "2025-04-02" {
		t.Fatalf("due %s, want the end of Tuesday 1 April (1 working day after the decision)", got)
	}
}

func TestP115_SameNumberOfGradersPerEssay(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps, gs := w.stagesWith(5, 4)
	w.set("2025-03-19 10:05")
	for _, a := range apps {
		w.write(a, 50)
	}
	w.set("2025-03-19 13:00")
	for _, a := range apps[:3] {
		w.verdict(a, protocol.VerdictClean)
	}
	w.tick()
	// A member is removed before the last essays are released: every
	// essay still gets the number the first one got (4 members: 3).
	must[workflow.Competition](t)(w.e.Remove(ctx, "a-hr", c.ID, gs[3].id, workflow.GroundsIllness, ""))
	w.set("2025-03-19 15:00")
	for _, a := range apps[3:] {
		w.verdict(a, protocol.VerdictClean)
	}
	w.tick()
	load := map[string]int{}
	for _, a := range apps {
		es := w.essay(a)
		if len(es.Graders) != 3 {
			t.Fatalf("essay of %s has %d graders %v, want 3 like every essay", es.PIN, len(es.Graders), es.Graders)
		}
		seen := map[string]bool{}
		for _, g := range es.Graders {
			if seen[g] {
				t.Fatalf("grader %s twice on one essay", g)
			}
			seen[g] = true
			load[g]++
		}
		if seen[gs[3].id] && es.Released.After(at("2025-03-19 14:00")) {
			t.Fatal("a removed member was assigned")
		}
	}
	// Balanced: 15 assignments; nobody has more than one above another
	// among those who were there for every release.
	lo, hi := 99, 0
	for _, g := range gs[:3] {
		lo, hi = min(lo, load[g.id]), max(hi, load[g.id])
	}
	if hi-lo > 1 {
		t.Fatalf("unbalanced loads %v", load)
	}
	if c := must[workflow.Competition](t)(w.e.Competition(ctx, c.ID)); c.EssayGraders != 3 {
		t.Fatalf("graders per essay %d", c.EssayGraders)
	}
}

func TestP115_GradesAreSignedAndTheScoreIsTheMean(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps, gs := w.stagesWith(1, 3)
	a := apps[0]
	w.set("2025-03-19 10:05")
	w.write(a, 200)
	w.set("2025-03-19 13:00")
	w.verdict(a, protocol.VerdictClean)
	w.tick()
	es := w.essay(a)
	byID := map[string]grader{}
	for _, g := range gs {
		byID[g.id] = g
	}
	g1, g2 := byID[es.Graders[0]], byID[es.Graders[1]]
	other := gs[0]
	for _, g := range gs {
		if !contains(es.Graders, g.id) {
			other = g
		}
	}

	p := must[workflow.GradePayload](t)(w.e.EssayPayload(ctx, g1.id, a.Application.ID, 4))
	good := g1.signed(t, p, 4)
	// Missing, forged, for another score, by another key: refused, nothing kept.
	missing := good
	missing.Signature = nil
	_, err := w.e.GradeEssay(ctx, g1.id, a.Application.ID, missing)
	refused(t, err, "p.115", "not signed")
	forged := good
	forged.Signature = append([]byte(nil), good.Signature...)
	forged.Signature[7] ^= 1
	_, err = w.e.GradeEssay(ctx, g1.id, a.Application.ID, forged)
	refused(t, err, "p.115", "does not verify")
	raised := good
	raised.Score = 5
	_, err = w.e.GradeEssay(ctx, g1.id, a.Application.ID, raised)
	refused(t, err, "p.115", "does not verify")
	byOther := g2.signed(t, p, 4)
	_, err = w.e.GradeEssay(ctx, g1.id, a.Application.ID, byOther)
	refused(t, err, "p.115", "does not verify")
	_, err = w.e.GradeEssay(ctx, other.id, a.Application.ID, other.signed(t, p, 4))
	refused(t, err, "p.115", "other members")
	if es := w.essay(a); len(es.Grades) != 0 {
		t.Fatalf("a refused grade was kept: %+v", es.Grades)
	}
	before := w.logSize()
	ge := must[workflow.GraderEssay](t)(w.e.GradeEssay(ctx, g1.id, a.Application.ID, good))
	if ge.Mine == nil || ge.Mine.Score != 4 || ge.Graded != 1 || w.logSize() != before+1 {
		t.Fatalf("grade: %+v, log +%d", ge, w.logSize()-before)
	}
	// Replayed: the same signed grade again.
	_, err = w.e.GradeEssay(ctx, g1.id, a.Application.ID, good)
	refused(t, err, "p.115", "already")
	// The nonce of a used grade under a new payload: refused.
	p2 := must[workflow.GradePayload](t)(w.e.EssayPayload(ctx, g2.id, a.Application.ID, 3))
	replay := p2
	replay.Nonce = p.Nonce
	_, err = w.e.GradeEssay(ctx, g2.id, a.Application.ID, g2.signed(t, replay, 3))
	refused(t, err, "p.115")
	// A payload signed hours after it was issued is not accepted.
	w.set("2025-03-19 16:00")
	_, err = w.e.GradeEssay(ctx, g2.id, a.Application.ID, g2.signed(t, p2, 3))
	refused(t, err, "", "issued at 2025-03-19 13:00")
	fresh := must[workflow.GradePayload](t)(w.e.EssayPayload(ctx, g2.id, a.Application.ID, 3))
	must[workflow.GraderEssay](t)(w.e.GradeEssay(ctx, g2.id, a.Application.ID, g2.signed(t, fresh, 3)))
	es = w.essay(a)
	if es.Score == nil || es.Score.String() != "3.5" {
		t.Fatalf("essay score %v, want 3.5 = (4+3)/2", es.Score)
	}
}

func TestP115_EssayScoreRule(t *testing.T) {
	for _, c := range []struct {
		grades []int
		want   string
	}{{[]int{4, 4}, "4"}, {[]int{4, 3}, "3.5"}, {[]int{5, 4, 4}, "4.33"}, {[]int{5, 5, 4}, "4.67"}, {[]int{0, 0, 1}, "0.33"}, {[]int{5}, "5"}} {
		got, err := workflow.EssayScore(c.grades)
		if err != nil || got.String() != c.want {
			t.Errorf("EssayScore(%v) = %v, %v; want %s", c.grades, got, err, c.want)
		}
	}
	if _, err := workflow.EssayScore(nil); err == nil {
		t.Error("a score from no grades")
	}
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 9: 6} {
		if got := workflow.GradersPerEssay(n); got != want {
			t.Errorf("p.115: GradersPerEssay(%d) = %d, want %d (two thirds rounded up)", n, got, want)
		}
	}
}

func TestP115_GradingOverdueAfterOneWorkingDay(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps, _ := w.stagesWith(1, 2)
	w.set("2025-03-19 10:05")
	w.write(apps[0], 20)
	w.set("2025-03-19 13:00")
	w.verdict(apps[0], protocol.VerdictClean)
	w.tick()
	// Published Wednesday 19 March; due at the end of Thursday 20 March.
	w.set("2025-03-20 23:59")
	for _, o := range must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID)) {
		if o.Kind == workflow.OverdueGrading {
			t.Fatalf("grading overdue before the end of the working day: %+v", o)
		}
	}
	w.set("2025-03-21 00:00")
	od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID))
	n := 0
	for _, o := range od {
		if o.Kind == workflow.OverdueGrading && o.Clause == "p.115" && o.Account != "" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("overdue grading: %+v, want both graders", od)
	}
}

func TestP115_EssayOnlyUnderTheAgentAndOnTheServersClock(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps, _ := w.stagesWith(2, 2)
	a := apps[0]
	w.set("2025-03-19 09:59")
	_, err := w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: "early", Revision: 1})
	refused(t, err, "p.115", "starts")
	w.set("2025-03-19 10:01")
	_, err = w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: "no agent", Revision: 1})
	refused(t, err, "rule 10", "agent")
	w.join(a)
	es := must[workflow.Essay](t)(w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: "бірінші сөз", Revision: 2}))
	if es.Revision != 2 || es.Words != 2 {
		t.Fatalf("saved: %+v", es)
	}
	// A resent older save changes nothing and is acknowledged with what is held.
	es = must[workflow.Essay](t)(w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: "бірінші", Revision: 1}))
	if es.Revision != 2 || es.Text != "бірінші сөз" {
		t.Fatalf("an older save overwrote a newer one: %+v", es)
	}
	long := strings.TrimSpace(strings.Repeat("сөз ", workflow.EssayWordLimit+1))
	must[workflow.Essay](t)(w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: long, Revision: 3}))
	_, err = w.e.SubmitEssay(ctx, a.Token, workflow.EssayDraft{Text: long, Revision: 3})
	refused(t, err, "p.115", "251 words", "at most 250")
	if es := must[workflow.Essay](t)(w.e.CabinetEssay(ctx, a.Token)); es.Text != long {
		t.Fatal("a refused submission lost the saved text")
	}
	_, err = w.e.SaveEssay(ctx, a.Token, workflow.EssayDraft{Text: "x", Revision: 0})
	refused(t, err, "", "revision")
	// The second candidate saved a draft and never submitted: at the
	// end of the essay time the server submits what was saved.
	w.join(apps[1])
	must[workflow.Essay](t)(w.e.SaveEssay(ctx, apps[1].Token, workflow.EssayDraft{Text: "жартылай жазылған эссе", Revision: 5}))
	w.set("2025-03-19 12:00")
	_, err = w.e.SaveEssay(ctx, apps[1].Token, workflow.EssayDraft{Text: "late", Revision: 6})
	refused(t, err, "p.115", "ended")
	w.tick()
	auto := w.essay(apps[1])
	if auto.Submitted == nil || !auto.Auto || auto.Revision != 5 || !auto.Submitted.Equal(at("2025-03-19 12:00").UTC()) {
		t.Fatalf("auto-submitted: %+v", auto)
	}
}

func TestP120_TopThree(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps, gs := w.stagesWith(5, 2)
	w.set("2025-03-19 10:05")
	for _, a := range apps {
		w.write(a, 80)
		w.set("2025-03-19 10:06") // app 0 submitted first
	}
	w.set("2025-03-19 13:00")
	w.verdict(apps[4], protocol.VerdictViolation)
	for _, a := range apps[:4] {
		w.verdict(a, protocol.VerdictClean)
	}
	w.tick()
	_, err := w.e.SelectInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.120", "not scored")
	// Grades: app0 4+4=4, app1 5+3=4 (tie with app0: app0 submitted
	// earlier), app2 5+5=5, app3 3+3=3.
	marks := [][2]int{{4, 4}, {5, 3}, {5, 5}, {3, 3}}
	for i, a := range apps[:4] {
		for j, g := range gs {
			must[workflow.GraderEssay](t)(w.grade(g, a, marks[i][j]))
		}
	}
	c = must[workflow.Competition](t)(w.e.SelectInterview(ctx, "a-hr", c.ID))
	var got []string
	for _, f := range c.Interview.Finalists {
		got = append(got, f.Application)
	}
	want := []string{apps[2].Application.ID, apps[0].Application.ID, apps[1].Application.ID}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("p.120 finalists %v, want %v (app3 fourth, app4 violated)", got, want)
	}
	_, err = w.e.SelectInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.120", "already")
	// p.122 goes to the finalists only.
	n := must[int](t)(w.e.NotifyInterview(ctx, "a-hr", c.ID))
	if n != 3 {
		t.Fatalf("notified %d, want the 3 finalists", n)
	}
	_, _, ns, _ := w.e.Cabinet(ctx, apps[3].Token)
	for _, x := range ns {
		if x.Key == "workflow.notify.interview" {
			t.Fatal("the fourth was invited")
		}
	}
	st := must[[]workflow.Standing](t)(w.e.Standings(ctx, c.ID))
	if st[4].Application != apps[4].Application.ID || st[4].EssayState != workflow.HeldViolation || st[4].Eligible {
		t.Fatalf("the violator's standing: %+v", st[4])
	}
}

func TestP130_InterviewScoresSignedAndTheResultWhenAllAreIn(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps, gs := w.stagesWith(2, 2)
	w.set("2025-03-19 10:05")
	for _, a := range apps {
		w.write(a, 80)
	}
	w.set("2025-03-19 13:00")
	for _, a := range apps {
		w.verdict(a, protocol.VerdictClean)
	}
	w.tick()
	for i, a := range apps {
		for _, g := range gs {
			must[workflow.GraderEssay](t)(w.grade(g, a, 3+i))
		}
	}
	c = must[workflow.Competition](t)(w.e.SelectInterview(ctx, "a-hr", c.ID))
	scoreIt := func(g grader, a workflow.Applied, sc int) (workflow.Competition, error) {
		p, err := w.e.InterviewPayload(ctx, g.id, c.ID, a.Application.ID, sc)
		if err != nil {
			return workflow.Competition{}, err
		}
		return w.e.ScoreInterview(ctx, g.id, c.ID, a.Application.ID, g.signed(t, p, sc))
	}
	w.set("2025-03-26 09:00")
	_, err := scoreIt(gs[0], apps[0], 2)
	refused(t, err, "p.130", "starts")
	w.set("2025-03-26 11:00")
	_, err = w.e.InterviewPayload(ctx, gs[0].id, c.ID, apps[0].Application.ID, 4)
	refused(t, err, "p.130", "0 to 3")
	p := must[workflow.GradePayload](t)(w.e.InterviewPayload(ctx, gs[0].id, c.ID, apps[0].Application.ID, 2))
	forged := gs[1].signed(t, p, 2)
	_, err = w.e.ScoreInterview(ctx, gs[0].id, c.ID, apps[0].Application.ID, forged)
	refused(t, err, "p.130", "does not verify")
	must[workflow.Competition](t)(w.e.ScoreInterview(ctx, gs[0].id, c.ID, apps[0].Application.ID, gs[0].signed(t, p, 2)))
	_, err = scoreIt(gs[0], apps[0], 3)
	refused(t, err, "p.130", "already")
	mi := must[[]workflow.MemberInterview](t)(w.e.MemberInterviews(ctx, gs[0].id))
	if len(mi) != 1 || len(mi[0].Finalists) != 2 {
		t.Fatalf("the member's interviews: %+v", mi)
	}
	for _, f := range mi[0].Finalists {
		scored := f.Application == apps[0].Application.ID
		if scored != (f.Mine != nil) || scored && *f.Mine != 2 {
			t.Fatalf("the member's score of %s: %v", f.PIN, f.Mine)
		}
	}
	must[workflow.Competition](t)(scoreIt(gs[1], apps[0], 3))
	must[workflow.Competition](t)(scoreIt(gs[0], apps[1], 1))
	c = must[workflow.Competition](t)(w.e.Competition(ctx, c.ID))
	if c.Status != workflow.StatusStages || c.Interview.Done != nil {
		t.Fatal("the result was computed before every member scored")
	}
	c = must[workflow.Competition](t)(scoreIt(gs[1], apps[1], 1))
	if c.Status != workflow.StatusCompleted || c.Interview.Done == nil {
		t.Fatalf("after the last score: %s", c.Status)
	}
	res := must[[]workflow.Result](t)(w.e.Results(ctx, c.ID))
	// app1: essay 4 + interview 1 = 5; app0: essay 3 + interview 2.5 = 5.5.
	if len(res) != 2 || res[0].Application != apps[0].Application.ID || res[0].Total.String() != "5.5" || res[1].Total.String() != "5" {
		t.Fatalf("results: %+v", res)
	}
	if !res[0].Interview.Equal(score.MustParse("2.5")) {
		t.Fatalf("interview score %v", res[0].Interview)
	}
}
