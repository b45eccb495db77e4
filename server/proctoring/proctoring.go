// Package proctoring is what a proctor does to a sitting from the
// dashboard, as a web.Module: ask for a room scan (rule 10.7), send a
// message or a formal warning, pause and resume, end the sitting with a
// reason, review each flag, and publish the verdict (the check results,
// p.115). HR and administrators assign proctors to sittings.
//
// Every action is stored through Ingest (durable, numbered in the sitting's
// feed, published to every watcher, and logged with who and when) before
// it is carried out. Commands go to the agent, if connected, and to the
// candidate's page, which shows them in the candidate's language.
//
// Verdict rules: a verdict is published once, by a proctor assigned to the
// sitting, after the sitting has ended and every flag was reviewed (see
// package assess for what a flag is). A clean verdict is refused while a
// flag stands confirmed; a violation names the rules broken and, as its
// evidence, confirmed flags of exactly those rules.
package proctoring

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/proctoring/assess"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// MaxTextLen caps a message, note or reason, in bytes.
const MaxTextLen = 4 * protocol.MaxTextLen

// MaxProctors caps the proctors assigned to one sitting.
const MaxProctors = 50

// Recorder stores an action as the sitting's next record and publishes it
// (ingest.Ingest).
type Recorder interface {
	Action(id protocol.SittingID, a protocol.Action) (protocol.Record, error)
}

// Agents delivers commands to connected agents (agentlink.Link).
type Agents interface {
	Command(id protocol.SittingID, cmd *protocol.Command) error
	Connected(id protocol.SittingID) bool
	// End closes the agent's channel once the sitting ended (after the
	// commands already sent).
	End(id protocol.SittingID)
}

// Publisher sends a message to a sitting's subscribers, the candidate's
// page among them (hub.Hub).
type Publisher interface {
	Publish(id protocol.SittingID, m protocol.Message)
}

// Assessor reads a sitting's folded records (roster.Roster).
type Assessor interface {
	Read(id protocol.SittingID, fn func(*assess.State)) error
	Changed(id protocol.SittingID)
}

// Config wires the module.
type Config struct {
	Store  *store.Store
	Ingest Recorder
	Agents Agents
	Hub    Publisher
	Roster Assessor
	// Evidence, if set, deletes a sitting's uncited evidence files when
	// the sitting ends (ingest.Ingest).
	Evidence interface {
		DropUncited(id protocol.SittingID) (int, error)
	}
	// Reassigned, if set, is told after a sitting's proctors changed, so
	// open dashboards can re-check what they may see.
	Reassigned func(id protocol.SittingID)
	Log        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Module serves the proctor's actions.
type Module struct {
	cfg Config
	log *slog.Logger
	// mu makes each check-then-act (pause, review, verdict…) one step, so
	// two proctors clicking at once cannot both publish a verdict.
	mu sync.Mutex
}

var _ web.Module = (*Module)(nil)

// New returns the module.
func New(cfg Config) *Module {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Module{cfg: cfg, log: cfg.Log}
}

// Routes registers the module's routes (each is in server/authz).
func (m *Module) Routes(r *web.Router) error {
	r.Staff("POST /api/sittings/{id}/room-scan", m.roomScan)
	r.Staff("POST /api/sittings/{id}/message", m.message)
	r.Staff("POST /api/sittings/{id}/warning", m.warning)
	r.Staff("POST /api/sittings/{id}/pause", m.pause)
	r.Staff("POST /api/sittings/{id}/resume", m.resume)
	r.Staff("POST /api/sittings/{id}/end", m.end)
	r.Staff("POST /api/sittings/{id}/flags/{n}/review", m.review)
	r.Staff("POST /api/sittings/{id}/verdict", m.publish)
	r.Staff("GET /api/sittings/{id}/verdict", m.getVerdict)
	r.Staff("PUT /api/sittings/{id}/proctors", m.assign)
	r.Staff("GET /api/sittings/{id}/proctors", m.getProctors)
	return nil
}

// ---- errors ----

func errNotAssigned() error {
	return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("dashboard.error.not_assigned")),
		"no such sitting among those assigned to you")
}

func errEnded() error {
	return web.Errorf(http.StatusConflict, "sitting_ended", string(i18n.Key("dashboard.error.ended")),
		"the sitting has ended; only flag reviews and the verdict remain")
}

func errPublished() error {
	return web.Errorf(http.StatusConflict, "verdict_published", string(i18n.Key("dashboard.error.verdict_published")),
		"the check results of this sitting are already published; only an appeal can change them")
}

func invalid(key i18n.Key, format string, args ...any) error {
	return web.Errorf(http.StatusBadRequest, "invalid", string(key), format, args...)
}

func conflict(code string, key i18n.Key, format string, args ...any) error {
	return web.Errorf(http.StatusConflict, code, string(key), format, args...)
}

// text checks a proctor's words: trimmed, valid UTF-8, within MaxTextLen.
func text(s string, required bool, key i18n.Key, what string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", invalid(key, "write the %s", what)
	case !utf8.ValidString(s):
		return "", invalid(i18n.Key("dashboard.error.text_invalid"), "the %s is not valid UTF-8 text", what)
	case len(s) > MaxTextLen:
		return "", invalid(i18n.Key("dashboard.error.text_long"), "the %s is over %d bytes; shorten it", what, MaxTextLen)
	}
	return s, nil
}

// ---- helpers ----

// targetRequest is target, then the request's JSON body.
func targetRequest[R any](m *Module, r *http.Request) (store.Sitting, store.Account, R, error) {
	var req R
	st, acct, err := m.target(r)
	if err != nil {
		return st, acct, req, err
	}
	err = web.Decode(r, &req)
	return st, acct, req, err
}

// target loads the sitting of the request and checks that the caller is a
// proctor assigned to it. Another proctor's sitting reads as not found.
func (m *Module) target(r *http.Request) (store.Sitting, store.Account, error) {
	acct := web.Account(r)
	id := protocol.SittingID(r.PathValue("id"))
	if len(id) == 0 || len(id) > protocol.MaxIDLen {
		return store.Sitting{}, acct, errNotAssigned()
	}
	st, err := m.cfg.Store.Sitting(id)
	if errors.Is(err, store.ErrNotFound) {
		return st, acct, errNotAssigned()
	}
	if err != nil {
		return st, acct, fmt.Errorf("read sitting %s: %w", id, err)
	}
	if acct.Role != store.RoleProctor || !web.MayView(acct, st) {
		return st, acct, errNotAssigned()
	}
	return st, acct, nil
}

func (m *Module) action(kind protocol.ActionKind, actor string) (protocol.Action, error) {
	id, err := auth.NewID("a-")
	if err != nil {
		return protocol.Action{}, err
	}
	return protocol.Action{ID: id, Kind: kind, Time: m.cfg.Now().UTC(), Actor: actor}, nil
}

// read returns a copy of what the sitting's records add up to.
type folded struct {
	paused  bool
	ended   bool
	verdict *assess.Published
	flags   []assess.Flag
}

func (m *Module) folded(id protocol.SittingID) (folded, error) {
	var f folded
	err := m.cfg.Roster.Read(id, func(s *assess.State) {
		f = folded{paused: s.Paused(), ended: s.Ended(), verdict: s.Verdict(), flags: s.Flags()}
	})
	if err != nil {
		return f, fmt.Errorf("read the records of %s: %w", id, err)
	}
	return f, nil
}

// deliver sends cmd to the sitting's agent, if connected, and to the
// candidate's page. It reports whether the agent took it.
func (m *Module) deliver(id protocol.SittingID, cmd *protocol.Command) bool {
	m.cfg.Hub.Publish(id, cmd)
	if !m.cfg.Agents.Connected(id) {
		return false
	}
	if err := m.cfg.Agents.Command(id, cmd); err != nil {
		m.log.Info("command not delivered to the agent", "sitting", id, "command", cmd.Kind, "err", err)
		return false
	}
	return true
}

// Done is the answer to an action: its record and whether the agent got
// the command that went with it.
type Done struct {
	Record protocol.Record `json:"record"`
	// Agent is true when the sitting's agent received the command.
	Agent bool `json:"agent"`
}

// act records an action and delivers its command (if any).
func (m *Module) act(w http.ResponseWriter, id protocol.SittingID, a protocol.Action, cmd *protocol.Command) error {
	rec, err := m.cfg.Ingest.Action(id, a)
	if err != nil {
		return err
	}
	done := Done{Record: rec}
	if cmd != nil {
		cmd.ID, cmd.Time = a.ID, a.Time
		done.Agent = m.deliver(id, cmd)
	}
	m.log.Info("proctor action", "sitting", id, "action", a.Kind, "record", rec.N, "agent", done.Agent)
	web.WriteJSON(w, http.StatusCreated, done)
	return nil
}

// ---- actions ----

// NoteRequest is the body of room-scan, pause and resume: an optional note.
type NoteRequest struct {
	Note string `json:"note"`
}

// TextRequest is the body of message and warning.
type TextRequest struct {
	// Rule is the clause a warning cites.
	Rule protocol.RuleID `json:"rule,omitempty"`
	Text string          `json:"text"`
}

// EndRequest is the body of end.
type EndRequest struct {
	Reason string `json:"reason"`
}

func (m *Module) roomScan(w http.ResponseWriter, r *http.Request) error {
	st, acct, req, err := targetRequest[NoteRequest](m, r)
	if err != nil {
		return err
	}
	note, err := text(req.Note, false, "", "note")
	if err != nil {
		return err
	}
	if st.State == protocol.StateEnded {
		return errEnded()
	}
	// A room scan needs the agent: it measures the turn (rule 10.7).
	if !m.cfg.Agents.Connected(st.ID) {
		return conflict("agent_offline", i18n.Key("dashboard.error.agent_offline"),
			"the candidate's agent is not connected; ask again when it is back")
	}
	a, err := m.action(protocol.ActionRoomScan, acct.Username)
	if err != nil {
		return err
	}
	a.Rule, a.Note = protocol.Rule10_7, note
	return m.act(w, st.ID, a, &protocol.Command{Kind: protocol.CommandRoomScan, Rule: protocol.Rule10_7,
		Key: string(i18n.Key("dashboard.cmd.room_scan"))})
}

func (m *Module) message(w http.ResponseWriter, r *http.Request) error {
	st, acct, req, err := targetRequest[TextRequest](m, r)
	if err != nil {
		return err
	}
	if req.Rule != "" {
		return invalid(i18n.Key("dashboard.error.bad_rule"), "a message cites no rule; send a warning to cite one")
	}
	msg, err := text(req.Text, true, i18n.Key("dashboard.error.text_required"), "message")
	if err != nil {
		return err
	}
	if st.State == protocol.StateEnded {
		return errEnded()
	}
	a, err := m.action(protocol.ActionMessage, acct.Username)
	if err != nil {
		return err
	}
	a.Note = msg
	return m.act(w, st.ID, a, &protocol.Command{Kind: protocol.CommandMessage, Text: msg})
}

func (m *Module) warning(w http.ResponseWriter, r *http.Request) error {
	st, acct, req, err := targetRequest[TextRequest](m, r)
	if err != nil {
		return err
	}
	if !req.Rule.Valid() {
		return invalid(i18n.Key("dashboard.error.bad_rule"), "a warning cites the clause of p.10 that was broken (10.1 … 10.11), not %q", req.Rule)
	}
	msg, err := text(req.Text, false, "", "warning")
	if err != nil {
		return err
	}
	if st.State == protocol.StateEnded {
		return errEnded()
	}
	a, err := m.action(protocol.ActionWarning, acct.Username)
	if err != nil {
		return err
	}
	a.Rule, a.Note = req.Rule, msg
	// The candidate reads the rule's own "what to do" in their language,
	// and the proctor's words if any.
	return m.act(w, st.ID, a, &protocol.Command{Kind: protocol.CommandWarning, Rule: req.Rule,
		Key: "rule." + string(req.Rule) + ".fix", Text: msg})
}

func (m *Module) pause(w http.ResponseWriter, r *http.Request) error {
	return m.pauseResume(w, r, true)
}

func (m *Module) resume(w http.ResponseWriter, r *http.Request) error {
	return m.pauseResume(w, r, false)
}

func (m *Module) pauseResume(w http.ResponseWriter, r *http.Request, pause bool) error {
	st, acct, req, err := targetRequest[NoteRequest](m, r)
	if err != nil {
		return err
	}
	note, err := text(req.Note, false, "", "note")
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := m.folded(st.ID)
	if err != nil {
		return err
	}
	switch {
	case st.State == protocol.StateEnded || f.ended:
		return errEnded()
	case pause && f.paused:
		return conflict("paused", i18n.Key("dashboard.error.already_paused"), "the sitting is paused already")
	case !pause && !f.paused:
		return conflict("not_paused", i18n.Key("dashboard.error.not_paused"), "the sitting is not paused")
	}
	kind, cmd := protocol.ActionResume, &protocol.Command{Kind: protocol.CommandResume, Key: string(i18n.Key("dashboard.cmd.resume"))}
	if pause {
		kind, cmd = protocol.ActionPause, &protocol.Command{Kind: protocol.CommandPause, Key: string(i18n.Key("dashboard.cmd.pause"))}
	}
	a, err := m.action(kind, acct.Username)
	if err != nil {
		return err
	}
	a.Note = note
	return m.act(w, st.ID, a, cmd)
}

func (m *Module) end(w http.ResponseWriter, r *http.Request) error {
	st, acct, req, err := targetRequest[EndRequest](m, r)
	if err != nil {
		return err
	}
	reason, err := text(req.Reason, true, i18n.Key("dashboard.error.reason_required"), "reason for ending the sitting")
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := m.folded(st.ID)
	if err != nil {
		return err
	}
	if st.State == protocol.StateEnded || f.ended {
		return errEnded()
	}
	a, err := m.action(protocol.ActionEnd, acct.Username)
	if err != nil {
		return err
	}
	a.Note = reason
	rec, err := m.cfg.Ingest.Action(st.ID, a)
	if err != nil {
		return err
	}
	// The record is the decision; the sitting's state follows it, so an
	// agent cannot connect to it again.
	if _, err := m.cfg.Store.UpdateSitting(st.ID, func(s *store.Sitting) error {
		s.State = protocol.StateEnded
		t := a.Time
		s.Ended = &t
		return nil
	}); err != nil {
		return fmt.Errorf("mark sitting %s ended: %w", st.ID, err)
	}
	m.cfg.Roster.Changed(st.ID)
	cmd := &protocol.Command{ID: a.ID, Kind: protocol.CommandEndSitting, Time: a.Time,
		Key: string(i18n.Key("dashboard.cmd.end")), Args: map[string]string{"reason": reason}}
	done := Done{Record: rec, Agent: m.deliver(st.ID, cmd)}
	m.cfg.Agents.End(st.ID)
	if m.cfg.Evidence != nil {
		if n, err := m.cfg.Evidence.DropUncited(st.ID); err != nil {
			m.log.Error("delete uncited evidence", "sitting", st.ID, "err", err)
		} else if n > 0 {
			m.log.Info("deleted uncited evidence", "sitting", st.ID, "files", n)
		}
	}
	m.log.Info("proctor action", "sitting", st.ID, "action", a.Kind, "record", rec.N, "agent", done.Agent)
	web.WriteJSON(w, http.StatusCreated, done)
	return nil
}

// ---- flags ----

// ReviewRequest is the body of a flag review.
type ReviewRequest struct {
	// Decision is "confirm" (a breach) or "dismiss" (no breach).
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

func (m *Module) review(w http.ResponseWriter, r *http.Request) error {
	st, acct, err := m.target(r)
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(r.PathValue("n"), 10, 64)
	if err != nil || n == 0 {
		return invalid(i18n.Key("dashboard.error.not_a_flag"), "flag %q is not a record number", r.PathValue("n"))
	}
	var req ReviewRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	var kind protocol.ActionKind
	switch req.Decision {
	case "confirm":
		kind = protocol.ActionFlagConfirmed
	case "dismiss":
		kind = protocol.ActionFlagDismissed
	default:
		return invalid(i18n.Key("dashboard.error.bad_decision"), "decision %q is not confirm or dismiss", req.Decision)
	}
	note, err := text(req.Note, true, i18n.Key("dashboard.error.note_required"), "note saying why")
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := m.folded(st.ID)
	if err != nil {
		return err
	}
	if f.verdict != nil || st.Verdict != nil {
		return errPublished()
	}
	i := slices.IndexFunc(f.flags, func(fl assess.Flag) bool { return fl.N == n })
	if i < 0 {
		return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("dashboard.error.not_a_flag")),
			"record %d of this sitting is not a flag (a start or instant event that is not info)", n)
	}
	a, err := m.action(kind, acct.Username)
	if err != nil {
		return err
	}
	a.Target, a.Rule, a.Note = n, f.flags[i].Rule, note
	return m.act(w, st.ID, a, nil)
}

// ---- verdict ----

// VerdictRequest is the body of a verdict.
type VerdictRequest struct {
	Outcome protocol.VerdictOutcome `json:"outcome"`
	// Rules lists the clauses broken (violation only).
	Rules []protocol.RuleID `json:"rules"`
	// Evidence lists confirmed flags, by record number, that show them.
	Evidence []uint64 `json:"evidence"`
	Note     string   `json:"note"`
}

func numbers(ns []uint64) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = "#" + strconv.FormatUint(n, 10)
	}
	return strings.Join(parts, ", ")
}

// Check applies the verdict rules to what a sitting's records add up to
// and returns the verdict to publish (rules and evidence sorted, without
// repeats), or why it cannot be published.
func Check(req VerdictRequest, ended bool, flags []assess.Flag) (protocol.Verdict, error) {
	if !ended {
		return protocol.Verdict{}, conflict("not_ended", i18n.Key("dashboard.error.not_ended"),
			"end the sitting before publishing its check results")
	}
	var open, confirmed []uint64
	byN := map[uint64]assess.Flag{}
	for _, f := range flags {
		byN[f.N] = f
		switch {
		case !f.Reviewed():
			open = append(open, f.N)
		case f.Confirmed():
			confirmed = append(confirmed, f.N)
		}
	}
	if len(open) > 0 {
		return protocol.Verdict{}, conflict("flags_open", i18n.Key("dashboard.error.flags_open"),
			"%d flag(s) are not reviewed yet (%s): confirm or dismiss each before publishing", len(open), numbers(open))
	}
	v := protocol.Verdict{Outcome: req.Outcome}
	switch req.Outcome {
	case protocol.VerdictClean:
		if len(req.Rules) > 0 || len(req.Evidence) > 0 {
			return v, invalid(i18n.Key("dashboard.error.clean_with_rules"), "a clean verdict names no rules and no evidence")
		}
		if len(confirmed) > 0 {
			return v, conflict("flags_confirmed", i18n.Key("dashboard.error.clean_confirmed"),
				"flag(s) %s were confirmed as breaches: publish a violation, or review them again", numbers(confirmed))
		}
		return v, nil
	case protocol.VerdictViolation:
	default:
		return v, invalid(i18n.Key("dashboard.error.bad_outcome"), "outcome %q is not clean or violation", req.Outcome)
	}
	rules := map[protocol.RuleID]bool{}
	for _, id := range req.Rules {
		if !id.Valid() {
			return v, invalid(i18n.Key("dashboard.error.bad_rule"), "%q is not a clause of p.10 (10.1 … 10.11)", id)
		}
		rules[id] = true
	}
	if len(rules) == 0 {
		return v, invalid(i18n.Key("dashboard.error.rules_required"), "a violation names the rules broken")
	}
	supported := map[protocol.RuleID]bool{}
	seen := map[uint64]bool{}
	for _, n := range req.Evidence {
		if seen[n] {
			continue
		}
		seen[n] = true
		f, ok := byN[n]
		if !ok || !f.Confirmed() {
			return v, invalid(i18n.Key("dashboard.error.evidence_not_confirmed"),
				"evidence #%d is not a confirmed flag of this sitting; confirm it first or leave it out", n)
		}
		if !rules[f.Rule] {
			return v, invalid(i18n.Key("dashboard.error.evidence_rule"),
				"evidence #%d is a flag of rule %s, which the verdict does not name", n, f.Rule)
		}
		supported[f.Rule] = true
		v.Evidence = append(v.Evidence, n)
	}
	for id := range rules {
		if !supported[id] {
			return v, invalid(i18n.Key("dashboard.error.rule_unsupported"),
				"rule %s has no confirmed flag among the evidence; add one or leave the rule out", id)
		}
		v.Rules = append(v.Rules, id)
	}
	slices.SortFunc(v.Rules, func(a, b protocol.RuleID) int { return ruleOrder(a) - ruleOrder(b) })
	slices.Sort(v.Evidence)
	return v, nil
}

func ruleOrder(id protocol.RuleID) int {
	return slices.IndexFunc(protocol.Rules(), func(r protocol.Rule) bool { return r.ID == id })
}

func (m *Module) publish(w http.ResponseWriter, r *http.Request) error {
	st, acct, req, err := targetRequest[VerdictRequest](m, r)
	if err != nil {
		return err
	}
	note, err := text(req.Note, false, "", "note")
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read the sitting again under the lock: its state may have changed.
	st, err = m.cfg.Store.Sitting(st.ID)
	if err != nil {
		return err
	}
	f, err := m.folded(st.ID)
	if err != nil {
		return err
	}
	if st.Verdict != nil || f.verdict != nil {
		return errPublished()
	}
	v, err := Check(req, st.State == protocol.StateEnded || f.ended, f.flags)
	if err != nil {
		return err
	}
	a, err := m.action(protocol.ActionVerdict, acct.Username)
	if err != nil {
		return err
	}
	a.Verdict, a.Note = &v, note
	rec, err := m.cfg.Ingest.Action(st.ID, a)
	if err != nil {
		return err
	}
	if err := m.cfg.Store.SetVerdict(st.ID, store.PublishedVerdict{Verdict: v, Record: rec.N, Actor: a.Actor, Time: a.Time}); err != nil {
		// The feed holds the verdict; Reconcile copies it to the sitting
		// at the next start.
		return fmt.Errorf("store the verdict of %s on the sitting (record %d holds it): %w", st.ID, rec.N, err)
	}
	m.cfg.Roster.Changed(st.ID)
	m.log.Info("verdict published", "sitting", st.ID, "record", rec.N, "outcome", v.Outcome)
	web.WriteJSON(w, http.StatusCreated, Done{Record: rec})
	return nil
}

// VerdictState is the answer to GET verdict.
type VerdictState struct {
	// Published is false until a proctor publishes the check results.
	Published bool                    `json:"published"`
	Verdict   *store.PublishedVerdict `json:"verdict,omitempty"`
}

func (m *Module) getVerdict(w http.ResponseWriter, r *http.Request) error {
	acct := web.Account(r)
	st, err := m.cfg.Store.Sitting(protocol.SittingID(r.PathValue("id")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Role == store.RoleProctor && !web.MayView(acct, st)) {
		return errNotAssigned()
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, VerdictState{Published: st.Verdict != nil, Verdict: st.Verdict})
	return nil
}

// Reconcile copies to each sitting a verdict its feed holds but the sitting
// does not (the server stopped between the two writes of a publication).
// Run it once at start.
func (m *Module) Reconcile() error {
	all, err := m.cfg.Store.Sittings()
	if err != nil {
		return fmt.Errorf("list sittings: %w", err)
	}
	for _, st := range all {
		if st.Verdict != nil {
			continue
		}
		f, err := m.folded(st.ID)
		if err != nil {
			return err
		}
		if f.verdict == nil {
			continue
		}
		p := store.PublishedVerdict{Verdict: f.verdict.Verdict, Record: f.verdict.N, Actor: f.verdict.Actor, Time: f.verdict.Time}
		if err := m.cfg.Store.SetVerdict(st.ID, p); err != nil && !errors.Is(err, store.ErrVerdictPublished) {
			return fmt.Errorf("restore the verdict of %s: %w", st.ID, err)
		}
		m.log.Warn("restored a published verdict to its sitting", "sitting", st.ID, "record", p.Record)
	}
	return nil
}

// ---- assignment ----

// Assignment is the body and answer of the proctors routes.
type Assignment struct {
	// Proctors are the usernames of the proctors who watch the sitting.
	Proctors []string `json:"proctors"`
}

func (m *Module) assign(w http.ResponseWriter, r *http.Request) error {
	id := protocol.SittingID(r.PathValue("id"))
	var req Assignment
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	if len(req.Proctors) > MaxProctors {
		return invalid(i18n.Key("dashboard.error.too_many_proctors"), "assign at most %d proctors to one sitting", MaxProctors)
	}
	var ids, names []string
	for _, name := range req.Proctors {
		name = strings.TrimSpace(name)
		acct, err := m.cfg.Store.AccountByUsername(name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Role != store.RoleProctor) {
			return invalid(i18n.Key("dashboard.error.unknown_proctor"), "%q is not a proctor's username", name)
		}
		if err != nil {
			return err
		}
		if !slices.Contains(ids, acct.ID) {
			ids, names = append(ids, acct.ID), append(names, acct.Username)
		}
	}
	if _, err := m.cfg.Store.UpdateSitting(id, func(s *store.Sitting) error {
		s.Proctors = ids
		return nil
	}); err != nil {
		return err
	}
	m.log.Info("proctors assigned", "sitting", id, "by", web.Account(r).ID, "proctors", len(ids))
	if m.cfg.Reassigned != nil {
		m.cfg.Reassigned(id)
	}
	m.cfg.Roster.Changed(id)
	if names == nil {
		names = []string{}
	}
	web.WriteJSON(w, http.StatusOK, Assignment{Proctors: names})
	return nil
}

func (m *Module) getProctors(w http.ResponseWriter, r *http.Request) error {
	st, err := m.cfg.Store.Sitting(protocol.SittingID(r.PathValue("id")))
	if err != nil {
		return err
	}
	names := []string{}
	for _, id := range st.Proctors {
		if acct, err := m.cfg.Store.Account(id); err == nil {
			names = append(names, acct.Username)
		}
	}
	web.WriteJSON(w, http.StatusOK, Assignment{Proctors: names})
	return nil
}
