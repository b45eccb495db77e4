package workflow

import (
	"context"
	"errors"
	"time"

	"kuzet.kz/kuzet/server/exam"
)

// The legislation knowledge test (p.14 of the testing rules) is a test
// stage of its own, taken first: the candidate sits it in the cabinet
// under the agent like the other tests, from the legislation bank, under
// the legislation program (55 questions, 15/15/15/10 by act). It is
// pass/fail, not an Annex 3 score: a pass opens the later stages, a
// result below the pass values closes them, puts the below-pass
// certificate (Annex 6) in the cabinet, and bars the person from another
// legislation test, in any competition, until three calendar days after
// the test date.

// LegislationResult is one graded legislation test of a person, kept by
// the IIN blind index so that a test in another competition finds it
// (p.14's retest wait follows the person, not the application).
type LegislationResult struct {
	IINIndex    string `json:"iin_index"`
	Application string `json:"application"`
	Competition string `json:"competition"`
	// Tested is when the test was started: its date is the test date.
	Tested time.Time `json:"tested"`
	Passed bool      `json:"passed"`
	// RetestFrom is 00:00 UTC+5 of the third calendar day after the test
	// date (exam.RetestFrom); zero on a pass.
	RetestFrom time.Time `json:"retest_from,omitzero"`
	// Entry is the audit entry of the graded submission.
	Entry int64 `json:"entry"`
}

// checkRetest enforces p.14: retesting is allowed no earlier than three
// calendar days after the test date. A person whose legislation result,
// in any competition, was below the pass values is refused another
// legislation test until then, with the day it becomes possible.
func checkRetest(tx ReadTx, a Application, now time.Time) error {
	cand, err := tx.Candidate(a.Candidate)
	if err != nil {
		return storeErr(err, "candidate", a.Candidate)
	}
	results, err := tx.LegislationResults(cand.IINIndex)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Passed || r.Application == a.ID {
			continue
		}
		if err := exam.CanRetest(r.Tested, now); err != nil {
			return refuse(KindConflict, "p.14", "workflow.err.p14_retest",
				"retesting is allowed no earlier than three calendar days after the test date: your legislation test of {tested} was below the pass values, so you can take it again from {from} 00:00 (UTC+5)",
				"tested", exam.TestDate(r.Tested).Format(time.DateOnly), "from", exam.RetestFrom(r.Tested).Format(time.DateOnly))
		}
	}
	return nil
}

// checkLegislationPassed enforces p.14 for the stages after the
// legislation test: in a competition with a legislation stage, only a
// candidate whose legislation result met the pass values takes them.
func checkLegislationPassed(tx ReadTx, c *Competition, app string) error {
	if _, ok := c.Stage(StageLegislation); !ok {
		return nil
	}
	at, err := tx.Attempt(app, StageLegislation)
	if errors.Is(err, ErrNotFound) || (err == nil && at.Result == nil) {
		return refuse(KindConflict, "p.14", "workflow.err.p14_legislation_first", "the later stages follow a pass of the legislation test, and you have no result of it")
	}
	if err != nil {
		return err
	}
	if !at.Result.Passed {
		return refuse(KindConflict, "p.14", "workflow.err.p14_below_pass", "your legislation test result is below the pass values, so the later stages of this competition are closed to you; the certificate of the result is in your cabinet")
	}
	return nil
}

// recordLegislation keeps a graded legislation attempt under the
// person's IIN blind index (p.14).
func recordLegislation(tx Tx, at *Attempt) (LegislationResult, error) {
	a, err := tx.Application(at.Application)
	if err != nil {
		return LegislationResult{}, storeErr(err, "application", at.Application)
	}
	cand, err := tx.Candidate(a.Candidate)
	if err != nil {
		return LegislationResult{}, storeErr(err, "candidate", a.Candidate)
	}
	r := LegislationResult{IINIndex: cand.IINIndex, Application: a.ID, Competition: at.Competition, Tested: at.Started, Passed: at.Result.Passed, Entry: at.Graded}
	if !r.Passed {
		r.RetestFrom = exam.RetestFrom(at.Started).UTC()
	}
	return r, tx.PutLegislationResult(r)
}

// Certificate is the below-pass certificate's data with the audit entry
// of the graded submission it comes from.
type Certificate struct {
	exam.BelowPass
	Entry int64 `json:"entry"`
}

// BelowPassCertificate is p.14: the certificate of a below-pass result
// of the legislation test (the form of Annex 6), for the candidate's
// cabinet, by PIN: the counts per legal act against the pass values and
// the day a retest becomes possible.
func (e *Engine) BelowPassCertificate(ctx context.Context, token string) (Certificate, error) {
	a, _, _, err := e.cabinetTest(ctx, token, StageLegislation)
	if err != nil {
		return Certificate{}, err
	}
	var at Attempt
	var p exam.Program
	err = e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		if at, err = tx.Attempt(a.ID, StageLegislation); errors.Is(err, ErrNotFound) {
			return nil // no result yet: belowPass says so
		} else if err != nil {
			return err
		}
		p, err = attemptProgram(tx, at.Program)
		return err
	})
	if err != nil {
		return Certificate{}, err
	}
	return belowPass(&at, &p)
}

// belowPass makes an attempt's certificate, or refuses when it has none.
func belowPass(at *Attempt, p *exam.Program) (Certificate, error) {
	if at.Stage != StageLegislation || at.Result == nil {
		return Certificate{}, refuse(KindNotFound, "p.14", "workflow.err.p14_no_result", "there is no legislation test result yet; the certificate comes with a result below the pass values")
	}
	if at.Result.Passed {
		return Certificate{}, refuse(KindNotFound, "p.14", "workflow.err.p14_passed", "your legislation test result meets the pass values; a certificate is issued only for a result below them")
	}
	c, err := exam.NewBelowPass(at.PIN, *p, *at.Result, at.Started)
	return Certificate{BelowPass: c, Entry: at.Graded}, err
}
