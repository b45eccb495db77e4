// Package admin creates what the proctoring runs on: staff accounts,
// competitions and sittings with their PINs and tokens. The HR service and
// administrators reach it through the web API; the demo seeds through it.
package admin

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
)

// ErrInvalid wraps input that cannot be accepted; its message says why.
var ErrInvalid = errors.New("invalid")

// ErrUsername and ErrRole say which part of a new account was refused
// (both come wrapped with ErrInvalid).
var (
	ErrUsername = errors.New("username")
	ErrRole     = errors.New("role")
)

// Join token refusals.
var (
	ErrTokenInvalid = errors.New("the sitting token is not valid: check it against the one your organiser gave for this stage")
	ErrTokenUsed    = errors.New("this sitting token was already used on another computer: ask the HR service for a new one")
	ErrTokenExpired = errors.New("this sitting token has expired: ask the HR service for a new one")
	ErrSittingEnded = errors.New("this sitting has ended; the token can no longer be used")
)

// JoinTTL is how long a join token opens its sitting (until the agent
// first uses it): long enough for the candidate to get ready for the
// stage, short enough that a leaked one soon goes stale. HR issues a new
// one (ReissueToken) if the stage moves.
const JoinTTL = 72 * time.Hour

// Admin creates accounts, competitions and sittings.
type Admin struct {
	store *store.Store
	now   func() time.Time
}

// New returns an Admin over st.
func New(st *store.Store) *Admin { return &Admin{store: st, now: time.Now} }

// JoinKeyName is the store secret that signs join tokens.
const JoinKeyName = "join-token-key"

// ValidRole reports whether r is a staff role.
func ValidRole(r store.Role) bool {
	switch r {
	case store.RoleAdmin, store.RoleHR, store.RoleProctor, store.RoleAssessor, store.RoleAuditor, store.RoleCommittee:
		return true
	}
	return false
}

// CheckUsername says what is wrong with a login name, or nil: 3 to 64
// characters of a-z, 0-9 and . _ - @, starting with a letter or digit
// (lower case only, so "Admin" and "admin" cannot be two people).
func CheckUsername(username string) error {
	bad := len(username) < 3 || len(username) > 64
	for i, c := range []byte(username) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-' || c == '@'):
		default:
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%w: %w %q must be 3 to 64 characters of a-z, 0-9 and . _ - @, starting with a letter or digit (e.g. a.serikova)", ErrInvalid, ErrUsername, username)
	}
	return nil
}

// NewAccount checks a new account's username, role and password and
// returns it with the password hashed, not yet stored.
func (a *Admin) NewAccount(username, password string, role store.Role) (store.Account, error) {
	username = strings.TrimSpace(username)
	if err := CheckUsername(username); err != nil {
		return store.Account{}, err
	}
	if !ValidRole(role) {
		return store.Account{}, fmt.Errorf("%w: %w %q is not one of admin, hr, proctor, assessor, auditor, commission", ErrInvalid, ErrRole, role)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.Account{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	id, err := auth.NewID("a-")
	if err != nil {
		return store.Account{}, err
	}
	return store.Account{ID: id, Username: username, Role: role, PasswordHash: hash, Created: a.now().UTC()}, nil
}

// CreateAccount adds a staff account with a hashed password (see
// NewAccount). Accounts made by people go through server/accounts, which
// also writes the audit log.
func (a *Admin) CreateAccount(username, password string, role store.Role) (store.Account, error) {
	acct, err := a.NewAccount(username, password, role)
	if err != nil {
		return acct, err
	}
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
// join token, which is shown once and never stored: signed, bound to the
// sitting, single-use (the agent swaps it for a resume token on first
// connection) and valid for JoinTTL.
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
	pin, err := a.store.NewPIN()
	if err != nil {
		return NewSitting{}, err
	}
	return a.createSitting(competition, stage, id, pin)
}

// CreateSittingFor adds a sitting of competition for stage for a
// candidate who already has a PIN (given on admission, p.74-1: the same
// PIN in every stage) and returns it with its join token.
func (a *Admin) CreateSittingFor(competition, stage, pin string) (NewSitting, error) {
	if _, err := a.store.Competition(competition); err != nil {
		return NewSitting{}, fmt.Errorf("%w: competition %q does not exist", ErrInvalid, competition)
	}
	stage = strings.TrimSpace(stage)
	if stage == "" || len(stage) > 64 {
		return NewSitting{}, fmt.Errorf("%w: stage must be 1 to 64 characters, e.g. essay", ErrInvalid)
	}
	if len(pin) != 8 {
		return NewSitting{}, fmt.Errorf("%w: PIN %q is not an 8-digit PIN", ErrInvalid, pin)
	}
	id, err := auth.NewID("s-")
	if err != nil {
		return NewSitting{}, err
	}
	return a.createSitting(competition, stage, id, pin)
}

func (a *Admin) createSitting(competition, stage, id, pin string) (NewSitting, error) {
	key, err := a.store.Secret(JoinKeyName, 32)
	if err != nil {
		return NewSitting{}, err
	}
	token, claims, err := auth.IssueJoin(key, id, a.now().Add(JoinTTL))
	if err != nil {
		return NewSitting{}, err
	}
	st := store.Sitting{ID: protocol.SittingID(id), Competition: competition, PIN: pin, Stage: stage,
		State: protocol.StateWaiting, JoinNonce: claims.Nonce, JoinExpires: claims.ExpiresAt().UTC(),
		Nonces: []string{claims.Nonce}, Created: a.now().UTC()}
	if err := a.store.PutSitting(st); err != nil {
		return NewSitting{}, err
	}
	return NewSitting{Sitting: st, Token: token}, nil
}

// ReissueToken gives a sitting a new join token (the candidate moved to
// another computer, or the old token expired): the previous join token and
// any resume token stop working; the agent holding one is refused at its
// next connection.
func (a *Admin) ReissueToken(id protocol.SittingID) (string, error) {
	key, err := a.store.Secret(JoinKeyName, 32)
	if err != nil {
		return "", err
	}
	token, claims, err := auth.IssueJoin(key, string(id), a.now().Add(JoinTTL))
	if err != nil {
		return "", err
	}
	_, err = a.store.UpdateSitting(id, func(s *store.Sitting) error {
		if s.State == protocol.StateEnded {
			return fmt.Errorf("%w: the sitting has ended", ErrInvalid)
		}
		s.JoinNonce, s.JoinExpires, s.TokenHash = claims.Nonce, claims.ExpiresAt().UTC(), ""
		s.Nonces = append(s.Nonces, claims.Nonce)
		if len(s.Nonces) > 16 {
			s.Nonces = s.Nonces[len(s.Nonces)-16:]
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: no sitting %s", ErrInvalid, id)
	}
	return token, err
}

// Join checks a join token and, the first time, swaps it for a resume
// token the agent keeps: the returned sitting's TokenHash is the resume
// token's hash. A second use, an expired token, a token of an ended
// sitting or a forged one is refused with the reason.
func (a *Admin) Join(token string) (store.Sitting, string, error) {
	key, err := a.store.Secret(JoinKeyName, 32)
	if err != nil {
		return store.Sitting{}, "", err
	}
	c, err := auth.ParseJoin(key, token)
	if err != nil {
		return store.Sitting{}, "", ErrTokenInvalid
	}
	resume, err := auth.NewToken()
	if err != nil {
		return store.Sitting{}, "", err
	}
	st, err := a.store.UpdateSitting(protocol.SittingID(c.Sitting), func(s *store.Sitting) error {
		switch {
		case s.State == protocol.StateEnded:
			return ErrSittingEnded
		case s.JoinNonce == "" || s.JoinNonce != c.Nonce:
			return ErrTokenUsed
		case a.now().After(c.ExpiresAt()):
			return ErrTokenExpired
		}
		s.JoinNonce = ""
		s.TokenHash = auth.TokenHash(resume)
		if s.Joined == nil {
			now := a.now().UTC()
			s.Joined = &now
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return st, "", ErrTokenInvalid
	}
	return st, resume, err
}

// CabinetSitting returns the sitting a candidate's current join token
// names, used or not: the cabinet (verdict, appeal) outlives the stage, but
// only the newest credential opens it — a token superseded by
// ReissueToken (a leaked one, an old computer's) is refused (issue 16).
// How long the cabinet stays open is the replay's rule (the appeal period).
func (a *Admin) CabinetSitting(token string) (store.Sitting, error) {
	key, err := a.store.Secret(JoinKeyName, 32)
	if err != nil {
		return store.Sitting{}, err
	}
	c, err := auth.ParseJoin(key, token)
	if err != nil {
		return store.Sitting{}, ErrTokenInvalid
	}
	st, err := a.store.Sitting(protocol.SittingID(c.Sitting))
	if err != nil {
		return st, ErrTokenInvalid
	}
	if n := len(st.Nonces); n > 0 && st.Nonces[n-1] == c.Nonce {
		return st, nil
	}
	return store.Sitting{}, ErrTokenInvalid
}
