// Package consent is the candidate's consent to proctoring, asked before
// anything is captured (issue 13): the candidate page shows the notice —
// what the agent records (camera, microphone, screen, the process list,
// the audio devices), which rule of p.10 each serves, who sees it
// (proctors by PIN only, p.74-1; auditors; HR alone sees the ID document)
// and how long it is kept (the server's -retention) — and the candidate
// agrees or refuses. The decision is a record in the sitting's feed and
// the audit log, and goes to the agent, which captures nothing until it
// is given. Refusing can be changed to agreeing while the sitting is open;
// an agreement stands for the sitting (to stop, the candidate leaves the
// stage, which the proctor sees). The page's other answer lives here too:
// "I have read it" for a proctor's message or warning (ack.go).
package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// Version names the notice's wording: the catalogue texts consent.*.
// Change it with them, so a logged decision names what was read.
const Version = "2026-12-1"

// Notice is the consent notice for recordings kept for retention.
func Notice(retention time.Duration) protocol.ConsentNotice {
	n := protocol.ConsentNotice{
		Items: []protocol.ConsentItem{
			{What: "camera", Rules: []protocol.RuleID{protocol.Rule10_1, protocol.Rule10_2, protocol.Rule10_3, protocol.Rule10_4, protocol.Rule10_5, protocol.Rule10_6, protocol.Rule10_7}},
			{What: "microphone", Rules: []protocol.RuleID{protocol.Rule10_2, protocol.Rule10_8}},
			{What: "screen", Rules: []protocol.RuleID{protocol.Rule10_11}},
			{What: "processes", Rules: []protocol.RuleID{protocol.Rule10_9}},
			{What: "audio_devices", Rules: []protocol.RuleID{protocol.Rule10_10}},
		},
		RetentionDays: int(retention / (24 * time.Hour)),
		Version:       Version,
	}
	raw, _ := json.Marshal(struct {
		Items     []protocol.ConsentItem `json:"items"`
		Retention int                    `json:"retention_days"`
		Version   string                 `json:"version"`
	}{n.Items, n.RetentionDays, n.Version})
	sum := sha256.Sum256(raw)
	n.Digest = hex.EncodeToString(sum[:])
	return n
}

// Recorder stores an action in a sitting's feed and the audit log
// (ingest.Ingest); a consent record also sets the sitting's Consent in
// the same transaction (store.AppendActionTx).
type Recorder interface {
	Action(id protocol.SittingID, a protocol.Action) (protocol.Record, error)
}

// Agents delivers a command to a sitting's connected agent (agentlink).
type Agents interface {
	Command(id protocol.SittingID, cmd *protocol.Command) error
	Connected(id protocol.SittingID) bool
}

// Config holds the module's parts.
type Config struct {
	Store     *store.Store
	Ingest    Recorder
	Agents    Agents
	Retention time.Duration
	Log       *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Module serves POST /v1/consent.
type Module struct {
	cfg    Config
	notice protocol.ConsentNotice
	// mu makes read-then-record one step, so a double click records one
	// decision.
	mu sync.Mutex
}

var _ web.Module = (*Module)(nil)

// New returns the module.
func New(cfg Config) *Module {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Module{cfg: cfg, notice: Notice(cfg.Retention)}
}

// Notice is the notice this server shows.
func (m *Module) Notice() protocol.ConsentNotice { return m.notice }

// Routes implements web.Module.
func (m *Module) Routes(r *web.Router) error {
	r.API("GET /v1/consent", authz.Candidate, m.get)
	r.API("POST /v1/consent", authz.Candidate, m.decide)
	r.API("POST /v1/acknowledge", authz.Candidate, m.acknowledge)
	return nil
}

// View is GET /v1/consent: the notice to read and the decision so far.
type View struct {
	Notice  protocol.ConsentNotice `json:"notice"`
	Consent protocol.ConsentState  `json:"consent"`
}

// sitting is the sitting whose page token the request carries.
func (m *Module) sitting(r *http.Request) (store.Sitting, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return store.Sitting{}, web.Errorf(http.StatusUnauthorized, "unauthorized", "consent.err.link", "send the page's token as \"Authorization: Bearer …\"; open the page from the link the agent opened")
	}
	st, err := m.cfg.Store.SittingByPageTokenHash(auth.TokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return st, web.Errorf(http.StatusUnauthorized, "unauthorized", "consent.err.link", "this page's link is not valid any more: open the link the agent opened last")
	}
	return st, err
}

// get serves the notice and the sitting's consent to its page.
func (m *Module) get(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, View{Notice: m.notice, Consent: st.ConsentState()})
	return nil
}

// Record logs consent given for a sitting by someone other than its
// candidate page — the demo's synthetic candidate — with actor as who.
// A sitting that has consent already is left as it is.
func (m *Module) Record(id protocol.SittingID, actor, lang string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.cfg.Store.Sitting(id)
	if err != nil || (st.Consent != nil && st.Consent.Given) {
		return err
	}
	aid, err := auth.NewID("c-")
	if err != nil {
		return err
	}
	_, err = m.cfg.Ingest.Action(id, protocol.Action{ID: aid, Kind: protocol.ActionConsent, Time: m.cfg.Now().UTC(), Actor: actor, Note: store.ConsentNote(m.notice.Digest, lang)})
	return err
}

// decide records the candidate's decision, sent by the candidate page
// with its page token ("Authorization: Bearer …").
func (m *Module) decide(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	var d protocol.ConsentDecision
	if err := web.Decode(r, &d); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "%v", err)
	}
	if d.Notice != m.notice.Digest {
		return web.Errorf(http.StatusConflict, "notice_changed", "consent.err.notice_changed", "the consent notice changed since the page showed it: reload the page and read it again")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err = m.cfg.Store.Sitting(st.ID)
	if err != nil {
		return err
	}
	if st.State == protocol.StateEnded {
		return web.Errorf(http.StatusConflict, "sitting_ended", "consent.err.ended", "the sitting has ended; nothing more is recorded for it")
	}
	switch {
	case st.Consent != nil && st.Consent.Given == d.Given:
		// The same decision again (a reload, a double click): as it stands.
		web.WriteJSON(w, http.StatusOK, st.ConsentState())
		return nil
	case st.Consent != nil && st.Consent.Given:
		return web.Errorf(http.StatusConflict, "consent_given", "consent.err.given", "consent was given for this sitting and the recording has started; to stop, leave the stage: the proctor sees it and the stage ends for you")
	}
	aid, err := auth.NewID("c-")
	if err != nil {
		return err
	}
	kind := protocol.ActionConsentDeclined
	if d.Given {
		kind = protocol.ActionConsent
	}
	now := m.cfg.Now().UTC()
	if _, err := m.cfg.Ingest.Action(st.ID, protocol.Action{ID: aid, Kind: kind, Time: now, Actor: "candidate", Note: store.ConsentNote(d.Notice, d.Lang)}); err != nil {
		return err
	}
	if st, err = m.cfg.Store.Sitting(st.ID); err != nil {
		return err
	}
	given := "false"
	if d.Given {
		given = "true"
	}
	if m.cfg.Agents != nil && m.cfg.Agents.Connected(st.ID) {
		cmd := &protocol.Command{ID: aid, Kind: protocol.CommandConsent, Args: map[string]string{"given": given}, Time: now}
		if err := m.cfg.Agents.Command(st.ID, cmd); err != nil {
			// The agent reads the decision in its next welcome.
			m.cfg.Log.Info("consent not delivered to the agent", "sitting", st.ID, "err", err)
		}
	}
	web.WriteJSON(w, http.StatusOK, st.ConsentState())
	return nil
}
