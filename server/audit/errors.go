package audit

import "errors"

// Errors of the audit log. Callers test for them with errors.Is; the
// wrapping error says which entry, file or checkpoint was at fault.
var (
	// ErrBadEntry means an entry given to Append, or read back, is invalid.
	ErrBadEntry = errors.New("audit: invalid entry")
	// ErrBadFileRef means a FileRef has a bad path, hash or size.
	ErrBadFileRef = errors.New("audit: invalid file reference")
	// ErrEntryTooLarge means an entry encodes to more than MaxEntrySize bytes.
	ErrEntryTooLarge = errors.New("audit: entry too large")
	// ErrNotCanonical means stored or exported entry bytes are not the
	// canonical encoding of an entry.
	ErrNotCanonical = errors.New("audit: entry is not in canonical form")
	// ErrClosed means the log was closed before the call could finish.
	ErrClosed = errors.New("audit: log closed")
	// ErrOutcomeUnknown means the caller's context ended after an entry was
	// handed to the committer: it may or may not be in the log. Look it up
	// (e.g. by the caller's own idempotency key in the also callback's records).
	ErrOutcomeUnknown = errors.New("audit: append outcome unknown")
	// ErrNotFound means no entry has the index asked for.
	ErrNotFound = errors.New("audit: no such entry")
	// ErrEmptyLog means there is nothing to checkpoint or prove yet.
	ErrEmptyLog = errors.New("audit: log is empty")
	// ErrBadRange means a proof was asked for indexes or sizes outside the log.
	ErrBadRange = errors.New("audit: index or tree size out of range")
	// ErrBadCheckpoint means a checkpoint's signature or text is invalid.
	ErrBadCheckpoint = errors.New("audit: invalid checkpoint")
	// ErrBadProof means an inclusion or consistency proof does not verify.
	ErrBadProof = errors.New("audit: proof does not verify")
	// ErrBadKey means a key file is missing, unreadable or malformed.
	ErrBadKey = errors.New("audit: bad key")
	// ErrCorrupt means the stored log is inconsistent with itself; run
	// Verify for the first entry at fault.
	ErrCorrupt = errors.New("audit: stored log is inconsistent")
	// ErrBadBundle means an exported bundle is not readable as one.
	ErrBadBundle = errors.New("audit: malformed bundle")
	// ErrCallback is wrapped around a panic in an Append callback.
	ErrCallback = errors.New("audit: append callback panicked")
)
