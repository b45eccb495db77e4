package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/accounts"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/internal/apitest"
	"kuzet.kz/kuzet/server/store"
)

// cli runs `kuzet-server accounts args…` with stdin and returns the exit
// code, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := accounts.RunCommand(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// serve runs the real server (no demo) on dir until the returned stop.
func serve(t *testing.T, dir string) (app.Ready, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://127.0.0.1"
	cfg.DataDir = dir
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan app.Ready, 1)
	go func() { done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), func(r app.Ready) { ready <- r }) }()
	var r app.Ready
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return r, stop
}

func login(t *testing.T, base, user, pass string) *apitest.Client {
	t.Helper()
	c := &apitest.Client{T: t, Base: base, HTTP: apitest.NewHTTP()}
	if code, body := c.Do("POST", "/api/login", map[string]string{"username": user, "password": pass}, nil); code != http.StatusOK {
		t.Fatalf("login as %s: %d %s", user, code, body)
	}
	return c
}

// checkPassword checks in the store whether user's password is pass (a
// login would do the same, but logins are rate-limited per address).
func checkPassword(t *testing.T, st *store.Store, user, pass string, want bool) {
	t.Helper()
	a, err := st.AccountByUsername(user)
	if err != nil {
		t.Fatal(err)
	}
	if got := auth.CheckPassword(a.PasswordHash, pass) == nil; got != want {
		t.Errorf("%s's password is %q: %v, want %v", user, pass, got, want)
	}
}

var shownOnce = regexp.MustCompile(`password \(shown once\): (\S+)`)

type view struct {
	ID         string  `json:"id"`
	Username   string  `json:"username"`
	Role       string  `json:"role"`
	Disabled   bool    `json:"disabled"`
	DisabledBy string  `json:"disabled_by"`
	LastLogin  *string `json:"last_login"`
	Sessions   int     `json:"sessions"`
}

func TestAccountsFromFirstAdminToRevocation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const rootPass = "root-password-1234"

	// A fresh install: the first administrator from the command line.
	if code, out, errs := cli(t, rootPass+"\n", "create", "--data", dir, "--role", "admin", "--username", "root", "--password-stdin"); code != 0 || !strings.Contains(out, "created admin account root") {
		t.Fatalf("create root: %d %q %q", code, out, errs)
	}
	for _, bad := range []struct {
		stdin, want string
		args        []string
	}{
		{rootPass + "\n", "exists", []string{"create", "--data", dir, "--role", "admin", "--username", "root", "--password-stdin"}},
		{"short-pass\n", "at least 12 characters", []string{"create", "--data", dir, "--role", "hr", "--username", "hr.short", "--password-stdin"}},
		{"", "username", []string{"create", "--data", dir, "--role", "hr", "--username", "Bad Name"}},
		{"", "role", []string{"create", "--data", dir, "--role", "boss", "--username", "boss"}},
		{"", "--data", []string{"list"}},
		{"", "--username", []string{"disable", "--data", dir}},
		{"", "standard input is empty", []string{"password", "--data", dir, "--username", "root", "--password-stdin"}},
		{"", "no account", []string{"disable", "--data", dir, "--username", "nobody"}},
		{"", "unknown command", []string{"delete", "--data", dir}},
		{"", "no kuzet.db", []string{"list", "--data", filepath.Join(dir, "elsewhere")}},
	} {
		if code, _, errs := cli(t, bad.stdin, bad.args...); code == 0 || !strings.Contains(errs, bad.want) {
			t.Errorf("accounts %v: exit %d, stderr %q; want a refusal naming %q", bad.args, code, errs, bad.want)
		}
	}
	// Generated password, printed once.
	code, out, errs := cli(t, "", "create", "--data", dir, "--role", "hr", "--username", "hr.one")
	m := shownOnce.FindStringSubmatch(out)
	if code != 0 || m == nil || len(m[1]) < auth.MinPasswordLen {
		t.Fatalf("create hr.one: %d %q %q", code, out, errs)
	}
	hrPass := m[1]
	if code, out, _ := cli(t, "", "list", "--data", dir); code != 0 || !strings.Contains(out, "root") || !strings.Contains(out, "hr.one") || strings.Contains(out, "argon2") {
		t.Fatalf("list: %d %q", code, out)
	}

	r, stop := serve(t, dir)
	// While it runs, the command refuses: the store is locked.
	if code, _, errs := cli(t, "", "list", "--data", dir); code != 1 || !strings.Contains(errs, "stop kuzet-server first") {
		t.Errorf("list while the server runs: exit %d, stderr %q; want the lock refusal", code, errs)
	}

	root := login(t, r.URL, "root", rootPass)
	var list struct {
		Accounts []view `json:"accounts"`
	}
	code, raw := root.Do("GET", "/api/accounts", nil, &list)
	if code != http.StatusOK || len(list.Accounts) != 2 || strings.Contains(raw, "password") || strings.Contains(raw, "argon2") {
		t.Fatalf("GET /api/accounts: %d %s", code, raw)
	}
	byName := map[string]view{}
	for _, v := range list.Accounts {
		byName[v.Username] = v
	}
	if byName["root"].LastLogin == nil || byName["root"].Sessions != 1 || byName["hr.one"].LastLogin != nil {
		t.Errorf("last login and sessions not as they happened: %s", raw)
	}
	rootID, hrID := byName["root"].ID, byName["hr.one"].ID

	// Creation through the API, and its refusals.
	var made struct {
		Account  view   `json:"account"`
		Password string `json:"password"`
	}
	if code, raw := root.Do("POST", "/api/accounts", map[string]string{"username": "assessor.a", "role": "assessor", "password": "assessor-password-1"}, &made); code != http.StatusCreated || made.Account.Role != "assessor" || made.Password != "" {
		t.Fatalf("create assessor: %d %s", code, raw)
	}
	if code, raw := root.Do("POST", "/api/accounts", map[string]string{"username": "commission.b", "role": "commission"}, &made); code != http.StatusCreated || len(made.Password) < auth.MinPasswordLen {
		t.Fatalf("create commission with a generated password: %d %s", code, raw)
	}
	checkPassword(t, r.Store, "commission.b", made.Password, true)
	for _, bad := range []struct {
		body map[string]string
		code string
		st   int
	}{
		{map[string]string{"username": "x.short", "role": "hr", "password": "eleven-char"}, "invalid_password", 400},
		{map[string]string{"username": "Has Space", "role": "hr", "password": "long-enough-password"}, "invalid_username", 400},
		{map[string]string{"username": "x.role", "role": "king", "password": "long-enough-password"}, "invalid_role", 400},
		{map[string]string{"username": "hr.one", "role": "hr", "password": "long-enough-password"}, "exists", 409},
	} {
		e := root.Refused("POST", "/api/accounts", bad.body, bad.st, bad.code)
		if !strings.HasPrefix(e.Error.Key, "accounts.error.") || e.Error.Message == "" {
			t.Errorf("refusal %s without its catalogue key or message: %+v", bad.code, e)
		}
	}

	hr := login(t, r.URL, "hr.one", hrPass)
	hr.Refused("GET", "/api/accounts", nil, http.StatusForbidden, "forbidden_role")
	hr.Refused("POST", "/api/accounts/"+rootID+"/disable", map[string]string{}, http.StatusForbidden, "forbidden_role")

	// Sessions are listed, and never by their cookie.
	var ses struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if code, raw := root.Do("GET", "/api/accounts/"+hrID+"/sessions", nil, &ses); code != http.StatusOK || len(ses.Sessions) != 1 || ses.Sessions[0].Current || len(ses.Sessions[0].ID) != 12 {
		t.Fatalf("hr.one's sessions: %d %s", code, raw)
	}

	// Disabling ends the session at once and refuses the login.
	root.Refused("POST", "/api/accounts/"+rootID+"/disable", map[string]string{}, http.StatusConflict, "self_disable")
	if code, raw := root.Do("POST", "/api/accounts/"+hrID+"/disable", map[string]string{}, nil); code != http.StatusOK || !strings.Contains(raw, `"disabled_by":"root"`) {
		t.Fatalf("disable hr.one: %d %s", code, raw)
	}
	// The old cookie is told why, on every try.
	for range 2 {
		if e := hr.Refused("GET", "/api/me", nil, http.StatusUnauthorized, "account_disabled"); e.Error.Key != "accounts.error.disabled" {
			t.Errorf("disabled session refusal key %q", e.Error.Key)
		}
	}
	if n, _ := r.Store.SessionsOf(hrID); len(n) != 1 || n[0].Live(time.Now()) || n[0].Ended != store.SessionDisabled {
		t.Errorf("hr.one's sessions after being disabled: %+v, want the one ended", n)
	}
	fresh := &apitest.Client{T: t, Base: r.URL, HTTP: apitest.NewHTTP()}
	if e := fresh.Refused("POST", "/api/login", map[string]string{"username": "hr.one", "password": hrPass}, http.StatusUnauthorized, "account_disabled"); e.Error.Key != "accounts.error.disabled" {
		t.Errorf("disabled login refusal key %q", e.Error.Key)
	}
	fresh.Refused("POST", "/api/login", map[string]string{"username": "hr.one", "password": "wrong-password-x"}, http.StatusUnauthorized, "unauthorized")
	root.Refused("POST", "/api/accounts/"+hrID+"/disable", map[string]string{}, http.StatusConflict, "already_disabled")
	root.Refused("POST", "/api/accounts/nobody/disable", map[string]string{}, http.StatusNotFound, "not_found")
	if code, raw := root.Do("POST", "/api/accounts/"+hrID+"/enable", map[string]string{}, nil); code != http.StatusOK {
		t.Fatalf("enable hr.one: %d %s", code, raw)
	}
	// Enabling does not bring the ended session back.
	hr.Refused("GET", "/api/me", nil, http.StatusUnauthorized, "account_disabled")
	root.Refused("POST", "/api/accounts/"+hrID+"/enable", map[string]string{}, http.StatusConflict, "not_disabled")

	// Revoking: the old cookie gets 401, a new login works.
	hr = login(t, r.URL, "hr.one", hrPass)
	var ended struct {
		Ended int `json:"ended"`
	}
	if code, raw := root.Do("DELETE", "/api/accounts/"+hrID+"/sessions", nil, &ended); code != http.StatusOK || ended.Ended != 1 {
		t.Fatalf("revoke: %d %s", code, raw)
	}
	hr.Refused("GET", "/api/me", nil, http.StatusUnauthorized, "session_ended")

	// An administrator's reset ends the sessions; the old password stops.
	hr = login(t, r.URL, "hr.one", hrPass)
	root.Refused("POST", "/api/accounts/"+hrID+"/password", map[string]string{"password": "short"}, http.StatusBadRequest, "invalid_password")
	if code, raw := root.Do("POST", "/api/accounts/"+hrID+"/password", map[string]string{}, &made); code != http.StatusOK || len(made.Password) < auth.MinPasswordLen || made.Password == hrPass {
		t.Fatalf("reset: %d %s", code, raw)
	}
	hr.Refused("GET", "/api/me", nil, http.StatusUnauthorized, "session_ended")
	checkPassword(t, r.Store, "hr.one", hrPass, false)
	hrPass = made.Password

	// Changing one's own password: the current one is required; the
	// session making the change stays, the others end.
	hr = login(t, r.URL, "hr.one", hrPass)
	other := login(t, r.URL, "hr.one", hrPass)
	hr.Refused("POST", "/api/me/password", map[string]string{"current_password": "not-my-password", "new_password": "brand-new-password-1"}, http.StatusBadRequest, "wrong_password")
	hr.Refused("POST", "/api/me/password", map[string]string{"current_password": hrPass, "new_password": "short"}, http.StatusBadRequest, "invalid_password")
	hr.Refused("POST", "/api/me/password", map[string]string{"current_password": hrPass, "new_password": hrPass}, http.StatusBadRequest, "same_password")
	if code, raw := hr.Do("POST", "/api/me/password", map[string]string{"current_password": hrPass, "new_password": "brand-new-password-1"}, nil); code != http.StatusOK {
		t.Fatalf("change own: %d %s", code, raw)
	}
	if code, raw := hr.Do("GET", "/api/me", nil, nil); code != http.StatusOK {
		t.Errorf("the session that changed the password was ended: %d %s", code, raw)
	}
	other.Refused("GET", "/api/me", nil, http.StatusUnauthorized, "session_ended")
	checkPassword(t, r.Store, "hr.one", "brand-new-password-1", true)
	// Auditors change their own password too (the one write besides appeals).
	if code, raw := root.Do("POST", "/api/accounts", map[string]string{"username": "auditor.c", "role": "auditor", "password": "auditor-password-1"}, nil); code != http.StatusCreated {
		t.Fatalf("create auditor: %d %s", code, raw)
	}
	aud := login(t, r.URL, "auditor.c", "auditor-password-1")
	if code, raw := aud.Do("POST", "/api/me/password", map[string]string{"current_password": "auditor-password-1", "new_password": "auditor-password-2"}, nil); code != http.StatusOK {
		t.Errorf("auditor changes own password: %d %s", code, raw)
	}
	stop()

	// Offline again: the last administrator cannot be disabled.
	if code, _, errs := cli(t, "", "disable", "--data", dir, "--username", "root"); code != 1 || !strings.Contains(errs, "last enabled administrator") {
		t.Errorf("disable the last admin: exit %d %q", code, errs)
	}
	if code, out, errs := cli(t, "", "password", "--data", dir, "--username", "root"); code != 0 || shownOnce.FindStringSubmatch(out) == nil {
		t.Errorf("password root: %d %q %q", code, out, errs)
	}

	// Every change is in the audit log with who made it, never a password.
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	type act struct{ actor, action, account string }
	var got []act
	for i := int64(0); i < n; i++ {
		rec, err := l.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Entry.Kind != audit.KindAccount {
			continue
		}
		for _, secret := range []string{rootPass, hrPass, "brand-new-password-1", "assessor-password-1", "argon2"} {
			if bytes.Contains(rec.Raw, []byte(secret)) {
				t.Errorf("audit entry %d holds a password or hash: %s", i, rec.Raw)
			}
		}
		var d struct{ Action, Account string }
		_ = json.Unmarshal(rec.Entry.Data, &d)
		got = append(got, act{rec.Entry.Actor, d.Action, d.Account})
	}
	want := []act{
		{"cli", "create", rootID}, {"cli", "create", hrID},
		{rootID, "create", ""}, {rootID, "create", ""},
		{rootID, "disable", hrID}, {rootID, "enable", hrID}, {rootID, "sessions_revoked", hrID},
		{rootID, "password_reset", hrID}, {hrID, "password_change", hrID},
		{rootID, "create", ""}, {"", "password_change", ""},
		{"cli", "password_reset", rootID},
	}
	if len(got) != len(want) {
		t.Fatalf("audit account entries:\n got %v\nwant %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.action != w.action || (w.actor != "" && g.actor != w.actor) || (w.account != "" && g.account != w.account) {
			t.Errorf("audit entry %d = %v, want %v", i, g, w)
		}
	}
}

func TestExpiredSessionsDeletedAtStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, errs := cli(t, "admin-password-12\n", "create", "--data", dir, "--role", "admin", "--username", "admin", "--password-stdin"); code != 0 {
		t.Fatal(errs)
	}
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.AccountByUsername("admin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for hash, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "live": now.Add(time.Hour)} {
		if err := st.PutSession(hash, store.Session{Account: a.ID, Created: now.Add(-2 * time.Hour), Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	r, _ := serve(t, dir)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errOld := r.Store.Session("old")
		if errOld != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session is still stored 5 s after the start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := r.Store.Session("live"); err != nil {
		t.Errorf("the live session was deleted too: %v", err)
	}
}
