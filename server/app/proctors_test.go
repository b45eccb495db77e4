package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"kuzet.kz/kuzet/server/store"
)

// TestHRListsProctorAccounts: HR picks proctors for sittings from GET
// /api/proctors: every proctor account and nothing else (no assessor,
// auditor or administrator), usernames only; a proctor may not list them.
func TestHRListsProctorAccounts(t *testing.T) {
	r := start(t)
	_, clients := staffClients(t, r)
	get := func(role store.Role) (int, []map[string]any) {
		resp, err := clients[role].Get(r.URL + "/api/proctors")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, list := get(store.RoleHR)
	if code != http.StatusOK {
		t.Fatalf("HR lists proctors: %d", code)
	}
	names := map[string]bool{}
	for _, a := range list {
		if a["role"] != string(store.RoleProctor) {
			t.Errorf("a %v account is listed as a proctor: %v", a["role"], a)
		}
		for k := range a {
			if k != "id" && k != "username" && k != "role" {
				t.Errorf("field %q leaks into the proctor list", k)
			}
		}
		names[a["username"].(string)] = true
	}
	for _, want := range []string{r.Demo.ProctorUser, "walk-proctor"} {
		if !names[want] {
			t.Errorf("proctor %s is missing from %v", want, list)
		}
	}
	for _, not := range []string{r.Demo.AdminUser, r.Demo.AuditorUser, "walk-assessor", "walk-hr"} {
		if names[not] {
			t.Errorf("%s is not a proctor but is listed", not)
		}
	}
	if code, _ := get(store.RoleProctor); code != http.StatusForbidden {
		t.Errorf("a proctor lists proctor accounts: %d, want 403", code)
	}
}
