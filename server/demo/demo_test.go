package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
)

// The demo has an auditor who can log in, also when its data comes from a
// demo seeded before the auditor existed.
func TestSeedHasAnAuditor(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := admin.New(st)
	c, err := Seed(a, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	check := func(c Credentials) {
		t.Helper()
		acct, err := st.AccountByUsername(c.AuditorUser)
		if err != nil || acct.Role != store.RoleAuditor {
			t.Fatalf("auditor %q: %+v, %v", c.AuditorUser, acct, err)
		}
		if err := auth.CheckPassword(acct.PasswordHash, c.AuditorPassword); err != nil {
			t.Fatalf("the auditor's printed password does not log in: %v", err)
		}
	}
	check(c)
	// An older demo.json without the auditor.
	path := filepath.Join(dir, File)
	old := c
	old.AuditorUser, old.AuditorPassword = "", ""
	raw, _ := json.Marshal(old)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Seed(a, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.SittingID != c.SittingID || again.AuditorUser == "" {
		t.Fatalf("second seed = %+v", again)
	}
	check(again)
	raw, _ = os.ReadFile(path)
	var saved Credentials
	if err := json.Unmarshal(raw, &saved); err != nil || saved.AuditorPassword != again.AuditorPassword {
		t.Fatalf("demo.json was not updated with the auditor: %s", raw)
	}
}
