// Package audit is Kuzet's tamper-evident audit log: every accepted agent
// event, evidence file, proctor action, verdict, appeal and workflow decision
// is appended, in order, as a leaf of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) kept in the server's bbolt file, and the tree
// is sealed by signed checkpoints (golang.org/x/mod/sumdb/note, Ed25519).
//
// Entries name evidence and recording files by SHA-256, so the files are
// covered too. Verify recomputes everything in place; Export writes a
// self-contained bundle of one sitting that VerifyBundle checks with nothing
// but the bundle. This is what makes the evidence stand up in an appeal
// (Decree No. 898, function 16: the Agency's appeal procedure).
//
// Storage, in buckets of the shared *bbolt.DB that all start with "audit.":
//
//	audit.entries      index (8-byte big endian) → canonical entry JSON
//	audit.hashes       index (8-byte big endian) → the tree hashes appending
//	                   that entry completed: its leaf hash, then one per
//	                   subtree it closed (tlog.StoredHashes), 32 bytes each
//	audit.sittings     sitting                   → index of its newest entry
//
// A sitting's entries are found by following Prev back from its newest
// entry, so an append touches one small record per sitting, not a growing
// index (which would dirty a page per sitting in every group commit).
//
//	audit.checkpoints  number (1, 2, …)           → signed checkpoint note
//	audit.meta         "size"                     → tree size
package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Bucket names. They all start with "audit" so they never meet the
// server's own buckets in the shared file.
var (
	bucketEntries     = []byte("audit.entries")
	bucketHashes      = []byte("audit.hashes")
	bucketSittings    = []byte("audit.sittings")
	bucketCheckpoints = []byte("audit.checkpoints")
	bucketMeta        = []byte("audit.meta")
	keySize           = []byte("size")
)

func allBuckets() [][]byte {
	return [][]byte{bucketEntries, bucketHashes, bucketSittings, bucketCheckpoints, bucketMeta}
}

// Options tunes a Log. The zero value is usable.
type Options struct {
	// MaxBatch is the most appends committed in one transaction
	// (default 4096). Appends that arrive while a commit is under way wait
	// for the next one, so batches form by themselves under load and a lone
	// append is committed at once.
	MaxBatch int
	// Logger receives the log's own problems (checkpoint failures in Run).
	// Default: slog.Default().
	Logger *slog.Logger
	// DataDir is the server's data directory, which FileRef paths are
	// relative to. Export and the retention helper need it.
	DataDir string
}

// Log is the audit log. It is safe for concurrent use. Create it with Open
// and stop it with Close; Close does not close the bbolt database, which
// belongs to the caller.
type Log struct {
	db       *bbolt.DB
	keys     Keys
	logger   *slog.Logger
	dataDir  string
	maxBatch int

	reqs chan *request
	quit chan struct{}
	done chan struct{}
	once sync.Once

	// ckMu serialises checkpoint creation so two callers don't both sign.
	ckMu sync.Mutex
}

// AlsoFunc runs inside the transaction that appends an entry, with the index
// the entry gets, so the caller can store its own records atomically with
// the log entry.
//
// Failure semantics (like bbolt's DB.Batch): appends are group-committed, so
// an AlsoFunc may run more than once, with a different index each time, in
// transactions that are rolled back; only the run in the committed
// transaction counts. It must therefore write only through tx and have no
// other side effects. If it returns an error (or panics), the whole
// transaction is rolled back, that append fails with the error and appends
// nothing, and the other appends of the batch are retried without it. It
// sees the writes of the appends batched before it, exactly as if they had
// been committed one by one in order.
type AlsoFunc func(tx *bbolt.Tx, index int64) error

type request struct {
	entry Entry
	// enc is the entry encoded with prev 0, made by the caller's goroutine
	// so the committer only splices in the real prev.
	enc    []byte
	also   AlsoFunc
	cancel <-chan struct{}
	result chan result
}

type result struct {
	index int64
	err   error
}

// Open opens the log in db, creating its buckets on first use, and starts
// the committer. keys.Signer may be nil for a log that is only read and
// verified (Checkpoint then fails).
func Open(db *bbolt.DB, keys Keys, opts Options) (*Log, error) {
	if db == nil {
		return nil, errors.New("audit: open: nil database")
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if !db.IsReadOnly() {
		err := db.Update(func(tx *bbolt.Tx) error {
			for _, name := range allBuckets() {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("audit: open: %w", err)
		}
	}
	l := &Log{
		db:       db,
		keys:     keys,
		logger:   opts.Logger,
		dataDir:  opts.DataDir,
		maxBatch: opts.MaxBatch,
		reqs:     make(chan *request),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if db.IsReadOnly() {
		close(l.done)
		return l, nil
	}
	go l.commitLoop()
	return l, nil
}

// Close stops the committer. Appends waiting for it fail with ErrClosed;
// those already in a transaction finish first. Close is idempotent.
func (l *Log) Close() error {
	l.once.Do(func() { close(l.quit) })
	<-l.done
	return nil
}

// Append adds e to the log and returns its index once the entry is durable
// (committed and fsynced by bbolt). e.Prev is set by the log. also, if not
// nil, runs inside the same transaction; see AlsoFunc for its semantics.
//
// If ctx ends before the entry reached the committer, Append returns
// ctx.Err() and nothing is appended; if it ends later, Append returns an
// error wrapping ErrOutcomeUnknown and ctx.Err().
func (l *Log) Append(ctx context.Context, e Entry, also AlsoFunc) (int64, error) {
	if err := e.Check(); err != nil {
		return -1, err
	}
	e.Prev = 0
	enc, err := Encode(e)
	if err != nil {
		return -1, err
	}
	if l.db.IsReadOnly() {
		return -1, fmt.Errorf("audit: append: database opened read-only")
	}
	r := &request{entry: e, enc: enc, also: also, cancel: ctx.Done(), result: make(chan result, 1)}
	select {
	case l.reqs <- r:
	case <-l.quit:
		return -1, ErrClosed
	case <-ctx.Done():
		return -1, fmt.Errorf("audit: append: %w", ctx.Err())
	}
	select {
	case res := <-r.result:
		return res.index, res.err
	case <-ctx.Done():
		return -1, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
	}
}

func (l *Log) commitLoop() {
	defer close(l.done)
	batch := make([]*request, 0, l.maxBatch)
	for {
		select {
		case <-l.quit:
			return
		case r := <-l.reqs:
			batch = append(batch[:0], r)
		}
	fill:
		for len(batch) < l.maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		l.commit(batch)
		clear(batch)
	}
}

// errRetry aborts a transaction whose batch had a failing callback.
var errRetry = errors.New("audit: retry batch")

func (l *Log) commit(batch []*request) {
	// Requests whose caller already gave up are dropped before they can be
	// written: the caller was told nothing was appended.
	live := batch[:0]
	for _, r := range batch {
		select {
		case <-r.cancel:
			r.result <- result{index: -1, err: context.Canceled}
		default:
			live = append(live, r)
		}
	}
	batch = live
	for len(batch) > 0 {
		failed := -1
		var failErr error
		indexes := make([]int64, len(batch))
		err := l.db.Update(func(tx *bbolt.Tx) error {
			w, err := newWriter(tx)
			if err != nil {
				return err
			}
			for i, r := range batch {
				idx, err := w.addEncoded(r.entry.Sitting, r.enc)
				if err != nil {
					failed, failErr = i, err
					return errRetry
				}
				if r.also != nil {
					if err := runAlso(r.also, tx, idx); err != nil {
						failed, failErr = i, err
						return errRetry
					}
				}
				indexes[i] = idx
			}
			return w.finish()
		})
		if err == nil {
			for i, r := range batch {
				r.result <- result{index: indexes[i]}
			}
			return
		}
		if failed >= 0 && errors.Is(err, errRetry) {
			batch[failed].result <- result{index: -1, err: failErr}
			batch = append(batch[:failed], batch[failed+1:]...)
			continue
		}
		err = fmt.Errorf("audit: commit %d entries: %w", len(batch), err)
		for _, r := range batch {
			r.result <- result{index: -1, err: err}
		}
		return
	}
}

func runAlso(f AlsoFunc, tx *bbolt.Tx, idx int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCallback, p)
		}
	}()
	return f(tx, idx)
}

// writer appends entries inside one write transaction.
type writer struct {
	entries, hashes, sittings, meta *bbolt.Bucket
	size                            int64
}

func newWriter(tx *bbolt.Tx) (*writer, error) {
	w := &writer{
		entries:  tx.Bucket(bucketEntries),
		hashes:   tx.Bucket(bucketHashes),
		sittings: tx.Bucket(bucketSittings),
		meta:     tx.Bucket(bucketMeta),
	}
	if w.entries == nil || w.hashes == nil || w.sittings == nil || w.meta == nil {
		return nil, fmt.Errorf("%w: audit buckets missing", ErrCorrupt)
	}
	// Appends are sequential, so full pages waste nothing.
	w.entries.FillPercent = 1
	w.hashes.FillPercent = 1
	size, err := readSize(w.meta)
	if err != nil {
		return nil, err
	}
	w.size = size
	return w, nil
}

func readSize(meta *bbolt.Bucket) (int64, error) {
	v := meta.Get(keySize)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: tree size record has %d bytes", ErrCorrupt, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func u64(n int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return b[:]
}

// lastOfSitting returns the index of a sitting's newest entry, or -1.
func lastOfSitting(b *bbolt.Bucket, sitting string) int64 {
	v := b.Get([]byte(sitting))
	if len(v) != 8 {
		return -1
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (w *writer) readHashes(indexes []int64) ([]tlog.Hash, error) {
	return readStoredHashes(w.hashes, indexes)
}

// readStoredHashes reads hashes by tlog stored-hash index from the
// per-entry records: the hash at (level, n) was completed by entry
// ((n+1) << level) - 1, as its level-th hash.
func readStoredHashes(b *bbolt.Bucket, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 {
			return nil, fmt.Errorf("%w: stored hash %d", ErrCorrupt, x)
		}
		level, n := tlog.SplitStoredHashIndex(x)
		rec := (n+1)<<uint(level) - 1
		var v []byte
		if b != nil {
			v = b.Get(u64(rec))
		}
		if len(v) < (level+1)*tlog.HashSize {
			return nil, fmt.Errorf("%w: tree hash %d of entry %d is missing", ErrCorrupt, level, rec)
		}
		copy(out[i][:], v[level*tlog.HashSize:])
	}
	return out, nil
}

func (w *writer) add(e Entry) (int64, error) {
	e.Prev = 0
	enc, err := Encode(e)
	if err != nil {
		return -1, err
	}
	return w.addEncoded(e.Sitting, enc)
}

// prevZero is how an entry encoded with Prev 0 says so. The fields before
// it (time, kind, sitting) cannot contain quotes, so its first occurrence
// is the field.
var prevZero = []byte(`,"prev":0,"actor":`)

// addEncoded appends an entry encoded with Prev 0, putting in the index
// of the sitting's previous entry.
func (w *writer) addEncoded(sitting string, enc []byte) (int64, error) {
	idx := w.size
	prev := int64(-1)
	if sitting != "" {
		prev = lastOfSitting(w.sittings, sitting)
	}
	at := bytes.Index(enc, prevZero)
	if at < 0 {
		return -1, fmt.Errorf("%w: encoded entry has no prev field", ErrBadEntry)
	}
	data := make([]byte, 0, len(enc)+20)
	data = append(data, enc[:at+len(`,"prev":`)]...)
	data = strconv.AppendInt(data, prev, 10)
	data = append(data, enc[at+len(`,"prev":0`):]...)
	if len(data) > MaxEntrySize {
		return -1, fmt.Errorf("%w: %d bytes encoded, at most %d", ErrEntryTooLarge, len(data), MaxEntrySize)
	}
	hashes, err := tlog.StoredHashes(idx, data, tlog.HashReaderFunc(w.readHashes))
	if err != nil {
		return -1, fmt.Errorf("audit: hash entry %d: %w", idx, err)
	}
	if err := w.entries.Put(u64(idx), data); err != nil {
		return -1, fmt.Errorf("audit: store entry %d: %w", idx, err)
	}
	hv := make([]byte, 0, len(hashes)*tlog.HashSize)
	for _, h := range hashes {
		hv = append(hv, h[:]...)
	}
	if err := w.hashes.Put(u64(idx), hv); err != nil {
		return -1, fmt.Errorf("audit: store hashes of entry %d: %w", idx, err)
	}
	if sitting != "" {
		if err := w.sittings.Put([]byte(sitting), u64(idx)); err != nil {
			return -1, fmt.Errorf("audit: index entry %d by sitting: %w", idx, err)
		}
	}
	w.size++
	return idx, nil
}

func (w *writer) finish() error {
	return w.meta.Put(keySize, u64(w.size))
}

// Size returns the number of entries in the log.
func (l *Log) Size() (int64, error) {
	var n int64
	err := l.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		var err error
		n, err = readSize(meta)
		return err
	})
	return n, err
}

// Record is an entry with its index and exact stored bytes.
type Record struct {
	// Index is the entry's position in the log, from 0.
	Index int64
	// Entry is the decoded entry.
	Entry Entry
	// Raw is the canonical encoding the tree hashes.
	Raw []byte
}

// Entry returns the entry at index.
func (l *Log) Entry(index int64) (Record, error) {
	var rec Record
	err := l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		if b == nil {
			return fmt.Errorf("%w: %d", ErrNotFound, index)
		}
		v := b.Get(u64(index))
		if v == nil || index < 0 {
			return fmt.Errorf("%w: %d", ErrNotFound, index)
		}
		var err error
		rec, err = decodeRecord(index, v)
		return err
	})
	return rec, err
}

func decodeRecord(index int64, v []byte) (Record, error) {
	raw := append([]byte(nil), v...)
	e, err := Decode(raw)
	if err != nil {
		return Record{}, fmt.Errorf("audit: entry %d: %w", index, err)
	}
	return Record{Index: index, Entry: e, Raw: raw}, nil
}

// Entries returns the entries of one sitting, oldest first.
func (l *Log) Entries(sitting string) ([]Record, error) {
	var out []Record
	err := l.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = sittingRecords(tx, sitting)
		return err
	})
	return out, err
}

func sittingRecords(tx *bbolt.Tx, sitting string) ([]Record, error) {
	if !validName(sitting) {
		return nil, fmt.Errorf("%w: sitting %q", ErrBadEntry, sitting)
	}
	bs, be := tx.Bucket(bucketSittings), tx.Bucket(bucketEntries)
	if bs == nil || be == nil {
		return nil, nil
	}
	var out []Record
	for idx := lastOfSitting(bs, sitting); idx >= 0; {
		v := be.Get(u64(idx))
		if v == nil {
			return nil, fmt.Errorf("%w: sitting %s links to entry %d, which is missing", ErrCorrupt, sitting, idx)
		}
		rec, err := decodeRecord(idx, v)
		if err != nil {
			return nil, err
		}
		if rec.Entry.Sitting != sitting || rec.Entry.Prev >= idx {
			return nil, fmt.Errorf("%w: entry %d breaks the chain of sitting %s", ErrCorrupt, idx, sitting)
		}
		out = append(out, rec)
		idx = rec.Entry.Prev
	}
	slices.Reverse(out)
	return out, nil
}

// hashReader reads stored hashes in a read transaction.
func hashReader(tx *bbolt.Tx) tlog.HashReader {
	b := tx.Bucket(bucketHashes)
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return readStoredHashes(b, indexes)
	})
}

// AppendTx appends e inside the caller's own write transaction tx of the
// log's database and returns its index: the entry and the caller's records
// commit (or roll back) together. It is for decisions that are rare and
// must be atomic with the state they change (the competition workflow);
// the hot paths use Append, which group-commits. bbolt runs one write
// transaction at a time, so AppendTx and the committer never interleave.
func AppendTx(tx *bbolt.Tx, e Entry) (int64, error) {
	if err := e.Check(); err != nil {
		return -1, err
	}
	w, err := newWriter(tx)
	if err != nil {
		return -1, err
	}
	idx, err := w.add(e)
	if err != nil {
		return -1, err
	}
	if err := w.finish(); err != nil {
		return -1, fmt.Errorf("audit: append: %w", err)
	}
	return idx, nil
}
