// Package web is the server's HTTP surface: the JSON API (login, sittings),
// the WebSocket channels (handed to agentlink and feed), the text
// catalogue, health, and the embedded web app. Errors from handlers become
// HTTP responses in one place (writeError), with a code, a catalogue key
// and a message.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/feed"
	"kuzet.kz/kuzet/server/store"
)

// SessionCookie is the name of the staff login cookie.
const SessionCookie = "kuzet_session"

// SessionTTL is how long a login lasts.
const SessionTTL = 12 * time.Hour

// maxBody caps JSON request bodies.
const maxBody = 64 << 10

// Config wires the web server.
type Config struct {
	Store  *store.Store
	Admin  *admin.Admin
	Feed   *feed.Feed
	Agents http.Handler
	// Uploads tells which sitting an agent's upload token belongs to.
	Uploads interface {
		UploadSitting(token string) (protocol.SittingID, bool)
	}
	Evidence *evidence.Store
	// EvidenceLog logs each uploaded file in the audit log.
	EvidenceLog interface {
		EvidenceFile(id protocol.SittingID, sha256 string, size int64, mime string) error
	}
	Catalogue *i18n.Catalogue
	// UI is the built web app; nil or without index.html serves a page
	// that says how to build it.
	UI  fs.FS
	Log *slog.Logger
	// SecureCookies marks cookies Secure (set when serving HTTPS).
	// Behind a TLS-terminating proxy listed in TrustedProxies, a request
	// the proxy says came over HTTPS gets Secure cookies too.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (-trusted-proxies); from anyone
	// else those headers are ignored.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds reading a request's body and writing its
	// answer (default 30 s to read, 5 min to write); UploadTimeout the
	// same for the routes that take files (default 10 min: a 10 MiB scan
	// over a slow link). WebSockets and recordings are exempt.
	RequestTimeout, UploadTimeout time.Duration
	// Health reports whether the server can serve (the store answers).
	Health func() error
	// Stats adds the server's parts' running figures to GET /api/stats.
	Stats func() map[string]any
}

// Server is the HTTP handler.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	logins   *PerIP
	accounts *accountLimit
	checks   *passwordGate
	routes   []string
}

// Module is a feature that adds its routes (the proctor's actions, the
// workflow…). Every route it adds must be in the authorisation table.
type Module interface {
	Routes(r *Router) error
}

// New builds the routes. It fails if a route is missing from the
// authorisation table (server/authz).
func New(cfg Config, modules ...Module) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), logins: NewPerIP(6*time.Second, 10),
		accounts: newAccountLimit(), checks: newPasswordGate(MaxPasswordChecks)}
	// An agent connects a few times a stage and uploads a few files a
	// minute; a whole test centre may share one address (NAT) and start
	// together, hence the large bursts. An agent refused here retries.
	agents := NewPerIP(50*time.Millisecond, 1000)
	uploads := NewPerIP(20*time.Millisecond, 2000)
	r := &Router{s: s}
	r.Public("GET /healthz", s.healthz)
	r.Public("GET /api/i18n", s.catalogue)
	r.PublicAPI("POST /api/login", s.login)
	r.PublicAPI("POST /api/logout", s.logout)
	r.Handle("GET /v1/agent", authz.Agent, s.limit(agents, cfg.Agents))
	r.Handle("POST /v1/evidence/{id}", authz.Agent, s.limit(uploads, s.api(s.uploadEvidence)))
	r.Handle("GET /v1/candidate", authz.Candidate, http.HandlerFunc(cfg.Feed.Candidate))
	r.StaffHandler("GET /v1/view", s.view)
	r.Staff("GET /api/me", s.me)
	r.Staff("POST /api/sittings", s.createSitting)
	r.Staff("GET /api/stats", s.stats)
	r.Staff("POST /api/sittings/{id}/token", s.reissueToken)
	r.Staff("GET /api/sittings/{id}/evidence/{sha}", s.getEvidence)
	r.Handle("GET /", authz.Public, s.ui())
	for _, m := range modules {
		if err := m.Routes(r); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// Router registers routes, each checked against the authorisation table.
type Router struct {
	s   *Server
	err error
}

// passwordSlot takes one of the MaxPasswordChecks slots for an argon2id
// check (64 MiB each), waiting a little; a request that cannot get one is
// told to come back (503 with Retry-After). release must follow.
func (s *Server) passwordSlot(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	if !s.checks.acquire(r.Context(), passwordWait) {
		w.Header().Set("Retry-After", strconv.Itoa(passwordRetryAfter))
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "busy", Key: "login.busy",
			Args: map[string]string{"seconds": strconv.Itoa(passwordRetryAfter)}, Message: fmt.Sprintf("the server is checking many logins; try again in %d s", passwordRetryAfter)}
	}
	return s.checks.release, nil
}

// PasswordSlot is passwordSlot for the modules that check or hash a
// password outside the login (changing one's own password): every
// argon2id run of the server shares the same cap.
func (r *Router) PasswordSlot(w http.ResponseWriter, req *http.Request) (release func(), err error) {
	return r.s.passwordSlot(w, req)
}

// Routes lists what was registered, for the authorisation tests.
func (s *Server) Routes() []string { return s.routes }

func (r *Router) rule(route string, want authz.Principal) (authz.Rule, bool) {
	rule, err := authz.Lookup(route)
	if err == nil && want != "" && !rule.Allows(want) {
		err = fmt.Errorf("route %q is registered for %s, but the authorisation table does not allow %s", route, want, want)
	}
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return rule, false
	}
	r.s.routes = append(r.s.routes, route)
	return rule, true
}

// Handle adds a route for a non-staff principal (public, agent, candidate);
// the handler checks that principal's credential itself.
func (r *Router) Handle(route string, who authz.Principal, h http.Handler) {
	if _, ok := r.rule(route, who); ok {
		r.s.mux.Handle(route, r.s.deadlines(route, h))
	}
}

// API adds a JSON route for a non-staff principal (public, candidate);
// the handler checks that principal's credential itself, and its errors
// become JSON answers as on the staff routes.
func (r *Router) API(route string, who authz.Principal, fn APIFunc) {
	r.Handle(route, who, r.s.api(fn))
}

// Public adds a public route.
func (r *Router) Public(route string, h http.HandlerFunc) { r.Handle(route, authz.Public, h) }

// PublicAPI adds a public JSON route.
func (r *Router) PublicAPI(route string, fn APIFunc) { r.Handle(route, authz.Public, r.s.api(fn)) }

// Staff adds a JSON route for the staff roles the table lists.
func (r *Router) Staff(route string, fn APIFunc) { r.StaffHandler(route, r.s.api(fn)) }

// StaffHandler adds a route (e.g. a WebSocket) for the staff roles the
// table lists.
func (r *Router) StaffHandler(route string, h http.HandlerFunc) {
	rule, ok := r.rule(route, "")
	if !ok {
		return
	}
	roles := rule.StaffRoles()
	if len(roles) == 0 {
		r.err = fmt.Errorf("route %q is registered for staff but the table admits no staff role", route)
		return
	}
	r.s.mux.Handle(route, r.s.deadlines(route, r.s.staff(h, roles...)))
}

// ServeHTTP adds the security headers every response carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// connect-src 'self' covers the same origin's ws: and wss: (CSP 3):
	// a page cannot open a socket to any other server (issue 16, 12).
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c := s.resolveClient(r)
	r = withClient(r, c)
	if s.cfg.SecureCookies || c.secure {
		// Served over HTTPS: browsers keep to it for a year.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// Error is a handler error with its HTTP status, machine code and text.
type Error struct {
	Status int    `json:"-"`
	Code   string `json:"code"`
	Key    string `json:"key,omitempty"`
	// Args fill the {placeholders} of Key's text.
	Args    map[string]string `json:"args,omitempty"`
	Message string            `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Errorf makes a handler error.
func Errorf(status int, code, key, format string, args ...any) *Error {
	return errorf(status, code, key, format, args...)
}

func errorf(status int, code, key, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Key: key, Message: fmt.Sprintf(format, args...)}
}

// writeError is the one place errors become HTTP responses. Unexpected
// errors are logged here, once, and shown to the user only as "internal".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, admin.ErrInvalid):
		e = errorf(http.StatusBadRequest, "invalid", "", "%s", err.Error())
	case errors.Is(err, store.ErrNotFound):
		e = errorf(http.StatusNotFound, "not_found", "", "%s", err.Error())
	case errors.Is(err, store.ErrExists):
		e = errorf(http.StatusConflict, "exists", "", "%s", err.Error())
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = errorf(http.StatusInternalServerError, "internal", "error.internal", "the server failed; try again in a minute")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]*Error{"error": e})
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Decode reads a JSON request body strictly (see decode).
func Decode(r *http.Request, v any) error { return decode(r, v) }

// decode reads a JSON body strictly. Requiring application/json also keeps
// cross-site forms out: a browser sends that type cross-origin only after a
// CORS preflight, which this server never approves.
func decode(r *http.Request, v any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "invalid", "", "send the request body as application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "invalid", "", "request body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "invalid", "", "request body: trailing data after the JSON object")
	}
	return nil
}

// APIFunc is a JSON handler; a returned error becomes the response.
type APIFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) api(fn APIFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

type ctxKey struct{}

// Account returns the logged-in account a staff handler runs for.
func Account(r *http.Request) store.Account { return account(r) }

// account returns the logged-in account a staff handler runs for.
func account(r *http.Request) store.Account {
	a, _ := r.Context().Value(ctxKey{}).(store.Account)
	return a
}

// staff admits a request with a valid login session whose role is one of
// roles (any staff role when none are given).
func (s *Server) staff(next http.HandlerFunc, roles ...store.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acct, err := s.session(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(roles) > 0 {
			ok := false
			for _, role := range roles {
				ok = ok || acct.Role == role
			}
			if !ok {
				s.writeError(w, r, errorf(http.StatusForbidden, "forbidden_role", "error.forbidden", "the %s role may not do this", acct.Role))
				return
			}
		}
		next(w, r.WithContext(contextWith(r, acct)))
	}
}

func (s *Server) session(r *http.Request) (store.Account, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return store.Account{}, errorf(http.StatusUnauthorized, "unauthorized", "error.login_required", "log in first")
	}
	ses, err := s.cfg.Store.Session(auth.TokenHash(c.Value))
	if err != nil || time.Now().After(ses.Expires) {
		return store.Account{}, errorf(http.StatusUnauthorized, "unauthorized", "error.login_required", "your login has expired; log in again")
	}
	switch ses.Ended {
	case "":
	case store.SessionDisabled:
		return store.Account{}, ErrDisabled()
	default:
		// Revoked by an administrator, or the password changed.
		return store.Account{}, errorf(http.StatusUnauthorized, "session_ended", string(i18n.Key("accounts.error.session_ended")),
			"this login was ended (an administrator ended it, or the password was changed); log in again")
	}
	acct, err := s.cfg.Store.Account(ses.Account)
	if err != nil {
		return store.Account{}, errorf(http.StatusUnauthorized, "unauthorized", "error.login_required", "log in again")
	}
	if acct.Disabled {
		// Disabling ends the sessions too (server/accounts); this holds
		// even for one that slipped in between.
		return store.Account{}, ErrDisabled()
	}
	return acct, nil
}

// ErrDisabled is the refusal of a disabled account, at login and on
// every request.
func ErrDisabled() *Error {
	return errorf(http.StatusUnauthorized, "account_disabled", string(i18n.Key("accounts.error.disabled")),
		"this account has been disabled by an administrator; ask an administrator to enable it")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Health != nil {
		if err := s.cfg.Health(); err != nil {
			s.log.Error("health check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) catalogue(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, s.cfg.Catalogue.All())
}

// loginAllowed limits login attempts per client address: bursts of 10,
// then one every 6 s.
func (s *Server) loginAllowed(r *http.Request) bool { return s.logins.Allow(r) }

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type me struct {
	Username string     `json:"username"`
	Role     store.Role `json:"role"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !s.loginAllowed(r) {
		w.Header().Set("Retry-After", "60")
		return errorf(http.StatusTooManyRequests, "rate_limited", "login.too_many", "too many login attempts; wait a minute")
	}
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	username := strings.TrimSpace(req.Username)
	if limited, wait := s.accounts.blocked(username, time.Now()); limited {
		w.Header().Set("Retry-After", retryAfter(wait))
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Key: "login.too_many_account",
			Args: map[string]string{"seconds": retryAfter(wait)}, Message: fmt.Sprintf("too many login attempts for this account; try again in %s s", retryAfter(wait))}
	}
	release, err := s.passwordSlot(w, r)
	if err != nil {
		return err
	}
	defer release()
	bad := errorf(http.StatusUnauthorized, "unauthorized", "login.failed", "wrong username or password")
	acct, err := s.cfg.Store.AccountByUsername(username)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check, so timing does not tell
		// which usernames exist.
		_ = auth.CheckPassword(dummyHash, req.Password)
		s.accounts.failed(username, time.Now())
		return bad
	}
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(acct.PasswordHash, req.Password); err != nil {
		if errors.Is(err, auth.ErrBadPassword) {
			s.accounts.failed(username, time.Now())
			return bad
		}
		return err
	}
	if acct.Disabled {
		// Said only to whoever knows the password.
		return ErrDisabled()
	}
	token, err := auth.NewToken()
	if err != nil {
		return err
	}
	now := time.Now()
	if err := s.cfg.Store.StartSession(auth.TokenHash(token), store.Session{Account: acct.ID, Created: now, Expires: now.Add(SessionTTL)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies || Secure(r), SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)})
	s.log.Info("login", "account", acct.ID, "role", acct.Role)
	writeJSON(w, http.StatusOK, me{Username: acct.Username, Role: acct.Role})
	return nil
}

// dummyHash is checked against when the username does not exist.
const dummyHash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$2m2OJ3mvF1TzKNHkUO8H0wSx1O6rbKqTzVtiz7VxD/I"

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := s.cfg.Store.DeleteSession(auth.TokenHash(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies || Secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a := account(r)
	writeJSON(w, http.StatusOK, me{Username: a.Username, Role: a.Role})
	return nil
}

// MayView reports whether acct may watch sitting st: administrators and
// auditors see every sitting, a proctor only those HR or an administrator
// assigned to them (issue 7; PUT /api/sittings/{id}/proctors).
func MayView(acct store.Account, st store.Sitting) bool {
	switch acct.Role {
	case store.RoleAdmin, store.RoleAuditor:
		return true
	case store.RoleProctor:
		for _, p := range st.Proctors {
			if p == acct.ID {
				return true
			}
		}
	}
	return false
}

func (s *Server) view(w http.ResponseWriter, r *http.Request) {
	acct := account(r)
	s.cfg.Feed.Viewer(w, r, func(st store.Sitting) bool { return MayView(acct, st) })
}

type sittingRequest struct {
	Competition string `json:"competition"`
	Stage       string `json:"stage"`
}

type sittingResponse struct {
	ID  protocol.SittingID `json:"id"`
	PIN string             `json:"pin"`
	// Token is shown once: give it to the candidate for this stage.
	Token string `json:"token"`
}

func (s *Server) createSitting(w http.ResponseWriter, r *http.Request) error {
	var req sittingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ns, err := s.cfg.Admin.CreateSitting(req.Competition, req.Stage)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sittingResponse{ID: ns.Sitting.ID, PIN: ns.Sitting.PIN, Token: ns.Token})
	return nil
}

func (s *Server) ui() http.Handler {
	if s.cfg.UI == nil {
		return http.HandlerFunc(notBuilt)
	}
	if _, err := fs.Stat(s.cfg.UI, "index.html"); err != nil {
		return http.HandlerFunc(notBuilt)
	}
	files := http.FileServerFS(s.cfg.UI)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/join" {
			// The cabinet's join link (kuzet-agent join LINK) opened in a
			// browser: the page that says how to start the agent.
			r = r.Clone(r.Context())
			r.URL.Path = "/join.html"
		}
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

func notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "The web app is not built into this server. Build it with scripts/run (or: cd proctor-ui && npm ci && npm run build), then rebuild kuzet-server.")
}

// uploadEvidence receives an evidence file from a connected agent. The
// upload token (from Welcome) says which sitting it is for.
func (s *Server) uploadEvidence(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, known := s.cfg.Uploads.UploadSitting(token)
	if !ok || !known {
		return errorf(http.StatusUnauthorized, "unauthorized", "", "the upload token is not valid: upload while the agent is connected, with the token from welcome")
	}
	if len(r.PathValue("id")) > protocol.MaxIDLen {
		return errorf(http.StatusBadRequest, "invalid", "", "evidence id is longer than %d characters", protocol.MaxIDLen)
	}
	// A refused file is not kept: too large, damaged (not the announced
	// hash) or over the sitting's quota.
	sum, n, err := s.cfg.Evidence.PutChecked(string(id), r.Body, protocol.MaxEvidenceBytes, r.Header.Get("X-Kuzet-SHA256"))
	switch {
	case errors.Is(err, evidence.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "", "evidence files may be at most %d bytes", protocol.MaxEvidenceBytes)
	case errors.Is(err, evidence.ErrQuota):
		return errorf(http.StatusRequestEntityTooLarge, "quota", "", "%v", err)
	case errors.Is(err, evidence.ErrDamaged):
		return errorf(http.StatusBadRequest, "invalid", "", "%v: it was damaged on the way", err)
	case err != nil:
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err := s.cfg.EvidenceLog.EvidenceFile(id, sum, n, mt); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, protocol.EvidenceUpload{SHA256: sum, Size: n})
	return nil
}

// getEvidence serves an evidence file to staff who may view the sitting.
func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request) error {
	id := protocol.SittingID(r.PathValue("id"))
	st, err := s.cfg.Store.Sitting(id)
	if err != nil || !MayView(account(r), st) {
		return errorf(http.StatusNotFound, "not_found", "", "no such sitting")
	}
	// p.74-1: the ID document shows the name and IIN; HR checks it
	// (server/identity), proctors and auditors see HR's result only.
	if idPhoto, err := s.cfg.Store.Cites(id, r.PathValue("sha"), protocol.EvidenceIDPhoto); err != nil {
		return err
	} else if idPhoto {
		return errorf(http.StatusForbidden, "id_photo_hr_only", "error.id_photo_hr_only",
			"p.74-1: the ID document shows the candidate's name and IIN, so only HR sees it; the identity check's result is in the sitting's feed")
	}
	f, err := s.cfg.Evidence.Open(string(id), r.PathValue("sha"))
	if errors.Is(err, evidence.ErrNotFound) || errors.Is(err, evidence.ErrBadName) {
		return errorf(http.StatusNotFound, "not_found", "", "no such evidence file")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	ctype := http.DetectContentType(head[:n])
	switch {
	case strings.HasPrefix(ctype, "image/jpeg"), strings.HasPrefix(ctype, "image/png"):
	case strings.HasPrefix(ctype, "text/plain"):
		ctype = "application/json"
	default:
		ctype = "application/octet-stream"
		w.Header().Set("Content-Disposition", "attachment")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	_, err = io.Copy(w, f)
	return err
}

// stats reports the process's running figures for operators and the soak
// test: goroutines, memory, and what the parts add (media, feeds).
func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	out := map[string]any{
		"goroutines": runtime.NumGoroutine(),
		"heap_alloc": m.HeapAlloc,
		"heap_sys":   m.HeapSys,
		"sys":        m.Sys,
		"gc":         m.NumGC,
	}
	if s.cfg.Stats != nil {
		for k, v := range s.cfg.Stats() {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type tokenResponse struct {
	// Token is the sitting's new join token, shown once.
	Token string `json:"token"`
}

// reissueToken gives a sitting a new join token (the candidate moved to
// another computer, or the token expired); the old tokens stop working.
func (s *Server) reissueToken(w http.ResponseWriter, r *http.Request) error {
	tok, err := s.cfg.Admin.ReissueToken(protocol.SittingID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.log.Info("join token reissued", "sitting", r.PathValue("id"), "by", account(r).ID)
	writeJSON(w, http.StatusCreated, tokenResponse{Token: tok})
	return nil
}
