// Package httpapi is the competition workflow's JSON API (described in
// docs/api/openapi.yaml): HR's competitions, applications, documents,
// reviews, overdue items, the commission and the notices; the public
// list of open competitions and the application form; the candidate's
// cabinet (inbox, documents, completing a package) by cabinet token.
// Personal data leaves only through the HR and administrator routes
// (p.74-1); everyone else gets PINs.
package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
	"kuzet.kz/kuzet/server/workflow"
)

// Config wires the module.
type Config struct {
	Engine    *workflow.Engine
	Accounts  workflow.Accounts
	Store     *store.Store
	Catalogue *i18n.Catalogue
	// PDFFont is the TrueType font of the results PDF (DefaultPDFFont when
	// empty): it must have the Kazakh and Russian letters.
	PDFFont string
	// PublicURL is where candidates reach the server (for join links).
	PublicURL string
	Logger    *slog.Logger
}

// Module registers the workflow's routes.
type Module struct {
	cfg     Config
	e       *workflow.Engine
	applies *web.PerIP
}

// New returns the module.
func New(cfg Config) *Module {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Applications come from the public: bursts of 20 per address, then
	// one every 3 s, enough for a test centre behind one address.
	return &Module{cfg: cfg, e: cfg.Engine, applies: web.NewPerIP(3*time.Second, 20)}
}

// Routes implements web.Module.
func (m *Module) Routes(r *web.Router) error {
	r.Staff("GET /api/bodies", m.wrap(m.bodies))
	r.Staff("GET /api/rulesets", m.wrap(m.rulesets))
	r.Staff("GET /api/commission/accounts", m.wrap(m.commissionAccounts))
	r.Staff("GET /api/proctors", m.wrap(m.proctorAccounts))
	r.Staff("GET /api/competitions", m.wrap(m.list))
	r.Staff("POST /api/competitions", m.wrap(m.create))
	r.Staff("GET /api/competitions/{id}", m.wrap(m.get))
	r.Staff("POST /api/competitions/{id}/publish", m.wrap(m.publish))
	r.Staff("POST /api/competitions/{id}/cancel", m.wrap(m.cancel))
	r.Staff("POST /api/competitions/{id}/start-stages", m.wrap(m.startStages))
	r.Staff("POST /api/competitions/{id}/stages/{kind}/open", m.wrap(m.openStage))
	r.Staff("POST /api/competitions/{id}/interview/notify", m.wrap(m.notifyInterview))
	r.Staff("POST /api/competitions/{id}/commission/propose", m.wrap(m.propose))
	r.Staff("POST /api/competitions/{id}/commission", m.wrap(m.addMember))
	r.Staff("POST /api/competitions/{id}/commission/{account}/remove", m.wrap(m.removeMember))
	r.Staff("POST /api/competitions/{id}/commission/confirm", m.wrap(m.confirm))
	r.Staff("GET /api/competitions/{id}/applications", m.wrap(m.applications))
	r.Staff("GET /api/competitions/{id}/overdue", m.wrap(m.overdue))
	r.Staff("GET /api/competitions/{id}/pins", m.wrap(m.pins))
	r.Staff("GET /api/applications/{id}", m.wrap(m.application))
	r.Staff("POST /api/applications/{id}/review", m.wrap(m.review))
	r.Staff("POST /api/applications/{id}/cabinet", m.wrap(m.reissueCabinet))
	r.Staff("GET /api/applications/{id}/documents/{doc}", m.wrap(m.document))
	r.API("GET /api/open-competitions", authz.Public, m.wrap(m.open))
	r.API("POST /api/competitions/{id}/apply", authz.Public, m.wrap(m.apply))
	r.API("GET /api/cabinet/inbox", authz.Candidate, m.wrap(m.inbox))
	r.API("POST /api/cabinet/documents", authz.Candidate, m.wrap(m.upload))
	r.API("POST /api/cabinet/supplement", authz.Candidate, m.wrap(m.supplement))
	m.stageRoutes(r)
	return nil
}

// wrap turns the engine's refusals into the API's error answers: the
// status by kind, the clause's catalogue key and its arguments.
func (m *Module) wrap(fn web.APIFunc) web.APIFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		var we *workflow.Error
		if errors.As(err, &we) {
			status := map[workflow.ErrKind]int{workflow.KindInvalid: http.StatusBadRequest, workflow.KindConflict: http.StatusConflict,
				workflow.KindNotFound: http.StatusNotFound, workflow.KindTooLarge: http.StatusRequestEntityTooLarge,
				workflow.KindUnauthorized: http.StatusUnauthorized, workflow.KindForbidden: http.StatusForbidden}[we.Kind]
			if status == 0 {
				status = http.StatusBadRequest
			}
			e := web.Errorf(status, string(we.Kind), we.Key, "%s", we.Error())
			e.Args = we.Args
			return e
		}
		return err
	}
}

func actor(r *http.Request) string { return web.Account(r).ID }

// isHR: the roles that see personal data (p.74-1).
func isHR(r *http.Request) bool {
	role := web.Account(r).Role
	return role == store.RoleHR || role == store.RoleAdmin
}

func forbidden() error {
	return web.Errorf(http.StatusForbidden, "forbidden_role", "error.forbidden", "this role may not do this")
}

type bodyView struct {
	ID   string       `json:"id"`
	Name ruleset.Name `json:"name"`
}

func (m *Module) bodies(w http.ResponseWriter, r *http.Request) error {
	out := []bodyView{}
	for _, b := range m.e.Rules().Bodies() {
		out = append(out, bodyView{ID: b.ID, Name: b.Name})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type periodView struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Bodies []string `json:"bodies"`
}

type setView struct {
	ID        string       `json:"id"`
	Title     ruleset.Name `json:"title"`
	Act       string       `json:"act"`
	ValidFrom string       `json:"valid_from"`
	ValidTo   string       `json:"valid_to"`
	Demo      bool         `json:"demo"`
	Periods   []periodView `json:"periods"`
}

func (m *Module) rulesets(w http.ResponseWriter, r *http.Request) error {
	out := []setView{}
	for _, s := range m.e.Rules().Sets() {
		v := setView{ID: s.ID, Title: s.Title, Act: s.Act, ValidFrom: s.ValidFrom.Format(time.DateOnly), ValidTo: s.ValidTo.Format(time.DateOnly), Demo: s.Demo, Periods: []periodView{}}
		for _, p := range s.Periods {
			v.Periods = append(v.Periods, periodView{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Bodies: append([]string{}, p.Bodies...)})
		}
		out = append(out, v)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type accountView struct {
	ID       string     `json:"id"`
	Username string     `json:"username"`
	Role     store.Role `json:"role"`
}

func (m *Module) commissionAccounts(w http.ResponseWriter, r *http.Request) error {
	all, err := m.cfg.Store.Accounts()
	if err != nil {
		return err
	}
	out := []accountView{}
	for _, a := range all {
		if a.Role == store.RoleAssessor || a.Role == store.RoleCommittee {
			out = append(out, accountView{ID: a.ID, Username: a.Username, Role: a.Role})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// proctorAccounts lists the proctors' accounts, for HR to assign them to
// sittings (PUT /api/sittings/{id}/proctors takes their usernames).
func (m *Module) proctorAccounts(w http.ResponseWriter, r *http.Request) error {
	all, err := m.cfg.Store.Accounts()
	if err != nil {
		return err
	}
	out := []accountView{}
	for _, a := range all {
		if a.Role == store.RoleProctor {
			out = append(out, accountView{ID: a.ID, Username: a.Username, Role: a.Role})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// competitionView is a competition with what HR needs to see at once.
type competitionView struct {
	workflow.Competition
	BodyName  ruleset.Name `json:"body_name"`
	ReviewDue time.Time    `json:"review_due"`
	// ReviewLastDay is the last day of the review (p.73), the date a
	// person reads: ReviewDue is the first instant after it.
	ReviewLastDay string         `json:"review_last_day"`
	Counts        map[string]int `json:"counts"`
	Overdue       int            `json:"overdue"`
}

func (m *Module) view(r *http.Request, c workflow.Competition) (competitionView, error) {
	due := m.e.ReviewDue(c)
	v := competitionView{Competition: c, ReviewDue: due, ReviewLastDay: due.Add(-time.Nanosecond).In(calendar.Zone).Format("2006-01-02"), Counts: map[string]int{}}
	if b, ok := m.e.Rules().Body(c.Body); ok {
		v.BodyName = b.Name
	}
	apps, err := m.e.Applications(r.Context(), c.ID)
	if err != nil {
		return v, err
	}
	for _, a := range apps {
		v.Counts[string(a.Status)]++
	}
	od, err := m.e.Overdue(r.Context(), c.ID)
	v.Overdue = len(od)
	return v, err
}

func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	all, err := m.e.Competitions(r.Context())
	if err != nil {
		return err
	}
	out := []competitionView{}
	for _, c := range all {
		v, err := m.view(r, c)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) reply(w http.ResponseWriter, r *http.Request, status int, c workflow.Competition, err error) error {
	if err != nil {
		return err
	}
	v, err := m.view(r, c)
	if err != nil {
		return err
	}
	web.WriteJSON(w, status, v)
	return nil
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) error {
	var in workflow.NewCompetition
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	if in.Stages == nil {
		in.Stages = []workflow.Stage{}
	}
	c, err := m.e.Create(r.Context(), actor(r), in)
	return m.reply(w, r, http.StatusCreated, c, err)
}

func (m *Module) get(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.Competition(r.Context(), r.PathValue("id"))
	return m.reply(w, r, http.StatusOK, c, err)
}

func (m *Module) publish(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.Publish(r.Context(), actor(r), r.PathValue("id"))
	return m.reply(w, r, http.StatusOK, c, err)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (m *Module) cancel(w http.ResponseWriter, r *http.Request) error {
	var req reasonRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	c, err := m.e.Cancel(r.Context(), actor(r), r.PathValue("id"), req.Reason)
	return m.reply(w, r, http.StatusOK, c, err)
}

func (m *Module) startStages(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.StartStages(r.Context(), actor(r), r.PathValue("id"))
	return m.reply(w, r, http.StatusOK, c, err)
}

type countResponse struct {
	Count int `json:"count"`
}

func (m *Module) openStage(w http.ResponseWriter, r *http.Request) error {
	n, err := m.e.OpenStage(r.Context(), actor(r), r.PathValue("id"), workflow.StageKind(r.PathValue("kind")))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, countResponse{Count: n})
	return nil
}

func (m *Module) notifyInterview(w http.ResponseWriter, r *http.Request) error {
	n, err := m.e.NotifyInterview(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, countResponse{Count: n})
	return nil
}

type proposeRequest struct {
	Count int `json:"count"`
}

func (m *Module) propose(w http.ResponseWriter, r *http.Request) error {
	var req proposeRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	c, err := m.e.Propose(r.Context(), m.cfg.Accounts, actor(r), r.PathValue("id"), req.Count)
	return m.reply(w, r, http.StatusOK, c, err)
}

type memberRequest struct {
	Account string              `json:"account"`
	Role    workflow.MemberRole `json:"role"`
}

func (m *Module) addMember(w http.ResponseWriter, r *http.Request) error {
	var req memberRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	c, err := m.e.AddMember(r.Context(), m.cfg.Accounts, actor(r), r.PathValue("id"), req.Account, req.Role)
	return m.reply(w, r, http.StatusOK, c, err)
}

type removeRequest struct {
	Grounds string `json:"grounds"`
	Reason  string `json:"reason"`
}

func (m *Module) removeMember(w http.ResponseWriter, r *http.Request) error {
	var req removeRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	c, err := m.e.Remove(r.Context(), actor(r), r.PathValue("id"), r.PathValue("account"), req.Grounds, req.Reason)
	return m.reply(w, r, http.StatusOK, c, err)
}

func (m *Module) confirm(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.Confirm(r.Context(), actor(r), r.PathValue("id"))
	return m.reply(w, r, http.StatusOK, c, err)
}

// applicationView is an application as HR sees it, personal data included.
type applicationView struct {
	workflow.Application
	Personal      workflow.Personal  `json:"personal"`
	Lacking       []string           `json:"lacking"`
	Notifications []notificationView `json:"notifications,omitempty"`
	Stages        []sittingView      `json:"stages"`
	// These shadow the stored fields of the same JSON name so they never
	// leave the server: the sealed join tokens and the cabinet hash. (A
	// field tagged "-" would not: encoding/json skips it and then emits
	// the embedded field; a nil pointer with omitempty hides it.)
	Sittings    *struct{} `json:"sittings,omitempty"`
	CabinetHash *struct{} `json:"cabinet_hash,omitempty"`
}

type sittingView struct {
	Stage   workflow.StageKind `json:"stage"`
	Sitting string             `json:"sitting"`
}

func sittingsOf(a workflow.Application) []sittingView {
	out := []sittingView{}
	for _, s := range a.Sittings {
		out = append(out, sittingView{Stage: s.Stage, Sitting: s.Sitting})
	}
	return out
}

func (m *Module) appView(r *http.Request, a workflow.Application, c workflow.Competition) (applicationView, error) {
	p, err := m.e.Personal(r.Context(), a.ID)
	if err != nil {
		return applicationView{}, err
	}
	v := applicationView{Application: a, Personal: p, Lacking: workflow.Lacking(c, a), Stages: sittingsOf(a)}
	return v, nil
}

func (m *Module) applications(w http.ResponseWriter, r *http.Request) error {
	if !isHR(r) {
		return forbidden()
	}
	c, err := m.e.Competition(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	apps, err := m.e.Applications(r.Context(), c.ID)
	if err != nil {
		return err
	}
	out := []applicationView{}
	for _, a := range apps {
		v, err := m.appView(r, a, c)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) application(w http.ResponseWriter, r *http.Request) error {
	a, err := m.e.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := m.e.Competition(r.Context(), a.Competition)
	if err != nil {
		return err
	}
	v, err := m.appView(r, a, c)
	if err != nil {
		return err
	}
	ns, err := m.e.Notifications(r.Context(), a.ID)
	if err != nil {
		return err
	}
	v.Notifications = m.render(ns)
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (m *Module) overdue(w http.ResponseWriter, r *http.Request) error {
	od, err := m.e.Overdue(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, od)
	return nil
}

// pinView is what the commission, assessors and proctors know of an
// admitted candidate: the PIN and the sittings (p.74-1).
type pinView struct {
	PIN      string        `json:"pin"`
	Sittings []sittingView `json:"sittings"`
}

func (m *Module) pins(w http.ResponseWriter, r *http.Request) error {
	apps, err := m.e.Applications(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []pinView{}
	for _, a := range apps {
		if a.Status == workflow.AppAdmitted {
			out = append(out, pinView{PIN: a.PIN, Sittings: sittingsOf(a)})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Module) review(w http.ResponseWriter, r *http.Request) error {
	var d workflow.Decision
	if err := web.Decode(r, &d); err != nil {
		return err
	}
	a, err := m.e.Review(r.Context(), actor(r), r.PathValue("id"), d)
	if err != nil {
		return err
	}
	c, err := m.e.Competition(r.Context(), a.Competition)
	if err != nil {
		return err
	}
	v, err := m.appView(r, a, c)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

type tokenResponse struct {
	// Token opens the candidate's cabinet; shown once.
	Token string `json:"token"`
	// Link is the cabinet's address with the token.
	Link string `json:"link"`
}

func (m *Module) cabinetLink(token string) string {
	return strings.TrimRight(m.cfg.PublicURL, "/") + "/cabinet.html#inbox=" + token
}

func (m *Module) reissueCabinet(w http.ResponseWriter, r *http.Request) error {
	tok, err := m.e.ReissueCabinet(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, tokenResponse{Token: tok, Link: m.cabinetLink(tok)})
	return nil
}

// document serves a scan to HR: inline for viewing in the browser, in a
// sandbox so a crafted PDF runs no script in the app's origin.
func (m *Module) document(w http.ResponseWriter, r *http.Request) error {
	a, err := m.e.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d, b, err := m.e.DocumentFile(a.ID, r.PathValue("doc"), a)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", d.Type)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", "inline")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; object-src 'self'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// openView is a competition as the public sees it.
type openView struct {
	ID                 string           `json:"id"`
	Body               string           `json:"body"`
	BodyName           ruleset.Name     `json:"body_name"`
	Position           string           `json:"position"`
	RequiresExperience bool             `json:"requires_experience"`
	Opens              string           `json:"opens"`
	Deadline           string           `json:"deadline"`
	Stages             []workflow.Stage `json:"stages"`
}

func (m *Module) open(w http.ResponseWriter, r *http.Request) error {
	all, err := m.e.Competitions(r.Context())
	if err != nil {
		return err
	}
	out := []openView{}
	for _, c := range all {
		if c.Status != workflow.StatusAccepting {
			continue
		}
		v := openView{ID: c.ID, Body: c.Body, Position: c.Position, RequiresExperience: c.RequiresExperience,
			Opens: c.Opens.Format(time.DateOnly), Deadline: c.Deadline.Format(time.DateOnly), Stages: c.Stages}
		if b, ok := m.e.Rules().Body(c.Body); ok {
			v.BodyName = b.Name
		}
		out = append(out, v)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type appliedResponse struct {
	Application string             `json:"application"`
	Status      workflow.AppStatus `json:"status"`
	Token       string             `json:"token"`
	Link        string             `json:"link"`
}

func (m *Module) apply(w http.ResponseWriter, r *http.Request) error {
	if !m.applies.Allow(r) {
		return web.Errorf(http.StatusTooManyRequests, "rate_limited", "workflow.err.too_many", "too many applications from this address; wait a minute")
	}
	var p workflow.Personal
	if err := web.Decode(r, &p); err != nil {
		return err
	}
	a, err := m.e.Apply(r.Context(), r.PathValue("id"), p, nil)
	if err != nil {
		return err
	}
	m.cfg.Logger.Info("application filed", "competition", a.Application.Competition, "application", a.Application.ID)
	web.WriteJSON(w, http.StatusCreated, appliedResponse{Application: a.Application.ID, Status: a.Application.Status, Token: a.Token, Link: m.cabinetLink(a.Token)})
	return nil
}

func bearer(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(t)
}

// notificationView is a notification with its text in every language.
type notificationView struct {
	ID   string               `json:"id"`
	Key  string               `json:"key"`
	Args map[string]string    `json:"args"`
	Time time.Time            `json:"time"`
	Text map[i18n.Lang]string `json:"text"`
}

// render gives each notification in kk, ru and en.
func (m *Module) render(ns []workflow.Notification) []notificationView {
	out := []notificationView{}
	for _, n := range ns {
		v := notificationView{ID: n.ID, Key: n.Key, Args: n.Args, Time: n.Time, Text: map[i18n.Lang]string{}}
		for _, l := range i18n.Langs() {
			v.Text[l] = m.cfg.Catalogue.Text(l, i18n.Key(n.Key), i18n.Args(n.Args))
		}
		out = append(out, v)
	}
	return out
}

type docView struct {
	ID         string           `json:"id"`
	Kind       workflow.DocKind `json:"kind"`
	Type       string           `json:"type"`
	Size       int64            `json:"size"`
	Added      time.Time        `json:"added"`
	Supplement bool             `json:"supplement"`
}

type joinView struct {
	Stage workflow.StageKind `json:"stage"`
	Link  string             `json:"link"`
}

type inboxView struct {
	Application struct {
		ID            string             `json:"id"`
		Status        workflow.AppStatus `json:"status"`
		PIN           string             `json:"pin"`
		Missing       []string           `json:"missing"`
		Reason        string             `json:"reason"`
		SupplementDue *time.Time         `json:"supplement_due,omitempty"`
		Documents     []docView          `json:"documents"`
		Lacking       []string           `json:"lacking"`
	} `json:"application"`
	Competition   openView           `json:"competition"`
	Notifications []notificationView `json:"notifications"`
	Join          []joinView         `json:"join"`
}

func (m *Module) inbox(w http.ResponseWriter, r *http.Request) error {
	a, c, ns, err := m.e.Cabinet(r.Context(), bearer(r))
	if err != nil {
		return err
	}
	var v inboxView
	v.Application.ID, v.Application.Status, v.Application.PIN = a.ID, a.Status, a.PIN
	v.Application.Missing, v.Application.Reason, v.Application.SupplementDue = a.Missing, a.Reason, a.SupplementDue
	v.Application.Lacking = workflow.Lacking(c, a)
	v.Application.Documents = []docView{}
	for _, d := range a.Documents {
		v.Application.Documents = append(v.Application.Documents, docView{ID: d.ID, Kind: d.Kind, Type: d.Type, Size: d.Size, Added: d.Added, Supplement: d.Supplement})
	}
	v.Competition = openView{ID: c.ID, Body: c.Body, Position: c.Position, RequiresExperience: c.RequiresExperience,
		Opens: c.Opens.Format(time.DateOnly), Deadline: c.Deadline.Format(time.DateOnly), Stages: c.Stages}
	if b, ok := m.e.Rules().Body(c.Body); ok {
		v.Competition.BodyName = b.Name
	}
	v.Notifications = m.render(ns)
	v.Join = []joinView{}
	for _, s := range a.Sittings {
		tok, err := m.e.JoinToken(s)
		if err != nil {
			return err
		}
		v.Join = append(v.Join, joinView{Stage: s.Stage, Link: strings.TrimRight(m.cfg.PublicURL, "/") + "/join#token=" + tok})
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (m *Module) upload(w http.ResponseWriter, r *http.Request) error {
	a, _, _, err := m.e.Cabinet(r.Context(), bearer(r))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, workflow.MaxDocumentBytes+1))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "the upload was cut off: send the file again")
	}
	d, err := m.e.AddDocument(r.Context(), a.ID, workflow.Upload{Kind: workflow.DocKind(r.URL.Query().Get("kind")), Data: data})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, docView{ID: d.ID, Kind: d.Kind, Type: d.Type, Size: d.Size, Added: d.Added, Supplement: d.Supplement})
	return nil
}

func (m *Module) supplement(w http.ResponseWriter, r *http.Request) error {
	a, _, _, err := m.e.Cabinet(r.Context(), bearer(r))
	if err != nil {
		return err
	}
	a, err = m.e.Supplement(r.Context(), a.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"status": a.Status, "recheck_due": a.RecheckDue})
	return nil
}
