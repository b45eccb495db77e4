package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/accounts"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
	"kuzet.kz/kuzet/server/workflow/boltstore"
	"kuzet.kz/kuzet/server/workflow/proctorport"
)

// parts wires the demo over a real store, audit log and engine, as the
// server does.
func parts(t *testing.T, dir string) (Parts, *store.Store, func() *workflow.Engine) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := RuleSets(filepath.Join(dir, "rulesets"), time.Now()); err != nil {
		t.Fatal(err)
	}
	rules, err := ruleset.Load(filepath.Join(dir, "rulesets"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load("")
	if err != nil {
		t.Fatal(err)
	}
	key, err := pii.LoadOrCreateKey(filepath.Join(dir, "keys", "pii.key"))
	if err != nil {
		t.Fatal(err)
	}
	vault, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := boltstore.New(st.DB())
	if err != nil {
		t.Fatal(err)
	}
	a := admin.New(st)
	port := proctorport.Port{Admin: a, Store: st}
	engineAt := func(now func() time.Time) (*workflow.Engine, error) {
		return workflow.New(workflow.Config{Store: ws, Vault: vault, Calendar: cal, Rules: rules, Sittings: port, Documents: filepath.Join(dir, "documents"), Now: now})
	}
	real := func() *workflow.Engine {
		e, err := engineAt(time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	return Parts{Admin: a, Store: st, DataDir: dir, Engine: engineAt, Accounts: port}, st, real
}

func logsIn(t *testing.T, st *store.Store, user, pass string, role store.Role) {
	t.Helper()
	acct, err := st.AccountByUsername(user)
	if err != nil || acct.Role != role {
		t.Fatalf("%s %q: %+v, %v", role, user, acct, err)
	}
	if err := auth.CheckPassword(acct.PasswordHash, pass); err != nil {
		t.Fatalf("the printed password of %s does not log in: %v", user, err)
	}
}

// The demo shows the whole workflow at once: a competition at every
// status, applications at every status, overdue items, and the demo
// agent's sitting is the essay of an admitted candidate's PIN.
func TestSeedShowsTheWholeWorkflow(t *testing.T) {
	dir := t.TempDir()
	p, st, engine := parts(t, dir)
	c, err := Seed(p)
	if err != nil {
		t.Fatal(err)
	}
	logsIn(t, st, c.HRUser, c.HRPassword, store.RoleHR)
	logsIn(t, st, c.CommissionUser, c.CommissionPassword, store.RoleCommittee)
	logsIn(t, st, c.AssessorUser, c.AssessorPassword, store.RoleAssessor)
	logsIn(t, st, c.ProctorUser, c.ProctorPassword, store.RoleProctor)
	e := engine()
	ctx := context.Background()
	all, err := e.Competitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[workflow.Status]bool{}
	apps := map[workflow.AppStatus]bool{}
	overdue := 0
	for _, comp := range all {
		statuses[comp.Status] = true
		as, err := e.Applications(ctx, comp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			apps[a.Status] = true
		}
		od, err := e.Overdue(ctx, comp.ID)
		if err != nil {
			t.Fatal(err)
		}
		overdue += len(od)
	}
	for _, s := range []workflow.Status{workflow.StatusDraft, workflow.StatusAccepting, workflow.StatusReview, workflow.StatusStages, workflow.StatusCompleted, workflow.StatusCancelled} {
		if !statuses[s] {
			t.Errorf("no demo competition is %s", s)
		}
	}
	for _, s := range []workflow.AppStatus{workflow.AppSubmitted, workflow.AppIncomplete, workflow.AppSupplemented, workflow.AppAdmitted, workflow.AppRefused} {
		if !apps[s] {
			t.Errorf("no demo application is %s", s)
		}
	}
	if overdue < 3 {
		t.Errorf("%d overdue items, want the review, the re-check and the ended supplement window", overdue)
	}
	st1, err := st.Sitting(protocol.SittingID(c.SittingID))
	if err != nil || st1.PIN != c.PIN || st1.Competition != c.Competition || len(st1.Proctors) != 1 {
		t.Fatalf("demo sitting %+v (%v), want PIN %s in %s with the proctor", st1, err, c.PIN, c.Competition)
	}
	if _, _, _, err := e.Cabinet(ctx, c.Cabinet[len("/cabinet.html#inbox="):]); err != nil {
		t.Fatalf("demo cabinet: %v", err)
	}
	// The test's bank is as big as its program, so the demo candidate
	// sees every kind of question the page answers (issue 12).
	bank, err := e.Bank(ctx, "personal_qualities")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range bank {
		kinds[it.Interaction]++
	}
	if len(bank) != 40 || kinds["orderInteraction"] != 1 || kinds["matchInteraction"] != 1 || kinds["choiceInteraction"] != 38 {
		t.Errorf("the demo's personal-qualities bank: %d items %v, want 40 of which an order and a match", len(bank), kinds)
	}
}

// A demo.json from before the auditor and the workflow gets them added.
func TestSeedUpgradesAnOlderDemo(t *testing.T) {
	dir := t.TempDir()
	p, st, _ := parts(t, dir)
	c, err := Seed(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, File)
	old := c
	old.AuditorUser, old.AuditorPassword, old.HRUser, old.HRPassword = "", "", "", ""
	raw, _ := json.Marshal(old)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Seed(p)
	if err != nil {
		t.Fatal(err)
	}
	if again.SittingID != c.SittingID || again.AuditorUser == "" || again.HRUser == "" {
		t.Fatalf("second seed = %+v", again)
	}
	logsIn(t, st, again.AuditorUser, again.AuditorPassword, store.RoleAuditor)
	logsIn(t, st, again.HRUser, again.HRPassword, store.RoleHR)
	raw, _ = os.ReadFile(path)
	var saved Credentials
	if err := json.Unmarshal(raw, &saved); err != nil || saved.AuditorPassword != again.AuditorPassword || saved.HRPassword != again.HRPassword {
		t.Fatalf("demo.json was not updated: %s", raw)
	}
}

// Issue 16: -demo on a directory without demo.json must not take over
// accounts it did not create. An administrator made with `kuzet-server
// accounts create` before keeps its password; the demo's own
// administrator gets a name of its own.
func TestSeedLeavesAccountsItDidNotCreate(t *testing.T) {
	dir := t.TempDir()
	const mine = "my-own-admin-password"
	var out, errs bytes.Buffer
	args := []string{"create", "--data", dir, "--role", "admin", "--username", "admin", "--password-stdin"}
	if code := accounts.RunCommand(context.Background(), args, strings.NewReader(mine+"\n"), &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("accounts create: %d %s", code, errs.String())
	}
	p, st, _ := parts(t, dir)
	before, err := st.AccountByUsername("admin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Seed(p)
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.AccountByUsername("admin")
	if err != nil {
		t.Fatal(err)
	}
	if after.PasswordHash != before.PasswordHash || auth.CheckPassword(after.PasswordHash, mine) != nil {
		t.Fatal("the demo changed the password of an administrator it did not create")
	}
	if c.AdminUser == "admin" || c.AdminUser == "" {
		t.Fatalf("the demo's administrator is %q, want a name of its own", c.AdminUser)
	}
	logsIn(t, st, c.AdminUser, c.AdminPassword, store.RoleAdmin)
	for _, u := range c.Accounts {
		if u == "admin" {
			t.Fatalf("demo.json claims the CLI's admin account as its own: %v", c.Accounts)
		}
	}
	if len(c.Accounts) < 8 {
		t.Errorf("demo.json names %d created accounts (%v), want all of them", len(c.Accounts), c.Accounts)
	}
	// A second start without demo.json leaves the first demo's accounts alone too.
	if err := os.Remove(filepath.Join(dir, File)); err != nil {
		t.Fatal(err)
	}
	again, err := Seed(p)
	if err != nil {
		t.Fatal(err)
	}
	logsIn(t, st, c.AdminUser, c.AdminPassword, store.RoleAdmin)
	logsIn(t, st, c.ProctorUser, c.ProctorPassword, store.RoleProctor)
	if again.AdminUser == c.AdminUser || again.ProctorUser == c.ProctorUser {
		t.Fatalf("the second demo reused %s/%s", again.AdminUser, again.ProctorUser)
	}
	logsIn(t, st, "admin", mine, store.RoleAdmin)
}
