package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
)

// Parts are what the demo seeds through.
type Parts struct {
	Admin   *admin.Admin
	Store   *store.Store
	DataDir string
	// Engine builds a workflow engine over the server's store with the
	// given clock: the demo plays the competitions' past at past times,
	// so each record is made the way it would have been.
	Engine   func(now func() time.Time) (*workflow.Engine, error)
	Accounts workflow.Accounts
	// Consent records the consent of the demo agent's synthetic candidate
	// to the demo sitting (server/consent), so the demo agent streams at
	// once; every other sitting waits for its candidate's decision.
	Consent func(id protocol.SittingID) error
}

// RuleSets writes the demo rule sets into dir (DATA/rulesets) unless
// they exist: one for this year and one for the last, clearly marked as
// demo sets and not legal acts (p.1: the temporary rules ended on
// 2025-12-31, so without them no competition could run).
func RuleSets(dir string, now time.Time) error {
	reg, err := ruleset.Load("")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	y := now.In(calendar.Zone).Year()
	for _, year := range []int{y - 1, y} {
		path := filepath.Join(dir, fmt.Sprintf("demo-%d.json", year))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		raw, err := reg.DemoSet(year)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// demoPDF is a small valid one-page PDF saying it is a demo scan.
func demoPDF(title string) []byte {
	var b bytes.Buffer
	offsets := []int{}
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.4\n")
	text := "BT /F1 18 Tf 40 760 Td (KUZET DEMO - not a real document) Tj 0 -30 Td (" + title + ") Tj ET"
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(text), text))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// demoIIN makes a valid IIN for a fictional person born on 1 Jan 1990+i.
func demoIIN(i int) string {
	p := fmt.Sprintf("%02d0101%d%04d", 90+i%10, 3+i%2, 1000+i)
	for d := '0'; d <= '9'; d++ {
		if pii.CheckIIN(p+string(d)) == nil {
			return p + string(d)
		}
	}
	return ""
}

var demoNames = []string{
	"Әсел Демоқызы", "Ержан Демоұлы", "Dana Demo", "Нұрлан Үлгіұлы", "Аружан Сынақова",
	"Тимур Пробный", "Madina Sample", "Бауыржан Тестов", "Гүлнар Мысалова", "Азамат Демонстрация",
	"Сауле Образцова", "Данияр Үлгібеков",
}

type seeder struct {
	ctx   context.Context
	e     *workflow.Engine
	cal   *calendar.Calendar
	clock time.Time
	n     int
	now   time.Time
}

func (s *seeder) at(t time.Time) { s.clock = t }

func (s *seeder) apply(c workflow.Competition, docs []workflow.Upload) (workflow.Applied, error) {
	i := s.n
	s.n++
	name := demoNames[i%len(demoNames)]
	p := workflow.Personal{Name: name, IIN: demoIIN(i), Email: fmt.Sprintf("candidate%d@demo.kuzet.kz", i+1), Phone: fmt.Sprintf("+7 700 000 %04d", i+1)}
	return s.e.Apply(s.ctx, c.ID, p, docs)
}

func full(experience bool) []workflow.Upload {
	u := []workflow.Upload{{Kind: workflow.DocEducation, Data: demoPDF("Diploma")}, {Kind: workflow.DocEducationAttachment, Data: demoPDF("Diploma supplement")}}
	if experience {
		u = append(u, workflow.Upload{Kind: workflow.DocExperience, Data: demoPDF("Employment record")})
	}
	return u
}

func dayStr(t time.Time) string { return t.In(calendar.Zone).Format("2006-01-02") }

// demoWorkflow is what the workflow demo gives back: the essay sitting the
// demo agent joins and a candidate's cabinet.
type demoWorkflow struct {
	Competition, Sitting, PIN, Token, Cabinet, EssayCabinet string
	// TestCabinet and TestToken: the candidate taking the demo
	// personal-qualities test now, and the join token of its sitting.
	TestCabinet, TestToken string
	// LegislationCabinet and LegislationToken: the candidate taking the
	// demo legislation test now (p.14), and its sitting's join token.
	LegislationCabinet, LegislationToken string
}

// seedWorkflow creates competitions at every status, with candidates at
// every application status and overdue items, relative to now.
func seedWorkflow(p Parts, hr string, assessors []string) (demoWorkflow, error) {
	var out demoWorkflow
	s := &seeder{ctx: context.Background(), now: time.Now().UTC()}
	e, err := p.Engine(func() time.Time { return s.clock })
	if err != nil {
		return out, err
	}
	s.e, s.cal = e, e.Calendar()
	today := s.now
	mid := func(d time.Time) time.Time { // 10:00 in Kazakhstan on d's date
		y, m, dd := d.In(calendar.Zone).Date()
		return time.Date(y, m, dd, 10, 0, 0, 0, calendar.Zone)
	}
	stage := func(k workflow.StageKind, start time.Time, dur time.Duration, link string) workflow.Stage {
		return workflow.Stage{Kind: k, Starts: start, Ends: start.Add(dur), Link: link}
	}
	create := func(body, pos string, exp bool, opens, deadline time.Time, stages ...workflow.Stage) (workflow.Competition, error) {
		s.at(opens.Add(-24 * time.Hour))
		c, err := e.Create(s.ctx, hr, workflow.NewCompetition{Body: body, Position: "DEMO: " + pos, RequiresExperience: exp,
			Opens: dayStr(opens), Deadline: dayStr(deadline), Stages: stages})
		if err != nil {
			return c, fmt.Errorf("demo competition %q: %w", pos, err)
		}
		return c, nil
	}
	publish := func(c workflow.Competition) (workflow.Competition, error) {
		return e.Publish(s.ctx, hr, c.ID)
	}
	toReview := func(deadline time.Time) error {
		s.at(s.cal.AddDays(deadline, 1).Add(4 * time.Hour))
		return e.Tick(s.ctx)
	}
	review := func(a workflow.Applied, d workflow.Decision) error {
		_, err := e.Review(s.ctx, hr, a.Application.ID, d)
		return err
	}
	admit := workflow.Decision{Outcome: workflow.OutcomeAdmit}
	iv := "https://meet.demo.kuzet.kz/interview/"

	// 1. A draft, opening next week.
	if _, err := create("min-digital", "chief expert, digital services department", false, today.AddDate(0, 0, 7), today.AddDate(0, 0, 14),
		stage(workflow.StageEssay, mid(today.AddDate(0, 0, 28)), 2*time.Hour, ""), stage(workflow.StageInterview, mid(today.AddDate(0, 0, 35)), 3*time.Hour, iv+"draft")); err != nil {
		return out, err
	}

	// 2. Accepting applications until next week, two filed.
	c2, err := create("min-finance", "leading expert, budget department", true, today.AddDate(0, 0, -3), today.AddDate(0, 0, 7),
		stage(workflow.StageEssay, mid(today.AddDate(0, 0, 21)), 2*time.Hour, ""))
	if err != nil {
		return out, err
	}
	if c2, err = publish(c2); err != nil {
		return out, err
	}
	s.at(today.Add(-2 * time.Hour))
	if _, err := s.apply(c2, full(true)); err != nil {
		return out, err
	}
	if _, err := s.apply(c2, full(false)[:1]); err != nil {
		return out, err
	}

	// 3. In review, the deadline five working days ago: one of each
	// application status, and overdue items for HR.
	d3 := s.cal.AddDays(today, -5)
	c3, err := create("min-justice", "chief expert, legal department", false, d3.AddDate(0, 0, -10), d3,
		stage(workflow.StageEssay, mid(today.AddDate(0, 0, 10)), 2*time.Hour, ""), stage(workflow.StageInterview, mid(today.AddDate(0, 0, 17)), 3*time.Hour, iv+"justice"))
	if err != nil {
		return out, err
	}
	if c3, err = publish(c3); err != nil {
		return out, err
	}
	s.at(d3.Add(-20 * time.Hour))
	var apps3 []workflow.Applied
	for i := range 6 {
		docs := full(false)
		if i == 1 || i == 2 || i == 3 {
			docs = docs[:1]
		}
		a, err := s.apply(c3, docs)
		if err != nil {
			return out, err
		}
		apps3 = append(apps3, a)
	}
	if err := toReview(d3); err != nil {
		return out, err
	}
	// [0] stays submitted: overdue (the review period has passed).
	// [1] incomplete long ago, never completed: overdue for HR's decision.
	if err := review(apps3[1], workflow.Decision{Outcome: workflow.OutcomeIncomplete, Missing: []string{"diploma supplement (education_attachment)"}}); err != nil {
		return out, err
	}
	// [2] incomplete, completed once: waiting for the re-check (overdue).
	if err := review(apps3[2], workflow.Decision{Outcome: workflow.OutcomeIncomplete, Missing: []string{"diploma supplement (education_attachment)"}}); err != nil {
		return out, err
	}
	s.at(s.clock.Add(2 * time.Hour))
	if _, err := e.AddDocument(s.ctx, apps3[2].Application.ID, workflow.Upload{Kind: workflow.DocEducationAttachment, Data: demoPDF("Diploma supplement")}); err != nil {
		return out, err
	}
	if _, err := e.Supplement(s.ctx, apps3[2].Application.ID); err != nil {
		return out, err
	}
	if err := review(apps3[4], admit); err != nil {
		return out, err
	}
	if err := review(apps3[5], workflow.Decision{Outcome: workflow.OutcomeRefuse, Reason: "DEMO: the diploma's field of study does not match the position's requirements"}); err != nil {
		return out, err
	}
	// [3] incomplete today: the candidate still has a working day.
	s.at(today)
	if err := review(apps3[3], workflow.Decision{Outcome: workflow.OutcomeIncomplete, Missing: []string{"diploma supplement (education_attachment)"}}); err != nil {
		return out, err
	}
	out.Cabinet = apps3[3].Token

	// 4. Stages running: the essay is now; the demo agent takes it.
	d4 := today.AddDate(0, 0, -25)
	c4, err := create("min-transport", "chief expert, roads department", true, d4.AddDate(0, 0, -10), d4,
		stage(workflow.StageEssay, today.Add(-30*time.Minute), 4*time.Hour, ""), stage(workflow.StageInterview, mid(today.AddDate(0, 0, 7)), 3*time.Hour, iv+"transport"))
	if err != nil {
		return out, err
	}
	if c4, err = publish(c4); err != nil {
		return out, err
	}
	s.at(d4.Add(-20 * time.Hour))
	var apps4 []workflow.Applied
	for range 3 {
		a, err := s.apply(c4, full(true))
		if err != nil {
			return out, err
		}
		apps4 = append(apps4, a)
	}
	if err := toReview(d4); err != nil {
		return out, err
	}
	for _, a := range apps4 {
		if err := review(a, admit); err != nil {
			return out, err
		}
	}
	if c4, err = e.StartStages(s.ctx, hr, c4.ID); err != nil {
		return out, err
	}
	if c4, err = e.Propose(s.ctx, p.Accounts, hr, c4.ID, 2); err != nil {
		return out, err
	}
	for _, m := range c4.Commission {
		if m.Proposed {
			if _, err := e.Confirm(s.ctx, m.Account, c4.ID); err != nil {
				return out, err
			}
			break
		}
	}
	for _, acct := range assessors {
		if c4, err = e.AddMember(s.ctx, p.Accounts, hr, c4.ID, acct, workflow.RoleMember); err != nil {
			return out, err
		}
	}
	s.at(today.Add(-40 * time.Minute))
	if _, err := e.OpenStage(s.ctx, hr, c4.ID, workflow.StageEssay); err != nil {
		return out, err
	}
	first, err := e.Application(s.ctx, apps4[0].Application.ID)
	if err != nil {
		return out, err
	}
	if len(first.Sittings) == 0 {
		return out, errors.New("the demo essay sitting was not opened")
	}
	out.Competition, out.Sitting, out.PIN, out.EssayCabinet = c4.ID, first.Sittings[0].Sitting, first.PIN, apps4[0].Token
	if out.Token, err = e.JoinToken(first.Sittings[0]); err != nil {
		return out, err
	}

	// 5. Completed by p.117: nobody took part in the essay two days ago.
	d5 := today.AddDate(0, 0, -30)
	c5, err := create("min-energy", "expert, electricity department", false, d5.AddDate(0, 0, -10), d5,
		stage(workflow.StageEssay, mid(today.AddDate(0, 0, -2)), 2*time.Hour, ""), stage(workflow.StageInterview, mid(today.AddDate(0, 0, 5)), 3*time.Hour, iv+"energy"))
	if err != nil {
		return out, err
	}
	if c5, err = publish(c5); err != nil {
		return out, err
	}
	s.at(d5.Add(-20 * time.Hour))
	var apps5 []workflow.Applied
	for range 2 {
		a, err := s.apply(c5, full(false))
		if err != nil {
			return out, err
		}
		apps5 = append(apps5, a)
	}
	if err := toReview(d5); err != nil {
		return out, err
	}
	for _, a := range apps5 {
		if err := review(a, admit); err != nil {
			return out, err
		}
	}
	if _, err := e.StartStages(s.ctx, hr, c5.ID); err != nil {
		return out, err
	}
	s.at(mid(today.AddDate(0, 0, -3)))
	if _, err := e.OpenStage(s.ctx, hr, c5.ID, workflow.StageEssay); err != nil {
		return out, err
	}
	s.at(mid(today.AddDate(0, 0, -2)).Add(3 * time.Hour))
	if err := e.Tick(s.ctx); err != nil {
		return out, err
	}

	// 7. A personal-qualities test running now (Annex 3), from a demo
	// bank of 40 items (testbank.go: choices, an order, a match, a
	// picture); one candidate, whose agent the demo does not start.
	for i := 1; i <= demoChoices; i++ {
		if _, err := e.ImportBank(s.ctx, hr, "personal_qualities", demoItem(i), fmt.Sprintf("demo-pq-%02d.xml", i)); err != nil {
			return out, fmt.Errorf("demo bank: %w", err)
		}
	}
	pkg, err := demoInteractions()
	if err != nil {
		return out, fmt.Errorf("demo bank: %w", err)
	}
	if im, err := e.ImportBank(s.ctx, hr, "personal_qualities", pkg, "demo-pq-interactions.zip"); err != nil || len(im.Refused) > 0 {
		return out, fmt.Errorf("demo bank: the order, match and picture items: %v %+v", err, im.Refused)
	}
	// runningNow is a competition whose test stage (the first of stages)
	// runs now, with one admitted candidate and the stage's sitting open:
	// the cabinet token and the sitting's join token.
	d7 := today.AddDate(0, 0, -20)
	runningNow := func(body, pos string, stages ...workflow.Stage) (cabinet, join string, err error) {
		c, err := create(body, pos, false, d7.AddDate(0, 0, -10), d7, stages...)
		if err != nil {
			return "", "", err
		}
		if c, err = publish(c); err != nil {
			return "", "", err
		}
		s.at(d7.Add(-20 * time.Hour))
		a, err := s.apply(c, full(false))
		if err != nil {
			return "", "", err
		}
		if err := toReview(d7); err != nil {
			return "", "", err
		}
		if err := review(a, admit); err != nil {
			return "", "", err
		}
		if _, err := e.StartStages(s.ctx, hr, c.ID); err != nil {
			return "", "", err
		}
		s.at(today.Add(-30 * time.Minute))
		if _, err := e.OpenStage(s.ctx, hr, c.ID, stages[0].Kind); err != nil {
			return "", "", err
		}
		t, err := e.Application(s.ctx, a.Application.ID)
		if err != nil || len(t.Sittings) == 0 {
			return "", "", fmt.Errorf("the demo %s sitting was not opened: %v", stages[0].Kind, err)
		}
		join, err = e.JoinToken(t.Sittings[0])
		return a.Token, join, err
	}
	if out.TestCabinet, out.TestToken, err = runningNow("min-trade", "expert, export support department",
		stage(workflow.StagePersonal, today.Add(-20*time.Minute), 4*time.Hour, "")); err != nil {
		return out, err
	}

	// 8. The legislation knowledge test running now (p.14), from a demo
	// bank of 59 items (15/15/15/10 by act, with spares), then a
	// personal-qualities stage it opens; one candidate.
	if err := importLegislation(s, hr); err != nil {
		return out, err
	}
	if out.LegislationCabinet, out.LegislationToken, err = runningNow("min-finance", "expert, budget planning department",
		stage(workflow.StageLegislation, today.Add(-20*time.Minute), 4*time.Hour, ""),
		stage(workflow.StagePersonal, today.AddDate(0, 0, 7), 2*time.Hour, "")); err != nil {
		return out, err
	}

	// 6. Cancelled.
	c6, err := create("min-culture", "chief expert, archives department", false, today.AddDate(0, 0, -5), today.AddDate(0, 0, 5))
	if err != nil {
		return out, err
	}
	if _, err := e.Cancel(s.ctx, hr, c6.ID, "DEMO: the position was cut from the staff list"); err != nil {
		return out, err
	}
	return out, nil
}

// demoItem is the i-th item of the demo personal-qualities bank: a
// statement the candidate agrees with or not, clearly marked as a demo.
func demoItem(i int) []byte {
	statements := []string{"Мен тапсырманы уақытында аяқтаймын.", "Мен әріптестерімнің пікірін тыңдаймын.", "Қиын жағдайда мен сабырлы боламын.", "Мен қателігімді мойындаймын."}
	return demoChoice(fmt.Sprintf("demo-pq-%02d", i), fmt.Sprintf("DEMO %d", i), "personal-qualities", fmt.Sprintf("DEMO %d. %s", i, statements[i%len(statements)]),
		false, "Иә, әрдайым", "Кейде", "Жоқ")
}

// demoChoice is a single-choice QTI 2.1 item of the demo banks in Kazakh:
// choices A, B, C, of which A is keyed.
func demoChoice(id, title, label, body string, shuffle bool, a, b, c string) []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="%s" title="%s" label="%s" xml:lang="kk" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"><defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <itemBody>
    <p>%s</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="%t" maxChoices="1">
      <prompt>Бір жауапты таңдаңыз.</prompt>
      <simpleChoice identifier="A">%s</simpleChoice>
      <simpleChoice identifier="B">%s</simpleChoice>
      <simpleChoice identifier="C">%s</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>`, id, title, label, body, shuffle, a, b, c))
}

// legislationActs are the legal acts of the legislation program by
// category, with how many demo items each gets (two over its count).
var legislationActs = []struct {
	category string
	items    int
	act      string
}{{"constitution", 17, "Қазақстан Республикасының Конституциясы"}, {"civil-service", 17, "«Мемлекеттік қызмет туралы» Заң"},
	{"anti-corruption", 17, "«Сыбайлас жемқорлыққа қарсы іс-қимыл туралы» Заң"}, {"ethics-code", 12, "Мемлекеттік қызметшілердің әдеп кодексі"}}

// importLegislation fills the demo legislation bank: for every act, items
// that ask which act a (made-up, marked DEMO) provision is in.
func importLegislation(s *seeder, hr string) error {
	for _, a := range legislationActs {
		for i := 1; i <= a.items; i++ {
			item := demoChoice(fmt.Sprintf("demo-%s-%02d", a.category, i), fmt.Sprintf("DEMO %s %d", a.category, i), a.category,
				fmt.Sprintf("DEMO %d. Бұл демо-сұрақ қай құжат туралы?", i), true, a.act, "Азаматтық кодекс", "Салық кодексі")
			if _, err := s.e.ImportBank(s.ctx, hr, "legislation", item, fmt.Sprintf("demo-%s-%02d.xml", a.category, i)); err != nil {
				return fmt.Errorf("demo legislation bank: %w", err)
			}
		}
	}
	return nil
}

// workflowAccounts creates the HR, commission and assessor demo accounts.
func workflowAccounts(p Parts, c *Credentials) (hr string, members []string, err error) {
	h, user, pass, err := account(p.Admin, p.Store, c, "hr-demo", store.RoleHR)
	if err != nil {
		return "", nil, err
	}
	c.HRUser, c.HRPassword = user, pass
	cm, user, pass, err := account(p.Admin, p.Store, c, "commission", store.RoleCommittee)
	if err != nil {
		return "", nil, err
	}
	c.CommissionUser, c.CommissionPassword = user, pass
	for i := 1; i <= 3; i++ {
		_, user, pass, err := account(p.Admin, p.Store, c, fmt.Sprintf("assessor%d", i), store.RoleAssessor)
		if err != nil {
			return "", nil, err
		}
		if i == 1 {
			c.AssessorUser, c.AssessorPassword = user, pass
		}
	}
	return h.ID, []string{cm.ID}, nil
}

func cabinetLink(token string) string {
	if token == "" {
		return ""
	}
	return "/cabinet.html#inbox=" + strings.TrimSpace(token)
}
