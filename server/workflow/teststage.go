package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/server/exam"
	"kuzet.kz/kuzet/server/qti"
	"kuzet.kz/kuzet/server/score"
)

// The test stages (the corps "B" order of stages: personal qualities, then
// textual/numerical information) are taken in the candidate page under a
// joined agent (rule 10), each from a variant the server draws for the
// candidate from the stage's bank with a fresh seed, under the stage's
// test program (server/exam), and scored by Annex 3. The server owns the
// clock: answers are accepted until the attempt's deadline, and at the
// deadline what was saved is submitted (Tick).

// Limits of one answer.
const (
	// AnswerMaxValues bounds the values of one response.
	AnswerMaxValues = 100
	// AnswerMaxBytes bounds a typed answer (a text entry).
	AnswerMaxBytes = 1000
)

// Attempt is one candidate's sitting of a test stage, under their PIN only.
type Attempt struct {
	Application string    `json:"application"`
	Competition string    `json:"competition"`
	PIN         string    `json:"pin"`
	Stage       StageKind `json:"stage"`
	Sitting     string    `json:"sitting"`
	Program     string    `json:"program"`
	Bank        string    `json:"bank"`
	// Pool is the PoolDigest of the bank items the variant was drawn
	// from (a BankSnapshot), Seed the draw's seed: exam.Draw over the
	// pool with the seed gives Questions again.
	Pool string `json:"pool"`
	Seed uint64 `json:"seed,string"`
	// Questions are the variant: the exact item versions in order, with
	// the choices in the order the candidate was shown them.
	Questions []exam.Question `json:"questions"`
	Started   time.Time       `json:"started"`
	// Deadline is the earlier of the stage's end and the start plus the
	// program's time limit, on the server's clock.
	Deadline time.Time `json:"deadline"`
	// Answers are the saved answers, in the order of the questions.
	Answers []Answer `json:"answers"`
	// Submitted is when the candidate submitted, or the deadline when the
	// server submitted what was saved (Auto).
	Submitted *time.Time   `json:"submitted,omitempty"`
	Auto      bool         `json:"auto"`
	Result    *exam.Result `json:"result,omitempty"`
	// Entry is the audit entry of the start (seed and versions), Graded
	// that of the submission (the result).
	Entry  int64 `json:"entry"`
	Graded int64 `json:"graded,omitempty"`
}

// Answer is the saved response to one question. Revision is the page's
// counter for the question: a save with a revision not above it changes
// nothing and is acknowledged with what is held.
type Answer struct {
	Item     string    `json:"item"`
	Response []string  `json:"response"`
	Revision int64     `json:"revision"`
	Saved    time.Time `json:"saved"`
}

// Score is the attempt's Annex 3 score once graded.
func (a *Attempt) Score() *score.Decimal {
	if a.Result == nil {
		return nil
	}
	return a.Result.Score
}

func (a *Attempt) answer(item string) *Answer {
	for i := range a.Answers {
		if a.Answers[i].Item == item {
			return &a.Answers[i]
		}
	}
	return nil
}

func (a *Attempt) question(item string) (exam.Question, bool) {
	for _, q := range a.Questions {
		if q.Item == item {
			return q, true
		}
	}
	return exam.Question{}, false
}

func (a *Attempt) variant() exam.Variant {
	return exam.Variant{Program: a.Program, Seed: a.Seed, Questions: a.Questions}
}

// IsTestStage reports whether k is a test stage.
func IsTestStage(k StageKind) bool {
	return k == StageLegislation || k == StagePersonal || k == StageTextual
}

// testStages are the test stages in their order.
var testStages = []StageKind{StageLegislation, StagePersonal, StageTextual}

func defaultProgram(k StageKind) string {
	switch k {
	case StageLegislation:
		return exam.LegislationProgram
	case StagePersonal:
		return exam.PersonalQualitiesExample
	}
	return exam.TextualNumericalExample
}

// checkTestStage fills in a test stage's program and bank (the kind's
// example program, the bank named like the kind) and checks them: the
// program must be a program of that stage; other stages take neither.
func checkTestStage(s *Stage, progs []exam.Program) error {
	if !IsTestStage(s.Kind) {
		if s.Program != "" || s.Bank != "" {
			return refuse(KindInvalid, "", "workflow.err.stage_not_test", "stage {kind} takes no test program or bank; only the test stages do", "kind", string(s.Kind))
		}
		return nil
	}
	if s.Program == "" {
		s.Program = defaultProgram(s.Kind)
	}
	if s.Bank == "" {
		s.Bank = string(s.Kind)
	}
	if err := checkBank(s.Bank); err != nil {
		return err
	}
	i := slices.IndexFunc(progs, func(p exam.Program) bool { return p.ID == s.Program })
	if i < 0 || string(progs[i].Stage) != string(s.Kind) {
		ids := []string{}
		for _, p := range progs {
			if string(p.Stage) == string(s.Kind) {
				ids = append(ids, p.ID)
			}
		}
		return refuse(KindInvalid, "", "workflow.err.stage_program", "stage {kind}: {program} is not a test program of that stage; use one of {programs}", "kind", string(s.Kind), "program", s.Program, "programs", strings.Join(ids, ", "))
	}
	return nil
}

// testProgram is the stage's program, shipped or defined by HR.
func testProgram(tx ReadTx, st *Stage) (exam.Program, error) {
	id := st.Program
	if id == "" {
		id = defaultProgram(st.Kind)
	}
	return attemptProgram(tx, id)
}

// attemptProgram is the program an attempt was drawn under.
func attemptProgram(tx ReadTx, id string) (exam.Program, error) {
	p, ok, err := programOf(tx, id)
	if err == nil && !ok {
		err = fmt.Errorf("no test program %q", id)
	}
	return p, err
}

func stageBank(st *Stage) string {
	if st.Bank == "" {
		return string(st.Kind)
	}
	return st.Bank
}

// testStage finds the competition's test stage of kind.
func testStage(c *Competition, kind StageKind) (*Stage, error) {
	if !IsTestStage(kind) {
		return nil, refuse(KindInvalid, "", "workflow.err.test_kind", "{kind} is not a test stage: write legislation, personal_qualities or textual_numerical", "kind", string(kind))
	}
	st, ok := c.Stage(kind)
	if !ok {
		return nil, refuse(KindNotFound, "", "workflow.err.test_no_stage", "the competition has no {kind} stage", "kind", string(kind))
	}
	return st, nil
}

// cabinetTest opens the cabinet for a test stage: an admitted candidate
// of a competition with that stage.
func (e *Engine) cabinetTest(ctx context.Context, token string, kind StageKind) (Application, Competition, *Stage, error) {
	a, c, _, err := e.Cabinet(ctx, token)
	if err != nil {
		return a, c, nil, err
	}
	st, err := testStage(&c, kind)
	if err != nil {
		return a, c, nil, err
	}
	if a.Status != AppAdmitted {
		return a, c, nil, refuse(KindConflict, "p.74-1", "workflow.err.not_admitted", "only an admitted candidate takes the stages")
	}
	return a, c, st, nil
}

func (e *Engine) attempt(ctx context.Context, app string, kind StageKind) (Attempt, error) {
	var at Attempt
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		at, err = tx.Attempt(app, kind)
		return err
	})
	return at, err
}

// StartTest starts the candidate's test of a stage: inside the stage's
// window, in a competition in its stages, with the stage's sitting open
// and the candidate's agent joined (rule 10). The server draws the
// variant with a fresh seed from the latest items of the stage's bank
// (exam.Draw), records the exact item versions, the seed, the pool and
// the deadline (the earlier of the stage's end and the start plus the
// program's time limit), and logs them, so an appeal reproduces what the
// candidate saw. Starting again returns the same attempt.
func (e *Engine) StartTest(ctx context.Context, token string, kind StageKind) (Attempt, error) {
	a, c, st, err := e.cabinetTest(ctx, token, kind)
	if err != nil {
		return Attempt{}, err
	}
	if at, err := e.attempt(ctx, a.ID, kind); err == nil {
		return at, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Attempt{}, err
	}
	if c.Status != StatusStages {
		return Attempt{}, wrongStatus(&c, StatusStages, "taking a test")
	}
	now := e.now().UTC()
	if now.Before(st.Starts) {
		return Attempt{}, refuse(KindConflict, "", "workflow.err.test_not_open", "the {kind} stage starts at {starts}", "kind", string(kind), "starts", atText(st.Starts))
	}
	if !now.Before(st.Ends) {
		return Attempt{}, refuse(KindConflict, "", "workflow.err.test_stage_ended", "the {kind} stage ended at {ends}", "kind", string(kind), "ends", atText(st.Ends))
	}
	sitting, ok := sittingOf(a, kind)
	if !ok {
		return Attempt{}, refuse(KindConflict, "", "workflow.err.test_no_sitting", "the {kind} sitting is not open yet; wait for the HR service to open the stage", "kind", string(kind))
	}
	if e.cfg.Sittings == nil {
		return Attempt{}, errors.New("workflow: no sittings port")
	}
	joined, err := e.cfg.Sittings.Joined(ctx, sitting)
	if err != nil {
		return Attempt{}, err
	}
	if !joined {
		return Attempt{}, refuse(KindConflict, "rule 10", "workflow.err.test_no_agent", "start the Kuzet agent with your join code first: the test is taken under proctoring")
	}
	var p exam.Program
	if err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		if p, err = testProgram(tx, st); err != nil {
			return err
		}
		if kind == StageLegislation {
			return checkRetest(tx, a, now)
		}
		return checkLegislationPassed(tx, &c, a.ID)
	}); err != nil {
		return Attempt{}, err
	}
	bank := stageBank(st)
	var pool []qti.Item
	var refs []ItemRef
	if err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		recs, err := tx.BankItems(bank)
		if err != nil {
			return err
		}
		refs = refsOf(recs)
		pool = make([]qti.Item, 0, len(recs))
		for _, rec := range recs {
			it, err := e.parseBankItem(rec)
			if err != nil {
				return err
			}
			pool = append(pool, *it)
		}
		return nil
	}); err != nil {
		return Attempt{}, err
	}
	seed, err := exam.NewSeed()
	if err != nil {
		return Attempt{}, err
	}
	v, err := exam.Draw(p, pool, seed)
	if err != nil {
		return Attempt{}, refuse(KindConflict, "", "workflow.err.test_draw", "the test cannot be drawn from the bank {bank}: {detail}; tell the HR service", "bank", bank, "detail", err.Error())
	}
	deadline := now.Add(p.TimeLimit.Std())
	if st.Ends.Before(deadline) {
		deadline = st.Ends.UTC()
	}
	at := Attempt{Application: a.ID, Competition: c.ID, PIN: a.PIN, Stage: kind, Sitting: sitting, Program: p.ID, Bank: bank,
		Pool: PoolDigest(refs), Seed: v.Seed, Questions: v.Questions, Started: now, Deadline: deadline, Answers: []Answer{}}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		if old, err := tx.Attempt(a.ID, kind); err == nil {
			at = old // a start at the same moment won
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		// The pool must be one an appeal can load: the snapshot of the
		// bank's last import (stored again should it be missing).
		if _, err := tx.BankSnapshot(bank, at.Pool); errors.Is(err, ErrNotFound) {
			sorted := slices.Clone(refs)
			slices.SortFunc(sorted, func(x, y ItemRef) int { return strings.Compare(x.Item, y.Item) })
			if err := tx.PutBankSnapshot(BankSnapshot{Bank: bank, Digest: at.Pool, Items: sorted, Created: now}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		versions := make([]map[string]any, 0, len(at.Questions))
		for _, q := range at.Questions {
			versions = append(versions, map[string]any{"section": q.Section, "item": q.Item, "version": q.Version, "presentation_seed": strconv.FormatUint(q.PresentationSeed, 10), "choices": q.Choices})
		}
		idx, err := logEntry(tx, now, c.ID, "candidate:"+a.PIN, "test_start", map[string]any{"application": a.ID, "pin": a.PIN, "stage": kind,
			"sitting": sitting, "program": p.ID, "bank": bank, "pool": at.Pool, "seed": strconv.FormatUint(at.Seed, 10), "questions": versions, "deadline": deadline})
		if err != nil {
			return err
		}
		at.Entry = idx
		return tx.PutAttempt(at)
	})
	return at, err
}

// TestView is the test as the candidate page shows it: the questions in
// order with their choices in the presented order (never the correct
// response), the saved answers, the deadline and the server's clock.
type TestView struct {
	Stage     StageKind      `json:"stage"`
	Program   string         `json:"program"`
	Title     exam.Text      `json:"title"`
	Started   time.Time      `json:"started"`
	Deadline  time.Time      `json:"deadline"`
	Now       time.Time      `json:"now"`
	Questions []QuestionView `json:"questions"`
	Answers   []Answer       `json:"answers"`
	// Submitted, Auto and Score once the attempt was submitted (the
	// Annex 3 score; the correct answers are never shown).
	Submitted *time.Time     `json:"submitted,omitempty"`
	Auto      bool           `json:"auto"`
	Score     *score.Decimal `json:"score,omitempty"`
	// Correct and Passed once submitted: the count of correct answers
	// and whether the program's pass values are met (the legislation
	// test's result, p.14); Certificate the below-pass certificate
	// (Annex 6) when they are not.
	Correct     *int         `json:"correct,omitempty"`
	Passed      *bool        `json:"passed,omitempty"`
	Certificate *Certificate `json:"certificate,omitempty"`
}

// QuestionView is one question of the page.
type QuestionView struct {
	Number  int    `json:"number"`
	Section string `json:"section"`
	Item    string `json:"item"`
	// Text is the item body as plain text, an inline blank as "____";
	// Prompt the interaction's prompt.
	Text        string `json:"text"`
	Prompt      string `json:"prompt"`
	Interaction string `json:"interaction"`
	Cardinality string `json:"cardinality"`
	// MaxChoices is the most values a response may have (0: no limit).
	MaxChoices int `json:"max_choices"`
	// Choices in the order shown; Targets the second set of a match.
	Choices []ChoiceView `json:"choices"`
	Targets []ChoiceView `json:"targets"`
	// Images are the pictures of the body and the prompt in order (their
	// alt is not repeated in Text), served by the cabinet to this
	// candidate only; [] when there are none.
	Images []ImageView `json:"images"`
}

// ChoiceView is one choice: what a response names it by, and its text.
// MatchMax is a match choice's matchMax: in how many pairs it may be
// (0: any).
type ChoiceView struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	MatchMax int    `json:"match_max"`
}

// TestQuestions is the candidate's started test as the page shows it.
func (e *Engine) TestQuestions(ctx context.Context, token string, kind StageKind) (TestView, error) {
	a, _, _, err := e.cabinetTest(ctx, token, kind)
	if err != nil {
		return TestView{}, err
	}
	var at Attempt
	var items []qti.Item
	var p exam.Program
	err = e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		at, err = tx.Attempt(a.ID, kind)
		if errors.Is(err, ErrNotFound) {
			return refuse(KindConflict, "", "workflow.err.test_not_begun", "start the {kind} test first", "kind", string(kind))
		}
		if err != nil {
			return err
		}
		if p, err = attemptProgram(tx, at.Program); err != nil {
			return err
		}
		items, err = e.variantItems(tx, &at)
		return err
	})
	if err != nil {
		return TestView{}, err
	}
	return testView(&at, &p, items, e.now().UTC()), nil
}

// variantItems loads the exact versions of an attempt's questions.
func (e *Engine) variantItems(tx ReadTx, at *Attempt) ([]qti.Item, error) {
	refs := make([]ItemRef, 0, len(at.Questions))
	for _, q := range at.Questions {
		refs = append(refs, ItemRef{Item: q.Item, Version: q.Version})
	}
	return e.poolItems(tx, at.Bank, refs)
}

func testView(at *Attempt, p *exam.Program, items []qti.Item, now time.Time) TestView {
	v := TestView{Stage: at.Stage, Program: at.Program, Started: at.Started, Deadline: at.Deadline, Now: now, Questions: []QuestionView{},
		Answers: slices.Clone(at.Answers), Submitted: at.Submitted, Auto: at.Auto, Score: at.Score()}
	if v.Answers == nil {
		v.Answers = []Answer{}
	}
	v.Title = p.Title
	if r := at.Result; r != nil && at.Submitted != nil {
		n, passed := r.Correct, r.Passed
		v.Correct = &n
		if r.Pass != nil {
			v.Passed = &passed
		}
		if c, err := belowPass(at, p); err == nil {
			v.Certificate = &c
		}
	}
	for i, q := range at.Questions {
		it := &items[i]
		in := it.Interaction()
		qv := QuestionView{Number: i + 1, Section: q.Section, Item: q.Item, Text: textOf(it.Body.Children, shown(it)), Cardinality: it.Response.Cardinality,
			Choices: []ChoiceView{}, Targets: []ChoiceView{}, Images: imageViews(at.Stage, it)}
		if in != nil {
			qv.Interaction, qv.Prompt, qv.MaxChoices = in.Kind, textOf(in.Prompt, shown(it)), in.MaxChoices
			if len(q.Choices) > 0 {
				qv.Choices = choiceViews(in.Choices, q.Choices[0])
			}
			if len(q.Choices) > 1 {
				qv.Targets = choiceViews(in.Targets, q.Choices[1])
			}
		}
		if qv.Cardinality == qti.Single {
			qv.MaxChoices = 1
		}
		v.Questions = append(v.Questions, qv)
	}
	return v
}

func choiceViews(cs []qti.Choice, order []string) []ChoiceView {
	out := make([]ChoiceView, 0, len(order))
	for _, id := range order {
		for _, c := range cs {
			if c.Identifier == id {
				out = append(out, ChoiceView{ID: id, Text: plainText(c.Content), MatchMax: c.MatchMax})
			}
		}
	}
	return out
}

var blockElements = map[string]bool{"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "table": true, "tr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "hr": true}

// plainText is a body's text for the page: the text nodes joined, block
// elements on their own lines, an inline interaction as a blank "____",
// a picture as its alt in brackets; a block interaction's content is
// shown apart (prompt, choices).
func plainText(nodes []qti.Node) string { return textOf(nodes, nil) }

// textOf is plainText leaving out the nodes the page shows as pictures
// (skip, when not nil, tells them).
func textOf(nodes []qti.Node, skip func(n *qti.Node) bool) string {
	var b strings.Builder
	var walk func(ns []qti.Node)
	walk = func(ns []qti.Node) {
		for _, n := range ns {
			switch {
			case skip != nil && skip(&n):
			case n.Interaction != nil:
				switch n.Interaction.Kind {
				case qti.TextEntryInteraction, qti.InlineChoiceInteraction:
					b.WriteString(" ____ ")
				default:
					b.WriteString("\n")
				}
			case n.Element == "":
				b.WriteString(n.Text)
			case n.Element == "img":
				for _, a := range n.Attrs {
					if a.Name == "alt" && a.Value != "" {
						b.WriteString(" [" + a.Value + "] ")
					}
				}
			default:
				block := blockElements[n.Element]
				if block {
					b.WriteString("\n")
				}
				walk(n.Children)
				if block {
					b.WriteString("\n")
				}
			}
		}
	}
	walk(nodes)
	lines := []string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// checkResponse is strict: every value must be one the interaction offers
// (a choice identifier, a "source target" pair of a match, one typed
// text), none twice, no more than the interaction allows; an empty
// response clears the answer.
func checkResponse(it *qti.Item, r []string) string {
	in := it.Interaction()
	if in == nil {
		return "the item has no interaction"
	}
	if len(r) > AnswerMaxValues {
		return fmt.Sprintf("%d values, at most %d", len(r), AnswerMaxValues)
	}
	if len(r) == 0 {
		return ""
	}
	if it.Response.Cardinality == qti.Single && len(r) > 1 {
		return fmt.Sprintf("%d values for a question that takes one", len(r))
	}
	// An order's maxChoices is how many choices to order, not a bound on
	// the response (as qti's scoring reads it): the page orders them all.
	if in.MaxChoices > 0 && len(r) > in.MaxChoices && in.Kind != qti.OrderInteraction {
		return fmt.Sprintf("%d values, the question takes at most %d", len(r), in.MaxChoices)
	}
	ids := in.ChoiceIdentifiers()
	seen := map[string]bool{}
	for _, v := range r {
		if seen[v] {
			return fmt.Sprintf("%q is given twice", v)
		}
		seen[v] = true
		switch in.Kind {
		case qti.ChoiceInteraction, qti.OrderInteraction, qti.InlineChoiceInteraction:
			if !slices.Contains(ids[0], v) {
				return fmt.Sprintf("%q is not one of the choices %s", v, strings.Join(ids[0], ", "))
			}
		case qti.MatchInteraction:
			src, tgt, ok := strings.Cut(v, " ")
			if !ok || !slices.Contains(ids[0], src) || !slices.Contains(ids[1], tgt) {
				return fmt.Sprintf("%q is not a pair \"source target\" of the choices %s and %s", v, strings.Join(ids[0], ", "), strings.Join(ids[1], ", "))
			}
		case qti.TextEntryInteraction:
			if len(v) > AnswerMaxBytes || !utf8.ValidString(v) {
				return fmt.Sprintf("a typed answer is valid UTF-8 of at most %d bytes", AnswerMaxBytes)
			}
		default:
			return "the question's interaction " + in.Kind + " is not answered in a test"
		}
	}
	if _, err := it.Score(qti.Response(r)); err != nil {
		return err.Error()
	}
	return ""
}

// questionItem loads the exact version of a question of an attempt.
func (e *Engine) questionItem(ctx context.Context, at *Attempt, q exam.Question) (*qti.Item, error) {
	var it *qti.Item
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		rec, err := tx.BankItem(at.Bank, q.Item, q.Version)
		if err != nil {
			return err
		}
		it, err = e.parseBankItem(rec)
		return err
	})
	return it, err
}

// AnswerIn is one save from the candidate page.
type AnswerIn struct {
	Item     string   `json:"item"`
	Response []string `json:"response"`
	Revision int64    `json:"revision"`
}

// SaveAnswer stores the candidate's response to one question of their
// attempt, idempotently by revision per question: a resent save is
// acknowledged, an older one changes nothing (the answer held comes
// back). Only the attempt's questions, only responses the item offers,
// only before the deadline on the server's clock and before submission.
// Saves share commits (Store.Batch) and log nothing; the submission logs
// the answers' result.
func (e *Engine) SaveAnswer(ctx context.Context, token string, kind StageKind, item string, response []string, revision int64) (Answer, error) {
	if revision < 1 {
		return Answer{}, refuse(KindInvalid, "", "workflow.err.answer_revision", "revision must be a positive number that grows with every change of the answer")
	}
	a, _, _, err := e.cabinetTest(ctx, token, kind)
	if err != nil {
		return Answer{}, err
	}
	if response == nil {
		response = []string{}
	}
	at, err := e.attempt(ctx, a.ID, kind)
	if errors.Is(err, ErrNotFound) {
		return Answer{}, refuse(KindConflict, "", "workflow.err.test_not_begun", "start the {kind} test first", "kind", string(kind))
	}
	if err != nil {
		return Answer{}, err
	}
	q, ok := at.question(item)
	if !ok {
		return Answer{}, refuse(KindInvalid, "", "workflow.err.test_item", "{item} is not a question of your test", "item", strconv.Quote(item))
	}
	it, err := e.questionItem(ctx, &at, q)
	if err != nil {
		return Answer{}, err
	}
	if why := checkResponse(it, response); why != "" {
		return Answer{}, refuse(KindInvalid, "", "workflow.err.test_response", "the answer to {item} is not valid: {detail}", "item", item, "detail", why)
	}
	now := e.now().UTC()
	var out Answer
	err = e.cfg.Store.Batch(ctx, func(tx Tx) error {
		at, err := tx.Attempt(a.ID, kind)
		if err != nil {
			return err
		}
		held := at.answer(item)
		if held != nil && revision <= held.Revision {
			out = *held
			return nil
		}
		if at.Submitted != nil {
			return refuse(KindConflict, "", "workflow.err.test_submitted", "the test was submitted already; answers cannot be changed")
		}
		if !now.Before(at.Deadline) {
			return refuse(KindConflict, "", "workflow.err.test_deadline", "the test time ended at {deadline}; what was saved before it is submitted", "deadline", atText(at.Deadline))
		}
		out = Answer{Item: item, Response: slices.Clone(response), Revision: revision, Saved: now}
		if held != nil {
			*held = out
		} else {
			at.Answers = append(at.Answers, out)
			order := map[string]int{}
			for i, q := range at.Questions {
				order[q.Item] = i
			}
			slices.SortStableFunc(at.Answers, func(x, y Answer) int { return order[x.Item] - order[y.Item] })
		}
		return tx.PutAttempt(at)
	})
	return out, err
}

// SubmitTest submits the candidate's attempt: it is graded by its program
// (exam.Grade: the correct answers per section and the Annex 3 score) and
// the result logged. A second submission is acknowledged with the
// result; after the deadline what was saved is submitted as at the
// deadline, as Tick would.
func (e *Engine) SubmitTest(ctx context.Context, token string, kind StageKind) (Attempt, error) {
	a, _, _, err := e.cabinetTest(ctx, token, kind)
	if err != nil {
		return Attempt{}, err
	}
	return e.submitAttempt(ctx, a.ID, kind, false)
}

// submitAttempt grades and logs an attempt. auto (Tick) submits at the
// deadline; a candidate's submission after the deadline is one too.
func (e *Engine) submitAttempt(ctx context.Context, app string, kind StageKind, auto bool) (Attempt, error) {
	var out Attempt
	err := e.cfg.Store.Update(ctx, func(tx Tx) error {
		at, err := tx.Attempt(app, kind)
		if errors.Is(err, ErrNotFound) {
			return refuse(KindConflict, "", "workflow.err.test_not_begun", "start the {kind} test first", "kind", string(kind))
		}
		if err != nil {
			return err
		}
		if at.Submitted != nil {
			out = at
			return nil
		}
		now := e.now().UTC()
		if !now.Before(at.Deadline) {
			auto, now = true, at.Deadline.UTC()
		} else if auto {
			out = at
			return nil
		}
		p, err := attemptProgram(tx, at.Program)
		if err != nil {
			return fmt.Errorf("attempt of %s: %w", at.PIN, err)
		}
		items, err := e.variantItems(tx, &at)
		if err != nil {
			return err
		}
		responses := map[string]qti.Response{}
		for _, an := range at.Answers {
			if len(an.Response) > 0 {
				responses[an.Item] = qti.Response(an.Response)
			}
		}
		res, err := exam.Grade(p, at.variant(), items, responses)
		if err != nil {
			return fmt.Errorf("grade the %s attempt of PIN %s: %w", kind, at.PIN, err)
		}
		at.Submitted, at.Auto, at.Result = &now, auto, &res
		actor := "candidate:" + at.PIN
		if auto {
			actor = System
		}
		clause := "Annex 3"
		if kind == StageLegislation {
			clause = "p.14"
		}
		idx, err := logEntry(tx, now, at.Competition, actor, "test_submit", map[string]any{"application": at.Application, "pin": at.PIN, "stage": kind,
			"program": at.Program, "answered": len(responses), "questions": res.Questions, "correct": res.Correct, "sections": res.Sections,
			"score": res.Score, "passed": res.Passed, "reasons": res.Reasons, "auto": auto, "clause": clause})
		if err != nil {
			return err
		}
		at.Graded = idx
		out = at
		if kind == StageLegislation {
			if _, err := recordLegislation(tx, &at); err != nil {
				return err
			}
		}
		return tx.PutAttempt(at)
	})
	return out, err
}

// submitTests runs after every tick of a competition in its stages: every
// started attempt whose deadline passed is submitted with what was saved
// (actor system).
func (e *Engine) submitTests(ctx context.Context, c Competition) error {
	var atts []Attempt
	if err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		atts, err = tx.Attempts(c.ID)
		return err
	}); err != nil {
		return err
	}
	now := e.now()
	var errs []error
	for _, at := range atts {
		if at.Submitted == nil && !now.Before(at.Deadline) {
			_, err := e.submitAttempt(ctx, at.Application, at.Stage, true)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AttemptView is an attempt as HR lists it: by PIN, with its result,
// never a name (p.74-1).
type AttemptView struct {
	Application string         `json:"application"`
	PIN         string         `json:"pin"`
	Stage       StageKind      `json:"stage"`
	Program     string         `json:"program"`
	Started     time.Time      `json:"started"`
	Deadline    time.Time      `json:"deadline"`
	Submitted   *time.Time     `json:"submitted,omitempty"`
	Auto        bool           `json:"auto"`
	Questions   int            `json:"questions"`
	Answered    int            `json:"answered"`
	Correct     *int           `json:"correct,omitempty"`
	Score       *score.Decimal `json:"score,omitempty"`
	Result      *exam.Result   `json:"result,omitempty"`
	Seed        string         `json:"seed"`
	Pool        string         `json:"pool"`
	Entry       int64          `json:"entry"`
}

// Attempts lists a competition's test attempts in the order they started.
func (e *Engine) Attempts(ctx context.Context, id string) ([]AttemptView, error) {
	out := []AttemptView{}
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Competition(id); err != nil {
			return storeErr(err, "competition", id)
		}
		atts, err := tx.Attempts(id)
		for _, at := range atts {
			v := AttemptView{Application: at.Application, PIN: at.PIN, Stage: at.Stage, Program: at.Program, Started: at.Started, Deadline: at.Deadline,
				Submitted: at.Submitted, Auto: at.Auto, Questions: len(at.Questions), Score: at.Score(), Result: at.Result,
				Seed: strconv.FormatUint(at.Seed, 10), Pool: at.Pool, Entry: at.Entry}
			for _, an := range at.Answers {
				if len(an.Response) > 0 {
					v.Answered++
				}
			}
			if at.Result != nil {
				n := at.Result.Correct
				v.Correct = &n
			}
			out = append(out, v)
		}
		return err
	})
	return out, err
}

// Attempt returns one application's attempt of a test stage (for HR and
// an appeal: the seed, the pool and the versions).
func (e *Engine) Attempt(ctx context.Context, app string, kind StageKind) (Attempt, error) {
	at, err := e.attempt(ctx, app, kind)
	if errors.Is(err, ErrNotFound) {
		return at, notFound("attempt", app+"/"+string(kind))
	}
	return at, err
}
