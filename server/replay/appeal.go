package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// bucketAppeals holds one Appeal per sitting (sitting id → JSON), in the
// store's file, written in the same transaction as its audit entry.
var bucketAppeals = []byte("replay.appeals")

func createBuckets(st *store.Store) error {
	return st.DB().Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketAppeals); err != nil {
			return fmt.Errorf("replay: create bucket %s: %w", bucketAppeals, err)
		}
		return nil
	})
}

// DecisionOutcome is what the auditor decided on an appeal.
type DecisionOutcome string

// Decision outcomes.
const (
	// DecisionUpheld: the verdict stands.
	DecisionUpheld DecisionOutcome = "upheld"
	// DecisionOverturned: the verdict is set aside; the sitting's
	// effective verdict becomes clean and what the verdict blocked (the
	// essay's grading, p.115) goes ahead.
	DecisionOverturned DecisionOutcome = "overturned"
)

// Appeal is a candidate's appeal against a published verdict, with the
// decision once made. The text is stored here, not in the audit log (the
// log holds its SHA-256): a candidate may write personal data into it, and
// the log can never be edited to remove it.
type Appeal struct {
	Sitting protocol.SittingID `json:"sitting"`
	// Text is the candidate's words.
	Text string `json:"text"`
	// TextSHA256 is the hash the log holds.
	TextSHA256 string    `json:"text_sha256"`
	Lang       i18n.Lang `json:"lang"`
	Filed      time.Time `json:"filed"`
	// Deadline was the end of the appeal period.
	Deadline time.Time `json:"deadline"`
	// VerdictRecord is the record of the verdict appealed against.
	VerdictRecord uint64 `json:"verdict_record"`
	// Entry is the audit-log entry of the filing.
	Entry    int64     `json:"entry"`
	Decision *Decision `json:"decision,omitempty"`
}

// Decision is the auditor's decision on an appeal.
type Decision struct {
	Outcome DecisionOutcome `json:"outcome"`
	// Reasons are the auditor's words, shown to the candidate.
	Reasons string `json:"reasons"`
	// Actor is the auditor's account id; ActorName the username.
	Actor     string    `json:"actor"`
	ActorName string    `json:"actor_name"`
	Time      time.Time `json:"time"`
	// Effective is the sitting's verdict outcome after the decision.
	Effective protocol.VerdictOutcome `json:"effective"`
	// Entry is the audit-log entry of the decision.
	Entry int64 `json:"entry"`
}

// appealData is the Data of the audit.KindAppeal entries.
type appealData struct {
	// Step is "filed" or "decided".
	Step          string                  `json:"step"`
	VerdictRecord uint64                  `json:"verdict_record,omitempty"`
	TextSHA256    string                  `json:"text_sha256,omitempty"`
	Deadline      *time.Time              `json:"deadline,omitempty"`
	Outcome       DecisionOutcome         `json:"outcome,omitempty"`
	Reasons       string                  `json:"reasons,omitempty"`
	Effective     protocol.VerdictOutcome `json:"effective,omitempty"`
}

// appeal returns the sitting's appeal, or nil.
func (m *Module) appeal(id protocol.SittingID) (*Appeal, error) {
	var ap *Appeal
	err := m.cfg.Store.DB().View(func(tx *bolt.Tx) error {
		var err error
		ap, err = appealTx(tx, id)
		return err
	})
	return ap, err
}

func appealTx(tx *bolt.Tx, id protocol.SittingID) (*Appeal, error) {
	b := tx.Bucket(bucketAppeals)
	if b == nil {
		return nil, nil
	}
	raw := b.Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var ap Appeal
	if err := json.Unmarshal(raw, &ap); err != nil {
		return nil, fmt.Errorf("replay: stored appeal of %s: %w", id, err)
	}
	return &ap, nil
}

func putAppealTx(tx *bolt.Tx, ap *Appeal) error {
	raw, err := json.Marshal(ap)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAppeals).Put([]byte(ap.Sitting), raw)
}

// AppealDeadline is the end of the appeal period of a verdict published at
// t: the end of the AppealDays-th working day after that day.
func (m *Module) AppealDeadline(published time.Time) time.Time {
	return m.cal.Deadline(published, m.cfg.AppealDays)
}

// plainText reports whether s is valid UTF-8 without control characters
// other than line breaks and tabs.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// appendTimeout bounds one durable append.
const appendTimeout = 15 * time.Second

// File files the candidate's appeal against the sitting's verdict: only
// after a published violation verdict, within the appeal period, once. The
// filing is logged (audit.KindAppeal, with the text's SHA-256) in the same
// transaction that stores it.
func (m *Module) File(ctx context.Context, id protocol.SittingID, text string, lang i18n.Lang) (*Appeal, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, fmt.Errorf("%w: write what you disagree with and why", ErrBadAppeal)
	case len(text) > MaxAppealText || !plainText(text):
		return nil, fmt.Errorf("%w: the text must be plain text (no control characters) of at most %d bytes", ErrBadAppeal, MaxAppealText)
	}
	if !lang.Valid() {
		lang = i18n.RU
	}
	v, err := m.verdict(id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrNoVerdict
	}
	if v.Outcome != protocol.VerdictViolation {
		return nil, ErrCleanVerdict
	}
	now := m.now().UTC()
	deadline := m.AppealDeadline(v.Time)
	if !now.Before(deadline) {
		return nil, fmt.Errorf("%w: it ended %s", ErrAppealPeriodOver, deadline.In(calendar.Zone).Format(time.RFC3339))
	}
	sum := sha256.Sum256([]byte(text))
	ap := &Appeal{Sitting: id, Text: text, TextSHA256: hex.EncodeToString(sum[:]), Lang: lang, Filed: now, Deadline: deadline.UTC(), VerdictRecord: v.Record}
	dl := ap.Deadline
	data, err := json.Marshal(appealData{Step: "filed", VerdictRecord: v.Record, TextSHA256: ap.TextSHA256, Deadline: &dl})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	_, err = m.cfg.Log.Append(ctx, audit.Entry{Time: now, Kind: audit.KindAppeal, Sitting: string(id), Actor: "candidate", Data: data},
		func(tx *bolt.Tx, index int64) error {
			old, err := appealTx(tx, id)
			if err != nil {
				return err
			}
			if old != nil {
				return ErrAppealFiled
			}
			ap.Entry = index
			return putAppealTx(tx, ap)
		})
	if err != nil {
		return nil, fmt.Errorf("file the appeal of %s: %w", id, err)
	}
	m.log.Info("appeal filed", "sitting", id, "entry", ap.Entry)
	return ap, nil
}

// Decide records the auditor's decision on the sitting's appeal, once.
// The decision is logged (audit.KindAppeal, with the reasons) in the same
// transaction that stores it and sets the sitting's store.AppealDecision:
// an overturn makes the sitting's effective verdict clean
// (store.Sitting.EffectiveOutcome), which is what the workflow reads.
func (m *Module) Decide(ctx context.Context, id protocol.SittingID, outcome DecisionOutcome, reasons string, acct store.Account) (*Appeal, error) {
	reasons = strings.TrimSpace(reasons)
	switch {
	case outcome != DecisionUpheld && outcome != DecisionOverturned:
		return nil, fmt.Errorf("%w: outcome %q: use upheld or overturned", ErrBadAppeal, outcome)
	case reasons == "":
		return nil, fmt.Errorf("%w: give the reasons for the decision; the candidate reads them", ErrBadAppeal)
	case len(reasons) > MaxAppealText || !plainText(reasons):
		return nil, fmt.Errorf("%w: the reasons must be plain text (no control characters) of at most %d bytes", ErrBadAppeal, MaxAppealText)
	}
	now := m.now().UTC()
	eff := protocol.VerdictViolation
	if outcome == DecisionOverturned {
		eff = protocol.VerdictClean
	}
	data, err := json.Marshal(appealData{Step: "decided", Outcome: outcome, Reasons: reasons, Effective: eff})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	var out *Appeal
	_, err = m.cfg.Log.Append(ctx, audit.Entry{Time: now, Kind: audit.KindAppeal, Sitting: string(id), Actor: acct.ID, Data: data},
		func(tx *bolt.Tx, index int64) error {
			ap, err := appealTx(tx, id)
			switch {
			case err != nil:
				return err
			case ap == nil:
				return ErrNoAppeal
			case ap.Decision != nil:
				return ErrAppealDecided
			}
			ap.Decision = &Decision{Outcome: outcome, Reasons: reasons, Actor: acct.ID, ActorName: acct.Username, Time: now, Effective: eff, Entry: index}
			out = ap
			if err := putAppealTx(tx, ap); err != nil {
				return err
			}
			_, err = store.UpdateSittingTx(tx, id, func(st *store.Sitting) error {
				st.Appeal = &store.AppealDecision{Overturned: outcome == DecisionOverturned, Effective: eff, Entry: index, Actor: acct.ID, Time: now}
				return nil
			})
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("decide the appeal of %s: %w", id, err)
	}
	m.log.Info("appeal decided", "sitting", id, "outcome", outcome, "entry", out.Decision.Entry)
	return out, nil
}

// appealError turns the appeal rules' errors into answers.
func appealError(err error) error {
	type answer struct {
		status int
		code   string
		key    i18n.Key
	}
	for _, a := range []struct {
		err error
		answer
	}{
		{ErrNoVerdict, answer{http.StatusConflict, "no_verdict", i18n.Key("replay.error.no_verdict")}},
		{ErrCleanVerdict, answer{http.StatusConflict, "clean_verdict", i18n.Key("replay.error.clean_verdict")}},
		{ErrAppealPeriodOver, answer{http.StatusConflict, "appeal_period_over", i18n.Key("replay.error.period_over")}},
		{ErrAppealFiled, answer{http.StatusConflict, "appeal_filed", i18n.Key("replay.error.appeal_filed")}},
		{ErrNoAppeal, answer{http.StatusConflict, "no_appeal", i18n.Key("replay.error.no_appeal")}},
		{ErrAppealDecided, answer{http.StatusConflict, "appeal_decided", i18n.Key("replay.error.appeal_decided")}},
		{ErrBadAppeal, answer{http.StatusBadRequest, "invalid", i18n.Key("replay.error.bad_appeal")}},
	} {
		if errors.Is(err, a.err) {
			return web.Errorf(a.status, a.code, string(a.key), "%s", err.Error())
		}
	}
	return err
}

// ---- the auditor's decision ----

// DecisionRequest is the body of a decision.
type DecisionRequest struct {
	Outcome DecisionOutcome `json:"outcome"`
	Reasons string          `json:"reasons"`
}

func (m *Module) decide(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	var req DecisionRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	ap, err := m.Decide(r.Context(), st.ID, req.Outcome, req.Reasons, web.Account(r))
	if err != nil {
		return appealError(err)
	}
	web.WriteJSON(w, http.StatusOK, ap)
	return nil
}

// ---- the candidate's cabinet ----

// CabinetVerdict is the verdict as the candidate sees it: the outcome and
// the rules, not the evidence or who published it.
type CabinetVerdict struct {
	Outcome protocol.VerdictOutcome `json:"outcome"`
	Rules   []protocol.RuleID       `json:"rules,omitempty"`
	Time    time.Time               `json:"time"`
}

// CabinetAppeal is the appeal as the candidate sees it.
type CabinetAppeal struct {
	Text     string          `json:"text"`
	Filed    time.Time       `json:"filed"`
	Decision *CabinetDecided `json:"decision,omitempty"`
}

// CabinetDecided is the decision as the candidate sees it (not who).
type CabinetDecided struct {
	Outcome DecisionOutcome `json:"outcome"`
	Reasons string          `json:"reasons"`
	Time    time.Time       `json:"time"`
}

// Cabinet is what the candidate's cabinet shows for their sitting.
type Cabinet struct {
	Sitting protocol.SittingInfo  `json:"sitting"`
	State   protocol.SittingState `json:"state"`
	// Verdict is the published verdict, once published.
	Verdict *CabinetVerdict `json:"verdict,omitempty"`
	// Effective is the outcome that stands after an appeal.
	Effective protocol.VerdictOutcome `json:"effective,omitempty"`
	Appeal    *CabinetAppeal          `json:"appeal,omitempty"`
	// Deadline is the end of the appeal period, with a verdict.
	Deadline *time.Time `json:"deadline,omitempty"`
	// AppealDays is the appeal period in working days.
	AppealDays int `json:"appeal_days"`
	// CanAppeal says an appeal may be filed now; otherwise Why gives the
	// catalogue key of the reason.
	CanAppeal bool   `json:"can_appeal"`
	Why       string `json:"why,omitempty"`
}

// candidateSitting finds the sitting of the request's bearer token (the
// sitting token the candidate was given for the stage). Failed attempts
// are rate-limited per client address.
func (m *Module) candidateSitting(r *http.Request) (store.Sitting, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	bad := web.Errorf(http.StatusUnauthorized, "unauthorized", string(i18n.Key("cabinet.error.token")),
		"the token is not valid: enter the sitting token you were given for this stage")
	if !ok || token == "" || len(token) > protocol.MaxTokenLen {
		return store.Sitting{}, bad
	}
	// Tokens have 192 bits, so guessing is hopeless anyway; the limit keeps
	// a script from trying. Only failures count.
	if m.limits.Blocked(r) {
		return store.Sitting{}, web.Errorf(http.StatusTooManyRequests, "rate_limited", string(i18n.Key("cabinet.error.too_many")), "too many wrong tokens; wait a minute")
	}
	// The candidate's join token, used by the agent or not, opens the
	// cabinet (the stage is over by the time one appeals).
	st, err := admin.New(m.cfg.Store).CabinetSitting(token)
	if errors.Is(err, admin.ErrTokenInvalid) {
		m.limits.Fail(r)
		return store.Sitting{}, bad
	}
	if err != nil {
		return st, err
	}
	closes, err := m.cabinetCloses(st.ID)
	if err != nil {
		return st, err
	}
	if !closes.IsZero() && !m.now().Before(closes) {
		e := web.Errorf(http.StatusGone, "cabinet_closed", string(i18n.Key("cabinet.error.closed")),
			"this sitting's cabinet closed on %s, 30 days after the appeal period; the competition's notices are in your application's cabinet",
			closes.In(calendar.Zone).Format("2006-01-02"))
		e.Args = map[string]string{"date": closes.In(calendar.Zone).Format("2006-01-02")}
		return store.Sitting{}, e
	}
	return st, nil
}

// CabinetAfterAppeal is how long a sitting's cabinet stays open once its
// appeal period has ended, or once its appeal was decided: long enough to
// read the outcome; what follows reaches the candidate in the cabinet of
// their application (server/workflow).
const CabinetAfterAppeal = 30 * 24 * time.Hour

// cabinetCloses is when the sitting's cabinet closes (issue 16: a
// candidate's credential must not open it for ever): CabinetAfterAppeal
// after the appeal period of the published verdict, or after the appeal's
// decision. Zero while it stays open: no verdict yet, or an appeal
// waiting for its decision.
func (m *Module) cabinetCloses(id protocol.SittingID) (time.Time, error) {
	v, err := m.verdict(id)
	if err != nil || v == nil {
		return time.Time{}, err
	}
	ap, err := m.appeal(id)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case ap == nil:
		return m.AppealDeadline(v.Time).Add(CabinetAfterAppeal), nil
	case ap.Decision != nil:
		return ap.Decision.Time.Add(CabinetAfterAppeal), nil
	}
	return time.Time{}, nil
}

// cabinetView builds the cabinet of a sitting.
func (m *Module) cabinetView(st store.Sitting) (Cabinet, error) {
	b := m.brief(st)
	c := Cabinet{Sitting: protocol.SittingInfo{ID: st.ID, PIN: st.PIN, Competition: b.Competition, Stage: st.Stage}, State: st.State, AppealDays: m.cfg.AppealDays}
	v, err := m.verdict(st.ID)
	if err != nil {
		return c, err
	}
	ap, err := m.appeal(st.ID)
	if err != nil {
		return c, err
	}
	c.Effective = effective(v, ap)
	if ap != nil {
		c.Appeal = &CabinetAppeal{Text: ap.Text, Filed: ap.Filed}
		if d := ap.Decision; d != nil {
			c.Appeal.Decision = &CabinetDecided{Outcome: d.Outcome, Reasons: d.Reasons, Time: d.Time}
		}
	}
	switch {
	case v == nil:
		c.Why = string(i18n.Key("cabinet.why.no_verdict"))
		return c, nil
	case ap != nil:
		c.Why = string(i18n.Key("cabinet.why.filed"))
	case v.Outcome != protocol.VerdictViolation:
		c.Why = string(i18n.Key("cabinet.why.clean"))
	}
	c.Verdict = &CabinetVerdict{Outcome: v.Outcome, Rules: v.Rules, Time: v.Time}
	d := m.AppealDeadline(v.Time).UTC()
	c.Deadline = &d
	if c.Why == "" && !m.now().Before(d) {
		c.Why = string(i18n.Key("cabinet.why.period_over"))
	}
	c.CanAppeal = c.Why == ""
	return c, nil
}

func (m *Module) cabinet(w http.ResponseWriter, r *http.Request) error {
	st, err := m.candidateSitting(r)
	if err != nil {
		return err
	}
	c, err := m.cabinetView(st)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

// AppealRequest is the body of an appeal.
type AppealRequest struct {
	Text string `json:"text"`
	// Lang is the language the candidate wrote in (kk, ru or en).
	Lang string `json:"lang,omitempty"`
}

func (m *Module) fileAppeal(w http.ResponseWriter, r *http.Request) error {
	st, err := m.candidateSitting(r)
	if err != nil {
		return err
	}
	var req AppealRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	lang, _ := i18n.ParseLang(req.Lang)
	if _, err := m.File(r.Context(), st.ID, req.Text, lang); err != nil {
		return appealError(err)
	}
	c, err := m.cabinetView(st)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, c)
	return nil
}
