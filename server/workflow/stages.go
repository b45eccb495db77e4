package workflow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"kuzet.kz/kuzet/server/calendar"
)

// StartStages ends the review: every application must be decided (p.73)
// and at least one candidate admitted.
func (e *Engine) StartStages(ctx context.Context, actor, id string) (Competition, error) {
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusReview {
			return wrongStatus(c, StatusReview, "starting the stages")
		}
		apps, err := tx.Applications(c.ID)
		if err != nil {
			return err
		}
		open, admitted := 0, 0
		for _, a := range apps {
			switch a.Status {
			case AppAdmitted:
				admitted++
			case AppSubmitted, AppIncomplete, AppSupplemented:
				open++
			}
		}
		if open > 0 {
			return refuse(KindConflict, "p.73", "workflow.err.p73_undecided", "{n} applications are not decided yet; decide each before the stages start", "n", strconv.Itoa(open))
		}
		if admitted == 0 {
			return refuse(KindConflict, "", "workflow.err.none_admitted", "no candidate was admitted: the stages cannot start; cancel the competition with the reason")
		}
		return transition(tx, now, c, StatusStages, actor, "review finished: "+strconv.Itoa(admitted)+" admitted")
	})
}

// OpenStage opens a proctored sitting of a stage for every admitted
// candidate who has none yet, under the candidate's PIN (p.74-1), and
// keeps each join token sealed for the candidate's cabinet. It returns
// how many were opened. A sitting opened but not recorded (a crash in
// between) is left unused; running it again opens a new one.
func (e *Engine) OpenStage(ctx context.Context, actor, id string, kind StageKind) (int, error) {
	if e.cfg.Sittings == nil {
		return 0, errors.New("workflow: no sittings port")
	}
	c, err := e.Competition(ctx, id)
	if err != nil {
		return 0, err
	}
	if c.Status != StatusStages {
		return 0, wrongStatus(&c, StatusStages, "opening a stage")
	}
	if _, ok := c.Stage(kind); !ok {
		return 0, refuse(KindInvalid, "", "workflow.err.no_stage", "the competition has no stage {kind}", "kind", string(kind))
	}
	apps, err := e.Applications(ctx, id)
	if err != nil {
		return 0, err
	}
	opened := 0
	for _, a := range apps {
		if a.Status != AppAdmitted || hasSitting(a, kind) {
			continue
		}
		sitting, token, err := e.cfg.Sittings.Open(ctx, c, kind, a.PIN)
		if err != nil {
			return opened, fmt.Errorf("open the %s sitting of PIN %s: %w", kind, a.PIN, err)
		}
		sealed, err := e.cfg.Vault.Seal([]byte(token), "join:"+sitting)
		if err != nil {
			return opened, err
		}
		err = e.updateApp(ctx, a.ID, func(tx Tx, a *Application, c *Competition, now time.Time) error {
			a.Sittings = append(a.Sittings, StageSitting{Stage: kind, Sitting: sitting, Token: sealed})
			if st, ok := c.Stage(kind); ok && !st.Sittings {
				st.Sittings = true
				if err := tx.PutCompetition(*c); err != nil {
					return err
				}
			}
			_, err := logEntry(tx, now, c.ID, actor, "open_sitting", map[string]any{"application": a.ID, "pin": a.PIN, "stage": kind, "sitting": sitting})
			return err
		})
		if err != nil {
			return opened, err
		}
		opened++
	}
	return opened, nil
}

func hasSitting(a Application, kind StageKind) bool {
	for _, s := range a.Sittings {
		if s.Stage == kind {
			return true
		}
	}
	return false
}

// JoinToken opens the sealed join token of an application's sitting.
func (e *Engine) JoinToken(s StageSitting) (string, error) {
	b, err := e.cfg.Vault.Open(s.Token, "join:"+s.Sitting)
	return string(b), err
}

// NotifyInterview sends each interview candidate selected under p.120
// the interview's date and link (p.122), before it starts.
func (e *Engine) NotifyInterview(ctx context.Context, actor, id string) (int, error) {
	sent := 0
	_, err := e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusStages {
			return wrongStatus(c, StatusStages, "sending the interview notice")
		}
		iv, ok := c.Stage(StageInterview)
		if !ok {
			return refuse(KindConflict, "p.122", "workflow.err.p122_no_interview", "the competition has no interview stage to announce")
		}
		if iv.Link == "" {
			return refuse(KindConflict, "p.122", "workflow.err.p122_no_link", "the interview has no link yet: set it, then send the notice")
		}
		if !now.Before(iv.Starts) {
			return refuse(KindConflict, "p.122", "workflow.err.p122_started", "the interview started at {starts}; the notice must reach candidates before it", "starts", iv.Starts.In(calendar.Zone).Format("2006-01-02 15:04"))
		}
		finalists, err := finalistApps(c)
		if err != nil {
			return refuse(KindConflict, "p.120", "workflow.err.p120_not_selected", "select the interview's candidates first (p.120: at most three with the highest scores)")
		}
		apps, err := tx.Applications(c.ID)
		if err != nil {
			return err
		}
		args := map[string]string{"date": iv.Starts.In(calendar.Zone).Format("2006-01-02 15:04"), "link": iv.Link}
		for _, a := range apps {
			if a.Status != AppAdmitted || !finalists[a.ID] {
				continue
			}
			if err := notify(tx, now, a, "workflow.notify.interview", args); err != nil {
				return err
			}
			sent++
		}
		iv.Notified = &now
		if _, err := logEntry(tx, now, c.ID, actor, "interview_notice", map[string]any{"sent": sent, "starts": iv.Starts, "link": iv.Link}); err != nil {
			return err
		}
		return tx.PutCompetition(*c)
	})
	return sent, err
}

// Tick takes the decisions that time makes: a competition whose deadline
// passed goes to review (p.73); a test attempt whose deadline passed is
// submitted with what was saved; and a competition whose essay stage ended with no
// admitted candidate taking part is completed, every candidate notified
// (p.117). The server runs it every minute; it is safe to run any time.
func (e *Engine) Tick(ctx context.Context) error {
	all, err := e.Competitions(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range all {
		now := e.now()
		switch {
		case c.Status == StatusAccepting && !now.Before(e.endOfDay(c.Deadline)):
			_, err := e.update(ctx, c.ID, func(tx Tx, c *Competition, now time.Time) error {
				if c.Status != StatusAccepting {
					return nil
				}
				return transition(tx, now, c, StatusReview, System, "p.73: the application deadline passed; review within 3 working days")
			})
			errs = append(errs, err)
		case c.Status == StatusStages:
			errs = append(errs, e.submitTests(ctx, c), e.releaseEssays(ctx, c), e.p117(ctx, c))
		}
	}
	return errors.Join(errs...)
}

// p117 completes a competition whose essay stage ended with no admitted
// candidate taking part (p.117: no sitting of the essay was joined).
func (e *Engine) p117(ctx context.Context, c Competition) error {
	essay, ok := c.Stage(StageEssay)
	if !ok || e.now().Before(essay.Ends) {
		return nil
	}
	apps, err := e.Applications(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if a.Status != AppAdmitted {
			continue
		}
		for _, s := range a.Sittings {
			if s.Stage != StageEssay {
				continue
			}
			joined, err := e.cfg.Sittings.Joined(ctx, s.Sitting)
			if err != nil {
				return err
			}
			if joined {
				return nil
			}
		}
	}
	_, err = e.update(ctx, c.ID, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusStages {
			return nil
		}
		if err := transition(tx, now, c, StatusCompleted, System, "p.117: no admitted candidate took part in the essay"); err != nil {
			return err
		}
		apps, err := tx.Applications(c.ID)
		if err != nil {
			return err
		}
		for _, a := range apps {
			if err := notify(tx, now, a, "workflow.notify.completed_p117", map[string]string{"position": c.Position}); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// Overdue is a deadline HR has let pass.
type Overdue struct {
	Kind        string `json:"kind"`
	Clause      string `json:"clause"`
	Competition string `json:"competition"`
	Application string `json:"application,omitempty"`
	// Account is the commission member who is late (grading, p.115).
	Account string    `json:"account,omitempty"`
	Due     time.Time `json:"due"`
}

// Overdue kinds.
const (
	OverdueReview     = "review"           // p.73: not checked within 3 working days of the deadline
	OverdueRecheck    = "recheck"          // p.73: a completed package not re-checked within 1 working day
	OverdueNoSupply   = "supplement_ended" // p.73: the candidate did not complete in time: HR decides
	OverdueInterviewN = "interview_notice" // p.122: the interview is a working day away and nobody was told
	OverdueGrading    = "grading"          // p.115: a member has not graded an essay within 1 working day of the check results
)

// Overdue lists a competition's passed deadlines, oldest first.
func (e *Engine) Overdue(ctx context.Context, id string) ([]Overdue, error) {
	c, err := e.Competition(ctx, id)
	if err != nil {
		return nil, err
	}
	apps, err := e.Applications(ctx, id)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := []Overdue{}
	if c.Status == StatusReview {
		due := e.ReviewDue(c)
		for _, a := range apps {
			switch {
			case a.Status == AppSubmitted && !now.Before(due):
				out = append(out, Overdue{Kind: OverdueReview, Clause: "p.73", Competition: c.ID, Application: a.ID, Due: due})
			case a.Status == AppSupplemented && a.RecheckDue != nil && !now.Before(*a.RecheckDue):
				out = append(out, Overdue{Kind: OverdueRecheck, Clause: "p.73", Competition: c.ID, Application: a.ID, Due: *a.RecheckDue})
			case a.Status == AppIncomplete && a.SupplementDue != nil && !now.Before(*a.SupplementDue):
				out = append(out, Overdue{Kind: OverdueNoSupply, Clause: "p.73", Competition: c.ID, Application: a.ID, Due: *a.SupplementDue})
			}
		}
	}
	if c.Status == StatusStages {
		essays, err := e.essaysOf(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, overdueGrading(essays, now)...)
		if iv, ok := c.Stage(StageInterview); ok && iv.Notified == nil {
			due := e.cfg.Calendar.AddDays(iv.Starts, -1)
			if !now.Before(due) {
				out = append(out, Overdue{Kind: OverdueInterviewN, Clause: "p.122", Competition: c.ID, Due: due})
			}
		}
	}
	return out, nil
}
