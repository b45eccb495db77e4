// Package demo seeds a server for a first look: an administrator, a
// proctor, an auditor, HR, a commission member and assessors; a demo rule
// set for the year (marked as not a legal act); competitions at every
// status with fictional candidates at every application status and
// overdue items (workflow.go); and the essay sitting of one admitted
// candidate, assigned to the proctor, whose token the demo agent uses. The
// credentials go to DATA/demo.json (mode 0600) so scripts/run can start the
// agent and print the login; a second start reuses them.
package demo

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/store"
)

// File is the name of the credentials file in the data directory.
const File = "demo.json"

// Credentials are what the demo prints and the demo agent uses.
type Credentials struct {
	ProctorUser     string `json:"proctor_user"`
	ProctorPassword string `json:"proctor_password"`
	AdminUser       string `json:"admin_user"`
	AdminPassword   string `json:"admin_password"`
	// AuditorUser replays sittings and decides appeals (server/replay).
	AuditorUser     string `json:"auditor_user"`
	AuditorPassword string `json:"auditor_password"`
	// HRUser runs the competitions; CommissionUser and AssessorUser sit on
	// the commission (they see PINs only).
	HRUser             string `json:"hr_user"`
	HRPassword         string `json:"hr_password"`
	CommissionUser     string `json:"commission_user"`
	CommissionPassword string `json:"commission_password"`
	AssessorUser       string `json:"assessor_user"`
	AssessorPassword   string `json:"assessor_password"`
	// Cabinet is the path of a demo candidate's cabinet (with its token).
	Cabinet string `json:"cabinet"`
	// EssayCabinet is the cabinet of the candidate whose essay sitting
	// the demo agent takes: the essay is written there (p.115).
	EssayCabinet string `json:"essay_cabinet"`
	// TestCabinet is the cabinet of the candidate of the demo
	// personal-qualities test running now; TestToken its sitting's join
	// token (start an agent with it to take the test under proctoring).
	TestCabinet string `json:"test_cabinet"`
	TestToken   string `json:"test_token"`
	// LegislationCabinet is the cabinet of the candidate of the demo
	// legislation test running now (p.14); LegislationToken its join token.
	LegislationCabinet string `json:"legislation_cabinet"`
	LegislationToken   string `json:"legislation_token"`
	Competition        string `json:"competition"`
	SittingID          string `json:"sitting_id"`
	PIN                string `json:"pin"`
	SittingToken       string `json:"sitting_token"`
	// Accounts are the usernames the demo created. It never changes any
	// other account (an existing name gets a -2, -3… suffix instead).
	Accounts []string `json:"accounts,omitempty"`
}

// Seed creates the demo records unless dataDir's demo.json shows they
// exist, and returns the credentials.
func Seed(p Parts) (Credentials, error) {
	a, st := p.Admin, p.Store
	path := filepath.Join(p.DataDir, File)
	if raw, err := os.ReadFile(path); err == nil {
		var c Credentials
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, fmt.Errorf("read %s: %w (delete it to seed the demo again)", path, err)
		}
		if pa, err := st.AccountByUsername(c.ProctorUser); err == nil {
			// Data from before sittings were assigned: give the demo
			// sitting its proctor, or the dashboard would be empty.
			if err := assign(st, protocol.SittingID(c.SittingID), pa.ID); err != nil {
				return c, err
			}
			// Data from before consent: the synthetic candidate's.
			if err := p.consent(protocol.SittingID(c.SittingID)); err != nil {
				return c, err
			}
			changed := false
			if c.AuditorUser == "" {
				// Data from before the replay: add the demo auditor.
				if err := auditor(a, st, &c); err != nil {
					return c, err
				}
				changed = true
			}
			if c.HRUser == "" {
				// Data from before the workflow: add its accounts and
				// competitions; the old demo sitting stays.
				hr, members, err := workflowAccounts(p, &c)
				if err != nil {
					return c, err
				}
				wf, err := seedWorkflow(p, hr, members)
				if err != nil {
					return c, err
				}
				c.Cabinet = cabinetLink(wf.Cabinet)
				changed = true
			}
			if changed {
				return c, write(path, c)
			}
			return c, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return Credentials{}, fmt.Errorf("read %s: %w", path, err)
	}

	var c Credentials
	var err error
	if _, c.ProctorUser, c.ProctorPassword, err = account(a, st, &c, "proctor", store.RoleProctor); err != nil {
		return c, err
	}
	if _, c.AdminUser, c.AdminPassword, err = account(a, st, &c, "admin", store.RoleAdmin); err != nil {
		return c, err
	}
	hr, members, err := workflowAccounts(p, &c)
	if err != nil {
		return c, err
	}
	wf, err := seedWorkflow(p, hr, members)
	if err != nil {
		return c, fmt.Errorf("seed the demo competitions: %w", err)
	}
	proctor, err := st.AccountByUsername(c.ProctorUser)
	if err != nil {
		return c, err
	}
	if err := assign(st, protocol.SittingID(wf.Sitting), proctor.ID); err != nil {
		return c, err
	}
	if err := p.consent(protocol.SittingID(wf.Sitting)); err != nil {
		return c, err
	}
	c.Competition, c.SittingID, c.PIN, c.SittingToken = wf.Competition, wf.Sitting, wf.PIN, wf.Token
	c.Cabinet, c.EssayCabinet = cabinetLink(wf.Cabinet), cabinetLink(wf.EssayCabinet)
	c.TestCabinet, c.TestToken = cabinetLink(wf.TestCabinet), wf.TestToken
	c.LegislationCabinet, c.LegislationToken = cabinetLink(wf.LegislationCabinet), wf.LegislationToken
	if err := auditor(a, st, &c); err != nil {
		return c, err
	}
	return c, write(path, c)
}

// auditor creates the demo auditor account (see account).
func auditor(a *admin.Admin, st *store.Store, c *Credentials) error {
	var err error
	_, c.AuditorUser, c.AuditorPassword, err = account(a, st, c, "auditor", store.RoleAuditor)
	return err
}

// account creates a demo account named base, or base-2, base-3… if that
// name is taken, and records it in c.Accounts. It never changes an
// existing account: one the demo did not create (an administrator made
// with `kuzet-server accounts create`, a real HR officer) keeps its
// password (issue 16).
func account(a *admin.Admin, st *store.Store, c *Credentials, base string, role store.Role) (store.Account, string, string, error) {
	pass, err := password()
	if err != nil {
		return store.Account{}, "", "", err
	}
	for i := 1; i <= 100; i++ {
		user := base
		if i > 1 {
			user = fmt.Sprintf("%s-%d", base, i)
		}
		if _, err := st.AccountByUsername(user); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return store.Account{}, "", "", err
		}
		acct, err := a.CreateAccount(user, pass, role)
		if err != nil {
			return acct, "", "", fmt.Errorf("create demo account %s: %w", user, err)
		}
		c.Accounts = append(c.Accounts, user)
		return acct, user, pass, nil
	}
	return store.Account{}, "", "", fmt.Errorf("create a demo %s account: the names %s to %s-100 are all taken", role, base, base)
}

// write saves the credentials file (mode 0600).
func write(path string, c Credentials) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// assign makes sure the proctor account is assigned to the sitting.
func assign(st *store.Store, id protocol.SittingID, proctor string) error {
	_, err := st.UpdateSitting(id, func(s *store.Sitting) error {
		for _, p := range s.Proctors {
			if p == proctor {
				return nil
			}
		}
		s.Proctors = append(s.Proctors, proctor)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the demo sitting is gone; nothing to assign
	}
	if err != nil {
		return fmt.Errorf("assign the demo sitting: %w", err)
	}
	return nil
}

// password makes a readable random password: four groups of four letters
// and digits without look-alikes.
func password() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, 0, 19)
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(v)%len(alphabet)])
	}
	return string(out), nil
}

// consent records the demo sitting's consent, when the server gave a way.
func (p Parts) consent(id protocol.SittingID) error {
	if p.Consent == nil {
		return nil
	}
	if err := p.Consent(id); err != nil {
		return fmt.Errorf("the demo sitting's consent: %w", err)
	}
	return nil
}
