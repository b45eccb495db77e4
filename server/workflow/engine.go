package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/exam"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/ruleset"
)

// Sittings is the workflow's one port into proctoring: it opens a
// proctored sitting for an admitted candidate's PIN and tells whether the
// candidate joined it. It also gives the published verdict of a sitting, and nothing else of it.
type Sittings interface {
	// Open creates the sitting of stage for pin in competition c and
	// returns its id and join token.
	Open(ctx context.Context, c Competition, stage StageKind, pin string) (sitting, token string, err error)
	// Joined reports whether the candidate's agent ever joined the sitting.
	Joined(ctx context.Context, sitting string) (bool, error)
	// Verdict tells the sitting's published, effective check results
	// (p.115), an appeal decision standing in for the verdict it decided.
	Verdict(ctx context.Context, sitting string) (Verdict, error)
}

// Config wires an Engine.
type Config struct {
	Store    Store
	Vault    *pii.Vault
	Calendar *calendar.Calendar
	Rules    *ruleset.Registry
	Sittings Sittings
	// Documents is the directory of the sealed document scans.
	Documents string
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Engine enforces the workflow's rules over a Store.
type Engine struct {
	cfg Config
	now func() time.Time
	log *slog.Logger
	// items caches the parsed bank items by bank, identifier and
	// version: a version's content never changes, so the cache is
	// never stale.
	items sync.Map
}

// System is the actor of decisions the engine takes by itself (deadlines,
// p.117).
const System = "system"

// CabinetTTL is how long a cabinet token opens the candidate's cabinet:
// the whole competition, its appeals, and some margin.
const CabinetTTL = 180 * 24 * time.Hour

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Vault == nil || cfg.Calendar == nil || cfg.Rules == nil {
		return nil, errors.New("workflow: store, vault, calendar and rule sets are required")
	}
	e := &Engine{cfg: cfg, now: cfg.Now, log: cfg.Logger}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e, nil
}

// Now is the engine's clock: the server owns the time of the stages.
func (e *Engine) Now() time.Time { return e.now() }

// Calendar is the engine's working-day calendar.
func (e *Engine) Calendar() *calendar.Calendar { return e.cfg.Calendar }

// Rules is the engine's rule-set registry.
func (e *Engine) Rules() *ruleset.Registry { return e.cfg.Rules }

func newID(prefix string) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// TokenHash is how a cabinet token is stored and looked up.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// logEntry appends a workflow audit entry chained on the competition.
// data must hold no personal data: ids, PINs, statuses and reasons only.
func logEntry(tx Tx, at time.Time, competition, actor, action string, data map[string]any) (int64, error) {
	if data == nil {
		data = map[string]any{}
	}
	data["action"] = action
	raw, err := json.Marshal(data)
	if err != nil {
		return -1, err
	}
	return tx.Log(audit.Entry{Time: at, Kind: audit.KindWorkflow, Sitting: competition, Actor: actor, Data: raw})
}

// transition moves c to a new status and logs it.
func transition(tx Tx, at time.Time, c *Competition, to Status, actor, why string) error {
	idx, err := logEntry(tx, at, c.ID, actor, "status", map[string]any{"from": c.Status, "to": to, "why": why})
	if err != nil {
		return err
	}
	c.History = append(c.History, Transition{From: c.Status, To: to, Actor: actor, Why: why, Time: at, Entry: idx})
	c.Status = to
	return tx.PutCompetition(*c)
}

// notify adds a notification to an application's inbox and logs it.
func notify(tx Tx, at time.Time, a Application, key string, args map[string]string) error {
	if args == nil {
		args = map[string]string{}
	}
	id, err := newID("n-")
	if err != nil {
		return err
	}
	idx, err := logEntry(tx, at, a.Competition, System, "notify", map[string]any{"application": a.ID, "notification": id, "key": key, "args": args})
	if err != nil {
		return err
	}
	return tx.AddNotification(Notification{ID: id, Application: a.ID, Key: key, Args: args, Time: at, Entry: idx})
}

// NewCompetition is what HR gives to create a competition.
type NewCompetition struct {
	Body               string  `json:"body"`
	Position           string  `json:"position"`
	RequiresExperience bool    `json:"requires_experience"`
	Managerial         bool    `json:"managerial"`
	Opens              string  `json:"opens"`
	Deadline           string  `json:"deadline"`
	Stages             []Stage `json:"stages"`
}

func day(s, field string) (time.Time, error) {
	t, err := calendar.ParseDate(s)
	if err != nil {
		return time.Time{}, refuse(KindInvalid, "", "workflow.err.date", "{field}: {value} is not a date; write it as YYYY-MM-DD", "field", field, "value", s)
	}
	return t, nil
}

func clean(s string) string { return strings.TrimSpace(s) }

// covered checks p.1: the body is listed for a period of a rule set that
// contains the date.
func (e *Engine) covered(body string, at time.Time) (ruleset.Match, error) {
	m, err := e.cfg.Rules.Find(body, at)
	var nc *ruleset.NotCovered
	switch {
	case errors.As(err, &nc):
		sets := make([]string, 0, len(nc.Looked))
		for _, l := range nc.Looked {
			sets = append(sets, l.Set.ID+" ("+l.Set.ValidFrom.Format("2006-01-02")+" – "+l.Set.ValidTo.Format("2006-01-02")+")")
		}
		return m, refuse(KindConflict, "p.1", "workflow.err.p1_not_covered", "{detail}", "detail", strings.TrimPrefix(nc.Error(), "p.1: "),
			"body", body, "date", at.Format("2006-01-02"), "sets", strings.Join(sets, ", "))
	case errors.Is(err, ruleset.ErrUnknownBody):
		return m, refuse(KindInvalid, "p.1", "workflow.err.unknown_body", "state body {body} is not in the register of state bodies; pick one from GET /api/bodies (an operator adds bodies in DATA/rulesets/bodies.json)", "body", body)
	case err != nil:
		return m, err
	}
	return m, nil
}

// Create adds a competition in draft. p.1: its state body must be listed
// under a rule set for the opening date; the dates must be in order: the
// deadline not before the opening, the stages after the review (p.73: 3
// working days after the deadline), each ending after it starts, in the
// order personal qualities, textual/numerical, essay, interview.
func (e *Engine) Create(ctx context.Context, actor string, in NewCompetition) (Competition, error) {
	in.Body, in.Position = clean(in.Body), clean(in.Position)
	if in.Position == "" || utf8.RuneCountInString(in.Position) > 300 {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.position", "the position must be 1 to 300 characters")
	}
	opens, err := day(in.Opens, "opens")
	if err != nil {
		return Competition{}, err
	}
	deadline, err := day(in.Deadline, "deadline")
	if err != nil {
		return Competition{}, err
	}
	if deadline.Before(opens) {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.dates_order", "dates out of order: the application deadline {deadline} is before the opening {opens}", "deadline", in.Deadline, "opens", in.Opens)
	}
	m, err := e.covered(in.Body, opens)
	if err != nil {
		return Competition{}, err
	}
	reviewEnd := e.cfg.Calendar.Deadline(deadline, 3)
	var progs []exam.Program
	if err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		progs, err = allPrograms(tx)
		return err
	}); err != nil {
		return Competition{}, err
	}
	stages, err := e.checkStages(in.Stages, reviewEnd, progs)
	if err != nil {
		return Competition{}, err
	}
	id, err := newID("c-")
	if err != nil {
		return Competition{}, err
	}
	now := e.now().UTC()
	c := Competition{ID: id, Body: in.Body, Position: in.Position, RequiresExperience: in.RequiresExperience, Managerial: in.Managerial,
		Status: StatusDraft, RuleSet: m.Set.ID, Period: m.Period.From.Format("2006-01-02") + "/" + m.Period.To.Format("2006-01-02"),
		Opens: opens, Deadline: deadline, Stages: stages, Commission: []Member{}, History: []Transition{}, Created: now, CreatedBy: actor}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		idx, err := logEntry(tx, now, c.ID, actor, "create", map[string]any{"body": c.Body, "rule_set": c.RuleSet, "opens": in.Opens, "deadline": in.Deadline})
		if err != nil {
			return err
		}
		c.History = []Transition{{To: StatusDraft, Actor: actor, Why: "created", Time: now, Entry: idx}}
		return tx.PutCompetition(c)
	})
	return c, err
}

func (e *Engine) checkStages(in []Stage, reviewEnd time.Time, progs []exam.Program) ([]Stage, error) {
	out := make([]Stage, 0, len(in))
	seen := map[StageKind]bool{}
	var last time.Time
	for _, s := range in {
		if stageOrder[s.Kind] == 0 {
			return nil, refuse(KindInvalid, "", "workflow.err.stage_kind", "stage {kind} is not one of legislation, personal_qualities, textual_numerical, essay, interview", "kind", string(s.Kind))
		}
		if seen[s.Kind] {
			return nil, refuse(KindInvalid, "", "workflow.err.stage_twice", "stage {kind} is given twice", "kind", string(s.Kind))
		}
		seen[s.Kind] = true
		if s.Starts.IsZero() || !s.Ends.After(s.Starts) {
			return nil, refuse(KindInvalid, "", "workflow.err.stage_times", "dates out of order: stage {kind} must have a start and end after it", "kind", string(s.Kind))
		}
		if s.Starts.Before(reviewEnd) {
			return nil, refuse(KindInvalid, "p.73", "workflow.err.stage_before_review", "dates out of order: stage {kind} starts {starts}, before the review of applications ends (its last day is {review}, 3 working days after the deadline)",
				"kind", string(s.Kind), "starts", s.Starts.In(calendar.Zone).Format("2006-01-02 15:04"), "review", dateOf(reviewEnd))
		}
		if s.Starts.Before(last) {
			return nil, refuse(KindInvalid, "", "workflow.err.stage_order", "dates out of order: stage {kind} starts before the previous stage ends", "kind", string(s.Kind))
		}
		if s.Link != "" {
			if u, err := url.Parse(s.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s.Link) > 500 {
				return nil, refuse(KindInvalid, "", "workflow.err.link", "the link of stage {kind} must be an http(s) address", "kind", string(s.Kind))
			}
		}
		if err := checkTestStage(&s, progs); err != nil {
			return nil, err
		}
		last = s.Ends
		s.Starts, s.Ends, s.Notified, s.Sittings = s.Starts.UTC(), s.Ends.UTC(), nil, false
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return stageOrder[out[i].Kind] < stageOrder[out[j].Kind] })
	for i := 1; i < len(out); i++ {
		if out[i].Starts.Before(out[i-1].Ends) {
			return nil, refuse(KindInvalid, "", "workflow.err.stage_order", "dates out of order: stage {kind} starts before the previous stage ends", "kind", string(out[i].Kind))
		}
	}
	return out, nil
}

// update loads a competition, runs fn on it in one transaction and stores
// nothing if fn refuses.
func (e *Engine) update(ctx context.Context, id string, fn func(tx Tx, c *Competition, now time.Time) error) (Competition, error) {
	var out Competition
	now := e.now().UTC()
	err := e.cfg.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Competition(id)
		if err := storeErr(err, "competition", id); err != nil {
			return err
		}
		if err := fn(tx, &c, now); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

func wrongStatus(c *Competition, want Status, doing string) *Error {
	return refuse(KindConflict, "", "workflow.err.status", "the competition is {status}; {doing} needs it {want}", "status", string(c.Status), "want", string(want), "doing", doing)
}

// Publish opens a draft competition for applications. p.1 is checked
// again: the rule set must still cover the opening date.
func (e *Engine) Publish(ctx context.Context, actor, id string) (Competition, error) {
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status != StatusDraft {
			return wrongStatus(c, StatusDraft, "publishing")
		}
		if _, err := e.covered(c.Body, c.Opens); err != nil {
			return err
		}
		if !now.Before(e.endOfDay(c.Deadline)) {
			return refuse(KindConflict, "", "workflow.err.deadline_passed", "the application deadline {deadline} has passed; create the competition with a later deadline", "deadline", c.Deadline.Format("2006-01-02"))
		}
		return transition(tx, now, c, StatusAccepting, actor, "published")
	})
}

// Cancel stops a competition that has not completed, with a reason.
func (e *Engine) Cancel(ctx context.Context, actor, id, why string) (Competition, error) {
	why = clean(why)
	if why == "" {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.reason_required", "give the reason")
	}
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status == StatusCompleted || c.Status == StatusCancelled {
			return wrongStatus(c, StatusStages, "cancelling")
		}
		return transition(tx, now, c, StatusCancelled, actor, why)
	})
}

func (e *Engine) endOfDay(d time.Time) time.Time {
	return d.In(calendar.Zone).AddDate(0, 0, 1)
}

// ReviewDue is the end of HR's review period (p.73: 3 working days after
// the application deadline).
func (e *Engine) ReviewDue(c Competition) time.Time { return e.cfg.Calendar.Deadline(c.Deadline, 3) }

// Competition returns one competition.
func (e *Engine) Competition(ctx context.Context, id string) (Competition, error) {
	var c Competition
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		c, err = tx.Competition(id)
		return storeErr(err, "competition", id)
	})
	return c, err
}

// Competitions lists every competition.
func (e *Engine) Competitions(ctx context.Context) ([]Competition, error) {
	var out []Competition
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Competitions()
		return err
	})
	return out, err
}

// Applications lists a competition's applications.
func (e *Engine) Applications(ctx context.Context, competition string) ([]Application, error) {
	var out []Application
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		if _, err := tx.Competition(competition); err != nil {
			return storeErr(err, "competition", competition)
		}
		var err error
		out, err = tx.Applications(competition)
		return err
	})
	return out, err
}

// Application returns one application.
func (e *Engine) Application(ctx context.Context, id string) (Application, error) {
	var a Application
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		a, err = tx.Application(id)
		return storeErr(err, "application", id)
	})
	return a, err
}

// Personal opens an application's candidate's personal data: for HR and
// administrators only (the HTTP layer checks the role).
func (e *Engine) Personal(ctx context.Context, appID string) (Personal, error) {
	var p Personal
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		a, err := tx.Application(appID)
		if err := storeErr(err, "application", appID); err != nil {
			return err
		}
		cand, err := tx.Candidate(a.Candidate)
		if err := storeErr(err, "candidate", a.Candidate); err != nil {
			return err
		}
		raw, err := e.cfg.Vault.Open(cand.Sealed, "candidate:"+cand.ID)
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &p)
	})
	return p, err
}

// Notifications lists an application's inbox.
func (e *Engine) Notifications(ctx context.Context, appID string) ([]Notification, error) {
	var out []Notification
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Notifications(appID)
		return err
	})
	return out, err
}
