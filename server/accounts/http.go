package accounts

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// View is an account as the administrators' screen shows it: never the
// password hash.
type View struct {
	ID         string     `json:"id"`
	Username   string     `json:"username"`
	Role       store.Role `json:"role"`
	Disabled   bool       `json:"disabled"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// DisabledBy is the username of who disabled it, or "cli".
	DisabledBy string     `json:"disabled_by,omitempty"`
	Created    time.Time  `json:"created"`
	LastLogin  *time.Time `json:"last_login,omitempty"`
	// Sessions counts the account's unexpired login sessions.
	Sessions int `json:"sessions"`
}

// SessionView is one login session: when, until when, and whether it is
// the caller's own. ID is a short prefix of the stored hash (never the
// cookie), enough to tell sessions apart.
type SessionView struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Current bool      `json:"current"`
}

// Routes adds the account routes (rows in server/authz).
func (m *Manager) Routes(r *web.Router) error {
	r.Staff("GET /api/accounts", m.list)
	r.Staff("POST /api/accounts", m.create)
	r.Staff("POST /api/accounts/{id}/disable", m.disable)
	r.Staff("POST /api/accounts/{id}/enable", m.enable)
	r.Staff("POST /api/accounts/{id}/password", m.reset)
	r.Staff("GET /api/accounts/{id}/sessions", m.sessions)
	r.Staff("DELETE /api/accounts/{id}/sessions", m.revoke)
	m.slot = r.PasswordSlot
	r.Staff("POST /api/me/password", m.changeOwn)
	return nil
}

// Views lists every account for the screen and the command line.
func (m *Manager) Views(now time.Time) ([]View, error) {
	all, err := m.store.Accounts()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range all {
		names[a.ID] = a.Username
	}
	out := make([]View, 0, len(all))
	for _, a := range all {
		v, err := m.view(a, names, now)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (m *Manager) view(a store.Account, names map[string]string, now time.Time) (View, error) {
	ses, err := m.store.SessionsOf(a.ID)
	if err != nil {
		return View{}, err
	}
	live := 0
	for _, s := range ses {
		if s.Live(now) {
			live++
		}
	}
	by := a.DisabledBy
	if n, ok := names[by]; ok {
		by = n
	}
	return View{ID: a.ID, Username: a.Username, Role: a.Role, Disabled: a.Disabled, DisabledAt: a.DisabledAt,
		DisabledBy: by, Created: a.Created, LastLogin: a.LastLogin, Sessions: live}, nil
}

func (m *Manager) oneView(id string) (View, error) {
	a, err := m.store.Account(id)
	if err != nil {
		return View{}, err
	}
	names := map[string]string{}
	if a.DisabledBy != "" {
		if by, err := m.store.Account(a.DisabledBy); err == nil {
			names[by.ID] = by.Username
		}
	}
	return m.view(a, names, m.now())
}

func (m *Manager) list(w http.ResponseWriter, r *http.Request) error {
	out, err := m.Views(m.now())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"accounts": out})
	return nil
}

type createRequest struct {
	Username string     `json:"username"`
	Role     store.Role `json:"role"`
	// Password may be empty: the server generates one and shows it once.
	Password string `json:"password"`
}

// created answers a creation or reset: the account, and the password only
// when the server generated it.
type created struct {
	Account  View   `json:"account"`
	Password string `json:"password,omitempty"`
}

func (m *Manager) create(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	acct, pass, err := m.Create(r.Context(), web.Account(r).ID, req.Username, req.Role, req.Password)
	if err != nil {
		return refusal(err)
	}
	v, err := m.oneView(acct.ID)
	if err != nil {
		return err
	}
	out := created{Account: v}
	if req.Password == "" {
		out.Password = pass
	}
	web.WriteJSON(w, http.StatusCreated, out)
	return nil
}

type emptyRequest struct{}

func (m *Manager) disable(w http.ResponseWriter, r *http.Request) error {
	if err := web.Decode(r, &emptyRequest{}); err != nil {
		return err
	}
	a, err := m.Disable(r.Context(), web.Account(r).ID, r.PathValue("id"))
	if err != nil {
		return refusal(err)
	}
	v, err := m.oneView(a.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]View{"account": v})
	return nil
}

func (m *Manager) enable(w http.ResponseWriter, r *http.Request) error {
	if err := web.Decode(r, &emptyRequest{}); err != nil {
		return err
	}
	a, err := m.Enable(r.Context(), web.Account(r).ID, r.PathValue("id"))
	if err != nil {
		return refusal(err)
	}
	v, err := m.oneView(a.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]View{"account": v})
	return nil
}

type resetRequest struct {
	// Password may be empty: the server generates one and shows it once.
	Password string `json:"password"`
}

func (m *Manager) reset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := m.store.Account(id); err != nil {
		return refusal(err)
	}
	pass, err := m.ResetPassword(r.Context(), web.Account(r).ID, id, req.Password)
	if err != nil {
		return refusal(err)
	}
	v, err := m.oneView(id)
	if err != nil {
		return err
	}
	out := created{Account: v}
	if req.Password == "" {
		out.Password = pass
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Manager) sessions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := m.store.Account(id); err != nil {
		return refusal(err)
	}
	ses, err := m.store.SessionsOf(id)
	if err != nil {
		return err
	}
	mine := ""
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		mine = auth.TokenHash(c.Value)
	}
	now := m.now()
	out := []SessionView{}
	for _, s := range ses {
		if !s.Live(now) {
			continue // ended or expired; the clean-up deletes it when it expires
		}
		out = append(out, SessionView{ID: s.Hash[:min(12, len(s.Hash))], Created: s.Created, Expires: s.Expires, Current: s.Hash == mine})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

func (m *Manager) revoke(w http.ResponseWriter, r *http.Request) error {
	n, err := m.RevokeSessions(r.Context(), web.Account(r).ID, r.PathValue("id"))
	if err != nil {
		return refusal(err)
	}
	web.WriteJSON(w, http.StatusOK, map[string]int{"ended": n})
	return nil
}

type changeRequest struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

func (m *Manager) changeOwn(w http.ResponseWriter, r *http.Request) error {
	var req changeRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	// Checking the current password and hashing the new one are argon2id
	// runs: they share the login's cap on how many run at once.
	if m.slot != nil {
		release, err := m.slot(w, r)
		if err != nil {
			return err
		}
		defer release()
	}
	keep := ""
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		keep = auth.TokenHash(c.Value)
	}
	if err := m.ChangeOwn(r.Context(), web.Account(r), keep, req.Current, req.New); err != nil {
		return refusal(err)
	}
	web.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

// refusal turns a Manager error into an answer with a catalogue key.
func refusal(err error) error {
	e := func(status int, code, key string) error {
		return web.Errorf(status, code, key, "%s", err.Error())
	}
	switch {
	case errors.Is(err, ErrSelfDisable):
		return e(http.StatusConflict, "self_disable", string(i18n.Key("accounts.error.self_disable")))
	case errors.Is(err, ErrLastAdmin):
		return e(http.StatusConflict, "last_admin", string(i18n.Key("accounts.error.last_admin")))
	case errors.Is(err, ErrAlreadyDisabled):
		return e(http.StatusConflict, "already_disabled", string(i18n.Key("accounts.error.already_disabled")))
	case errors.Is(err, ErrNotDisabled):
		return e(http.StatusConflict, "not_disabled", string(i18n.Key("accounts.error.not_disabled")))
	case errors.Is(err, ErrWrongPassword):
		return e(http.StatusBadRequest, "wrong_password", string(i18n.Key("accounts.error.wrong_password")))
	case errors.Is(err, ErrSamePassword):
		return e(http.StatusBadRequest, "same_password", string(i18n.Key("accounts.error.same_password")))
	case errors.Is(err, store.ErrNotFound):
		return e(http.StatusNotFound, "not_found", string(i18n.Key("accounts.error.not_found")))
	case errors.Is(err, store.ErrExists):
		return e(http.StatusConflict, "exists", string(i18n.Key("accounts.error.exists")))
	case errors.Is(err, auth.ErrPasswordLength):
		we := web.Errorf(http.StatusBadRequest, "invalid_password", string(i18n.Key("accounts.error.password_length")), "%s", err.Error())
		we.Args = map[string]string{"min": strconv.Itoa(auth.MinPasswordLen)}
		return we
	case errors.Is(err, admin.ErrUsername):
		return e(http.StatusBadRequest, "invalid_username", string(i18n.Key("accounts.error.username")))
	case errors.Is(err, admin.ErrRole):
		return e(http.StatusBadRequest, "invalid_role", string(i18n.Key("accounts.error.role")))
	}
	return err
}
