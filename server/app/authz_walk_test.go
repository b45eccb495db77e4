package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/store"
)

// TestAuthorisationTableHolds walks every route of the authorisation table
// for every kind of caller and checks the server does what the table says:
// a staff role the table does not list is refused with forbidden_role, one
// it lists is not; nobody logged in is refused staff routes; a staff login
// opens no route meant for agents or candidates (those need their tokens);
// public routes need nothing. Every registered route is in the table and
// every table row is served.
func TestAuthorisationTableHolds(t *testing.T) {
	r := start(t)

	// The table and the server agree on what exists.
	table := map[string]authz.Rule{}
	for _, rule := range authz.Table() {
		table[rule.Route] = rule
	}
	served := map[string]bool{}
	for _, route := range r.Routes {
		served[route] = true
		if _, ok := table[route]; !ok {
			t.Errorf("route %s is served but not in the table", route)
		}
	}
	for route := range table {
		if !served[route] {
			t.Errorf("table row %s is not served (a stale row?)", route)
		}
	}

	// A logged-in client for every staff role.
	roles, clients := staffClients(t, r)
	anon := &http.Client{Timeout: 10 * time.Second}

	fill := strings.NewReplacer("{id}", r.Demo.SittingID, "{sha}", strings.Repeat("0", 64), "{n}", "1", "{name}", "none.webm")
	call := func(c *http.Client, route string) (int, string, string) {
		method, path, _ := strings.Cut(route, " ")
		var body io.Reader
		if method != http.MethodGet {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(method, r.URL+fill.Replace(path), body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code, Key string } `json:"error"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		_ = json.Unmarshal(raw, &e)
		return resp.StatusCode, e.Error.Code, e.Error.Key
	}

	routes := make([]string, 0, len(table))
	for route := range table {
		routes = append(routes, route)
	}
	sort.Strings(routes)
	checked := 0
	for _, route := range routes {
		rule := table[route]
		staff := rule.StaffRoles()
		public := rule.Allows(authz.Public)
		switch {
		case len(staff) > 0:
			if code, _, _ := call(anon, route); code != http.StatusUnauthorized {
				t.Errorf("%s without a login: %d, want 401", route, code)
			}
			for _, role := range roles {
				code, ecode, _ := call(clients[role], route)
				allowed := false
				for _, s := range staff {
					allowed = allowed || s == role
				}
				switch {
				case allowed && ecode == "forbidden_role":
					t.Errorf("%s as %s: refused by role, but the table allows it", route, role)
				case !allowed && (code != http.StatusForbidden || ecode != "forbidden_role"):
					t.Errorf("%s as %s: %d %q, want 403 forbidden_role (the table does not allow %s)", route, role, code, ecode, role)
				}
				checked++
			}
		case public:
			// A public route may refuse bad input (a wrong password is
			// 401 at login) but never for want of a login or a role.
			if code, ecode, key := call(anon, route); ecode == "forbidden_role" || key == "error.login_required" {
				t.Errorf("public %s: %d %s without a login", route, code, key)
			}
			checked++
		default:
			// Agent and candidate routes: a staff login is no substitute
			// for their tokens.
			if strings.HasPrefix(route, "GET /v1/") {
				continue // WebSocket channels: their tokens are checked in the protocol (see agentlink and feed tests)
			}
			for _, role := range roles {
				if code, _, _ := call(clients[role], route); code != http.StatusUnauthorized && code != http.StatusForbidden {
					t.Errorf("%s (for %v) as %s: %d, want 401 or 403", route, rule.Who, role, code)
				}
				checked++
			}
		}
	}
	if checked < len(routes) {
		t.Fatalf("checked only %d route/caller pairs for %d routes", checked, len(routes))
	}
}

// staffClients creates an account for every staff role and returns the
// roles and a client logged in as each.
func staffClients(tb testing.TB, r app.Ready) ([]store.Role, map[store.Role]*http.Client) {
	tb.Helper()
	adm := admin.New(r.Store)
	roles := []store.Role{store.RoleAdmin, store.RoleHR, store.RoleProctor, store.RoleAssessor, store.RoleAuditor, store.RoleCommittee}
	clients := map[store.Role]*http.Client{}
	for _, role := range roles {
		user, pass := "walk-"+string(role), "walk-password-"+string(role)
		if _, err := adm.CreateAccount(user, pass, role); err != nil {
			tb.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
		resp, err := c.Post(r.URL+"/api/login", "application/json", strings.NewReader(string(b)))
		if err != nil || resp.StatusCode != http.StatusOK {
			tb.Fatalf("login as %s: %v %v", role, resp, err)
		}
		resp.Body.Close()
		clients[role] = c
	}
	return roles, clients
}
