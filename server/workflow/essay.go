package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/score"
)

// The essay's limits, as the Agency publishes them (gov.kz/situations/19:
// at most 250 words, 45 minutes; the schedule of the stage is HR's).
const (
	EssayWordLimit = 250
	// EssayMaxBytes bounds what one save may carry: far above 250 words
	// of Kazakh or Russian, so a draft over the word limit is still kept.
	EssayMaxBytes = 32 << 10
)

// Why an essay is not with the graders (p.115).
const (
	HeldAwaitingVerdict = "awaiting_verdict" // the proctor has not published the check results
	HeldViolation       = "violation"        // the check results found a violation (an appeal may overturn it)
	HeldNoCommission    = "no_commission"    // too few commission members to grade it
)

// Verdict is what the workflow learns of a sitting's check results: only
// the published, effective outcome (an appeal decision replaces the
// verdict), never the events behind it.
type Verdict struct {
	// Published is true once the proctor published the check results.
	Published bool `json:"published"`
	// Clean is the effective outcome: no rule violation.
	Clean bool `json:"clean"`
	// Since is when the effective outcome was decided: the publication,
	// or the appeal decision that replaced it.
	Since time.Time `json:"since"`
	// Appealed is true when an appeal decision stands in for the verdict.
	Appealed bool `json:"appealed"`
}

// Essay is one candidate's essay (p.115), under their PIN only.
type Essay struct {
	Application string `json:"application"`
	Competition string `json:"competition"`
	PIN         string `json:"pin"`
	Sitting     string `json:"sitting"`
	Text        string `json:"text"`
	Words       int    `json:"words"`
	// Revision is the page's counter of the saved text: a save with a
	// revision not above it changes nothing and is acknowledged again,
	// so a resent save is harmless.
	Revision int64     `json:"revision"`
	Saved    time.Time `json:"saved"`
	// Submitted is when the candidate submitted, or the stage's end when
	// the server submitted what was saved (Auto).
	Submitted *time.Time `json:"submitted,omitempty"`
	Auto      bool       `json:"auto"`
	// SHA256 is the hash of the submitted text, logged at submission.
	SHA256 string `json:"sha256,omitempty"`
	// Held says why the essay is not with the graders; empty once released.
	Held string `json:"held,omitempty"`
	// Released is when the essay went to the graders, Due the end of the
	// working day after the check results (p.115).
	Released *time.Time `json:"released,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
	Graders  []string   `json:"graders"`
	Grades   []Grade    `json:"grades"`
	// Score is the essay's score once every grader graded (EssayScore).
	Score *score.Decimal `json:"score,omitempty"`
}

// Grade is one commission member's signed grade of an essay (p.115) or
// score of an interview (p.130).
type Grade struct {
	Account string    `json:"account"`
	Score   int       `json:"score"`
	Issued  time.Time `json:"issued"`
	Nonce   string    `json:"nonce"`
	// Format, Signature and Key: the signature over the grade's canonical
	// payload and the fingerprint of the registered key that verified it.
	Format    string    `json:"format"`
	Signature []byte    `json:"signature"`
	Key       string    `json:"key"`
	Time      time.Time `json:"time"`
	Entry     int64     `json:"entry"`
}

// Words counts the words of a text: runs of non-space characters.
func Words(text string) int { return len(strings.Fields(text)) }

func essayStage(c *Competition, now time.Time) (*Stage, error) {
	st, ok := c.Stage(StageEssay)
	if !ok {
		return nil, refuse(KindConflict, "p.115", "workflow.err.p115_no_essay", "the competition has no essay stage")
	}
	if c.Status != StatusStages {
		return nil, wrongStatus(c, StatusStages, "writing the essay")
	}
	if now.Before(st.Starts) {
		return nil, refuse(KindConflict, "p.115", "workflow.err.p115_not_started", "the essay starts at {starts}", "starts", st.Starts.In(calendar.Zone).Format("2006-01-02 15:04"))
	}
	if !now.Before(st.Ends) {
		return nil, refuse(KindConflict, "p.115", "workflow.err.p115_ended", "the essay time ended at {ends}; what was saved before it was submitted", "ends", st.Ends.In(calendar.Zone).Format("2006-01-02 15:04"))
	}
	return st, nil
}

func sittingOf(a Application, kind StageKind) (string, bool) {
	for _, s := range a.Sittings {
		if s.Stage == kind {
			return s.Sitting, true
		}
	}
	return "", false
}

// EssayDraft is one save from the candidate page.
type EssayDraft struct {
	Text     string `json:"text"`
	Revision int64  `json:"revision"`
}

// SaveEssay stores the candidate's essay text as it is typed, idempotently
// by revision, and answers what the server holds. The server owns the
// clock: it is accepted only while the stage runs, and only once the
// candidate's agent has joined the proctored sitting (rule 10: the essay
// is written under proctoring).
func (e *Engine) SaveEssay(ctx context.Context, token string, d EssayDraft) (Essay, error) {
	return e.writeEssay(ctx, token, d, false)
}

// SubmitEssay saves the final text and submits it; its hash is logged.
// A second submission of the same text is acknowledged again; another
// text after submission is refused.
func (e *Engine) SubmitEssay(ctx context.Context, token string, d EssayDraft) (Essay, error) {
	return e.writeEssay(ctx, token, d, true)
}

func (e *Engine) writeEssay(ctx context.Context, token string, d EssayDraft, submit bool) (Essay, error) {
	if len(d.Text) > EssayMaxBytes {
		return Essay{}, refuse(KindTooLarge, "", "workflow.err.essay_large", "the essay is over {max} bytes; shorten it", "max", strconv.Itoa(EssayMaxBytes))
	}
	if !utf8.ValidString(d.Text) {
		return Essay{}, refuse(KindInvalid, "", "workflow.err.essay_utf8", "the essay text is not valid UTF-8")
	}
	if d.Revision < 1 {
		return Essay{}, refuse(KindInvalid, "", "workflow.err.essay_revision", "revision must be a positive number that grows with every change")
	}
	a, c, _, err := e.Cabinet(ctx, token)
	if err != nil {
		return Essay{}, err
	}
	if a.Status != AppAdmitted {
		return Essay{}, refuse(KindConflict, "p.74-1", "workflow.err.not_admitted", "only an admitted candidate takes the stages")
	}
	now := e.now().UTC()
	if _, err := essayStage(&c, now); err != nil {
		return Essay{}, err
	}
	sitting, ok := sittingOf(a, StageEssay)
	if !ok {
		return Essay{}, refuse(KindConflict, "p.115", "workflow.err.p115_no_sitting", "the essay sitting is not open yet; wait for the HR service to open the stage")
	}
	if e.cfg.Sittings == nil {
		return Essay{}, errors.New("workflow: no sittings port")
	}
	joined, err := e.cfg.Sittings.Joined(ctx, sitting)
	if err != nil {
		return Essay{}, err
	}
	if !joined {
		return Essay{}, refuse(KindConflict, "rule 10", "workflow.err.essay_no_agent", "start the Kuzet agent with your join code first: the essay is written under proctoring")
	}
	words := Words(d.Text)
	if submit && words > EssayWordLimit {
		return Essay{}, refuse(KindInvalid, "p.115", "workflow.err.essay_words", "the essay has {words} words, at most {limit} are allowed; shorten it and submit again (your text is saved)", "words", strconv.Itoa(words), "limit", strconv.Itoa(EssayWordLimit))
	}
	var out Essay
	// A save logs nothing and comes with every candidate's keystrokes:
	// saves share commits (Batch); a submission is logged (Update).
	write := e.cfg.Store.Batch
	if submit {
		write = e.cfg.Store.Update
	}
	err = write(ctx, func(tx Tx) error {
		if err := checkLegislationPassed(tx, &c, a.ID); err != nil {
			return err
		}
		es, err := tx.Essay(a.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			es = Essay{Application: a.ID, Competition: c.ID, PIN: a.PIN, Sitting: sitting, Graders: []string{}, Grades: []Grade{}}
		case err != nil:
			return err
		}
		if es.Submitted != nil {
			if submit && d.Text == es.Text {
				out = es
				return nil
			}
			return refuse(KindConflict, "p.115", "workflow.err.essay_submitted", "the essay was submitted already; it cannot be changed")
		}
		if d.Revision > es.Revision || (submit && d.Revision == es.Revision && d.Text == es.Text) {
			es.Text, es.Words, es.Revision, es.Saved = d.Text, words, d.Revision, now
		} else if submit {
			return refuse(KindConflict, "", "workflow.err.essay_stale", "the server holds a newer revision {revision} of the essay; reload the page", "revision", strconv.FormatInt(es.Revision, 10))
		}
		if submit {
			if err := submitEssay(tx, now, &es, a.PIN, false); err != nil {
				return err
			}
		}
		out = es
		return tx.PutEssay(es)
	})
	return out, err
}

// submitEssay marks es submitted and logs its hash (never its text).
func submitEssay(tx Tx, now time.Time, es *Essay, pin string, auto bool) error {
	sum := sha256.Sum256([]byte(es.Text))
	es.Submitted, es.Auto, es.SHA256, es.Held = &now, auto, hex.EncodeToString(sum[:]), HeldAwaitingVerdict
	actor := "candidate:" + pin
	if auto {
		actor = System
	}
	_, err := logEntry(tx, now, es.Competition, actor, "essay_submit", map[string]any{"application": es.Application, "pin": pin, "sha256": es.SHA256, "words": es.Words, "revision": es.Revision, "auto": auto})
	return err
}

// CabinetEssay returns the candidate's essay as the server holds it
// (an empty one when nothing was saved yet).
func (e *Engine) CabinetEssay(ctx context.Context, token string) (Essay, error) {
	a, c, _, err := e.Cabinet(ctx, token)
	if err != nil {
		return Essay{}, err
	}
	var es Essay
	err = e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		es, err = tx.Essay(a.ID)
		if errors.Is(err, ErrNotFound) {
			es, err = Essay{Application: a.ID, Competition: c.ID, PIN: a.PIN, Graders: []string{}, Grades: []Grade{}}, nil
		}
		return err
	})
	// The candidate sees their text and its state, not who grades it.
	es.Graders, es.Grades = []string{}, []Grade{}
	return es, err
}

// graders are the commission members who take part in grading: not
// removed, and (for an assessor the system proposed) confirmed (p.14-1).
func graders(c *Competition) []string {
	out := []string{}
	for _, m := range c.Commission {
		if m.Removed == nil && (!m.Proposed || m.Confirmed != nil) {
			out = append(out, m.Account)
		}
	}
	return out
}

// GradersPerEssay is how many members grade each essay: at least two
// thirds of the commission, rounded up (p.115).
func GradersPerEssay(commission int) int { return (2*commission + 2) / 3 }

// essaysOf reads a competition's essays, text included (for the engine).
func (e *Engine) essaysOf(ctx context.Context, competition string) ([]Essay, error) {
	var out []Essay
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Essays(competition)
		return err
	})
	return out, err
}

// releaseEssays runs after every tick of a competition in its stages: it
// submits what was saved when the essay time ends, and passes each
// submitted essay to the graders once its sitting's check results are
// published and clean (p.115), an appeal that overturned a violation
// counting as clean from its decision.
func (e *Engine) releaseEssays(ctx context.Context, c Competition) error {
	st, ok := c.Stage(StageEssay)
	if !ok || e.now().Before(st.Starts) {
		return nil
	}
	essays, err := e.essaysOf(ctx, c.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, es := range essays {
		if es.Released != nil {
			continue
		}
		if es.Submitted == nil {
			if !e.now().Before(st.Ends) {
				errs = append(errs, e.autoSubmit(ctx, es.Application, st.Ends))
			}
			continue
		}
		v, err := e.cfg.Sittings.Verdict(ctx, es.Sitting)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, e.release(ctx, es.Application, v))
	}
	return errors.Join(errs...)
}

// autoSubmit submits what was saved at the end of the essay time.
func (e *Engine) autoSubmit(ctx context.Context, app string, ends time.Time) error {
	return e.cfg.Store.Update(ctx, func(tx Tx) error {
		es, err := tx.Essay(app)
		if err != nil || es.Submitted != nil {
			return err
		}
		if err := submitEssay(tx, ends.UTC(), &es, es.PIN, true); err != nil {
			return err
		}
		return tx.PutEssay(es)
	})
}

// release is p.115: an essay reaches the graders only when the check
// results of its sitting are published and clean; it is then assigned to
// the same number of members as every other essay of the competition, at
// least two thirds of the commission rounded up, balancing how many each
// member grades; the grading is due by the end of the working day after
// the check results.
func (e *Engine) release(ctx context.Context, app string, v Verdict) error {
	return e.cfg.Store.Update(ctx, func(tx Tx) error {
		es, err := tx.Essay(app)
		if err != nil || es.Released != nil || es.Submitted == nil {
			return err
		}
		c, err := tx.Competition(es.Competition)
		if err != nil {
			return err
		}
		now := e.now().UTC()
		held := ""
		switch {
		case !v.Published:
			held = HeldAwaitingVerdict
		case !v.Clean:
			held = HeldViolation
		}
		if held == "" {
			pool := graders(&c)
			k := c.EssayGraders
			if k == 0 {
				k = GradersPerEssay(len(pool))
			}
			if k == 0 || len(pool) < k {
				held = HeldNoCommission
			} else {
				picked, err := e.assign(tx, &c, pool, k)
				if err != nil {
					return err
				}
				due := e.cfg.Calendar.Deadline(v.Since, 1)
				es.Held, es.Released, es.Due, es.Graders = "", &now, &due, picked
				if c.EssayGraders == 0 {
					c.EssayGraders = k
					if err := tx.PutCompetition(c); err != nil {
						return err
					}
				}
				if _, err := logEntry(tx, now, c.ID, System, "essay_release", map[string]any{"application": es.Application, "pin": es.PIN, "graders": picked, "due": due, "verdict_since": v.Since, "appealed": v.Appealed}); err != nil {
					return err
				}
				return tx.PutEssay(es)
			}
		}
		if held == es.Held {
			return nil
		}
		es.Held = held
		if _, err := logEntry(tx, now, c.ID, System, "essay_held", map[string]any{"application": es.Application, "pin": es.PIN, "why": held, "clause": "p.115"}); err != nil {
			return err
		}
		return tx.PutEssay(es)
	})
}

// assign picks k graders from pool: those with the fewest essays of the
// competition so far, ties in commission order, so no member grades more
// than one essay above another.
func (e *Engine) assign(tx Tx, c *Competition, pool []string, k int) ([]string, error) {
	all, err := tx.Essays(c.ID)
	if err != nil {
		return nil, err
	}
	load := map[string]int{}
	for _, es := range all {
		for _, g := range es.Graders {
			load[g]++
		}
	}
	order := append([]string(nil), pool...)
	sort.SliceStable(order, func(i, j int) bool { return load[order[i]] < load[order[j]] })
	return order[:k], nil
}

// EssayScore is the documented rule from the grades to the essay's score
// (p.115, Annex 3): the mean of the members' 0-5 grades, rounded half up
// to two decimal places, in exact decimal arithmetic.
func EssayScore(grades []int) (score.Decimal, error) {
	if len(grades) == 0 {
		return score.Decimal{}, errors.New("no grades")
	}
	sum := 0
	for _, g := range grades {
		sum += g
	}
	return score.Ratio(int64(sum), int64(len(grades)), 2)
}
