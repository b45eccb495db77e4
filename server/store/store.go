// Package store keeps the server's records in one bbolt file: accounts,
// competitions, sittings, login sessions and each sitting's event records.
//
// Ingest is idempotent: an event is stored once per (sitting, seq), and a
// resent event returns the record stored the first time. The audit log
// (package audit) lives in the same file, in its own buckets, so that a
// record and its log entry can be written in one transaction (see the *Tx
// methods).
package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"kuzet.kz/kuzet/protocol"
)

// Errors returned by the store.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another process has the store open.
	ErrLocked = errors.New("the store is in use by another process")
	// ErrExists: a record with that key already exists.
	ErrExists = errors.New("already exists")
	// ErrVerdictPublished: the sitting's verdict was published already;
	// publishing is once (an appeal, not a second publication, changes it).
	ErrVerdictPublished = errors.New("the check results of this sitting are already published")
)

// Role is what a staff account may do.
type Role string

// Roles of staff accounts (see the architecture's table of users).
const (
	RoleAdmin     Role = "admin"
	RoleHR        Role = "hr"
	RoleProctor   Role = "proctor"
	RoleAssessor  Role = "assessor"
	RoleAuditor   Role = "auditor"
	RoleCommittee Role = "commission"
)

// Account is a staff login. Candidates have no account here: they hold a
// sitting token.
type Account struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"password_hash"`
	Created      time.Time `json:"created"`
	// Disabled accounts cannot log in and their sessions have ended
	// (server/accounts); DisabledAt and DisabledBy (an account id, or
	// "cli") say when and by whom.
	Disabled   bool       `json:"disabled,omitempty"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	DisabledBy string     `json:"disabled_by,omitempty"`
	// LastLogin is the time of the last successful login.
	LastLogin *time.Time `json:"last_login,omitempty"`
}

// Competition is a selection for one or more positions.
type Competition struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Created time.Time `json:"created"`
}

// Sitting is one candidate in one stage: the unit that is proctored. It
// knows the candidate only by PIN (p.74-1).
type Sitting struct {
	ID          protocol.SittingID    `json:"id"`
	Competition string                `json:"competition"`
	PIN         string                `json:"pin"`
	Stage       string                `json:"stage"`
	State       protocol.SittingState `json:"state"`
	// TokenHash is the SHA-256 of the agent's resume token, issued when
	// the agent first joined with its (single-use) join token; the token
	// itself is never stored. Empty until then.
	TokenHash string `json:"token_hash"`
	// JoinNonce is the nonce of the join token HR holds and the agent has
	// not used yet; empty once used (a join token opens a sitting once).
	JoinNonce string `json:"join_nonce,omitempty"`
	// JoinExpires is when that join token stops opening the sitting.
	JoinExpires time.Time `json:"join_expires,omitempty"`
	// Nonces are every join token nonce issued for the sitting (the
	// newest last): the candidate's cabinet still opens with a used one.
	Nonces []string `json:"nonces,omitempty"`
	// PageTokenHash is the SHA-256 of the candidate page's token.
	PageTokenHash string `json:"page_token_hash"`
	// Proctors lists the accounts assigned to watch the sitting; only
	// they, of all proctors, see it.
	Proctors []string   `json:"proctors,omitempty"`
	Created  time.Time  `json:"created"`
	Ended    *time.Time `json:"ended,omitempty"`
	// Joined is when the agent first joined with the join token: the
	// candidate took part in the stage (p.117 counts it).
	Joined *time.Time `json:"joined,omitempty"`
	// Verdict is the published check result, once a proctor published it;
	// the workflow reads it (p.115: an essay is graded only after it is
	// published, and only if it is clean).
	Verdict *PublishedVerdict `json:"verdict,omitempty"`
	// Appeal is the decision on the candidate's appeal against Verdict,
	// once the appeal commission decided (server/replay). An overturned
	// verdict re-opens what it blocked: see EffectiveOutcome.
	Appeal *AppealDecision `json:"appeal,omitempty"`
	// Consent is the candidate's latest decision on the consent notice,
	// kept with its record (server/consent): the agent captures nothing
	// before it is given.
	Consent *Consent `json:"consent,omitempty"`
}

// Consent is a candidate's decision on the consent notice: its feed
// record (N), when, the notice's digest and the language it was read in.
type Consent struct {
	Given  bool      `json:"given"`
	Time   time.Time `json:"time"`
	Notice string    `json:"notice"`
	Lang   string    `json:"lang"`
	N      uint64    `json:"n"`
}

// AppealDecision is the outcome of an appeal against a published verdict.
type AppealDecision struct {
	// Overturned is true when the verdict was set aside, false when it
	// was upheld.
	Overturned bool `json:"overturned"`
	// Effective is the verdict outcome that stands after the decision.
	Effective protocol.VerdictOutcome `json:"effective"`
	// Entry is the audit-log entry of the decision.
	Entry int64     `json:"entry"`
	Actor string    `json:"actor"`
	Time  time.Time `json:"time"`
}

// EffectiveOutcome is the verdict outcome the workflow follows (p.115: an
// essay is graded only after a clean verdict): the published verdict's,
// or the appeal decision's once an appeal was decided; empty while no
// verdict is published. A pending appeal changes nothing.
func (s *Sitting) EffectiveOutcome() protocol.VerdictOutcome {
	switch {
	case s.Verdict == nil:
		return ""
	case s.Appeal != nil:
		return s.Appeal.Effective
	}
	return s.Verdict.Outcome
}

// PublishedVerdict is a verdict with who published it, when, and the
// record of the sitting's feed that logged it.
type PublishedVerdict struct {
	protocol.Verdict
	// Record is the number of the verdict action in the sitting's feed.
	Record uint64    `json:"record"`
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"`
}

// Clean reports whether the published verdict found no violation.
func (v *PublishedVerdict) Clean() bool { return v != nil && v.Outcome == protocol.VerdictClean }

// Session is a staff login session, stored by the hash of its cookie value.
type Session struct {
	Account string    `json:"account"`
	Expires time.Time `json:"expires"`
	// Created is when the login happened (zero for sessions stored before
	// it was recorded).
	Created time.Time `json:"created,omitzero"`
	// Ended, when set, says why the session no longer logs anyone in
	// (SessionDisabled, SessionRevoked, SessionPassword): the record stays
	// until it expires, so the cookie's holder is told why.
	Ended string `json:"ended,omitempty"`
}

// Why a session was ended before it expired.
const (
	SessionDisabled = "disabled" // the account was disabled
	SessionRevoked  = "revoked"  // an administrator ended the account's sessions
	SessionPassword = "password" // the password was reset or changed
)

// Live reports whether the session still logs its holder in at now.
func (s Session) Live(now time.Time) bool { return s.Ended == "" && now.Before(s.Expires) }

var (
	bAccounts      = []byte("accounts")
	bAccountByName = []byte("accounts.byname")
	bCompetitions  = []byte("competitions")
	bSittings      = []byte("sittings")
	bSittingToken  = []byte("sittings.bytoken")
	bSittingPage   = []byte("sittings.bypage")
	bSessions      = []byte("sessions")
	bSecrets       = []byte("secrets")
	bEvents        = []byte("events")
	bRecords       = []byte("records")
	bSeqs          = []byte("seqs")
	// bPINs holds every PIN ever given (p.74-1), so none is given twice,
	// whether to a sitting or an admitted application.
	bPINs = []byte("pins")
)

// Store is the open bbolt file. It is safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// Open opens (creating if needed) the store file at path. If another
// process holds it, Open gives up after a second with ErrLocked.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (is another kuzet-server running with the same -data?)", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bAccounts, bAccountByName, bCompetitions, bSittings, bSittingToken, bSittingPage, bSessions, bEvents, bSecrets, bPINs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = db.Update(migratePINs)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file. Every write has been synced when it returned.
func (s *Store) Close() error { return s.db.Close() }

// DB is the underlying bbolt handle, shared with the audit log.
func (s *Store) DB() *bolt.DB { return s.db }

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// PutAccount creates an account; the username must be new.
func (s *Store) PutAccount(a Account) error {
	return s.db.Update(func(tx *bolt.Tx) error { return PutAccountTx(tx, a) })
}

// PutAccountTx is PutAccount inside the caller's transaction (the audit
// log's, so the account and its log entry are written together).
func PutAccountTx(tx *bolt.Tx, a Account) error {
	byName := tx.Bucket(bAccountByName)
	if id := byName.Get([]byte(a.Username)); id != nil && string(id) != a.ID {
		return fmt.Errorf("account %q: %w", a.Username, ErrExists)
	}
	if err := byName.Put([]byte(a.Username), []byte(a.ID)); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bAccounts), []byte(a.ID), a)
}

// UpdateAccountTx changes the account id with fn inside tx; the username
// does not change.
func UpdateAccountTx(tx *bolt.Tx, id string, fn func(*Account) error) (Account, error) {
	var a Account
	if err := getJSON(tx.Bucket(bAccounts), []byte(id), &a); err != nil {
		return a, err
	}
	name := a.Username
	if err := fn(&a); err != nil {
		return a, err
	}
	a.ID, a.Username = id, name
	return a, putJSON(tx.Bucket(bAccounts), []byte(id), a)
}

// AccountsTx lists every staff account inside tx.
func AccountsTx(tx *bolt.Tx) ([]Account, error) {
	out := []Account{}
	err := tx.Bucket(bAccounts).ForEach(func(_, v []byte) error {
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, err
}

// AccountByUsername finds an account by its login name.
func (s *Store) AccountByUsername(name string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bAccountByName).Get([]byte(name))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bAccounts), id, &a)
	})
	return a, err
}

// Account finds an account by id.
func (s *Store) Account(id string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bAccounts), []byte(id), &a) })
	return a, err
}

// PutCompetition creates or replaces a competition.
func (s *Store) PutCompetition(c Competition) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bCompetitions), []byte(c.ID), c) })
}

// Competition finds a competition by id.
func (s *Store) Competition(id string) (Competition, error) {
	var c Competition
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bCompetitions), []byte(id), &c) })
	return c, err
}

// PutSitting creates or replaces a sitting and its token indexes.
func (s *Store) PutSitting(st Sitting) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putSittingTx(tx, st) })
}

// putSittingTx writes a sitting and keeps its token indexes in step: an
// old token stops opening the sitting the moment a new one is stored.
func putSittingTx(tx *bolt.Tx, st Sitting) error {
	b := tx.Bucket(bSittings)
	var old Sitting
	if err := getJSON(b, []byte(st.ID), &old); err == nil {
		if old.TokenHash != "" && old.TokenHash != st.TokenHash {
			if err := tx.Bucket(bSittingToken).Delete([]byte(old.TokenHash)); err != nil {
				return err
			}
		}
		if old.PageTokenHash != "" && old.PageTokenHash != st.PageTokenHash {
			if err := tx.Bucket(bSittingPage).Delete([]byte(old.PageTokenHash)); err != nil {
				return err
			}
		}
	}
	if st.TokenHash != "" {
		if err := tx.Bucket(bSittingToken).Put([]byte(st.TokenHash), []byte(st.ID)); err != nil {
			return err
		}
	}
	if st.PageTokenHash != "" {
		if err := tx.Bucket(bSittingPage).Put([]byte(st.PageTokenHash), []byte(st.ID)); err != nil {
			return err
		}
	}
	return putJSON(b, []byte(st.ID), st)
}

// UpdateSitting applies fn to a stored sitting and saves the result.
func (s *Store) UpdateSitting(id protocol.SittingID, fn func(*Sitting) error) (Sitting, error) {
	var st Sitting
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		st, err = UpdateSittingTx(tx, id, fn)
		return err
	})
	return st, err
}

// UpdateSittingTx is UpdateSitting inside a caller's transaction, so a
// change to the sitting and its audit-log entry commit together.
func UpdateSittingTx(tx *bolt.Tx, id protocol.SittingID, fn func(*Sitting) error) (Sitting, error) {
	var st Sitting
	if err := getJSON(tx.Bucket(bSittings), []byte(id), &st); err != nil {
		return st, err
	}
	if err := fn(&st); err != nil {
		return st, err
	}
	st.ID = id
	return st, putSittingTx(tx, st)
}

// SetVerdict stores the published verdict on the sitting. It refuses with
// ErrVerdictPublished if the sitting has one already.
func (s *Store) SetVerdict(id protocol.SittingID, v PublishedVerdict) error {
	_, err := s.UpdateSitting(id, func(st *Sitting) error {
		if st.Verdict != nil {
			return fmt.Errorf("sitting %s: %w", id, ErrVerdictPublished)
		}
		st.Verdict = &v
		return nil
	})
	return err
}

// Sitting finds a sitting by id.
func (s *Store) Sitting(id protocol.SittingID) (Sitting, error) {
	var st Sitting
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bSittings), []byte(id), &st) })
	return st, err
}

func (s *Store) sittingByIndex(index []byte, hash string) (Sitting, error) {
	var st Sitting
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(index).Get([]byte(hash))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bSittings), id, &st)
	})
	return st, err
}

// SittingByTokenHash finds the sitting an agent token (by its hash) opens.
func (s *Store) SittingByTokenHash(hash string) (Sitting, error) {
	return s.sittingByIndex(bSittingToken, hash)
}

// SittingByPageTokenHash finds the sitting a candidate-page token opens.
func (s *Store) SittingByPageTokenHash(hash string) (Sitting, error) {
	return s.sittingByIndex(bSittingPage, hash)
}

// Sittings lists every sitting, oldest first.
func (s *Store) Sittings() ([]Sitting, error) {
	var out []Sitting
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSittings).ForEach(func(k, v []byte) error {
			var st Sitting
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("sitting %s: %w", k, err)
			}
			out = append(out, st)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// Secret returns the server's secret called name, n random bytes made the
// first time it is asked for (e.g. the key that signs join tokens). It
// lives in the store so a backup of the store keeps tokens valid.
func (s *Store) Secret(name string, n int) ([]byte, error) {
	var out []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSecrets)
		if v := b.Get([]byte(name)); v != nil {
			out = append([]byte(nil), v...)
			return nil
		}
		out = make([]byte, n)
		if _, err := rand.Read(out); err != nil {
			return err
		}
		return b.Put([]byte(name), out)
	})
	return out, err
}

// PutSession stores a login session under the hash of its cookie value.
func (s *Store) PutSession(hash string, ses Session) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSessions), []byte(hash), ses) })
}

// Session finds a login session by the hash of its cookie value.
func (s *Store) Session(hash string) (Session, error) {
	var ses Session
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bSessions), []byte(hash), &ses) })
	return ses, err
}

// StartSession stores a new login session (see PutSession) and records
// the login time on its account, in one transaction.
func (s *Store) StartSession(hash string, ses Session) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := UpdateAccountTx(tx, ses.Account, func(a *Account) error {
			t := ses.Created.UTC()
			a.LastLogin = &t
			return nil
		}); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bSessions), []byte(hash), ses)
	})
}

// SessionInfo is a stored session with the hash it is stored under.
type SessionInfo struct {
	Hash string
	Session
}

// SessionsOf lists the sessions of account id, oldest first.
func (s *Store) SessionsOf(id string) ([]SessionInfo, error) {
	out := []SessionInfo{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			var ses Session
			if err := json.Unmarshal(v, &ses); err != nil {
				return err
			}
			if ses.Account == id {
				out = append(out, SessionInfo{Hash: string(k), Session: ses})
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// EndSessionsOfTx ends every session of account id still live at now,
// except the one stored under keep (if not empty), saying why, and returns
// how many ended. The records stay until they expire so that the next request with
// such a cookie is told why (see Session.Ended).
func EndSessionsOfTx(tx *bolt.Tx, id, keep, why string, now time.Time) (int, error) {
	b := tx.Bucket(bSessions)
	ended := map[string]Session{}
	err := b.ForEach(func(k, v []byte) error {
		var ses Session
		if err := json.Unmarshal(v, &ses); err != nil {
			return nil // unreadable: logs nobody in; the sweep deletes it
		}
		if ses.Account == id && ses.Live(now) && string(k) != keep {
			ses.Ended = why
			ended[string(k)] = ses
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for k, ses := range ended {
		if err := putJSON(b, []byte(k), ses); err != nil {
			return 0, err
		}
	}
	return len(ended), nil
}

// DeleteExpiredSessions deletes the sessions that expired before now and
// returns how many.
func (s *Store) DeleteExpiredSessions(now time.Time) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = deleteSessions(tx, func(ses Session) bool { return now.After(ses.Expires) })
		return err
	})
	return n, err
}

func deleteSessions(tx *bolt.Tx, match func(Session) bool) (int, error) {
	b := tx.Bucket(bSessions)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var ses Session
		if err := json.Unmarshal(v, &ses); err != nil {
			// A record that cannot be read cannot log anyone in: drop it.
			keys = append(keys, append([]byte(nil), k...))
			return nil
		}
		if match(ses) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// DeleteSession ends a login session.
func (s *Store) DeleteSession(hash string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete([]byte(hash)) })
}

// AppendEvent stores an agent's event as the sitting's next record. If the
// sitting already has an event with the same sequence number, nothing is
// written and the stored record comes back with dup set: a resent event is
// acknowledged again but never stored twice.
func (s *Store) AppendEvent(id protocol.SittingID, ev protocol.Event, received time.Time) (rec protocol.Record, dup bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		rec, dup, err = AppendEventTx(tx, id, ev, received)
		return err
	})
	return rec, dup, err
}

// AppendEventTx is AppendEvent inside a caller's transaction, so that the
// record and its audit-log entry commit together.
func AppendEventTx(tx *bolt.Tx, id protocol.SittingID, ev protocol.Event, received time.Time) (protocol.Record, bool, error) {
	sb, err := tx.Bucket(bEvents).CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return protocol.Record{}, false, err
	}
	recs, err := sb.CreateBucketIfNotExists(bRecords)
	if err != nil {
		return protocol.Record{}, false, err
	}
	seqs, err := sb.CreateBucketIfNotExists(bSeqs)
	if err != nil {
		return protocol.Record{}, false, err
	}
	if n := seqs.Get(u64(ev.Seq)); n != nil {
		var rec protocol.Record
		if err := getJSON(recs, n, &rec); err != nil {
			return rec, true, fmt.Errorf("stored record for seq %d: %w", ev.Seq, err)
		}
		return rec, true, nil
	}
	n, err := recs.NextSequence()
	if err != nil {
		return protocol.Record{}, false, err
	}
	rec := protocol.Record{Sitting: id, N: n, Received: received.UTC(), Event: &ev}
	if err := putJSON(recs, u64(n), rec); err != nil {
		return rec, false, err
	}
	return rec, false, seqs.Put(u64(ev.Seq), u64(n))
}

// AppendAction stores an action as the sitting's next record.
func (s *Store) AppendAction(id protocol.SittingID, a protocol.Action, received time.Time) (rec protocol.Record, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		rec, err = AppendActionTx(tx, id, a, received)
		return err
	})
	return rec, err
}

// AppendActionTx is AppendAction inside a caller's transaction.
func AppendActionTx(tx *bolt.Tx, id protocol.SittingID, a protocol.Action, received time.Time) (protocol.Record, error) {
	sb, err := tx.Bucket(bEvents).CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return protocol.Record{}, err
	}
	recs, err := sb.CreateBucketIfNotExists(bRecords)
	if err != nil {
		return protocol.Record{}, err
	}
	n, err := recs.NextSequence()
	if err != nil {
		return protocol.Record{}, err
	}
	rec := protocol.Record{Sitting: id, N: n, Received: received.UTC(), Action: &a}
	if err := putJSON(recs, u64(n), rec); err != nil {
		return rec, err
	}
	if a.Kind == protocol.ActionConsent || a.Kind == protocol.ActionConsentDeclined {
		// The decision and its record commit together.
		notice, lang := ParseConsentNote(a.Note)
		_, err = UpdateSittingTx(tx, id, func(st *Sitting) error {
			st.Consent = &Consent{Given: a.Kind == protocol.ActionConsent, Time: a.Time, Notice: notice, Lang: lang, N: n}
			return nil
		})
	}
	return rec, err
}

// ConsentState is the sitting's consent as the agent and the page read it.
func (s *Sitting) ConsentState() protocol.ConsentState {
	c := s.Consent
	if c == nil {
		return protocol.ConsentState{}
	}
	t := c.Time
	return protocol.ConsentState{Given: c.Given, Declined: !c.Given, Time: &t}
}

// ConsentNote is the note of a consent record: the notice's digest and
// the language it was read in.
func ConsentNote(notice, lang string) string { return "notice " + notice + ", read in " + lang }

// ParseConsentNote reads ConsentNote back.
func ParseConsentNote(note string) (notice, lang string) {
	rest, ok := strings.CutPrefix(note, "notice ")
	if !ok {
		return "", ""
	}
	notice, lang, _ = strings.Cut(rest, ", read in ")
	return notice, lang
}

// Record returns one record of a sitting by number.
func (s *Store) Record(id protocol.SittingID, n uint64) (protocol.Record, error) {
	var rec protocol.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bEvents).Bucket([]byte(id))
		if sb == nil || sb.Bucket(bRecords) == nil {
			return ErrNotFound
		}
		return getJSON(sb.Bucket(bRecords), u64(n), &rec)
	})
	return rec, err
}

// HasEvent reports whether the sitting already stored the event seq.
func (s *Store) HasEvent(id protocol.SittingID, seq uint64) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bEvents).Bucket([]byte(id))
		if sb == nil || sb.Bucket(bSeqs) == nil {
			return nil
		}
		found = sb.Bucket(bSeqs).Get(u64(seq)) != nil
		return nil
	})
	return found, err
}

// Records returns up to limit records of a sitting numbered after after,
// in order.
func (s *Store) Records(id protocol.SittingID, after uint64, limit int) ([]protocol.Record, error) {
	var out []protocol.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bEvents).Bucket([]byte(id))
		if sb == nil || sb.Bucket(bRecords) == nil {
			return nil
		}
		c := sb.Bucket(bRecords).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var rec protocol.Record
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("record %d of %s: %w", binary.BigEndian.Uint64(k), id, err)
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// Cites reports whether a record of the sitting cites the evidence file
// sum as kind: the ID-document photo is served to HR only (p.74-1), and
// only the records say which file it is.
func (s *Store) Cites(id protocol.SittingID, sum string, kind protocol.EvidenceKind) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bEvents).Bucket([]byte(id))
		if sb == nil || sb.Bucket(bRecords) == nil {
			return nil
		}
		return sb.Bucket(bRecords).ForEach(func(k, v []byte) error {
			if found || !bytes.Contains(v, []byte(sum)) {
				return nil
			}
			var rec protocol.Record
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("record %d of %s: %w", binary.BigEndian.Uint64(k), id, err)
			}
			if rec.Event != nil {
				for _, e := range rec.Event.Evidence {
					found = found || e.SHA256 == sum && e.Kind == kind
				}
			}
			return nil
		})
	})
	return found, err
}

// Counters returns the highest event sequence number stored for a sitting
// and how many records it has.
func (s *Store) Counters(id protocol.SittingID) (lastSeq, records uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bEvents).Bucket([]byte(id))
		if sb == nil {
			return nil
		}
		if seqs := sb.Bucket(bSeqs); seqs != nil {
			if k, _ := seqs.Cursor().Last(); k != nil {
				lastSeq = binary.BigEndian.Uint64(k)
			}
		}
		if recs := sb.Bucket(bRecords); recs != nil {
			records = recs.Sequence()
		}
		return nil
	})
	return lastSeq, records, err
}

// migratePINs fills the PIN registry from the sittings of a store made
// before it existed.
func migratePINs(tx *bolt.Tx) error {
	pins := tx.Bucket(bPINs)
	if k, _ := pins.Cursor().First(); k != nil {
		return nil
	}
	return tx.Bucket(bSittings).ForEach(func(_, v []byte) error {
		var st Sitting
		if err := json.Unmarshal(v, &st); err != nil {
			return err
		}
		if st.PIN == "" {
			return nil
		}
		return pins.Put([]byte(st.PIN), []byte{1})
	})
}

// ErrNoPIN: no unused PIN was found after many draws (the registry is
// nearly full, or the random source is broken).
var ErrNoPIN = errors.New("could not draw an unused PIN")

// DrawPIN draws a random 8-digit PIN that was never given before and
// records it, inside tx (p.74-1: unique, and not derived from personal
// data: it is random). It is the one place PINs come from: sittings
// (server/admin) and admissions (server/workflow) both use it.
func DrawPIN(tx *bolt.Tx) (string, error) {
	pins := tx.Bucket(bPINs)
	if pins == nil {
		return "", fmt.Errorf("draw PIN: %w: bucket %s missing", ErrNotFound, bPINs)
	}
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		pin := fmt.Sprintf("%08d", binary.BigEndian.Uint64(b[:])%90000000+10000000)
		if pins.Get([]byte(pin)) != nil {
			continue
		}
		if err := pins.Put([]byte(pin), []byte{1}); err != nil {
			return "", err
		}
		return pin, nil
	}
	return "", ErrNoPIN
}

// NewPIN draws and records a PIN in its own transaction (see DrawPIN).
func (s *Store) NewPIN() (string, error) {
	var pin string
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		pin, err = DrawPIN(tx)
		return err
	})
	return pin, err
}

// Accounts lists every staff account, by username.
func (s *Store) Accounts() ([]Account, error) {
	var out []Account
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = AccountsTx(tx)
		return err
	})
	if out == nil {
		out = []Account{}
	}
	return out, err
}
