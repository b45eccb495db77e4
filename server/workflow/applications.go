package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/pii"
)

// Applied is a new application with its cabinet token, shown once.
type Applied struct {
	Application Application `json:"application"`
	Token       string      `json:"token"`
}

func checkPersonal(p *Personal) error {
	p.Name, p.IIN, p.Email, p.Phone = clean(p.Name), clean(p.IIN), clean(p.Email), clean(p.Phone)
	if err := pii.CheckIIN(p.IIN); err != nil {
		return refuse(KindInvalid, "", "workflow.err.iin", "{detail}: check the 12 digits against the identity card", "detail", err.Error())
	}
	if n := utf8.RuneCountInString(p.Name); n < 2 || n > 200 {
		return refuse(KindInvalid, "", "workflow.err.name", "the full name must be 2 to 200 characters")
	}
	if _, err := mail.ParseAddress(p.Email); err != nil || len(p.Email) > 254 || strings.ContainsAny(p.Email, "<> ") {
		return refuse(KindInvalid, "", "workflow.err.email", "the e-mail address is not valid: write it as name@example.kz")
	}
	if len(p.Phone) > 32 {
		return refuse(KindInvalid, "", "workflow.err.phone", "the phone number is longer than 32 characters")
	}
	return nil
}

// Apply files a candidate's application to a competition accepting
// applications, before its deadline. The IIN is checked; one application
// per IIN per competition. The documents are checked and sealed; the
// returned token opens the candidate's cabinet.
func (e *Engine) Apply(ctx context.Context, competition string, p Personal, docs []Upload) (Applied, error) {
	if err := checkPersonal(&p); err != nil {
		return Applied{}, err
	}
	if len(docs) > MaxDocuments {
		return Applied{}, refuse(KindInvalid, "", "workflow.err.doc_count", "at most {max} documents per application", "max", "20")
	}
	types := make([]string, len(docs))
	for i, d := range docs {
		t, err := checkUpload(d)
		if err != nil {
			return Applied{}, err
		}
		types[i] = t
	}
	c, err := e.Competition(ctx, competition)
	if err != nil {
		return Applied{}, err
	}
	if err := e.accepting(c); err != nil {
		return Applied{}, err
	}
	appID, err := newID("p-")
	if err != nil {
		return Applied{}, err
	}
	candID, err := newID("k-")
	if err != nil {
		return Applied{}, err
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return Applied{}, err
	}
	sealed, err := e.cfg.Vault.Seal(plain, "candidate:"+candID)
	if err != nil {
		return Applied{}, err
	}
	index := e.cfg.Vault.Index("iin", p.IIN)
	token, err := newToken()
	if err != nil {
		return Applied{}, err
	}
	now := e.now().UTC()
	a := Application{ID: appID, Competition: c.ID, Candidate: candID, Status: AppSubmitted, Submitted: now, Documents: []Document{}, Missing: []string{},
		CabinetHash: TokenHash(token), CabinetExpires: now.Add(CabinetTTL), Sittings: []StageSitting{}}
	for i, d := range docs {
		doc, err := e.storeDocument(appID, d, types[i], false)
		if err != nil {
			return Applied{}, err
		}
		a.Documents = append(a.Documents, doc)
	}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Competition(competition)
		if err := storeErr(err, "competition", competition); err != nil {
			return err
		}
		if err := e.accepting(c); err != nil {
			return err
		}
		if _, err := tx.ApplicationByIIN(c.ID, index); err == nil {
			return refuse(KindConflict, "", "workflow.err.applied_twice", "an application with this IIN was already filed in this competition; open its cabinet to add documents")
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.PutCandidate(Candidate{ID: candID, IINIndex: index, Sealed: sealed, Created: now}); err != nil {
			return err
		}
		if _, err := logEntry(tx, now, c.ID, System, "apply", map[string]any{"application": a.ID, "documents": docRefs(a.Documents)}); err != nil {
			return err
		}
		if err := tx.PutApplication(a, index); err != nil {
			if errors.Is(err, ErrExists) {
				return refuse(KindConflict, "", "workflow.err.applied_twice", "an application with this IIN was already filed in this competition; open its cabinet to add documents")
			}
			return err
		}
		return notify(tx, now, a, "workflow.notify.received", map[string]string{"deadline": c.Deadline.Format("2006-01-02"), "review_due": dateOf(e.ReviewDue(c))})
	})
	if err != nil {
		return Applied{}, err
	}
	return Applied{Application: a, Token: token}, nil
}

// dateOf writes the last day before an end-of-day instant, in Kazakhstan.
func dateOf(end time.Time) string {
	return end.In(calendar.Zone).Add(-time.Second).Format("2006-01-02")
}

// dueText is a deadline as a person reads it: the last minute before the
// end instant a working-day deadline is (23:59 of its last day, in
// Kazakhstan), never the midnight that follows.
func dueText(end time.Time) string {
	return end.In(calendar.Zone).Add(-time.Minute).Format("2006-01-02 15:04")
}

func docRefs(ds []Document) []map[string]any {
	out := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		out = append(out, map[string]any{"id": d.ID, "kind": d.Kind, "sha256": d.SHA256, "size": d.Size})
	}
	return out
}

func (e *Engine) accepting(c Competition) error {
	now := e.now()
	if c.Status != StatusAccepting {
		return refuse(KindConflict, "", "workflow.err.not_accepting", "the competition does not accept applications (it is {status})", "status", string(c.Status))
	}
	if now.Before(c.Opens) || !now.Before(e.endOfDay(c.Deadline)) {
		return refuse(KindConflict, "", "workflow.err.outside_dates", "applications are accepted from {opens} to {deadline} inclusive", "opens", c.Opens.Format("2006-01-02"), "deadline", c.Deadline.Format("2006-01-02"))
	}
	return nil
}

// Cabinet finds the application a cabinet token opens: only the current
// token, and only until it expires.
func (e *Engine) Cabinet(ctx context.Context, token string) (Application, Competition, []Notification, error) {
	var a Application
	var c Competition
	var ns []Notification
	if token == "" {
		return a, c, ns, refuse(KindUnauthorized, "", "workflow.err.cabinet_token", "the cabinet link is not valid or was replaced by a newer one: use the newest link the HR service sent")
	}
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		a, err = tx.ApplicationByCabinet(TokenHash(token))
		if errors.Is(err, ErrNotFound) {
			return refuse(KindUnauthorized, "", "workflow.err.cabinet_token", "the cabinet link is not valid or was replaced by a newer one: use the newest link the HR service sent")
		}
		if err != nil {
			return err
		}
		if !e.now().Before(a.CabinetExpires) {
			return refuse(KindUnauthorized, "", "workflow.err.cabinet_expired", "the cabinet link has expired: ask the HR service for a new one")
		}
		if c, err = tx.Competition(a.Competition); err != nil {
			return storeErr(err, "competition", a.Competition)
		}
		ns, err = tx.Notifications(a.ID)
		return err
	})
	return a, c, ns, err
}

// ReissueCabinet gives an application a new cabinet token; the old one
// stops working at once.
func (e *Engine) ReissueCabinet(ctx context.Context, actor, appID string) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	err = e.updateApp(ctx, appID, func(tx Tx, a *Application, c *Competition, now time.Time) error {
		a.CabinetHash, a.CabinetExpires = TokenHash(token), now.Add(CabinetTTL)
		_, err := logEntry(tx, now, c.ID, actor, "cabinet_reissued", map[string]any{"application": a.ID})
		return err
	})
	return token, err
}

// updateApp loads an application and its competition and runs fn in one
// transaction; the application is stored if fn succeeds.
func (e *Engine) updateApp(ctx context.Context, appID string, fn func(tx Tx, a *Application, c *Competition, now time.Time) error) error {
	now := e.now().UTC()
	return e.cfg.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Application(appID)
		if err := storeErr(err, "application", appID); err != nil {
			return err
		}
		c, err := tx.Competition(a.Competition)
		if err := storeErr(err, "competition", a.Competition); err != nil {
			return err
		}
		cand, err := tx.Candidate(a.Candidate)
		if err := storeErr(err, "candidate", a.Candidate); err != nil {
			return err
		}
		if err := fn(tx, &a, &c, now); err != nil {
			return err
		}
		return tx.PutApplication(a, cand.IINIndex)
	})
}

// AddDocument adds a scan to an application from the candidate's
// cabinet: while applications are accepted, or (p.73) while an
// incomplete package may be completed.
func (e *Engine) AddDocument(ctx context.Context, appID string, u Upload) (Document, error) {
	mime, err := checkUpload(u)
	if err != nil {
		return Document{}, err
	}
	a, err := e.Application(ctx, appID)
	if err != nil {
		return Document{}, err
	}
	c, err := e.Competition(ctx, a.Competition)
	if err != nil {
		return Document{}, err
	}
	if err := e.mayAdd(a, c); err != nil {
		return Document{}, err
	}
	doc, err := e.storeDocument(appID, u, mime, a.Status == AppIncomplete)
	if err != nil {
		return Document{}, err
	}
	err = e.updateApp(ctx, appID, func(tx Tx, a *Application, c *Competition, now time.Time) error {
		if err := e.mayAdd(*a, *c); err != nil {
			return err
		}
		if len(a.Documents) >= MaxDocuments {
			return refuse(KindInvalid, "", "workflow.err.doc_count", "at most {max} documents per application", "max", "20")
		}
		a.Documents = append(a.Documents, doc)
		_, err := logEntry(tx, now, c.ID, System, "document", map[string]any{"application": a.ID, "documents": docRefs([]Document{doc})})
		return err
	})
	return doc, err
}

func (e *Engine) mayAdd(a Application, c Competition) error {
	switch a.Status {
	case AppSubmitted:
		return e.accepting(c)
	case AppIncomplete:
		if a.Supplemented == nil && a.SupplementDue != nil && e.now().Before(*a.SupplementDue) {
			return nil
		}
		return refuse(KindConflict, "p.73", "workflow.err.p73_window_closed", "the one working day to complete the package ended at {due}", "due", dueText(*a.SupplementDue))
	case AppSupplemented:
		return refuse(KindConflict, "p.73", "workflow.err.p73_once", "the package was already completed once; it can be completed only once")
	}
	return refuse(KindConflict, "", "workflow.err.decided", "the application was already decided ({status}); documents can no longer be added", "status", string(a.Status))
}

// Supplement is the candidate saying the incomplete package is now
// complete. p.73: once, within one working day of the notice; HR then
// re-checks within one working day.
func (e *Engine) Supplement(ctx context.Context, appID string) (Application, error) {
	var out Application
	err := e.updateApp(ctx, appID, func(tx Tx, a *Application, c *Competition, now time.Time) error {
		if a.Status == AppSupplemented || (a.Status != AppIncomplete && a.Supplemented != nil) {
			return refuse(KindConflict, "p.73", "workflow.err.p73_once", "the package was already completed once; it can be completed only once")
		}
		if a.Status != AppIncomplete {
			return refuse(KindConflict, "p.73", "workflow.err.p73_not_incomplete", "only a package HR found incomplete can be completed (this one is {status})", "status", string(a.Status))
		}
		if !now.Before(*a.SupplementDue) {
			return refuse(KindConflict, "p.73", "workflow.err.p73_window_closed", "the one working day to complete the package ended at {due}", "due", dueText(*a.SupplementDue))
		}
		due := e.cfg.Calendar.Deadline(now, 1)
		a.Status, a.Supplemented, a.RecheckDue = AppSupplemented, &now, &due
		_, err := logEntry(tx, now, c.ID, System, "supplement", map[string]any{"application": a.ID, "recheck_due": due})
		out = *a
		return err
	})
	return out, err
}

// Outcome is HR's decision on an application.
type Outcome string

// Outcomes of a review.
const (
	OutcomeAdmit      Outcome = "admitted"
	OutcomeIncomplete Outcome = "incomplete"
	OutcomeRefuse     Outcome = "refused"
)

// Decision is HR's review of one application.
type Decision struct {
	Outcome Outcome  `json:"outcome"`
	Missing []string `json:"missing"`
	Reason  string   `json:"reason"`
}

// Lacking lists what a package lacks (p.73): the education document and
// its attachment, and the proof of work experience when the position
// requires it.
func Lacking(c Competition, a Application) []string {
	have := map[DocKind]bool{}
	for _, d := range a.Documents {
		have[d.Kind] = true
	}
	out := []string{}
	for _, k := range []DocKind{DocEducation, DocEducationAttachment} {
		if !have[k] {
			out = append(out, string(k))
		}
	}
	if c.RequiresExperience && !have[DocExperience] {
		out = append(out, string(DocExperience))
	}
	return out
}

// Review records HR's decision on an application (p.73), in the review
// period after the deadline:
//   - admitted: the package must be complete; the candidate gets a PIN
//     (p.74-1) and a notice;
//   - incomplete: HR lists what is missing; the candidate is notified at
//     once and has one working day to complete it, once;
//   - refused: with a reason; a complete package cannot be refused
//     without one.
func (e *Engine) Review(ctx context.Context, actor, appID string, d Decision) (Application, error) {
	d.Reason = clean(d.Reason)
	missing := make([]string, 0, len(d.Missing))
	for _, m := range d.Missing {
		if m = clean(m); m != "" {
			if utf8.RuneCountInString(m) > 200 {
				return Application{}, refuse(KindInvalid, "", "workflow.err.missing_long", "each missing item must be at most 200 characters")
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 20 || utf8.RuneCountInString(d.Reason) > 1000 {
		return Application{}, refuse(KindInvalid, "", "workflow.err.review_long", "at most 20 missing items and 1000 characters of reason")
	}
	var out Application
	err := e.updateApp(ctx, appID, func(tx Tx, a *Application, c *Competition, now time.Time) error {
		if c.Status != StatusReview {
			return wrongStatus(c, StatusReview, "reviewing applications")
		}
		lacking := Lacking(*c, *a)
		switch d.Outcome {
		case OutcomeAdmit:
			if a.Status != AppSubmitted && a.Status != AppSupplemented {
				return refuse(KindConflict, "", "workflow.err.decided", "the application was already decided ({status})", "status", string(a.Status))
			}
			if len(lacking) > 0 {
				return refuse(KindConflict, "p.73", "workflow.err.p73_lacking", "the package lacks {lacking}; mark it incomplete or refuse it with the reason", "lacking", strings.Join(lacking, ", "))
			}
			pin, err := tx.NewPIN()
			if err != nil {
				return err
			}
			a.Status, a.PIN = AppAdmitted, pin
			if err := e.decided(tx, a, c, actor, now, d); err != nil {
				return err
			}
			out = *a
			return notify(tx, now, *a, "workflow.notify.admitted", map[string]string{"pin": pin})
		case OutcomeIncomplete:
			if a.Status == AppSupplemented {
				return refuse(KindConflict, "p.73", "workflow.err.p73_once", "the package was already completed once; it can be completed only once: admit or refuse it")
			}
			if a.Status != AppSubmitted {
				return refuse(KindConflict, "", "workflow.err.decided", "the application was already decided ({status})", "status", string(a.Status))
			}
			if len(missing) == 0 {
				return refuse(KindInvalid, "p.73", "workflow.err.p73_missing_required", "list what is missing, so the candidate knows what to add")
			}
			due := e.cfg.Calendar.Deadline(now, 1)
			a.Status, a.Missing, a.Incomplete, a.SupplementDue = AppIncomplete, missing, &now, &due
			if _, err := logEntry(tx, now, c.ID, actor, "review", map[string]any{"application": a.ID, "outcome": d.Outcome, "missing": missing, "supplement_due": due}); err != nil {
				return err
			}
			out = *a
			return notify(tx, now, *a, "workflow.notify.incomplete", map[string]string{"missing": strings.Join(missing, "; "), "due": dueText(due)})
		case OutcomeRefuse:
			if a.Status == AppAdmitted || a.Status == AppRefused {
				return refuse(KindConflict, "", "workflow.err.decided", "the application was already decided ({status})", "status", string(a.Status))
			}
			if d.Reason == "" {
				if len(lacking) == 0 {
					return refuse(KindInvalid, "p.73", "workflow.err.p73_reason_required", "the package is complete: a refusal needs the reason")
				}
				d.Reason = "p.73: the package lacks " + strings.Join(lacking, ", ")
			}
			a.Status, a.Reason = AppRefused, d.Reason
			if err := e.decided(tx, a, c, actor, now, d); err != nil {
				return err
			}
			out = *a
			return notify(tx, now, *a, "workflow.notify.refused", map[string]string{"reason": d.Reason})
		}
		return refuse(KindInvalid, "", "workflow.err.outcome", "outcome {outcome} is not one of admitted, incomplete, refused", "outcome", string(d.Outcome))
	})
	return out, err
}

func (e *Engine) decided(tx Tx, a *Application, c *Competition, actor string, now time.Time, d Decision) error {
	a.Decided, a.DecidedBy = &now, actor
	_, err := logEntry(tx, now, c.ID, actor, "review", map[string]any{"application": a.ID, "outcome": d.Outcome, "reason": a.Reason, "pin": a.PIN})
	return err
}
