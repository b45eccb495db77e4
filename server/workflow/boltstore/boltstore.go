// Package boltstore keeps the workflow's records in the server's bbolt
// file, in buckets whose names start with "wf.", beside the proctoring
// store and the audit log, so that a decision, its records and its audit
// entry commit in one transaction. It implements workflow.Store and
// passes server/workflow/storetest.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
)

var (
	bCompetitions  = []byte("wf.competitions")
	bCandidates    = []byte("wf.candidates")
	bApplications  = []byte("wf.applications")
	bAppsByComp    = []byte("wf.applications.bycompetition")
	bAppsByCabinet = []byte("wf.applications.bycabinet")
	bAppsByIIN     = []byte("wf.applications.byiin")
	bNotifications = []byte("wf.notifications")
	bEssays        = []byte("wf.essays")
	bEssaysByComp  = []byte("wf.essays.bycompetition")
	bSignerKeys    = []byte("wf.signerkeys")
	bNonces        = []byte("wf.nonces")
	// Bank items by bank, identifier and version (every version kept),
	// the latest version of each identifier, and the pools by digest.
	bBankItems     = []byte("wf.bank.items")
	bBankLatest    = []byte("wf.bank.latest")
	bBankSnapshots = []byte("wf.bank.snapshots")
	bAttempts      = []byte("wf.attempts")
	bAttemptsComp  = []byte("wf.attempts.bycompetition")
	// Legislation results by IIN blind index and application (p.14).
	bLegislation = []byte("wf.legislation.byiin")
	// Defined test programs by id, and their ids in definition order.
	bPrograms      = []byte("wf.programs")
	bProgramsOrder = []byte("wf.programs.order")
)

// Store is the bbolt implementation of workflow.Store.
type Store struct{ db *bolt.DB }

// New prepares the workflow's buckets in db. The audit log (audit.Open)
// and the proctoring store (store.Open) must use the same db: entries
// are appended with audit.AppendTx, PINs drawn with store.DrawPIN.
func New(db *bolt.DB) (*Store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bCompetitions, bCandidates, bApplications, bAppsByComp, bAppsByCabinet, bAppsByIIN, bNotifications, bEssays, bEssaysByComp, bSignerKeys, bNonces, bBankItems, bBankLatest, bBankSnapshots, bAttempts, bAttemptsComp, bLegislation, bPrograms, bProgramsOrder} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("workflow store: %w", err)
	}
	return &Store{db: db}, nil
}

// Update implements workflow.Store.
func (s *Store) Update(ctx context.Context, fn func(workflow.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&btx{tx: tx}) })
}

// Batch implements workflow.Store with bbolt's Batch: concurrent calls
// share one commit (and one fsync).
func (s *Store) Batch(ctx context.Context, fn func(workflow.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error { return fn(&btx{tx: tx, batch: true}) })
}

// View implements workflow.Store.
func (s *Store) View(ctx context.Context, fn func(workflow.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(&btx{tx: tx}) })
}

type btx struct {
	tx *bolt.Tx
	// batch: the transaction may be retried, so it logs nothing.
	batch bool
}

func (t *btx) get(bucket []byte, key string, v any) error {
	raw := t.tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return workflow.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func (t *btx) put(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucket).Put([]byte(key), raw)
}

func (t *btx) Competition(id string) (workflow.Competition, error) {
	var c workflow.Competition
	return c, t.get(bCompetitions, id, &c)
}

func (t *btx) Competitions() ([]workflow.Competition, error) {
	out := []workflow.Competition{}
	err := t.tx.Bucket(bCompetitions).ForEach(func(_, v []byte) error {
		var c workflow.Competition
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

func (t *btx) Candidate(id string) (workflow.Candidate, error) {
	var c workflow.Candidate
	return c, t.get(bCandidates, id, &c)
}

func (t *btx) Application(id string) (workflow.Application, error) {
	var a workflow.Application
	return a, t.get(bApplications, id, &a)
}

func (t *btx) Applications(competition string) ([]workflow.Application, error) {
	out := []workflow.Application{}
	c := t.tx.Bucket(bAppsByComp).Cursor()
	prefix := []byte(competition + "/")
	for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		a, err := t.Application(string(v))
		if err != nil {
			return nil, fmt.Errorf("application %s of %s: %w", v, competition, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *btx) byIndex(bucket []byte, key string) (workflow.Application, error) {
	id := t.tx.Bucket(bucket).Get([]byte(key))
	if id == nil {
		return workflow.Application{}, workflow.ErrNotFound
	}
	return t.Application(string(id))
}

func (t *btx) ApplicationByCabinet(hash string) (workflow.Application, error) {
	if hash == "" {
		return workflow.Application{}, workflow.ErrNotFound
	}
	return t.byIndex(bAppsByCabinet, hash)
}

func (t *btx) ApplicationByIIN(competition, index string) (workflow.Application, error) {
	return t.byIndex(bAppsByIIN, competition+"/"+index)
}

func (t *btx) Notifications(application string) ([]workflow.Notification, error) {
	out := []workflow.Notification{}
	c := t.tx.Bucket(bNotifications).Cursor()
	prefix := []byte(application + "/")
	for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		var n workflow.Notification
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (t *btx) PutCompetition(c workflow.Competition) error {
	if c.ID == "" {
		return errors.New("competition without id")
	}
	return t.put(bCompetitions, c.ID, c)
}

func (t *btx) PutCandidate(c workflow.Candidate) error {
	if c.ID == "" {
		return errors.New("candidate without id")
	}
	return t.put(bCandidates, c.ID, c)
}

func seqKey(prefix string, n uint64) []byte {
	k := make([]byte, len(prefix)+1+8)
	copy(k, prefix+"/")
	binary.BigEndian.PutUint64(k[len(prefix)+1:], n)
	return k
}

func (t *btx) PutApplication(a workflow.Application, iinIndex string) error {
	if a.ID == "" || a.Competition == "" {
		return errors.New("application without id or competition")
	}
	iinKey := []byte(a.Competition + "/" + iinIndex)
	byIIN := t.tx.Bucket(bAppsByIIN)
	if owner := byIIN.Get(iinKey); owner != nil && string(owner) != a.ID {
		return fmt.Errorf("IIN index of application %s: %w", a.ID, workflow.ErrExists)
	}
	old, err := t.Application(a.ID)
	switch {
	case errors.Is(err, workflow.ErrNotFound):
		b := t.tx.Bucket(bAppsByComp)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(a.Competition, n), []byte(a.ID)); err != nil {
			return err
		}
	case err != nil:
		return err
	case old.CabinetHash != a.CabinetHash && old.CabinetHash != "":
		if err := t.tx.Bucket(bAppsByCabinet).Delete([]byte(old.CabinetHash)); err != nil {
			return err
		}
	}
	if err := byIIN.Put(iinKey, []byte(a.ID)); err != nil {
		return err
	}
	if a.CabinetHash != "" {
		if err := t.tx.Bucket(bAppsByCabinet).Put([]byte(a.CabinetHash), []byte(a.ID)); err != nil {
			return err
		}
	}
	return t.put(bApplications, a.ID, a)
}

func (t *btx) AddNotification(n workflow.Notification) error {
	if n.Application == "" {
		return errors.New("notification without application")
	}
	b := t.tx.Bucket(bNotifications)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return b.Put(seqKey(n.Application, seq), raw)
}

func (t *btx) Essay(application string) (workflow.Essay, error) {
	var e workflow.Essay
	return e, t.get(bEssays, application, &e)
}

func (t *btx) Essays(competition string) ([]workflow.Essay, error) {
	out := []workflow.Essay{}
	c := t.tx.Bucket(bEssaysByComp).Cursor()
	prefix := []byte(competition + "/")
	for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		e, err := t.Essay(string(v))
		if err != nil {
			return nil, fmt.Errorf("essay %s of %s: %w", v, competition, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *btx) PutEssay(e workflow.Essay) error {
	if e.Application == "" || e.Competition == "" {
		return errors.New("essay without application or competition")
	}
	if _, err := t.Essay(e.Application); errors.Is(err, workflow.ErrNotFound) {
		b := t.tx.Bucket(bEssaysByComp)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(e.Competition, n), []byte(e.Application)); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return t.put(bEssays, e.Application, e)
}

func (t *btx) SignerKey(account string) (workflow.SignerKey, error) {
	var k workflow.SignerKey
	return k, t.get(bSignerKeys, account, &k)
}

func (t *btx) PutSignerKey(k workflow.SignerKey) error {
	if k.Account == "" {
		return errors.New("signer key without account")
	}
	return t.put(bSignerKeys, k.Account, k)
}

func (t *btx) UseNonce(nonce string) error {
	if nonce == "" {
		return errors.New("empty nonce")
	}
	b := t.tx.Bucket(bNonces)
	if b.Get([]byte(nonce)) != nil {
		return fmt.Errorf("nonce: %w", workflow.ErrExists)
	}
	return b.Put([]byte(nonce), []byte{1})
}

// bankKey joins a bank's key parts with NUL, which neither a bank name
// nor a QTI identifier contains, so one bank's prefix never matches another's.
func bankKey(parts ...string) string {
	k := ""
	for i, p := range parts {
		if i > 0 {
			k += "\x00"
		}
		k += p
	}
	return k
}

func (t *btx) BankItems(bank string) ([]workflow.BankItem, error) {
	out := []workflow.BankItem{}
	prefix := []byte(bankKey(bank, ""))
	c := t.tx.Bucket(bBankLatest).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		it, err := t.BankItem(bank, string(k[len(prefix):]), string(v))
		if err != nil {
			return nil, fmt.Errorf("bank %s item %s: %w", bank, k[len(prefix):], err)
		}
		out = append(out, it)
	}
	return out, nil
}

func (t *btx) BankItem(bank, identifier, version string) (workflow.BankItem, error) {
	var it workflow.BankItem
	return it, t.get(bBankItems, bankKey(bank, identifier, version), &it)
}

func (t *btx) PutBankItem(it workflow.BankItem) error {
	if it.Bank == "" || it.Identifier == "" || it.Version == "" {
		return errors.New("bank item without bank, identifier or version")
	}
	key := bankKey(it.Bank, it.Identifier, it.Version)
	if t.tx.Bucket(bBankItems).Get([]byte(key)) == nil {
		if err := t.put(bBankItems, key, it); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bBankLatest).Put([]byte(bankKey(it.Bank, it.Identifier)), []byte(it.Version))
}

func (t *btx) BankSnapshot(bank, digest string) (workflow.BankSnapshot, error) {
	var s workflow.BankSnapshot
	return s, t.get(bBankSnapshots, bankKey(bank, digest), &s)
}

func (t *btx) PutBankSnapshot(s workflow.BankSnapshot) error {
	if s.Bank == "" || s.Digest == "" {
		return errors.New("bank snapshot without bank or digest")
	}
	key := bankKey(s.Bank, s.Digest)
	if t.tx.Bucket(bBankSnapshots).Get([]byte(key)) != nil {
		return fmt.Errorf("bank snapshot %s: %w", s.Digest, workflow.ErrExists)
	}
	if s.Items == nil {
		s.Items = []workflow.ItemRef{}
	}
	return t.put(bBankSnapshots, key, s)
}

func attemptKey(application string, stage workflow.StageKind) string {
	return application + "/" + string(stage)
}

func (t *btx) Attempt(application string, stage workflow.StageKind) (workflow.Attempt, error) {
	var a workflow.Attempt
	return a, t.get(bAttempts, attemptKey(application, stage), &a)
}

func (t *btx) Attempts(competition string) ([]workflow.Attempt, error) {
	out := []workflow.Attempt{}
	c := t.tx.Bucket(bAttemptsComp).Cursor()
	prefix := []byte(competition + "/")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		var a workflow.Attempt
		if err := t.get(bAttempts, string(v), &a); err != nil {
			return nil, fmt.Errorf("attempt %s of %s: %w", v, competition, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *btx) PutAttempt(a workflow.Attempt) error {
	if a.Application == "" || a.Competition == "" || a.Stage == "" {
		return errors.New("attempt without application, competition or stage")
	}
	key := attemptKey(a.Application, a.Stage)
	if t.tx.Bucket(bAttempts).Get([]byte(key)) == nil {
		b := t.tx.Bucket(bAttemptsComp)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(a.Competition, n), []byte(key)); err != nil {
			return err
		}
	}
	if a.Answers == nil {
		a.Answers = []workflow.Answer{}
	}
	return t.put(bAttempts, key, a)
}

func (t *btx) LegislationResults(iinIndex string) ([]workflow.LegislationResult, error) {
	out := []workflow.LegislationResult{}
	c := t.tx.Bucket(bLegislation).Cursor()
	prefix := []byte(iinIndex + "/")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r workflow.LegislationResult
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("legislation result %s: %w", k, err)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b workflow.LegislationResult) int { return a.Tested.Compare(b.Tested) })
	return out, nil
}

func (t *btx) PutLegislationResult(r workflow.LegislationResult) error {
	if r.IINIndex == "" || r.Application == "" || strings.Contains(r.IINIndex, "/") {
		return errors.New("legislation result without IIN index or application")
	}
	return t.put(bLegislation, r.IINIndex+"/"+r.Application, r)
}

func (t *btx) Program(id string) (workflow.ProgramRecord, error) {
	var p workflow.ProgramRecord
	return p, t.get(bPrograms, id, &p)
}

func (t *btx) Programs() ([]workflow.ProgramRecord, error) {
	out := []workflow.ProgramRecord{}
	err := t.tx.Bucket(bProgramsOrder).ForEach(func(_, id []byte) error {
		p, err := t.Program(string(id))
		if err != nil {
			return fmt.Errorf("program %s: %w", id, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (t *btx) PutProgram(p workflow.ProgramRecord) error {
	if p.ID == "" {
		return errors.New("program without an id")
	}
	if t.tx.Bucket(bPrograms).Get([]byte(p.ID)) != nil {
		return fmt.Errorf("program %s: %w", p.ID, workflow.ErrExists)
	}
	b := t.tx.Bucket(bProgramsOrder)
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := b.Put(binary.BigEndian.AppendUint64(nil, n), []byte(p.ID)); err != nil {
		return err
	}
	return t.put(bPrograms, p.ID, p)
}

func (t *btx) NewPIN() (string, error) { return store.DrawPIN(t.tx) }

func (t *btx) Log(e audit.Entry) (int64, error) {
	if t.batch {
		return -1, errors.New("workflow store: an audit entry is logged in Update, not in Batch")
	}
	return audit.AppendTx(t.tx, e)
}
