package workflow

import (
	"context"
	"errors"
	"sort"
	"time"

	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/score"
)

// Finalists go to the interview: at most three (p.120).
const Finalists = 3

// Interview is the interview stage's finalists and their scores.
type Interview struct {
	Selected   time.Time `json:"selected"`
	SelectedBy string    `json:"selected_by"`
	Entry      int64     `json:"entry"`
	// Finalists, in rank order.
	Finalists []Finalist `json:"finalists"`
	// Done is when every member's score of every finalist was in.
	Done *time.Time `json:"done,omitempty"`
}

// Finalist is one candidate selected for the interview, by PIN.
type Finalist struct {
	Application string        `json:"application"`
	PIN         string        `json:"pin"`
	Rank        int           `json:"rank"`
	Total       score.Decimal `json:"total"`
	// Scores are the members' signed 0-3 interview scores (p.130).
	Scores []Grade `json:"scores"`
	// Score is the interview's score once every member scored: the mean,
	// rounded half up to two places, like the essay's.
	Score *score.Decimal `json:"score,omitempty"`
}

// Standing is one admitted candidate's place after the stages before the
// interview: the scores of the stages that give one, and their sum.
type Standing struct {
	Application string `json:"application"`
	PIN         string `json:"pin"`
	// Legislation is the legislation test's state when the competition
	// has that stage (p.14): LegislationPassed or LegislationBelowPass,
	// or TestNotStarted, TestInProgress; it gives no score, and only a
	// pass is eligible.
	Legislation string `json:"legislation,omitempty"`
	// Personal and Textual are the Annex 3 scores of the test stages
	// (personal qualities: T = 0.02 × S; textual/numerical: T = T1 + T2),
	// with their states: "scored", or why there is none (TestNotStarted,
	// TestInProgress); the states are empty when the competition has no
	// such stage.
	Personal      *score.Decimal `json:"personal_qualities,omitempty"`
	PersonalState string         `json:"personal_qualities_state,omitempty"`
	Textual       *score.Decimal `json:"textual_numerical,omitempty"`
	TextualState  string         `json:"textual_numerical_state,omitempty"`
	Essay         *score.Decimal `json:"essay,omitempty"`
	// EssayState: "scored", or why there is no essay score (HeldViolation,
	// HeldAwaitingVerdict, "grading", "not_submitted").
	EssayState string        `json:"essay_state"`
	Total      score.Decimal `json:"total"`
	// Eligible: the candidate has every score the interview needs.
	Eligible  bool       `json:"eligible"`
	submitted *time.Time // tie rule
}

// Why a test stage has no score in a standing.
const (
	TestNotStarted = "not_started" // the candidate never started the test
	TestInProgress = "in_progress" // started, not submitted yet (Tick submits it at its deadline)
	// The legislation test's results (p.14).
	LegislationPassed    = "passed"
	LegislationBelowPass = "below_pass"
)

// standings computes everyone's place (p.120). The cumulative score is
// the sum of the Annex 3 scores of the stages held before the interview
// that the competition has: the personal-qualities assessment, the
// textual/numerical test and the essay. A candidate lacking the score of
// any of them is not eligible: a test not submitted (never started, or
// not yet submitted), an essay not submitted, still being graded, or held
// (a violation holds it, p.115).
func standings(c *Competition, apps []Application, essays []Essay, attempts []Attempt) []Standing {
	byApp := map[string]Essay{}
	for _, es := range essays {
		byApp[es.Application] = es
	}
	tests := map[string]Attempt{}
	for _, at := range attempts {
		tests[at.Application+"/"+string(at.Stage)] = at
	}
	_, hasEssay := c.Stage(StageEssay)
	out := []Standing{}
	for _, a := range apps {
		if a.Status != AppAdmitted {
			continue
		}
		s := Standing{Application: a.ID, PIN: a.PIN, Eligible: true}
		if _, ok := c.Stage(StageLegislation); ok {
			s.Legislation = TestNotStarted
			if at, ok := tests[a.ID+"/"+string(StageLegislation)]; ok {
				s.Legislation = TestInProgress
				if at.Submitted != nil && at.Result != nil {
					s.Legislation = LegislationBelowPass
					if at.Result.Passed {
						s.Legislation = LegislationPassed
					}
				}
			}
			s.Eligible = s.Legislation == LegislationPassed
		}
		add := func(d score.Decimal) {
			if t, err := s.Total.Add(d); err == nil {
				s.Total = t
			} else {
				s.Eligible = false
			}
		}
		for _, kind := range []StageKind{StagePersonal, StageTextual} {
			if _, ok := c.Stage(kind); !ok {
				continue
			}
			state, sc := TestNotStarted, (*score.Decimal)(nil)
			if at, ok := tests[a.ID+"/"+string(kind)]; ok {
				state = TestInProgress
				if at.Submitted != nil && at.Score() != nil {
					state, sc = "scored", at.Score()
					add(*sc)
				}
			}
			if sc == nil {
				s.Eligible = false
			}
			if kind == StagePersonal {
				s.Personal, s.PersonalState = sc, state
			} else {
				s.Textual, s.TextualState = sc, state
			}
		}
		if hasEssay {
			es, ok := byApp[a.ID]
			switch {
			case !ok || es.Submitted == nil:
				s.EssayState, s.Eligible = "not_submitted", false
			case es.Score != nil:
				s.EssayState, s.Essay, s.submitted = "scored", es.Score, es.Submitted
				add(*es.Score)
			case es.Released != nil:
				s.EssayState, s.Eligible = "grading", false
			default:
				s.EssayState, s.Eligible = es.Held, false
			}
		}
		out = append(out, s)
	}
	rankStandings(out)
	return out
}

// rankStandings orders candidates for p.120. The rule for ties: a higher
// cumulative score first (the test stages and the essay summed); then a
// higher essay score; then the essay submitted earlier; then the smaller
// PIN, so the order is total and reproducible. The test stages' scores
// count in the total only. Eligible candidates come before the others.
func rankStandings(s []Standing) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Eligible != b.Eligible {
			return a.Eligible
		}
		if c := a.Total.Cmp(b.Total); c != 0 {
			return c > 0
		}
		ea, eb := score.Decimal{}, score.Decimal{}
		if a.Essay != nil {
			ea = *a.Essay
		}
		if b.Essay != nil {
			eb = *b.Essay
		}
		if c := ea.Cmp(eb); c != 0 {
			return c > 0
		}
		if a.submitted != nil && b.submitted != nil && !a.submitted.Equal(*b.submitted) {
			return a.submitted.Before(*b.submitted)
		}
		return a.PIN < b.PIN
	})
}

func loadStandings(tx ReadTx, id string) (Competition, []Standing, error) {
	c, err := tx.Competition(id)
	if err := storeErr(err, "competition", id); err != nil {
		return c, nil, err
	}
	apps, err := tx.Applications(id)
	if err != nil {
		return c, nil, err
	}
	essays, err := tx.Essays(id)
	if err != nil {
		return c, nil, err
	}
	attempts, err := tx.Attempts(id)
	if err != nil {
		return c, nil, err
	}
	return c, standings(&c, apps, essays, attempts), nil
}

// Standings lists a competition's candidates in the p.120 order.
func (e *Engine) Standings(ctx context.Context, id string) ([]Standing, error) {
	var out []Standing
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		_, st, err := loadStandings(tx, id)
		out = st
		return err
	})
	return out, err
}

// SelectInterview is p.120: at most three candidates with the highest
// cumulative scores of the earlier stages go to the interview, by the
// tie rule of rankStandings. It waits for every essay to be graded or
// held for a violation; HR cannot pick or leave out anyone (p.123:
// refusing entry without grounds is not possible).
func (e *Engine) SelectInterview(ctx context.Context, actor, id string) (Competition, error) {
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusStages {
			return wrongStatus(c, StatusStages, "selecting the interview's candidates")
		}
		if _, ok := c.Stage(StageInterview); !ok {
			return refuse(KindConflict, "p.120", "workflow.err.p122_no_interview", "the competition has no interview stage to announce")
		}
		if c.Interview != nil {
			return refuse(KindConflict, "p.120", "workflow.err.p120_selected", "the interview's candidates were selected already")
		}
		for _, kind := range testStages {
			if st, ok := c.Stage(kind); ok && now.Before(st.Ends) {
				return refuse(KindConflict, "p.120", "workflow.err.p120_test_running", "the {kind} stage runs until {ends}; the interview's candidates are selected after it", "kind", string(kind), "ends", atText(st.Ends))
			}
		}
		if st, ok := c.Stage(StageEssay); ok && now.Before(st.Ends) {
			return refuse(KindConflict, "p.120", "workflow.err.p120_essay_running", "the essay runs until {ends}; the interview's candidates are selected after it", "ends", atText(st.Ends))
		}
		apps, err := tx.Applications(c.ID)
		if err != nil {
			return err
		}
		essays, err := tx.Essays(c.ID)
		if err != nil {
			return err
		}
		attempts, err := tx.Attempts(c.ID)
		if err != nil {
			return err
		}
		all := standings(c, apps, essays, attempts)
		for _, s := range all {
			// A test still in progress after its stage ended is submitted
			// by the next Tick: wait for it rather than leave it out.
			for _, t := range []struct {
				kind  StageKind
				state string
			}{{StageLegislation, s.Legislation}, {StagePersonal, s.PersonalState}, {StageTextual, s.TextualState}} {
				if t.state == TestInProgress {
					return refuse(KindConflict, "p.120", "workflow.err.p120_test_pending", "the {kind} test of PIN {pin} is not submitted yet; it is submitted at its deadline, then select again", "kind", string(t.kind), "pin", s.PIN)
				}
			}
			if s.EssayState == "grading" || s.EssayState == HeldAwaitingVerdict {
				return refuse(KindConflict, "p.120", "workflow.err.p120_pending", "the essay of PIN {pin} is not scored yet ({state}); the interview's candidates are selected when every essay is", "pin", s.PIN, "state", s.EssayState)
			}
		}
		iv := &Interview{Selected: now, SelectedBy: actor, Finalists: []Finalist{}}
		picked := []map[string]any{}
		for _, s := range all {
			if !s.Eligible || len(iv.Finalists) == Finalists {
				break
			}
			iv.Finalists = append(iv.Finalists, Finalist{Application: s.Application, PIN: s.PIN, Rank: len(iv.Finalists) + 1, Total: s.Total, Scores: []Grade{}})
			picked = append(picked, map[string]any{"application": s.Application, "pin": s.PIN, "total": s.Total})
		}
		if len(iv.Finalists) == 0 {
			return refuse(KindConflict, "p.120", "workflow.err.p120_nobody", "no candidate has the scores the interview needs")
		}
		idx, err := logEntry(tx, now, c.ID, actor, "interview_select", map[string]any{"finalists": picked, "rule": "total (tests and essay), essay, earlier essay, PIN"})
		if err != nil {
			return err
		}
		iv.Entry = idx
		c.Interview = iv
		return tx.PutCompetition(*c)
	})
}

func finalist(c *Competition, app string) *Finalist {
	if c.Interview == nil {
		return nil
	}
	for i := range c.Interview.Finalists {
		if c.Interview.Finalists[i].Application == app {
			return &c.Interview.Finalists[i]
		}
	}
	return nil
}

// ScoreInterview records a member's signed 0-3 interview score of a
// finalist (p.130): each member individually, once, from the interview's
// start; there is no way to decline. When every member scored every
// finalist, the scores are computed and the competition is completed.
func (e *Engine) ScoreInterview(ctx context.Context, account, id, app string, s Signed) (Competition, error) {
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusStages {
			return wrongStatus(c, StatusStages, "scoring the interview")
		}
		if member(c, account) == nil {
			return refuse(KindForbidden, "p.130", "workflow.err.not_member", "you are not on the commission of this competition")
		}
		f := finalist(c, app)
		if f == nil {
			return refuse(KindNotFound, "p.120", "workflow.err.p120_not_finalist", "this application is not among the interview's candidates")
		}
		if iv, _ := c.Stage(StageInterview); now.Before(iv.Starts) {
			return refuse(KindConflict, "p.130", "workflow.err.p130_not_started", "the interview starts at {starts}; score it after", "starts", atText(iv.Starts))
		}
		for _, g := range f.Scores {
			if g.Account == account {
				return refuse(KindConflict, "p.130", "workflow.err.scored_once", "you scored this candidate already; a score cannot be changed")
			}
		}
		g, err := e.checkSigned(ctx, tx, "p.130", PurposeInterview, c, app, f.PIN, account, s, 3)
		if err != nil {
			return err
		}
		g.Entry, err = logEntry(tx, now, c.ID, account, "interview_score", map[string]any{"application": app, "pin": f.PIN, "score": g.Score,
			"issued": g.Issued, "nonce": g.Nonce, "format": g.Format, "signature": g.Signature, "key": g.Key})
		if err != nil {
			return err
		}
		f.Scores = append(f.Scores, g)
		return e.interviewResult(tx, c, now)
	})
}

// interviewResult is p.130: the result is computed when every member of
// the commission scored every finalist.
func (e *Engine) interviewResult(tx Tx, c *Competition, now time.Time) error {
	members := graders(c)
	for _, f := range c.Interview.Finalists {
		got := map[string]bool{}
		for _, g := range f.Scores {
			got[g.Account] = true
		}
		for _, m := range members {
			if !got[m] {
				return tx.PutCompetition(*c)
			}
		}
	}
	results := []map[string]any{}
	for i := range c.Interview.Finalists {
		f := &c.Interview.Finalists[i]
		sum := 0
		for _, g := range f.Scores {
			sum += g.Score
		}
		sc, err := score.Ratio(int64(sum), int64(len(f.Scores)), 2)
		if err != nil {
			return err
		}
		f.Score = &sc
		results = append(results, map[string]any{"application": f.Application, "pin": f.PIN, "score": sc, "scores": len(f.Scores)})
	}
	c.Interview.Done = &now
	if _, err := logEntry(tx, now, c.ID, System, "interview_result", map[string]any{"results": results, "rule": "mean, half up to 2 places"}); err != nil {
		return err
	}
	return transition(tx, now, c, StatusCompleted, System, "p.130: every member scored every interview candidate")
}

// Result is one line of a competition's final ranking.
type Result struct {
	Rank        int    `json:"rank"`
	Application string `json:"application"`
	PIN         string `json:"pin"`
	// Legislation is the legislation test's state (Standing.Legislation).
	Legislation string         `json:"legislation,omitempty"`
	Personal    *score.Decimal `json:"personal_qualities,omitempty"`
	Textual     *score.Decimal `json:"textual_numerical,omitempty"`
	Essay       *score.Decimal `json:"essay,omitempty"`
	EssayState  string         `json:"essay_state"`
	Interview   *score.Decimal `json:"interview,omitempty"`
	Total       score.Decimal  `json:"total"`
	Finalist    bool           `json:"finalist"`
}

// Results is the final ranking: the finalists by cumulative score with
// the interview's (ties by the interview score, then the p.120 order),
// then everyone else in the p.120 order.
func (e *Engine) Results(ctx context.Context, id string) ([]Result, error) {
	var out []Result
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		c, st, err := loadStandings(tx, id)
		if err == nil {
			out = results(&c, st)
		}
		return err
	})
	return out, err
}

func results(c *Competition, st []Standing) []Result {
	out := []Result{}
	fin := []Result{}
	for i, s := range st {
		r := Result{Application: s.Application, PIN: s.PIN, Legislation: s.Legislation, Personal: s.Personal, Textual: s.Textual, Essay: s.Essay, EssayState: s.EssayState, Total: s.Total}
		if f := finalist(c, s.Application); f != nil {
			r.Finalist, r.Interview = true, f.Score
			if f.Score != nil {
				t, err := s.Total.Add(*f.Score)
				if err == nil {
					r.Total = t
				}
			}
			r.Rank = i // the p.120 order breaks ties below
			fin = append(fin, r)
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(fin, func(i, j int) bool {
		if c := fin[i].Total.Cmp(fin[j].Total); c != 0 {
			return c > 0
		}
		ia, ib := score.Decimal{}, score.Decimal{}
		if fin[i].Interview != nil {
			ia = *fin[i].Interview
		}
		if fin[j].Interview != nil {
			ib = *fin[j].Interview
		}
		if c := ia.Cmp(ib); c != 0 {
			return c > 0
		}
		return fin[i].Rank < fin[j].Rank
	})
	out = append(fin, out...)
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

var errNoInterview = errors.New("no interview")

// finalistPINs is for the p.122 notice: the finalists' applications.
func finalistApps(c *Competition) (map[string]bool, error) {
	if c.Interview == nil {
		return nil, errNoInterview
	}
	m := map[string]bool{}
	for _, f := range c.Interview.Finalists {
		m[f.Application] = true
	}
	return m, nil
}

// atText is an instant as users read it: Kazakhstan's time, to the minute.
func atText(t time.Time) string { return t.In(calendar.Zone).Format("2006-01-02 15:04") }

// MemberInterview is an interview as a commission member sees it: the
// finalists by PIN and the member's own scores (p.130, p.74-1).
type MemberInterview struct {
	Competition string           `json:"competition"`
	Position    string           `json:"position"`
	Starts      time.Time        `json:"starts"`
	Ends        time.Time        `json:"ends"`
	Done        *time.Time       `json:"done,omitempty"`
	Finalists   []MemberFinalist `json:"finalists"`
}

// MemberFinalist is one finalist and the member's score of them, if given.
type MemberFinalist struct {
	Application string `json:"application"`
	PIN         string `json:"pin"`
	Rank        int    `json:"rank"`
	Mine        *int   `json:"mine,omitempty"`
	Scored      int    `json:"scored"`
}

// MemberInterviews lists the interviews whose finalists were selected in
// the competitions where account is on the commission.
func (e *Engine) MemberInterviews(ctx context.Context, account string) ([]MemberInterview, error) {
	out := []MemberInterview{}
	cs, err := e.Competitions(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		iv, ok := c.Stage(StageInterview)
		if !ok || c.Interview == nil || member(&c, account) == nil {
			continue
		}
		mi := MemberInterview{Competition: c.ID, Position: c.Position, Starts: iv.Starts, Ends: iv.Ends, Done: c.Interview.Done, Finalists: []MemberFinalist{}}
		for _, f := range c.Interview.Finalists {
			mf := MemberFinalist{Application: f.Application, PIN: f.PIN, Rank: f.Rank, Scored: len(f.Scores)}
			for _, g := range f.Scores {
				if g.Account == account {
					sc := g.Score
					mf.Mine = &sc
				}
			}
			mi.Finalists = append(mi.Finalists, mf)
		}
		out = append(out, mi)
	}
	return out, nil
}
