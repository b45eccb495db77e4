// Package accounts manages staff accounts after the first one: creating
// them (any role), disabling and enabling them, resetting and changing
// passwords, and ending login sessions. Every change is one audit-log entry
// (kind "account") written in the same transaction as the change, naming
// who made it (an account id, or "cli" for `kuzet-server accounts`) and the
// account changed, never a password or its hash.
//
// The administrators reach it through the web API (http.go), the first
// administrator of a fresh install through the command line (command.go).
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
)

// Refusals, each saying what to do instead.
var (
	ErrSelfDisable     = errors.New("you cannot disable your own account: ask another administrator")
	ErrLastAdmin       = errors.New("this is the last enabled administrator account: create or enable another administrator first")
	ErrAlreadyDisabled = errors.New("the account is already disabled")
	ErrNotDisabled     = errors.New("the account is not disabled")
	ErrWrongPassword   = errors.New("the current password is wrong: type the password you logged in with")
	ErrSamePassword    = errors.New("the new password is the same as the current one: choose a different one")
	ErrDisabled        = errors.New("the account is disabled: enable it first")
)

// CLIActor is the audit log's actor for changes made on the command line.
const CLIActor = "cli"

// appendTimeout bounds how long a change waits for the audit log.
const appendTimeout = 10 * time.Second

// Manager changes accounts, logging each change.
type Manager struct {
	store *store.Store
	adm   *admin.Admin
	log   *audit.Log
	now   func() time.Time
	// slot takes one of the server's argon2id slots (web.Router.PasswordSlot).
	slot func(http.ResponseWriter, *http.Request) (func(), error)
}

// New returns a Manager over st, logging to l.
func New(st *store.Store, adm *admin.Admin, l *audit.Log) *Manager {
	return &Manager{store: st, adm: adm, log: l, now: time.Now}
}

// entryData is the Data of a KindAccount entry.
type entryData struct {
	// Action is create, disable, enable, password_reset, password_change
	// or sessions_revoked.
	Action  string     `json:"action"`
	Account string     `json:"account"`
	Role    store.Role `json:"role,omitempty"`
}

// change writes the entry and runs fn in its transaction.
func (m *Manager) change(ctx context.Context, actor, action, account string, role store.Role, fn func(tx *bolt.Tx) error) error {
	data, err := json.Marshal(entryData{Action: action, Account: account, Role: role})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	_, err = m.log.Append(ctx, audit.Entry{Time: m.now().UTC(), Kind: audit.KindAccount, Actor: actor, Data: data},
		func(tx *bolt.Tx, _ int64) error { return fn(tx) })
	return err
}

// Create adds an account. An empty password is replaced by a generated
// one, returned so it can be shown once.
func (m *Manager) Create(ctx context.Context, actor, username string, role store.Role, password string) (store.Account, string, error) {
	if password == "" {
		var err error
		if password, err = Generate(); err != nil {
			return store.Account{}, "", err
		}
	}
	// A taken name is refused before the (costly) hash; PutAccountTx
	// checks again in the transaction.
	if _, err := m.store.AccountByUsername(strings.TrimSpace(username)); err == nil {
		return store.Account{}, "", fmt.Errorf("account %q: %w: choose another username", strings.TrimSpace(username), store.ErrExists)
	}
	acct, err := m.adm.NewAccount(username, password, role)
	if err != nil {
		return acct, "", err
	}
	err = m.change(ctx, actor, "create", acct.ID, role, func(tx *bolt.Tx) error { return store.PutAccountTx(tx, acct) })
	if err != nil {
		return store.Account{}, "", err
	}
	return acct, password, nil
}

// Disable stops account id from logging in and ends its sessions at once.
// Nobody disables their own account, nor the last enabled administrator.
func (m *Manager) Disable(ctx context.Context, actor, id string) (store.Account, error) {
	if actor == id {
		return store.Account{}, ErrSelfDisable
	}
	var out store.Account
	err := m.change(ctx, actor, "disable", id, "", func(tx *bolt.Tx) error {
		all, err := store.AccountsTx(tx)
		if err != nil {
			return err
		}
		admins := 0
		for _, a := range all {
			if a.Role == store.RoleAdmin && !a.Disabled && a.ID != id {
				admins++
			}
		}
		out, err = store.UpdateAccountTx(tx, id, func(a *store.Account) error {
			switch {
			case a.Disabled:
				return ErrAlreadyDisabled
			case a.Role == store.RoleAdmin && admins == 0:
				return ErrLastAdmin
			}
			t := m.now().UTC()
			a.Disabled, a.DisabledAt, a.DisabledBy = true, &t, actor
			return nil
		})
		if err != nil {
			return err
		}
		_, err = store.EndSessionsOfTx(tx, id, "", store.SessionDisabled, m.now())
		return err
	})
	return out, err
}

// Enable lets a disabled account log in again.
func (m *Manager) Enable(ctx context.Context, actor, id string) (store.Account, error) {
	var out store.Account
	err := m.change(ctx, actor, "enable", id, "", func(tx *bolt.Tx) error {
		var err error
		out, err = store.UpdateAccountTx(tx, id, func(a *store.Account) error {
			if !a.Disabled {
				return ErrNotDisabled
			}
			a.Disabled, a.DisabledAt, a.DisabledBy = false, nil, ""
			return nil
		})
		return err
	})
	return out, err
}

// ResetPassword gives account id a new password (generated if empty,
// and returned) and ends its sessions.
func (m *Manager) ResetPassword(ctx context.Context, actor, id, password string) (string, error) {
	if password == "" {
		var err error
		if password, err = Generate(); err != nil {
			return "", err
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("%w: %w", admin.ErrInvalid, err)
	}
	err = m.change(ctx, actor, "password_reset", id, "", func(tx *bolt.Tx) error {
		if _, err := store.UpdateAccountTx(tx, id, func(a *store.Account) error { a.PasswordHash = hash; return nil }); err != nil {
			return err
		}
		_, err := store.EndSessionsOfTx(tx, id, "", store.SessionPassword, m.now())
		return err
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// ChangeOwn changes acct's own password: the current one is required. The
// account's other sessions end; keep (the hash of the session making the
// change) stays.
func (m *Manager) ChangeOwn(ctx context.Context, acct store.Account, keep, current, next string) error {
	if err := auth.CheckPassword(acct.PasswordHash, current); err != nil {
		if errors.Is(err, auth.ErrBadPassword) {
			return ErrWrongPassword
		}
		return err
	}
	if current == next {
		return ErrSamePassword
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return fmt.Errorf("%w: %w", admin.ErrInvalid, err)
	}
	return m.change(ctx, acct.ID, "password_change", acct.ID, "", func(tx *bolt.Tx) error {
		_, err := store.UpdateAccountTx(tx, acct.ID, func(a *store.Account) error {
			if a.PasswordHash != acct.PasswordHash {
				return ErrWrongPassword // changed meanwhile: the checked password is stale
			}
			a.PasswordHash = hash
			return nil
		})
		if err != nil {
			return err
		}
		_, err = store.EndSessionsOfTx(tx, acct.ID, keep, store.SessionPassword, m.now())
		return err
	})
}

// RevokeSessions ends every session of account id.
func (m *Manager) RevokeSessions(ctx context.Context, actor, id string) (int, error) {
	var n int
	err := m.change(ctx, actor, "sessions_revoked", id, "", func(tx *bolt.Tx) error {
		if _, err := store.UpdateAccountTx(tx, id, func(*store.Account) error { return nil }); err != nil {
			return err
		}
		var err error
		n, err = store.EndSessionsOfTx(tx, id, "", store.SessionRevoked, m.now())
		return err
	})
	return n, err
}

// Find returns the account named by id or, failing that, by username.
func (m *Manager) Find(idOrName string) (store.Account, error) {
	if a, err := m.store.Account(idOrName); err == nil {
		return a, nil
	}
	a, err := m.store.AccountByUsername(strings.TrimSpace(idOrName))
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("no account %q: %w (list them with `kuzet-server accounts list`)", idOrName, store.ErrNotFound)
	}
	return a, err
}

// Generate makes a random password of five groups of four letters and
// digits without look-alikes (about 99 bits).
func Generate() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var out strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 20; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		if buf[0] >= 248 { // 248 = 8×31: above it the draw would be biased
			continue
		}
		if n > 0 && n%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		n++
	}
	return out.String(), nil
}
