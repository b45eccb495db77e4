package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// treeBuilder recomputes the Merkle tree one record at a time, keeping only
// the right edge of complete subtrees: O(log n) memory for any log size.
type treeBuilder struct {
	n     int64
	stack []tlog.Hash
	out   []tlog.Hash
}

// add appends a record hash and returns the stored hashes that record
// produces, in stored-hash-index order (the same as tlog.StoredHashes).
func (t *treeBuilder) add(leaf tlog.Hash) []tlog.Hash {
	t.out = append(t.out[:0], leaf)
	h := leaf
	for n := t.n; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(t.stack[len(t.stack)-1], h)
		t.stack = t.stack[:len(t.stack)-1]
		t.out = append(t.out, h)
	}
	t.stack = append(t.stack, h)
	t.n++
	return t.out
}

// root is the RFC 6962 root of the records added so far.
func (t *treeBuilder) root() tlog.Hash {
	if len(t.stack) == 0 {
		return tlog.RecordHash(nil) // never used: empty logs have no checkpoint
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}

// decoded is what the verifier keeps of an entry after decoding it.
type decoded struct {
	sitting   string
	sittingB  []byte // set instead of sitting by the fast path; valid during the transaction
	prev      int64
	files     []FileRef
	retention []FileRef
	err       error
}

type fileRefAt struct {
	index int64
	ref   FileRef
}

// Verify checks the whole log in db in place, with the public key in
// dataDir/keys: every entry's bytes against the tree hash recorded when it
// was appended, the whole tree recomputed from the entries, every stored
// tree hash, every checkpoint's signature and root (which proves each is
// consistent with the ones before it), the by-sitting index and each
// sitting's chain, and every referenced file under dataDir by SHA-256.
// Files absent because a later retention entry deleted them are accepted
// and listed in Report.Deleted.
//
// It never changes db; a read-only handle is enough.
func Verify(ctx context.Context, db *bbolt.DB, dataDir string) (rep Report) {
	keys, err := LoadVerifierKey(KeysDir(dataDir, ""))
	if err != nil {
		return Report{Err: fmt.Errorf("audit: verify: %w", err)}
	}
	rep = Report{KeyName: keys.Verifier.Name(), KeyHash: keys.Verifier.KeyHash(), Deleted: map[string]int64{}}
	// bbolt trusts its file; a damaged page structure makes it panic. Turn
	// that into a finding instead of crashing the auditor's command.
	defer func() {
		if p := recover(); p != nil {
			rep.Checked = false
			rep.Err = fmt.Errorf("%w: the database file's structure is damaged (%v); the log cannot be read in place", ErrCorrupt, p)
		}
	}()
	var refs []fileRefAt
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		refs, err = verifyTx(ctx, tx, keys, &rep)
		return err
	})
	if err != nil {
		rep.Err = fmt.Errorf("audit: verify: %w", err)
		return rep
	}
	if err := checkFiles(ctx, dataDir, refs, &rep); err != nil {
		rep.Err = fmt.Errorf("audit: verify files: %w", err)
		return rep
	}
	rep.Checked = true
	rep.sortProblems()
	return rep
}

func verifyTx(ctx context.Context, tx *bbolt.Tx, keys Keys, rep *Report) ([]fileRefAt, error) {
	be, bh, bs, bc, bm := tx.Bucket(bucketEntries), tx.Bucket(bucketHashes), tx.Bucket(bucketSittings), tx.Bucket(bucketCheckpoints), tx.Bucket(bucketMeta)
	if be == nil || bh == nil || bs == nil || bc == nil || bm == nil {
		return nil, fmt.Errorf("%w: the audit buckets are missing (no log in this database?)", ErrCorrupt)
	}

	// Checkpoints first: the pass over the entries compares roots as it
	// reaches each checkpoint's size.
	var cps []Checkpoint
	bySize := map[int64][]Checkpoint{}
	want := int64(1)
	lastSize := int64(0)
	err := bc.ForEach(func(k, v []byte) error {
		num := int64(btoi(k))
		if len(k) != 8 || num != want {
			rep.add(Problem{Index: -1, Checkpoint: want, Reason: ReasonCheckpointOrder,
				Detail: fmt.Sprintf("checkpoint %d expected, found key %x: checkpoints were removed or inserted", want, k)})
		}
		want = num + 1
		cp, err := OpenCheckpoint(v, keys.Verifier)
		rep.Checkpoints++
		if err != nil {
			rep.add(Problem{Index: -1, Checkpoint: num, Reason: ReasonCheckpointSignature, Detail: err.Error()})
			return nil
		}
		if cp.Number != num {
			rep.add(Problem{Index: -1, Checkpoint: num, Reason: ReasonCheckpointOrder,
				Detail: fmt.Sprintf("checkpoint stored as %d was signed as %d", num, cp.Number)})
		}
		if cp.Size < lastSize {
			rep.add(Problem{Index: -1, Checkpoint: num, Reason: ReasonCheckpointOrder,
				Detail: fmt.Sprintf("checkpoint %d has tree size %d, smaller than %d before it", num, cp.Size, lastSize)})
		}
		lastSize = max(lastSize, cp.Size)
		cps = append(cps, cp)
		bySize[cp.Size] = append(bySize[cp.Size], cp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if bc.Sequence() != uint64(want-1) {
		rep.add(Problem{Index: -1, Checkpoint: want, Reason: ReasonCheckpointOrder,
			Detail: fmt.Sprintf("%d checkpoints were signed, %d are stored: the newest were removed", bc.Sequence(), want-1)})
	}

	size, err := readSize(bm)
	if err != nil {
		rep.add(Problem{Index: -1, Reason: ReasonSizeRecord, Detail: err.Error()})
	}

	// Decoding is the slow part; it runs on worker goroutines in chunks
	// while this goroutine hashes, and results are consumed in order.
	workers := max(1, runtime.GOMAXPROCS(0))
	const chunk = 2048
	type job struct {
		first int64
		vals  [][]byte
		out   chan []decoded
	}
	jobs := make(chan job, workers*2)
	ordered := make(chan job, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				res := make([]decoded, len(j.vals))
				for i, v := range j.vals {
					res[i] = decodeForVerify(v)
				}
				j.out <- res
			}
		})
	}

	var refs []fileRefAt
	// The consumer has its own report so the two goroutines never share one.
	var dec Report
	consumeDone := make(chan struct{})
	sittingOf := map[string]string{} // interning
	lastOf := map[string]int64{}
	go func() {
		defer close(consumeDone)
		for j := range ordered {
			res := <-j.out
			for i, d := range res {
				idx := j.first + int64(i)
				if d.err != nil {
					dec.add(Problem{Index: idx, Reason: ReasonEntryInvalid, Detail: d.err.Error()})
					continue
				}
				if d.sittingB != nil {
					s, ok := sittingOf[string(d.sittingB)]
					if !ok {
						s = string(d.sittingB)
						sittingOf[s] = s
					}
					d.sitting = s
				}
				s, ok := sittingOf[d.sitting]
				if !ok {
					s = d.sitting
					sittingOf[s] = s
				}
				if s != "" {
					last, ok := lastOf[s]
					if !ok {
						last = -1
					}
					if d.prev != last {
						dec.add(Problem{Index: idx, Reason: ReasonSittingChain,
							Detail: fmt.Sprintf("prev is %d, but the previous entry of sitting %s is %d", d.prev, s, last)})
					}
					lastOf[s] = idx
				} else if d.prev != -1 {
					dec.add(Problem{Index: idx, Reason: ReasonSittingChain, Detail: fmt.Sprintf("entry without a sitting has prev %d", d.prev)})
				}
				for _, f := range d.files {
					refs = append(refs, fileRefAt{index: idx, ref: f})
				}
				for _, f := range d.retention {
					if _, seen := rep.Deleted[f.Path]; !seen {
						rep.Deleted[f.Path] = idx
					}
				}
			}
		}
	}()

	// This goroutine: entries in key order, hashes recomputed and compared
	// with the stored ones, roots compared with checkpoints.
	var (
		tb         treeBuilder
		hc         = bh.Cursor()
		hk, hv     = hc.First()
		expect     int64
		treeOK     = true
		lastGood   int64 // size of the newest checkpoint whose root matched
		leafByHash map[tlog.Hash]int64
		cur        job
		newJob     = func(first int64) job { return job{first: first, out: make(chan []decoded, 1)} }
		aborted    error
	)
	cur = newJob(0)
	flush := func() {
		if len(cur.vals) > 0 {
			ordered <- cur
			jobs <- cur
		}
	}
	c := be.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if expect%65536 == 0 {
			if err := ctx.Err(); err != nil {
				aborted = err
				break
			}
		}
		if len(k) != 8 {
			rep.add(Problem{Index: expect, Reason: ReasonEntryInvalid, Detail: fmt.Sprintf("stored key %x is not an index", k)})
			continue
		}
		idx := int64(binary.BigEndian.Uint64(k))
		if idx != expect {
			if idx > expect {
				rep.add(Problem{Index: expect, Reason: ReasonEntryMissing,
					Detail: fmt.Sprintf("entries %d to %d are missing: the next stored entry is %d", expect, idx-1, idx)})
			}
			// The tree can't be recomputed across a hole; later entries
			// are still decoded and their files checked.
			treeOK = false
			flush()
			cur = newJob(idx)
			expect = idx
		}
		expect++
		cur.vals = append(cur.vals, v)
		if len(cur.vals) == chunk {
			flush()
			cur = newJob(expect)
		}
		if !treeOK {
			continue
		}
		leaf := tlog.RecordHash(v)
		stored := tb.add(leaf)
		for len(hk) == 8 && int64(binary.BigEndian.Uint64(hk)) < idx {
			hk, hv = hc.Next()
		}
		if len(hk) != 8 || int64(binary.BigEndian.Uint64(hk)) != idx || len(hv) != len(stored)*tlog.HashSize {
			rep.add(Problem{Index: idx, Reason: ReasonTreeChanged, Detail: fmt.Sprintf("the tree hashes recorded for entry %d are missing or cut", idx)})
		} else {
			for i, h := range stored {
				if tlog.Hash(hv[i*tlog.HashSize:]) == h {
					continue
				}
				if i == 0 {
					// The leaf differs. If it matches another entry's recorded
					// leaf, the entry was moved, not edited.
					if leafByHash == nil {
						leafByHash = leafIndex(bh)
					}
					if at, ok := leafByHash[leaf]; ok && at != idx {
						rep.add(Problem{Index: idx, Reason: ReasonEntryMoved,
							Detail: fmt.Sprintf("this is the entry appended at index %d", at)})
					} else {
						rep.add(Problem{Index: idx, Reason: ReasonEntryChanged,
							Detail: fmt.Sprintf("SHA-256 leaf %s, recorded at append %s", leaf, tlog.Hash(hv[:tlog.HashSize]))})
					}
					break // the subtree hashes follow from the leaf
				}
				rep.add(Problem{Index: -1, Reason: ReasonTreeChanged,
					Detail: fmt.Sprintf("tree hash %d recorded with entry %d was altered", i, idx)})
			}
		}
		if list, ok := bySize[idx+1]; ok {
			root := tb.root()
			for _, cp := range list {
				if cp.Root != root {
					rep.add(Problem{Index: -1, From: lastGood, To: cp.Size, Checkpoint: cp.Number, Reason: ReasonCheckpointRoot,
						Detail: fmt.Sprintf("checkpoint %d signed root %s for %d entries; the entries now give %s", cp.Number, cp.Root, cp.Size, root)})
				} else {
					lastGood = cp.Size
					cpc := cp
					rep.Latest = &cpc
				}
			}
		}
	}
	flush()
	close(jobs)
	close(ordered)
	wg.Wait()
	<-consumeDone
	if aborted != nil {
		return nil, aborted
	}
	for _, p := range dec.Problems {
		rep.add(p)
	}
	rep.Truncated = rep.Truncated || dec.Truncated
	rep.Entries = expect

	if size != expect {
		rep.add(Problem{Index: min(size, expect), Reason: ReasonSizeRecord,
			Detail: fmt.Sprintf("the stored tree size is %d but there are entries up to %d", size, expect)})
	}
	for _, cp := range cps {
		if cp.Size > expect {
			rep.add(Problem{Index: expect, Checkpoint: cp.Number, Reason: ReasonCheckpointBeyond,
				Detail: fmt.Sprintf("checkpoint %d covers %d entries, the log has %d: entries from %d on were removed", cp.Number, cp.Size, expect, expect)})
			break
		}
	}
	if rep.Latest == nil && len(cps) > 0 {
		rep.add(Problem{Index: -1, Reason: ReasonCheckpointRoot, Detail: "no checkpoint matches the log"})
	}

	// Each sitting's record must name its newest entry.
	err = bs.ForEach(func(k, v []byte) error {
		s := string(k)
		last, ok := lastOf[s]
		switch {
		case len(v) != 8:
			rep.add(Problem{Index: -1, Reason: ReasonSittingIndex, Detail: fmt.Sprintf("the record of sitting %q is malformed", k)})
		case !ok:
			rep.add(Problem{Index: int64(binary.BigEndian.Uint64(v)), Reason: ReasonSittingIndex,
				Detail: fmt.Sprintf("sitting %q is recorded as ending at entry %d, but no entry of it remains", k, binary.BigEndian.Uint64(v))})
		case int64(binary.BigEndian.Uint64(v)) != last:
			// A newer recorded entry is missing, or a newer entry is unrecorded.
			rep.add(Problem{Index: max(last, int64(binary.BigEndian.Uint64(v))), Reason: ReasonSittingIndex,
				Detail: fmt.Sprintf("sitting %s is recorded as ending at entry %d, but its newest entry is %d", s, binary.BigEndian.Uint64(v), last)})
		}
		delete(lastOf, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range sortedKeys(lastOf) {
		rep.add(Problem{Index: lastOf[s], Reason: ReasonSittingIndex, Detail: fmt.Sprintf("sitting %s has no record of its newest entry", s)})
	}
	return refs, nil
}

// leafIndex maps every recorded leaf hash to its entry index. It is built
// only after a mismatch, to tell a moved entry from an edited one.
func leafIndex(bh *bbolt.Bucket) map[tlog.Hash]int64 {
	m := map[tlog.Hash]int64{}
	c := bh.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) == 8 && len(v) >= tlog.HashSize {
			m[tlog.Hash(v[:tlog.HashSize])] = int64(binary.BigEndian.Uint64(k))
		}
	}
	return m
}

func decodeForVerify(v []byte) decoded {
	if sitting, prev, files, ok := quickFields(v); ok {
		return decoded{sittingB: sitting, prev: prev, files: files}
	}
	e, err := Decode(v)
	if err != nil {
		return decoded{err: err}
	}
	d := decoded{sitting: e.Sitting, prev: e.Prev, files: e.Files}
	if e.Kind == KindRetention {
		var rd RetentionData
		if err := json.Unmarshal(e.Data, &rd); err != nil {
			return decoded{err: fmt.Errorf("%w: retention data: %w", ErrBadEntry, err)}
		}
		for _, f := range rd.Deleted {
			if err := f.check(); err != nil {
				return decoded{err: fmt.Errorf("retention data: %w", err)}
			}
		}
		d.retention = rd.Deleted
	}
	return d
}

// checkFiles hashes every referenced file, two at a time per core.
func checkFiles(ctx context.Context, dataDir string, refs []fileRefAt, rep *Report) error {
	type res struct {
		at     fileRefAt
		reason Reason
		detail string
		gone   bool
	}
	out := make([]res, len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				r := res{at: refs[i]}
				sum, size, err := hashFile(filepath.Join(dataDir, filepath.FromSlash(refs[i].ref.Path)))
				switch {
				case errors.Is(err, os.ErrNotExist):
					r.gone = true
				case err != nil:
					r.reason, r.detail = ReasonFileChanged, err.Error()
				case sum != refs[i].ref.SHA256 || size != refs[i].ref.Size:
					r.reason = ReasonFileChanged
					r.detail = fmt.Sprintf("SHA-256 %s, %d bytes; the entry recorded %s, %d bytes", sum, size, refs[i].ref.SHA256, refs[i].ref.Size)
				}
				out[i] = r
			}
		})
	}
	var err error
	for i := range refs {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return err
	}
	for _, r := range out {
		switch {
		case r.gone:
			if by, ok := rep.Deleted[r.at.ref.Path]; ok && by > r.at.index {
				continue
			}
			rep.add(Problem{Index: r.at.index, Path: r.at.ref.Path, Reason: ReasonFileMissing,
				Detail: fmt.Sprintf("%s is gone and no retention entry after entry %d deleted it", r.at.ref.Path, r.at.index)})
		case r.reason != "":
			rep.add(Problem{Index: r.at.index, Path: r.at.ref.Path, Reason: r.reason, Detail: r.at.ref.Path + ": " + r.detail})
		default:
			rep.Files++
		}
	}
	// A deleted file that is still there was checked like any other; only
	// those really gone are reported as deleted.
	for p, by := range rep.Deleted {
		if _, err := os.Stat(filepath.Join(dataDir, filepath.FromSlash(p))); err == nil {
			delete(rep.Deleted, p)
		} else {
			rep.Deleted[p] = by
		}
	}
	return nil
}

func hashFile(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// sortedKeys is used by reports to list map keys deterministically.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
