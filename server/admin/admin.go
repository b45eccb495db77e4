// Package admin creates what the proctoring runs on: staff accounts,
// competitions and sittings with their PINs and tokens. The HR service and
// administrators reach it through the web API; the demo seeds through it.
package admin

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
)

// ErrInvalid wraps input that cannot be accepted; its message says why.
var ErrInvalid = errors.New("invalid")

// Admin creates accounts, competitions and sittings.
type Admin struct {
	store *store.Store
	now   func() time.Time
}

// New returns an Admin over st.
func New(st *store.Store) *Admin { return &Admin{store: st, now: time.Now} }

// ValidRole reports whether r is a staff role.
func ValidRole(r store.Role) bool {
	switch r {
	case store.RoleAdmin, store.RoleHR, store.RoleProctor, store.RoleAssessor, store.RoleAuditor, store.RoleCommittee:
		return true
	}
	return false
}

// CreateAccount adds a staff account with a hashed password.
func (a *Admin) CreateAccount(username, password string, role store.Role) (store.Account, error) {
	username = strings.TrimSpace(username)
	if len(username) < 3 || len(username) > 64 || strings.ContainsAny(username, " \t\r\n") {
		return store.Account{}, fmt.Errorf("%w: username must be 3 to 64 characters without spaces", ErrInvalid)
	}
	if !ValidRole(role) {
		return store.Account{}, fmt.Errorf("%w: role %q is not one of admin, hr, proctor, assessor, auditor, commission", ErrInvalid, role)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.Account{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	id, err := auth.NewID("a-")
	if err != nil {
		return store.Account{}, err
	}
	acct := store.Account{ID: id, Username: username, Role: role, PasswordHash: hash, Created: a.now().UTC()}
	if err := a.store.PutAccount(acct); err != nil {
		return store.Account{}, err
	}
	return acct, nil
}

// CreateCompetition adds a competition.
func (a *Admin) CreateCompetition(title string) (store.Competition, error) {
	title = strings.TrimSpace(title)
	if title == "" || len(title) > 300 {
		return store.Competition{}, fmt.Errorf("%w: competition title must be 1 to 300 characters", ErrInvalid)
	}
	id, err := auth.NewID("c-")
	if err != nil {
		return store.Competition{}, err
	}
	c := store.Competition{ID: id, Title: title, Created: a.now().UTC()}
	return c, a.store.PutCompetition(c)
}

// NewSitting is a sitting as created: the stored record and the agent's
// token, which is shown once and never stored.
type NewSitting struct {
	Sitting store.Sitting
	Token   string
}

// CreateSitting adds a sitting of competition for stage, assigns the
// candidate a fresh PIN (p.74-1: the only identity proctors see) and a
// sitting token for the agent.
func (a *Admin) CreateSitting(competition, stage string) (NewSitting, error) {
	if _, err := a.store.Competition(competition); err != nil {
		return NewSitting{}, fmt.Errorf("%w: competition %q does not exist", ErrInvalid, competition)
	}
	stage = strings.TrimSpace(stage)
	if stage == "" || len(stage) > 64 {
		return NewSitting{}, fmt.Errorf("%w: stage must be 1 to 64 characters, e.g. essay", ErrInvalid)
	}
	id, err := auth.NewID("s-")
	if err != nil {
		return NewSitting{}, err
	}
	pin, err := a.freshPIN()
	if err != nil {
		return NewSitting{}, err
	}
	token, err := auth.NewToken()
	if err != nil {
		return NewSitting{}, err
	}
	st := store.Sitting{ID: protocol.SittingID(id), Competition: competition, PIN: pin, Stage: stage,
		State: protocol.StateWaiting, TokenHash: auth.TokenHash(token), Created: a.now().UTC()}
	if err := a.store.PutSitting(st); err != nil {
		return NewSitting{}, err
	}
	return NewSitting{Sitting: st, Token: token}, nil
}

// freshPIN draws an 8-digit PIN no other sitting has.
func (a *Admin) freshPIN() (string, error) {
	all, err := a.store.Sittings()
	if err != nil {
		return "", err
	}
	used := make(map[string]bool, len(all))
	for _, s := range all {
		used[s.PIN] = true
	}
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(90000000))
		if err != nil {
			return "", err
		}
		pin := fmt.Sprintf("%08d", n.Int64()+10000000)
		if !used[pin] {
			return pin, nil
		}
	}
	return "", errors.New("could not draw an unused PIN")
}
