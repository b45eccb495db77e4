package workflow

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// SignerKey is the public key a commission member registered to sign
// grades (p.115, p.130), in server/sign's canonical form: Format is the
// signature format it verifies, Data the raw key, Fingerprint the hex
// SHA-256 of Data.
type SignerKey struct {
	Account     string    `json:"account"`
	Format      string    `json:"format"`
	Data        []byte    `json:"data"`
	Fingerprint string    `json:"fingerprint"`
	Registered  time.Time `json:"registered"`
	Entry       int64     `json:"entry"`
}

// Signed is a grade as a member sends it: the score, when and with what
// nonce it was signed, and the signature over its canonical payload.
type Signed struct {
	Score     int       `json:"score"`
	Issued    time.Time `json:"issued"`
	Nonce     string    `json:"nonce"`
	Format    string    `json:"format"`
	Signature []byte    `json:"signature"`
}

// RegisterKey records the signing key of a staff account; a new key
// replaces the old one for the grades that follow (grades signed before
// keep the fingerprint of the key that verified them).
func (e *Engine) RegisterKey(ctx context.Context, account, format string, data []byte) (SignerKey, error) {
	pk, err := parseSignerKey(format, data)
	if err != nil {
		return SignerKey{}, err
	}
	fp := pk.Fingerprint
	k := SignerKey{Account: account, Format: pk.Format, Data: pk.Data, Fingerprint: fp, Registered: e.now().UTC()}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		old, err := tx.SignerKey(account)
		if err == nil && old.Fingerprint == fp {
			k = old
			return nil
		}
		idx, err := logEntry(tx, k.Registered, "keys:"+account, account, "register_key", map[string]any{"account": account, "format": format, "fingerprint": fp})
		if err != nil {
			return err
		}
		k.Entry = idx
		return tx.PutSignerKey(k)
	})
	return k, err
}

// Key returns an account's registered signing key.
func (e *Engine) Key(ctx context.Context, account string) (SignerKey, error) {
	var k SignerKey
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		k, err = tx.SignerKey(account)
		if errors.Is(err, ErrNotFound) {
			return refuse(KindNotFound, "p.115", "workflow.err.no_key", "you have no signing key registered: create one on the grading page first")
		}
		return err
	})
	return k, err
}

// checkSigned verifies a signed grade inside tx and records its nonce:
// a missing, forged or replayed signature is refused (p.115, p.130).
func (e *Engine) checkSigned(ctx context.Context, tx Tx, clause, purpose string, c *Competition, subject, pin, account string, s Signed, max int) (Grade, error) {
	if s.Score < 0 || s.Score > max {
		return Grade{}, refuse(KindInvalid, clause, "workflow.err.grade_range", "the score must be a whole number from 0 to {max}", "max", strconv.Itoa(max))
	}
	if len(s.Signature) == 0 {
		return Grade{}, refuse(KindInvalid, clause, "workflow.err.grade_unsigned", "the grade is not signed: every grade is confirmed with a signature")
	}
	key, err := tx.SignerKey(account)
	if errors.Is(err, ErrNotFound) {
		return Grade{}, refuse(KindConflict, clause, "workflow.err.no_key", "you have no signing key registered: create one on the grading page first")
	}
	if err != nil {
		return Grade{}, err
	}
	if err := e.verifyGrade(ctx, purpose, c.ID, subject, pin, account, s, key); err != nil {
		var re *Error
		if errors.As(err, &re) {
			return Grade{}, err
		}
		e.log.Warn("grade signature refused", "competition", c.ID, "account", account, "err", err)
		return Grade{}, refuse(KindInvalid, clause, "workflow.err.grade_signature", "the signature does not verify with your registered key over this grade; sign it again on the grading page")
	}
	if err := tx.UseNonce(s.Nonce); errors.Is(err, ErrExists) {
		return Grade{}, refuse(KindConflict, clause, "workflow.err.grade_replayed", "this signature was used before; sign the grade again")
	} else if err != nil {
		return Grade{}, err
	}
	return Grade{Account: account, Score: s.Score, Issued: s.Issued.UTC(), Nonce: s.Nonce, Format: s.Format, Signature: s.Signature, Key: key.Fingerprint, Time: e.now().UTC()}, nil
}

// GraderEssay is an essay as a grader sees it: the PIN and the text,
// never the candidate (p.74-1).
type GraderEssay struct {
	Competition string    `json:"competition"`
	Application string    `json:"application"`
	PIN         string    `json:"pin"`
	Text        string    `json:"text"`
	Words       int       `json:"words"`
	Released    time.Time `json:"released"`
	Due         time.Time `json:"due"`
	// Mine is this grader's grade, once given.
	Mine *Grade `json:"mine,omitempty"`
	// Graded is how many of the assigned graders graded so far.
	Graded  int `json:"graded"`
	Graders int `json:"graders"`
}

func graderView(es Essay, account string) GraderEssay {
	g := GraderEssay{Competition: es.Competition, Application: es.Application, PIN: es.PIN, Text: es.Text, Words: es.Words, Graded: len(es.Grades), Graders: len(es.Graders)}
	if es.Released != nil {
		g.Released, g.Due = *es.Released, *es.Due
	}
	for i := range es.Grades {
		if es.Grades[i].Account == account {
			gr := es.Grades[i]
			g.Mine = &gr
		}
	}
	return g
}

func assigned(es Essay, account string) bool {
	for _, g := range es.Graders {
		if g == account {
			return true
		}
	}
	return false
}

// GraderEssays lists the released essays assigned to a member, in every
// competition.
func (e *Engine) GraderEssays(ctx context.Context, account string) ([]GraderEssay, error) {
	out := []GraderEssay{}
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		cs, err := tx.Competitions()
		if err != nil {
			return err
		}
		for _, c := range cs {
			essays, err := tx.Essays(c.ID)
			if err != nil {
				return err
			}
			for _, es := range essays {
				if es.Released != nil && assigned(es, account) {
					out = append(out, graderView(es, account))
				}
			}
		}
		return nil
	})
	return out, err
}

// heldMessage is the p.115 refusal of an essay that is not released.
func heldMessage(es Essay) error {
	switch es.Held {
	case HeldViolation:
		return refuse(KindConflict, "p.115", "workflow.err.p115_violation", "this essay is not released: the check results of its sitting found a rule violation (an appeal may overturn it)")
	case HeldNoCommission:
		return refuse(KindConflict, "p.115", "workflow.err.p115_no_commission", "this essay is not released: the commission has too few members to grade it; the HR service completes the commission")
	}
	return refuse(KindConflict, "p.115", "workflow.err.p115_held", "this essay is not released: the proctor has not published the check results of its sitting yet")
}

// gradable is p.115: an essay is open to a member only when it was
// released (check results published and clean) and assigned to them.
func gradable(tx ReadTx, account, app string) (Essay, Competition, error) {
	es, err := tx.Essay(app)
	if err := storeErr(err, "essay", app); err != nil {
		return es, Competition{}, err
	}
	c, err := tx.Competition(es.Competition)
	if err != nil {
		return es, c, err
	}
	if member(&c, account) == nil {
		return es, c, refuse(KindForbidden, "p.115", "workflow.err.not_member", "you are not on the commission of this competition")
	}
	if es.Released == nil {
		return es, c, heldMessage(es)
	}
	if !assigned(es, account) {
		return es, c, refuse(KindForbidden, "p.115", "workflow.err.not_grader", "this essay was assigned to other members of the commission")
	}
	return es, c, nil
}

// GraderEssay opens one essay for a member. p.115: only a released essay
// (check results published and clean) is shown, and only to the members
// it was assigned to.
func (e *Engine) GraderEssay(ctx context.Context, account, app string) (GraderEssay, error) {
	var out GraderEssay
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		es, _, err := gradable(tx, account, app)
		if err != nil {
			return err
		}
		out = graderView(es, account)
		return nil
	})
	return out, err
}

// GradeEssay records a member's signed 0-5 grade of an essay (p.115):
// only a released essay, only by a member it was assigned to, once. When
// the last grade is in, the essay's score is computed (EssayScore) and
// logged. There is no way to decline: a member may not refuse (p.115).
func (e *Engine) GradeEssay(ctx context.Context, account, app string, s Signed) (GraderEssay, error) {
	var out GraderEssay
	err := e.cfg.Store.Update(ctx, func(tx Tx) error {
		es, c, err := gradable(tx, account, app)
		if err != nil {
			return err
		}
		for _, g := range es.Grades {
			if g.Account == account {
				return refuse(KindConflict, "p.115", "workflow.err.graded_once", "you graded this essay already; a grade cannot be changed")
			}
		}
		g, err := e.checkSigned(ctx, tx, "p.115", PurposeEssay, &c, es.Application, es.PIN, account, s, 5)
		if err != nil {
			return err
		}
		now := g.Time
		g.Entry, err = logEntry(tx, now, c.ID, account, "essay_grade", map[string]any{"application": es.Application, "pin": es.PIN, "score": g.Score,
			"issued": g.Issued, "nonce": g.Nonce, "format": g.Format, "signature": g.Signature, "key": g.Key, "late": es.Due != nil && now.After(*es.Due)})
		if err != nil {
			return err
		}
		es.Grades = append(es.Grades, g)
		if len(es.Grades) == len(es.Graders) {
			scores := make([]int, len(es.Grades))
			for i, g := range es.Grades {
				scores[i] = g.Score
			}
			sc, err := EssayScore(scores)
			if err != nil {
				return err
			}
			es.Score = &sc
			if _, err := logEntry(tx, now, c.ID, System, "essay_score", map[string]any{"application": es.Application, "pin": es.PIN, "score": sc, "grades": scores, "rule": "mean, half up to 2 places"}); err != nil {
				return err
			}
		}
		out = graderView(es, account)
		return tx.PutEssay(es)
	})
	return out, err
}

// Essays lists a competition's essays for HR: states and scores.
func (e *Engine) Essays(ctx context.Context, competition string) ([]Essay, error) {
	var out []Essay
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Competition(competition); err != nil {
			return storeErr(err, "competition", competition)
		}
		var err error
		out, err = tx.Essays(competition)
		return err
	})
	for i := range out {
		out[i].Text = "" // HR follows the grading, the text is the graders'
	}
	return out, err
}

// overdueGrading lists, for Overdue, the graders late with an essay
// (p.115: within 1 working day after the check results are published).
func overdueGrading(essays []Essay, now time.Time) []Overdue {
	out := []Overdue{}
	for _, es := range essays {
		if es.Released == nil || es.Due == nil || now.Before(*es.Due) {
			continue
		}
		done := map[string]bool{}
		for _, g := range es.Grades {
			done[g.Account] = true
		}
		for _, a := range es.Graders {
			if !done[a] {
				out = append(out, Overdue{Kind: OverdueGrading, Clause: "p.115", Competition: es.Competition, Application: es.Application, Account: a, Due: *es.Due})
			}
		}
	}
	return out
}
