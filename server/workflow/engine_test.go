package workflow_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
	"kuzet.kz/kuzet/server/workflow/boltstore"
	"kuzet.kz/kuzet/server/workflow/proctorport"
)

// world is a real engine over a real bbolt file, audit log, vault and
// proctoring store, with a clock the test moves.
type world struct {
	t     *testing.T
	dir   string
	e     *workflow.Engine
	st    *store.Store
	adm   *admin.Admin
	port  proctorport.Port
	log   *audit.Log
	mu    sync.Mutex
	clock time.Time
}

var kz = calendar.Zone

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, kz)
	if err != nil {
		panic(err)
	}
	return t
}

func newWorld(t *testing.T, now string, rulesDir string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), clock: at(now)}
	var err error
	w.st, err = store.Open(filepath.Join(w.dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.st.Close() })
	keys, err := audit.LoadOrCreateKeys(filepath.Join(w.dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	w.log, err = audit.Open(w.st.DB(), keys, audit.Options{DataDir: w.dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.log.Close() })
	ws, err := boltstore.New(w.st.DB())
	if err != nil {
		t.Fatal(err)
	}
	key, err := pii.LoadOrCreateKey(filepath.Join(t.TempDir(), "pii.key"))
	if err != nil {
		t.Fatal(err)
	}
	vault, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load("")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ruleset.Load(rulesDir)
	if err != nil {
		t.Fatal(err)
	}
	w.adm = admin.New(w.st)
	w.port = proctorport.Port{Admin: w.adm, Store: w.st}
	w.e, err = workflow.New(workflow.Config{Store: ws, Vault: vault, Calendar: cal, Rules: rules, Sittings: w.port,
		Documents: filepath.Join(w.dir, "documents"), Now: w.now})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.clock }
func (w *world) set(s string)   { w.mu.Lock(); w.clock = at(s); w.mu.Unlock() }

var ctx = context.Background()

// A competition of the Ministry of Transport (Annex 4, period from
// 2024-02-01) taking applications 3-7 March 2025; 8 March, a Saturday,
// is carried over to Monday 10 March.
func marchCompetition(experience bool) workflow.NewCompetition {
	return workflow.NewCompetition{Body: "min-transport", Position: "Chief expert, roads department", RequiresExperience: experience,
		Opens: "2025-03-03", Deadline: "2025-03-07", Stages: []workflow.Stage{
			{Kind: workflow.StageEssay, Starts: at("2025-03-19 10:00"), Ends: at("2025-03-19 12:00")},
			{Kind: workflow.StageInterview, Starts: at("2025-03-26 10:00"), Ends: at("2025-03-26 13:00"), Link: "https://meet.example.kz/r/123"},
		}}
}

var (
	pdf = append([]byte("%PDF-1.4\n1 0 obj <<>> endobj\n"), bytes.Repeat([]byte("x"), 100)...)
	png = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13}
	jpg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F'}
)

func full(experience bool) []workflow.Upload {
	u := []workflow.Upload{{Kind: workflow.DocEducation, Data: pdf}, {Kind: workflow.DocEducationAttachment, Data: jpg}}
	if experience {
		u = append(u, workflow.Upload{Kind: workflow.DocExperience, Data: png})
	}
	return u
}

// iins are valid IINs: these birth dates and serials, with the check
// digit that pii.CheckIIN accepts.
var iins = func() []string {
	out := []string{}
	for _, p := range []string{"90010130001", "85051540002", "92030435001", "01123150002", "78070730004", "95020240011"} {
		for d := '0'; d <= '9'; d++ {
			if pii.CheckIIN(p+string(d)) == nil {
				out = append(out, p+string(d))
				break
			}
		}
	}
	return out
}()

func person(i int) workflow.Personal {
	return workflow.Personal{Name: []string{"Айгерім Сапарова", "Ерлан Жұмабеков", "Dana Smagulova", "Нұрлан Әбдіров", "Asel Karimova"}[i],
		IIN: iins[i], Email: "c" + string(rune('a'+i)) + "@example.kz", Phone: "+7 701 000 00 0" + string(rune('0'+i))}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// refused checks err is a refusal citing clause (or none when empty).
func refused(t *testing.T, err error, clause string, contains ...string) *workflow.Error {
	t.Helper()
	var we *workflow.Error
	if !errors.As(err, &we) {
		t.Fatalf("got %v, want a refusal citing %q", err, clause)
	}
	if we.Clause != clause {
		t.Fatalf("refusal %q cites %q, want %q", we.Error(), we.Clause, clause)
	}
	if clause != "" && !strings.HasPrefix(we.Error(), clause+": ") {
		t.Fatalf("message %q does not start with the clause", we.Error())
	}
	for _, c := range contains {
		if !strings.Contains(we.Error(), c) {
			t.Fatalf("message %q does not say %q", we.Error(), c)
		}
	}
	if we.Key == "" {
		t.Fatalf("refusal %q has no catalogue key", we.Error())
	}
	return we
}

// published creates and publishes the March competition on 2025-03-01.
func (w *world) published(experience bool) workflow.Competition {
	w.t.Helper()
	w.set("2025-03-01 09:00")
	c := must[workflow.Competition](w.t)(w.e.Create(ctx, "a-hr", marchCompetition(experience)))
	return must[workflow.Competition](w.t)(w.e.Publish(ctx, "a-hr", c.ID))
}

func (w *world) logSize() int64 {
	n, err := w.log.Size()
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func keys(ns []workflow.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Key)
	}
	return out
}

func TestP1_CompetitionOutsideAnnex4IsRefusedAndNothingStored(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	// The Agency for Strategic Planning is listed only from 2024-07-01.
	in := marchCompetition(false)
	in.Body, in.Opens, in.Deadline = "aspr", "2024-03-01", "2024-03-05"
	in.Stages = nil
	_, err := w.e.Create(ctx, "a-hr", in)
	refused(t, err, "p.1", "temporary-2024", "2024-07-01")
	// After the temporary rules ended (2025-12-31) nothing covers any body.
	in.Body, in.Opens, in.Deadline = "min-transport", "2026-03-02", "2026-03-06"
	_, err = w.e.Create(ctx, "a-hr", in)
	refused(t, err, "p.1", "2025-12-31")
	in.Body = "ministry-of-nothing"
	_, err = w.e.Create(ctx, "a-hr", in)
	refused(t, err, "p.1", "ministry-of-nothing")
	if cs := must[[]workflow.Competition](t)(w.e.Competitions(ctx)); len(cs) != 0 || w.logSize() != 0 {
		t.Fatalf("refused competitions left %d records and %d audit entries", len(cs), w.logSize())
	}
	c := must[workflow.Competition](t)(w.e.Create(ctx, "a-hr", marchCompetition(false)))
	if c.RuleSet != "temporary-2024" || c.Period != "2024-02-01/2025-12-31" || c.Status != workflow.StatusDraft {
		t.Fatalf("covered competition: %+v", c)
	}
}

func TestP1_OperatorRuleSetFileCoversANewYear(t *testing.T) {
	dir := t.TempDir()
	reg := must[*ruleset.Registry](t)(ruleset.Load(""))
	raw := must[[]byte](t)(reg.DemoSet(2026))
	if err := os.WriteFile(filepath.Join(dir, "demo-2026.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, "2026-03-01 09:00", dir)
	in := marchCompetition(false)
	in.Opens, in.Deadline, in.Stages = "2026-03-02", "2026-03-06", nil
	c := must[workflow.Competition](t)(w.e.Create(ctx, "a-hr", in))
	if c.RuleSet != "demo-2026" {
		t.Fatalf("rule set %q, want the operator's demo-2026", c.RuleSet)
	}
}

func TestDatesOutOfOrderAreRefused(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	in := marchCompetition(false)
	in.Deadline = "2025-03-02"
	_, err := w.e.Create(ctx, "a-hr", in)
	refused(t, err, "", "out of order")
	in = marchCompetition(false)
	in.Stages[0].Starts = at("2025-03-13 10:00") // inside the review period (ends 13 March)
	in.Stages[0].Ends = at("2025-03-13 12:00")
	_, err = w.e.Create(ctx, "a-hr", in)
	refused(t, err, "p.73", "out of order", "its last day is 2025-03-13")
	in = marchCompetition(false)
	in.Stages[1].Starts = at("2025-03-19 11:00") // interview before the essay ends
	_, err = w.e.Create(ctx, "a-hr", in)
	refused(t, err, "", "out of order")
	in = marchCompetition(false)
	in.Opens = "2025-3-3"
	_, err = w.e.Create(ctx, "a-hr", in)
	refused(t, err, "", "YYYY-MM-DD")
	if w.logSize() != 0 {
		t.Fatal("refused input was logged")
	}
}

func TestP73_ReviewPeriodIsThreeWorkingDaysAfterTheDeadline(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c := w.published(false)
	w.set("2025-03-05 12:00")
	// 7 March is a Friday; Monday 10 March is the day off for 8 March:
	// the three working days are 11, 12 and 13 March.
	if due := w.e.ReviewDue(c); !due.Equal(at("2025-03-14 00:00")) {
		t.Fatalf("review due %v, want the end of 13 March", due)
	}
	app := must[workflow.Applied](t)(w.e.Apply(ctx, c.ID, person(0), full(false)))
	w.set("2025-03-07 23:59")
	if err := w.e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if c := must[workflow.Competition](t)(w.e.Competition(ctx, c.ID)); c.Status != workflow.StatusAccepting {
		t.Fatalf("status %s before the deadline ended", c.Status)
	}
	w.set("2025-03-08 00:00")
	_, err := w.e.Apply(ctx, c.ID, person(1), full(false))
	refused(t, err, "", "2025-03-07")
	if err := w.e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	c = must[workflow.Competition](t)(w.e.Competition(ctx, c.ID))
	last := c.History[len(c.History)-1]
	if c.Status != workflow.StatusReview || last.Actor != workflow.System || !strings.HasPrefix(last.Why, "p.73") {
		t.Fatalf("after the deadline: %s, %+v", c.Status, last)
	}
	w.set("2025-03-13 23:59")
	if od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID)); len(od) != 0 {
		t.Fatalf("overdue before the end of the third working day: %+v", od)
	}
	w.set("2025-03-14 00:00")
	od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID))
	if len(od) != 1 || od[0].Kind != workflow.OverdueReview || od[0].Application != app.Application.ID || od[0].Clause != "p.73" {
		t.Fatalf("overdue after the review period: %+v", od)
	}
	must[workflow.Application](t)(w.e.Review(ctx, "a-hr", app.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
	if od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID)); len(od) != 0 {
		t.Fatalf("overdue after the decision: %+v", od)
	}
}

// incomplete added to a person's number in inReview files their
// application with the education document only.
const incomplete = 100

func (w *world) inReview(experience bool, people ...int) (workflow.Competition, []workflow.Applied) {
	w.t.Helper()
	c := w.published(experience)
	w.set("2025-03-05 12:00")
	var apps []workflow.Applied
	for _, i := range people {
		docs := full(experience)
		if i >= incomplete {
			i, docs = i-incomplete, docs[:1] // education only: incomplete
		}
		apps = append(apps, must[workflow.Applied](w.t)(w.e.Apply(ctx, c.ID, person(i), docs)))
	}
	w.set("2025-03-11 10:00")
	if err := w.e.Tick(ctx); err != nil {
		w.t.Fatal(err)
	}
	return c, apps
}

func TestP73_IncompletePackageGetsOneChance(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps := w.inReview(true, incomplete+1)
	id := apps[0].Application.ID
	before := w.logSize()
	_, err := w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeAdmit})
	refused(t, err, "p.73", "education_attachment", "experience")
	_, err = w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeIncomplete})
	refused(t, err, "p.73", "list what is missing")
	if w.logSize() != before {
		t.Fatal("refused reviews were logged")
	}
	// Tuesday 11 March 10:00: the candidate has until the end of Wednesday.
	a := must[workflow.Application](t)(w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeIncomplete,
		Missing: []string{"attachment to the diploma", "proof of work experience"}}))
	if a.Status != workflow.AppIncomplete || !a.SupplementDue.Equal(at("2025-03-13 00:00")) {
		t.Fatalf("incomplete: %s, due %v", a.Status, a.SupplementDue)
	}
	if w.logSize() != before+2 { // the decision and its notice
		t.Fatalf("incomplete logged %d entries, want 2", w.logSize()-before)
	}
	_, _, ns, err := w.e.Cabinet(ctx, apps[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	got := keys(ns)
	if got[len(got)-1] != "workflow.notify.incomplete" || !strings.Contains(ns[len(ns)-1].Args["missing"], "proof of work experience") {
		t.Fatalf("incomplete notice: %v %+v", got, ns[len(ns)-1])
	}
	w.set("2025-03-12 18:00")
	must[workflow.Document](t)(w.e.AddDocument(ctx, id, workflow.Upload{Kind: workflow.DocEducationAttachment, Data: pdf}))
	must[workflow.Document](t)(w.e.AddDocument(ctx, id, workflow.Upload{Kind: workflow.DocExperience, Data: pdf}))
	a = must[workflow.Application](t)(w.e.Supplement(ctx, id))
	if a.Status != workflow.AppSupplemented || !a.RecheckDue.Equal(at("2025-03-14 00:00")) {
		t.Fatalf("supplemented: %s, recheck due %v", a.Status, a.RecheckDue)
	}
	_, err = w.e.Supplement(ctx, id)
	refused(t, err, "p.73", "only once")
	_, err = w.e.AddDocument(ctx, id, workflow.Upload{Kind: workflow.DocOther, Data: pdf})
	refused(t, err, "p.73", "only once")
	_, err = w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeIncomplete, Missing: []string{"more"}})
	refused(t, err, "p.73", "only once")
	w.set("2025-03-14 00:00")
	od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, apps[0].Application.Competition))
	if len(od) != 1 || od[0].Kind != workflow.OverdueRecheck {
		t.Fatalf("re-check overdue: %+v", od)
	}
	a = must[workflow.Application](t)(w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
	if a.Status != workflow.AppAdmitted || len(a.PIN) != 8 {
		t.Fatalf("admitted: %+v", a)
	}
}

func TestP73_SupplementAfterTheWorkingDayIsRefused(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.inReview(false, incomplete+0)
	id := apps[0].Application.ID
	must[workflow.Application](t)(w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeIncomplete, Missing: []string{"attachment"}}))
	w.set("2025-03-13 00:00")
	_, err := w.e.AddDocument(ctx, id, workflow.Upload{Kind: workflow.DocEducationAttachment, Data: pdf})
	refused(t, err, "p.73", "2025-03-12 23:59")
	_, err = w.e.Supplement(ctx, id)
	refused(t, err, "p.73", "one working day")
	od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID))
	if len(od) != 1 || od[0].Kind != workflow.OverdueNoSupply {
		t.Fatalf("overdue: %+v", od)
	}
	// An incomplete package may be refused without a typed reason: it is what is missing.
	a := must[workflow.Application](t)(w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeRefuse}))
	if a.Status != workflow.AppRefused || !strings.Contains(a.Reason, "p.73") || !strings.Contains(a.Reason, "education_attachment") {
		t.Fatalf("refused: %+v", a)
	}
}

func TestP73_CompletePackageIsNotRefusedWithoutAReason(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	_, apps := w.inReview(false, 0)
	id := apps[0].Application.ID
	before := w.logSize()
	_, err := w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeRefuse, Reason: "  "})
	refused(t, err, "p.73", "needs the reason")
	if a := must[workflow.Application](t)(w.e.Application(ctx, id)); a.Status != workflow.AppSubmitted || w.logSize() != before {
		t.Fatalf("a refused refusal changed the application: %s, %d entries", a.Status, w.logSize()-before)
	}
	a := must[workflow.Application](t)(w.e.Review(ctx, "a-hr", id, workflow.Decision{Outcome: workflow.OutcomeRefuse, Reason: "the diploma is in a field the position does not accept"}))
	_, _, ns, _ := w.e.Cabinet(ctx, apps[0].Token)
	if a.Status != workflow.AppRefused || ns[len(ns)-1].Key != "workflow.notify.refused" || ns[len(ns)-1].Args["reason"] != a.Reason {
		t.Fatalf("refusal notice: %+v", ns)
	}
}

func TestP74_1_PINsAreUniqueAndADatabaseCopyRevealsNoPersonalData(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.inReview(false, 0, 1, 2, 3, 4)
	pins := map[string]bool{}
	for _, a := range apps {
		got := must[workflow.Application](t)(w.e.Review(ctx, "a-hr", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
		if pins[got.PIN] {
			t.Fatalf("PIN %s given twice", got.PIN)
		}
		pins[got.PIN] = true
	}
	// Ad-hoc sittings draw from the same registry.
	label := must[store.Competition](t)(w.adm.CreateCompetition("rehearsal"))
	for range 20 {
		ns := must[admin.NewSitting](t)(w.adm.CreateSitting(label.ID, "rehearsal"))
		if pins[ns.Sitting.PIN] {
			t.Fatalf("sitting PIN %s repeats an admission's", ns.Sitting.PIN)
		}
		pins[ns.Sitting.PIN] = true
	}
	for i := range apps {
		p := person(i)
		for pin := range pins {
			if strings.Contains(p.IIN, pin[:6]) {
				t.Fatalf("PIN %s shares 6 digits with an IIN", pin)
			}
		}
	}
	// HR still reads the personal data…
	if p := must[workflow.Personal](t)(w.e.Personal(ctx, apps[2].Application.ID)); p.Name != person(2).Name || p.IIN != person(2).IIN {
		t.Fatalf("personal data: %+v", p)
	}
	_ = c
	// …but the database file alone holds no name, IIN, e-mail or scan.
	raw := must[[]byte](t)(os.ReadFile(filepath.Join(w.dir, "kuzet.db")))
	for i := range apps {
		p := person(i)
		for _, v := range []string{p.Name, p.IIN, p.Email, strings.Fields(p.Name)[1]} {
			if bytes.Contains(raw, []byte(v)) {
				t.Fatalf("kuzet.db contains %q in the clear", v)
			}
		}
	}
	if bytes.Contains(raw, pdf[:20]) {
		t.Fatal("kuzet.db contains a document scan")
	}
	err := filepath.WalkDir(filepath.Join(w.dir, "documents"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && (bytes.Contains(b, []byte("%PDF")) || bytes.Contains(b, []byte("JFIF"))) {
			t.Errorf("document file %s is not sealed", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInvalidInputIsRefusedWithWhatToDo(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c := w.published(false)
	w.set("2025-03-05 12:00")
	p := person(0)
	p.IIN = iins[0][:11] + string('0'+(iins[0][11]-'0'+1)%10) // wrong check digit
	_, err := w.e.Apply(ctx, c.ID, p, full(false))
	refused(t, err, "", "check digit")
	p.IIN = "90010130001"
	_, err = w.e.Apply(ctx, c.ID, p, full(false))
	refused(t, err, "", "12 digits")
	_, err = w.e.Apply(ctx, c.ID, person(0), []workflow.Upload{{Kind: workflow.DocEducation, Data: []byte("GIF89a....")}})
	refused(t, err, "", "not a PDF, JPEG or PNG")
	big := append(append([]byte{}, pdf...), make([]byte, workflow.MaxDocumentBytes)...)
	_, err = w.e.Apply(ctx, c.ID, person(0), []workflow.Upload{{Kind: workflow.DocEducation, Data: big}})
	we := refused(t, err, "", "10485760")
	if we.Kind != workflow.KindTooLarge {
		t.Fatalf("too large kind %s", we.Kind)
	}
	if apps := must[[]workflow.Application](t)(w.e.Applications(ctx, c.ID)); len(apps) != 0 {
		t.Fatalf("refused applications stored: %d", len(apps))
	}
	must[workflow.Applied](t)(w.e.Apply(ctx, c.ID, person(0), full(false)))
	_, err = w.e.Apply(ctx, c.ID, person(0), full(false))
	refused(t, err, "", "already filed")
}

func (w *world) withInterview(startsIn time.Duration) (workflow.Competition, []workflow.Applied) {
	c, apps := w.inReview(false, 0, 1, 2)
	for _, a := range apps[:2] {
		must[workflow.Application](w.t)(w.e.Review(ctx, "a-hr", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}))
	}
	must[workflow.Application](w.t)(w.e.Review(ctx, "a-hr", apps[2].Application.ID, workflow.Decision{Outcome: workflow.OutcomeRefuse, Reason: "no diploma"}))
	c = must[workflow.Competition](w.t)(w.e.StartStages(ctx, "a-hr", c.ID))
	return c, apps
}

func TestP14_1_ConfirmedProposedAssessorNeedsGrounds(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	var ids []string
	for _, u := range []string{"assessor1", "assessor2", "assessor3"} {
		ids = append(ids, must[store.Account](t)(w.adm.CreateAccount(u, "pass-word-1234", store.RoleAssessor)).ID)
	}
	c := w.published(false)
	c = must[workflow.Competition](t)(w.e.Propose(ctx, w.port, "a-hr", c.ID, 2))
	var proposed []string
	for _, m := range c.Commission {
		if m.Proposed {
			proposed = append(proposed, m.Account)
		}
	}
	if len(proposed) != 2 {
		t.Fatalf("proposed %v", proposed)
	}
	must[workflow.Competition](t)(w.e.Confirm(ctx, proposed[0], c.ID))
	before := w.logSize()
	_, err := w.e.Remove(ctx, "a-hr", c.ID, proposed[0], "", "")
	refused(t, err, "p.14-1", "grounds")
	_, err = w.e.Remove(ctx, "a-hr", c.ID, proposed[0], workflow.GroundsAbsence, "")
	refused(t, err, "p.14-1", "reason")
	if w.logSize() != before {
		t.Fatal("refused removals were logged")
	}
	c = must[workflow.Competition](t)(w.e.Remove(ctx, "a-hr", c.ID, proposed[0], workflow.GroundsAbsence, "in hospital since 20 March"))
	var removed workflow.Member
	for _, m := range c.Commission {
		if m.Account == proposed[0] {
			removed = m
		}
	}
	if removed.Removed == nil || removed.Grounds != workflow.GroundsAbsence || removed.Reason != "in hospital since 20 March" {
		t.Fatalf("removal not recorded: %+v", removed)
	}
	// One who has not confirmed may be taken off without grounds.
	must[workflow.Competition](t)(w.e.Remove(ctx, "a-hr", c.ID, proposed[1], "", ""))
	_, err = w.e.Confirm(ctx, ids[0], "c-none")
	if !errors.Is(err, workflow.ErrRefused) {
		t.Fatalf("confirm on a missing competition: %v", err)
	}
}

func TestP14_1_NoExtraAssessorWithin30Minutes(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	a1 := must[store.Account](t)(w.adm.CreateAccount("assessor1", "pass-word-1234", store.RoleAssessor))
	a2 := must[store.Account](t)(w.adm.CreateAccount("assessor2", "pass-word-1234", store.RoleAssessor))
	hr := must[store.Account](t)(w.adm.CreateAccount("hr2", "pass-word-1234", store.RoleHR))
	c, _ := w.withInterview(0)
	// The interview starts 26 March at 10:00.
	w.set("2025-03-26 09:29")
	must[workflow.Competition](t)(w.e.AddMember(ctx, w.port, "a-hr", c.ID, a1.ID, workflow.RoleAssessor))
	w.set("2025-03-26 09:31")
	_, err := w.e.AddMember(ctx, w.port, "a-hr", c.ID, a2.ID, workflow.RoleAssessor)
	refused(t, err, "p.14-1", "30 minutes", "2025-03-26 10:00")
	_, err = w.e.AddMember(ctx, w.port, "a-hr", c.ID, hr.ID, workflow.RoleAssessor)
	refused(t, err, "", "does not have the assessor role")
}

func TestP122_InterviewNoticeCarriesDateAndLink(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps, gs := w.stagesWith(3, 2)
	w.set("2025-03-19 10:05")
	for _, a := range apps {
		w.write(a, 30)
	}
	w.set("2025-03-19 13:00")
	w.verdict(apps[0], protocol.VerdictClean)
	w.verdict(apps[1], protocol.VerdictClean)
	w.verdict(apps[2], protocol.VerdictViolation)
	w.tick()
	_, err := w.e.NotifyInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.120", "select")
	for _, a := range apps[:2] {
		for _, g := range gs {
			must[workflow.GraderEssay](t)(w.grade(g, a, 3))
		}
	}
	c = must[workflow.Competition](t)(w.e.SelectInterview(ctx, "a-hr", c.ID))
	// The interview is on Wednesday 26 March; 21-25 March are Nauryz
	// days off (22 and 23 fell on the weekend and moved to 24 and 25), so
	// the last working day before it is Thursday 20 March: the notice is
	// overdue once that day begins without one.
	w.set("2025-03-19 23:59")
	od := must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID))
	if len(od) != 0 {
		t.Fatalf("overdue two working days before: %+v", od)
	}
	w.set("2025-03-20 00:00")
	od = must[[]workflow.Overdue](t)(w.e.Overdue(ctx, c.ID))
	if len(od) != 1 || od[0].Kind != workflow.OverdueInterviewN || od[0].Clause != "p.122" {
		t.Fatalf("interview notice overdue: %+v", od)
	}
	n := must[int](t)(w.e.NotifyInterview(ctx, "a-hr", c.ID))
	if n != 2 {
		t.Fatalf("notified %d, want the 2 finalists", n)
	}
	for i, a := range apps {
		_, _, ns, err := w.e.Cabinet(ctx, a.Token)
		if err != nil {
			t.Fatal(err)
		}
		last := ns[len(ns)-1]
		if i == 2 {
			if last.Key == "workflow.notify.interview" {
				t.Fatal("p.120: a candidate who is not a finalist was invited")
			}
			continue
		}
		if last.Key != "workflow.notify.interview" || last.Args["date"] != "2025-03-26 10:00" || last.Args["link"] != "https://meet.example.kz/r/123" {
			t.Fatalf("interview notice: %+v", last)
		}
	}
	w.set("2025-03-26 10:00")
	_, err = w.e.NotifyInterview(ctx, "a-hr", c.ID)
	refused(t, err, "p.122", "before it")
}

func TestP117_CompletedWhenNoAdmittedCandidateTookPartInTheEssay(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.withInterview(0)
	if n := must[int](t)(w.e.OpenStage(ctx, "a-hr", c.ID, workflow.StageEssay)); n != 2 {
		t.Fatalf("opened %d essay sittings, want 2", n)
	}
	w.set("2025-03-19 11:59")
	if err := w.e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if c := must[workflow.Competition](t)(w.e.Competition(ctx, c.ID)); c.Status != workflow.StatusStages {
		t.Fatalf("completed before the essay ended: %s", c.Status)
	}
	w.set("2025-03-19 12:00")
	if err := w.e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	c = must[workflow.Competition](t)(w.e.Competition(ctx, c.ID))
	last := c.History[len(c.History)-1]
	if c.Status != workflow.StatusCompleted || last.Actor != workflow.System || !strings.HasPrefix(last.Why, "p.117") {
		t.Fatalf("after the essay with nobody: %s %+v", c.Status, last)
	}
	for _, a := range apps {
		_, _, ns, err := w.e.Cabinet(ctx, a.Token)
		if err != nil {
			t.Fatal(err)
		}
		if ns[len(ns)-1].Key != "workflow.notify.completed_p117" {
			t.Fatalf("application %s not notified: %v", a.Application.ID, keys(ns))
		}
	}
	rec, err := w.log.Entry(last.Entry)
	if err != nil || !bytes.Contains(rec.Raw, []byte(`"to":"completed"`)) || !bytes.Contains(rec.Raw, []byte(`"sitting":"`+c.ID+`"`)) {
		t.Fatalf("audit entry of the completion: %s %v", rec.Raw, err)
	}
}

func TestP117_OneCandidateTakingPartKeepsTheCompetitionGoing(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c, apps := w.withInterview(0)
	must[int](t)(w.e.OpenStage(ctx, "a-hr", c.ID, workflow.StageEssay))
	a := must[workflow.Application](t)(w.e.Application(ctx, apps[1].Application.ID))
	token := must[string](t)(w.e.JoinToken(a.Sittings[0]))
	w.set("2025-03-19 10:01")
	if _, _, err := w.adm.Join(token); err != nil {
		t.Fatal(err)
	}
	w.set("2025-03-19 12:30")
	if err := w.e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if c := must[workflow.Competition](t)(w.e.Competition(ctx, c.ID)); c.Status != workflow.StatusStages {
		t.Fatalf("status %s although one candidate took part", c.Status)
	}
}

func TestCabinetOpensOnlyWithTheCurrentToken(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	c := w.published(false)
	w.set("2025-03-05 12:00")
	app := must[workflow.Applied](t)(w.e.Apply(ctx, c.ID, person(0), full(false)))
	if _, _, ns, err := w.e.Cabinet(ctx, app.Token); err != nil || len(ns) != 1 || ns[0].Key != "workflow.notify.received" {
		t.Fatalf("cabinet: %v %v", keys(ns), err)
	}
	tok := must[string](t)(w.e.ReissueCabinet(ctx, "a-hr", app.Application.ID))
	_, _, _, err := w.e.Cabinet(ctx, app.Token)
	refused(t, err, "", "newest link")
	if _, _, _, err := w.e.Cabinet(ctx, tok); err != nil {
		t.Fatal(err)
	}
	w.clock = w.clock.Add(workflow.CabinetTTL)
	_, _, _, err = w.e.Cabinet(ctx, tok)
	refused(t, err, "", "expired")
}
