// Package replay is the auditor's side of a sitting and the candidate's
// appeal, as a web.Module (issue 6).
//
// For the auditor (and, read-only, the administrator): find a sitting by
// PIN, read its whole timeline — the agent's events as spans per rule
// (10.1–10.11), the proctor's actions, evidence, the recording segments
// with their times, the verdict and any appeal — stream the recordings with
// Range requests so the browser can seek, fetch the signed checkpoint and
// the inclusion proof of every entry of the sitting, and have the server
// verify the sitting against a signed checkpoint: "verified against
// checkpoint N", or the first entry at fault and why.
//
// For the candidate: a cabinet, opened with the sitting token the candidate
// was given for the stage, that shows the published verdict (by PIN only,
// p.74-1) and takes one appeal within the appeal period (default three
// working days after publication). The auditor decides the appeal, upheld
// or overturned, with reasons; filing and decision are appended to the
// audit log (audit.KindAppeal) in the same transaction that stores them,
// and an overturned verdict makes the sitting's effective verdict clean,
// which is what the workflow reads (p.115: the essay is graded).
package replay

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// Errors of the replay module. Handlers turn them into HTTP answers with
// a catalogue key; callers test for them with errors.Is.
var (
	// ErrConfig means a Config field is out of range.
	ErrConfig = errors.New("replay: invalid configuration")
	// ErrNoVerdict: no verdict was published for the sitting yet, so there
	// is nothing to appeal.
	ErrNoVerdict = errors.New("no verdict has been published for this sitting yet")
	// ErrCleanVerdict: the verdict found no violation; it blocks nothing,
	// so there is nothing to appeal.
	ErrCleanVerdict = errors.New("the verdict found no violation; there is nothing to appeal")
	// ErrAppealPeriodOver: the appeal period ended.
	ErrAppealPeriodOver = errors.New("the appeal period has ended")
	// ErrAppealFiled: the sitting has an appeal already; a verdict is
	// appealed once.
	ErrAppealFiled = errors.New("an appeal against this verdict has already been filed")
	// ErrNoAppeal: the sitting has no appeal to decide.
	ErrNoAppeal = errors.New("no appeal has been filed for this sitting")
	// ErrAppealDecided: the appeal was decided already; a decision is final.
	ErrAppealDecided = errors.New("the appeal has already been decided")
	// ErrBadAppeal: the appeal's text or the decision's reasons are
	// missing or too long.
	ErrBadAppeal = errors.New("invalid appeal")
)

// DefaultAppealDays is the appeal period in working days after the day the
// verdict was published, when Config.AppealDays is zero. Three working days
// is the period the competition rules give for a candidate's answers to the
// HR service (p.73) and keeps essay grading (p.115) waiting at most a week.
const DefaultAppealDays = 3

// MaxAppealText caps an appeal's text and a decision's reasons, in bytes.
const MaxAppealText = 8000

// Config wires the module.
type Config struct {
	// Store holds sittings, their records and (in its own bucket, in the
	// same file) the appeals.
	Store *store.Store
	// Log is the audit log; appeals are appended to it.
	Log *audit.Log
	// DataDir is the server's data directory: the log's file paths are
	// relative to it.
	DataDir string
	// AuditKeys is the directory of the log's keys, whose public key
	// verification reads (kuzet-server -audit-keys); empty means
	// audit.KeysDir(DataDir, "").
	AuditKeys string
	// Catalogue renders verification problems in kk, ru and en.
	Catalogue *i18n.Catalogue
	// AppealDays is the appeal period in working days (default
	// DefaultAppealDays; 1 to 30).
	AppealDays int
	// Calendar says which days are working days (nil: the shipped
	// calendar, server/calendar).
	Calendar *calendar.Calendar
	// Logger receives the module's problems; never personal data.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Module serves the replay, verification, cabinet and appeal routes.
type Module struct {
	cfg Config
	log *slog.Logger
	cal *calendar.Calendar

	// limits counts failed cabinet logins per client.
	limits *web.PerIP
}

var _ web.Module = (*Module)(nil)

// New checks cfg and returns the module. It creates the appeals bucket.
func New(cfg Config) (*Module, error) {
	if cfg.Store == nil || cfg.Log == nil || cfg.Catalogue == nil || cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: Store, Log, Catalogue and DataDir are required", ErrConfig)
	}
	if cfg.AppealDays == 0 {
		cfg.AppealDays = DefaultAppealDays
	}
	if cfg.AppealDays < 1 || cfg.AppealDays > 30 {
		return nil, fmt.Errorf("%w: AppealDays %d: use 1 to 30 working days", ErrConfig, cfg.AppealDays)
	}
	cal := cfg.Calendar
	if cal == nil {
		var err error
		if cal, err = calendar.Load(""); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := createBuckets(cfg.Store); err != nil {
		return nil, err
	}
	return &Module{cfg: cfg, log: cfg.Logger, cal: cal, limits: web.NewPerIP(6*time.Second, 10)}, nil
}

// Routes registers the module's routes; each is in server/authz.
func (m *Module) Routes(r *web.Router) error {
	r.Staff("GET /api/replay/sittings", m.search)
	r.Staff("GET /api/replay/sittings/{id}", m.timeline)
	r.Staff("GET /api/replay/sittings/{id}/recordings/{name}", m.recording)
	r.Staff("GET /api/replay/sittings/{id}/proofs", m.proofs)
	r.Staff("GET /api/replay/sittings/{id}/verify", m.verify)
	r.Staff("GET /api/replay/checkpoint", m.checkpoint)
	r.Staff("POST /api/replay/sittings/{id}/appeal/decision", m.decide)
	r.Handle("GET /api/cabinet", authz.Candidate, m.candidateAPI(m.cabinet))
	r.Handle("POST /api/cabinet/appeal", authz.Candidate, m.candidateAPI(m.fileAppeal))
	return nil
}

// now is the module's clock.
func (m *Module) now() time.Time { return m.cfg.Now() }

// candidateAPI turns a handler's error into the same JSON error answer the
// staff routes give (web's writeError), for the candidate's routes, which
// web.Router registers as plain handlers.
func (m *Module) candidateAPI(fn web.APIFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var e *web.Error
		if !errors.As(err, &e) {
			m.log.Error("cabinet request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			e = web.Errorf(http.StatusInternalServerError, "internal", string(i18n.Key("error.internal")), "the server failed; try again in a minute")
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]*web.Error{"error": e})
	}
}
