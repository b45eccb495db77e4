package workflow

import (
	"context"
	"errors"

	"kuzet.kz/kuzet/server/audit"
)

// Store errors every implementation returns (wrapped or not).
var (
	// ErrNotFound: no record with that id.
	ErrNotFound = errors.New("not found")
	// ErrExists: the record (or the unique key it claims) exists already.
	ErrExists = errors.New("already exists")
)

// Store keeps the workflow's records. The engine owns this interface;
// server/workflow/boltstore is the embedded implementation and
// server/workflow/storetest the conformance suite every implementation
// must pass (a PostgreSQL one comes next).
type Store interface {
	// Update runs fn in one write transaction: everything fn writes,
	// including the audit entries it logs, commits together or not at
	// all (an error from fn rolls everything back). fn must have no
	// effect outside tx.
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for the many small writes that come at once (the
	// essay saves of every candidate typing): concurrent calls may commit
	// together in one transaction, so fn may run more than once and must
	// only read and write through tx; it may not log audit entries (Log
	// fails in it). An error from fn rolls back fn's writes only.
	Batch(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(ReadTx) error) error
}

// ReadTx reads the records. Lists are never nil and come in creation order.
type ReadTx interface {
	Competition(id string) (Competition, error)
	Competitions() ([]Competition, error)
	Candidate(id string) (Candidate, error)
	Application(id string) (Application, error)
	// Applications lists a competition's applications.
	Applications(competition string) ([]Application, error)
	// ApplicationByCabinet finds the application whose current cabinet
	// token has this hash.
	ApplicationByCabinet(hash string) (Application, error)
	// ApplicationByIIN finds a competition's application by the
	// candidate's IIN blind index.
	ApplicationByIIN(competition, iinIndex string) (Application, error)
	// Notifications lists an application's notifications, oldest first.
	Notifications(application string) ([]Notification, error)
	// Essay returns an application's essay.
	Essay(application string) (Essay, error)
	// Essays lists a competition's essays in the order they were first saved.
	Essays(competition string) ([]Essay, error)
	// SignerKey returns the signing key an account registered.
	SignerKey(account string) (SignerKey, error)
	// BankItems lists the latest version of each item of a bank, by
	// identifier.
	BankItems(bank string) ([]BankItem, error)
	// BankItem returns one version of a bank's item (any version ever
	// stored, not only the latest: an appeal grades what was seen).
	BankItem(bank, identifier, version string) (BankItem, error)
	// BankSnapshot returns the list of item versions a bank held, by
	// its PoolDigest.
	BankSnapshot(bank, digest string) (BankSnapshot, error)
	// Attempt returns an application's attempt of a test stage.
	Attempt(application string, stage StageKind) (Attempt, error)
	// Attempts lists a competition's test attempts in the order they
	// were started.
	Attempts(competition string) ([]Attempt, error)
	// LegislationResults lists a person's graded legislation tests, in
	// every competition, by the IIN blind index, oldest first (p.14).
	LegislationResults(iinIndex string) ([]LegislationResult, error)
	// Program returns a test program the HR service defined.
	Program(id string) (ProgramRecord, error)
	// Programs lists the defined programs in the order they were defined.
	Programs() ([]ProgramRecord, error)
}

// Tx reads and writes the records and the audit log in one transaction.
type Tx interface {
	ReadTx
	PutCompetition(Competition) error
	PutCandidate(Candidate) error
	// PutApplication stores an application and keeps its lookups: the
	// cabinet hash (only the current one finds it) and the IIN index
	// (ErrExists when another application of the same competition
	// has it).
	PutApplication(a Application, iinIndex string) error
	AddNotification(Notification) error
	// PutEssay stores an essay by its application (Competition set).
	PutEssay(Essay) error
	// PutSignerKey stores an account's signing key, replacing the old one.
	PutSignerKey(SignerKey) error
	// PutBankItem stores a version of a bank's item (a version already
	// stored is kept as it is: a version's content never changes) and
	// makes it the latest of its identifier.
	PutBankItem(BankItem) error
	// PutBankSnapshot stores a bank's list of item versions by its
	// digest: ErrExists when that digest is stored.
	PutBankSnapshot(BankSnapshot) error
	// PutAttempt stores an attempt by its application and stage
	// (Competition set).
	PutAttempt(Attempt) error
	// PutLegislationResult records a graded legislation test under the
	// person's IIN blind index (IINIndex and Application set); a result
	// of the same application again replaces it.
	PutLegislationResult(LegislationResult) error
	// PutProgram stores a defined program: ErrExists when its id is
	// stored (a program never changes).
	PutProgram(ProgramRecord) error
	// UseNonce records a signature's nonce: ErrExists when it was used.
	UseNonce(nonce string) error
	// NewPIN draws a PIN never given before (p.74-1) and records it.
	NewPIN() (string, error)
	// Log appends an audit entry in this transaction and returns its index.
	Log(audit.Entry) (int64, error)
}
