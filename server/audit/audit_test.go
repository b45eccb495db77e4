package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// fixture is a data directory with a log of a few sittings, evidence and a
// recording, and checkpoints at 10, 25 and 40 entries.
type fixture struct {
	dir   string
	files map[string]FileRef // by path
	// fileEntry: path → index of the entry that references it
	fileEntry map[string]int64
}

var t0 = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

func openLog(t testing.TB, dir string) (*bbolt.DB, *Log) {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(db, keys, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); db.Close() })
	return db, l
}

func writeDataFile(t testing.TB, dir, rel string, content []byte) FileRef {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	return FileRef{Path: rel, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, files: map[string]FileRef{}, fileEntry: map[string]int64{}}
	db, l := openLog(t, dir)
	ctx := context.Background()
	sittings := []string{"S1", "S2", "S3"}
	for i := range 40 {
		s := sittings[i%3]
		e := Entry{
			Time: t0.Add(time.Duration(i) * time.Second), Kind: KindEvent, Sitting: s, Actor: "agent",
			Data: json.RawMessage(fmt.Sprintf(`{"rule":"10.%d","note":"entry-%04d-marker"}`, i%11+1, i)),
		}
		switch i {
		case 7, 19:
			content := []byte(fmt.Sprintf("jpeg evidence %d of sitting %s", i, s))
			sum := sha256.Sum256(content)
			rel := "evidence/" + s + "/" + hex.EncodeToString(sum[:])
			e.Kind, e.Files = KindEvidence, []FileRef{writeDataFile(t, dir, rel, content)}
		case 22:
			rel := "recordings/" + s + "/0001.webm"
			e.Kind, e.Files = KindRecording, []FileRef{writeDataFile(t, dir, rel, bytes.Repeat([]byte("webm-cluster "), 500))}
		}
		idx, err := l.Append(ctx, e, nil)
		if err != nil {
			t.Fatal(err)
		}
		if idx != int64(i) {
			t.Fatalf("append %d got index %d", i, idx)
		}
		for _, fr := range e.Files {
			f.files[fr.Path] = fr
			f.fileEntry[fr.Path] = idx
		}
		if i+1 == 10 || i+1 == 25 || i+1 == 40 {
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.Close()
	db.Close()
	return f
}

func (f *fixture) verify(t *testing.T) Report {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(f.dir, "kuzet.db"), 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return Verify(context.Background(), db, f.dir)
}

func (f *fixture) update(t *testing.T, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(f.dir, "kuzet.db"), 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func flipInFile(t *testing.T, name string, marker []byte) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(b, marker); i >= 0; {
		b[i+len(marker)-1] ^= 0x01
		n++
		j := bytes.Index(b[i+1:], marker)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if n == 0 {
		t.Fatalf("marker %q not found in %s", marker, name)
	}
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyCleanLog(t *testing.T) {
	f := newFixture(t)
	rep := f.verify(t)
	if !rep.OK() {
		t.Fatalf("clean log does not verify: %v %v", rep.Err, rep.Problems)
	}
	if rep.Entries != 40 || rep.Checkpoints != 3 || rep.Files != 3 {
		t.Fatalf("checked %d entries, %d checkpoints, %d files; want 40, 3, 3", rep.Entries, rep.Checkpoints, rep.Files)
	}
	if rep.Latest == nil || rep.Latest.Number != 3 || rep.Latest.Size != 40 {
		t.Fatalf("latest checkpoint %+v, want number 3 of size 40", rep.Latest)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(t *testing.T, f *fixture)
		wantIndex  int64
		wantReason Reason
	}{
		{"byte flip in a stored entry (raw file)", func(t *testing.T, f *fixture) {
			flipInFile(t, filepath.Join(f.dir, "kuzet.db"), []byte("entry-0017-marker"))
		}, 17, ReasonEntryChanged},
		{"byte flip in an evidence file", func(t *testing.T, f *fixture) {
			for p := range f.files {
				if f.fileEntry[p] == 19 {
					flipInFile(t, filepath.Join(f.dir, p), []byte("evidence"))
				}
			}
		}, 19, ReasonFileChanged},
		{"byte flip in a recording segment", func(t *testing.T, f *fixture) {
			flipInFile(t, filepath.Join(f.dir, "recordings/S2/0001.webm"), []byte("cluster "))
		}, 22, ReasonFileChanged},
		{"evidence file deleted without retention", func(t *testing.T, f *fixture) {
			for p := range f.files {
				if f.fileEntry[p] == 7 {
					os.Remove(filepath.Join(f.dir, p))
				}
			}
		}, 7, ReasonFileMissing},
		{"removed entry", func(t *testing.T, f *fixture) {
			f.update(t, func(tx *bbolt.Tx) error { return tx.Bucket(bucketEntries).Delete(u64(12)) })
		}, 12, ReasonEntryMissing},
		{"reordered entries", func(t *testing.T, f *fixture) {
			f.update(t, func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketEntries)
				a, c := append([]byte(nil), b.Get(u64(20))...), append([]byte(nil), b.Get(u64(21))...)
				if err := b.Put(u64(20), c); err != nil {
					return err
				}
				return b.Put(u64(21), a)
			})
		}, 20, ReasonEntryMoved},
		{"tail removed and size record rewritten", func(t *testing.T, f *fixture) {
			f.update(t, func(tx *bbolt.Tx) error {
				for i := int64(38); i < 40; i++ {
					if err := tx.Bucket(bucketEntries).Delete(u64(i)); err != nil {
						return err
					}
				}
				return tx.Bucket(bucketMeta).Put(keySize, u64(38))
			})
		}, 38, ReasonCheckpointBeyond},
		{"stored tree hash altered", func(t *testing.T, f *fixture) {
			f.update(t, func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketHashes)
				v := append([]byte(nil), b.Get(u64(15))...) // entry 15 closed 4 subtrees: 5 hashes
				v[2*32+7] ^= 0x10
				return b.Put(u64(15), v)
			})
		}, -1, ReasonTreeChanged},
		{"sitting chain broken", func(t *testing.T, f *fixture) {
			// Rewrite entry 9 and every stored hash after it so the tree is
			// self-consistent; the chain link and the checkpoints still tell.
			rewriteEntry(t, f, 9, func(e *Entry) { e.Prev = 0 })
		}, 9, ReasonSittingChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.tamper(t, f)
			rep := f.verify(t)
			if !rep.Checked {
				t.Fatalf("could not check: %v", rep.Err)
			}
			if rep.OK() {
				t.Fatal("tampering not detected")
			}
			first := rep.First()
			if first.Index != tc.wantIndex || first.Reason != tc.wantReason {
				t.Fatalf("first problem %v; want entry %d, %s\nall: %v", first, tc.wantIndex, tc.wantReason, rep.Problems)
			}
		})
	}
}

// rewriteEntry replaces an entry and recomputes every stored hash, as an
// attacker with write access to the database would: only the signed
// checkpoints can then tell.
func rewriteEntry(t *testing.T, f *fixture, idx int64, change func(*Entry)) {
	t.Helper()
	f.update(t, func(tx *bbolt.Tx) error {
		be, bh := tx.Bucket(bucketEntries), tx.Bucket(bucketHashes)
		e, err := Decode(be.Get(u64(idx)))
		if err != nil {
			return err
		}
		change(&e)
		raw, err := Encode(e)
		if err != nil {
			return err
		}
		if err := be.Put(u64(idx), raw); err != nil {
			return err
		}
		var tb treeBuilder
		c := be.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var hv []byte
			for _, h := range tb.add(tlog.RecordHash(v)) {
				hv = append(hv, h[:]...)
			}
			if err := bh.Put(k, hv); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestVerifyRewrittenTreeCaughtByCheckpoint(t *testing.T) {
	f := newFixture(t)
	rewriteEntry(t, f, 30, func(e *Entry) { e.Data = json.RawMessage(`{"rule":"10.9","note":"harmless"}`) })
	rep := f.verify(t)
	if rep.OK() {
		t.Fatal("rewritten entry with recomputed tree not detected")
	}
	var found bool
	for _, p := range rep.Problems {
		if p.Reason == ReasonCheckpointRoot && p.Checkpoint == 3 && p.From == 25 && p.To == 40 {
			found = true
		}
	}
	if !found {
		t.Fatalf("want checkpoint 3 root mismatch over entries [25,40); got %v", rep.Problems)
	}
	if rep.Latest == nil || rep.Latest.Number != 2 {
		t.Fatalf("latest good checkpoint %+v, want 2", rep.Latest)
	}
}

func TestVerifyCheckpointSignatureFlip(t *testing.T) {
	f := newFixture(t)
	f.update(t, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		v := append([]byte(nil), b.Get(u64(2))...)
		v[len(v)-5] ^= 0x04 // inside the base64 signature
		return b.Put(u64(2), v)
	})
	rep := f.verify(t)
	first := rep.First()
	if first == nil || first.Reason != ReasonCheckpointSignature || first.Checkpoint != 2 {
		t.Fatalf("first problem %v, want a bad signature on checkpoint 2", first)
	}
}

func TestVerifyWithoutKeyCannotCheck(t *testing.T) {
	f := newFixture(t)
	os.Remove(filepath.Join(f.dir, "keys", VerifierKeyFile))
	rep := f.verify(t)
	if rep.Checked || rep.OK() || !errors.Is(rep.Err, ErrBadKey) {
		t.Fatalf("missing key: checked=%v ok=%v err=%v; want not checked with ErrBadKey", rep.Checked, rep.OK(), rep.Err)
	}
}

func TestEntriesBySittingAndChain(t *testing.T) {
	f := newFixture(t)
	_, l := openLog(t, f.dir)
	recs, err := l.Entries("S2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 13 {
		t.Fatalf("S2 has %d entries, want 13", len(recs))
	}
	prev := int64(-1)
	for _, r := range recs {
		if r.Entry.Sitting != "S2" || r.Entry.Prev != prev || r.Index%3 != 1 {
			t.Fatalf("entry %d: sitting %s prev %d, want S2 prev %d", r.Index, r.Entry.Sitting, r.Entry.Prev, prev)
		}
		prev = r.Index
	}
	rec, err := l.Entry(22)
	if err != nil || rec.Entry.Kind != KindRecording {
		t.Fatalf("entry 22: %+v %v", rec.Entry, err)
	}
	if _, err := l.Entry(40); !errors.Is(err, ErrNotFound) {
		t.Fatalf("entry 40: err %v, want ErrNotFound", err)
	}
}

func TestProofs(t *testing.T) {
	f := newFixture(t)
	_, l := openLog(t, f.dir)
	keys, err := LoadVerifierKey(filepath.Join(f.dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	// A verifier with only the public key opens the checkpoint.
	cp2, err := OpenCheckpoint(cp.Signed, keys.Verifier)
	if err != nil || cp2.Root != cp.Root || cp2.Size != 40 {
		t.Fatalf("open checkpoint: %+v %v", cp2, err)
	}
	for _, idx := range []int64{0, 1, 17, 38, 39} {
		rec, err := l.Entry(idx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.InclusionProof(idx, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckInclusion(cp2, idx, rec.Raw, p); err != nil {
			t.Fatalf("entry %d: %v", idx, err)
		}
		if err := CheckInclusion(cp2, idx+1, rec.Raw, p); !errors.Is(err, ErrBadProof) {
			t.Fatalf("entry %d proved at %d: %v", idx, idx+1, err)
		}
		if len(p) > 0 {
			p[0][3] ^= 1
			if err := CheckInclusion(cp2, idx, rec.Raw, p); !errors.Is(err, ErrBadProof) {
				t.Fatalf("altered proof of entry %d accepted: %v", idx, err)
			}
		}
		changed := bytes.Replace(rec.Raw, []byte("marker"), []byte("marked"), 1)
		p, _ = l.InclusionProof(idx, cp.Size)
		if err := CheckInclusion(cp2, idx, changed, p); !errors.Is(err, ErrBadProof) {
			t.Fatalf("changed entry %d accepted: %v", idx, err)
		}
	}
	// Consistency between checkpoints 1 (10 entries) and 3 (40 entries).
	var old Checkpoint
	err = l.db.View(func(tx *bbolt.Tx) error {
		var err error
		old, err = OpenCheckpoint(tx.Bucket(bucketCheckpoints).Get(u64(1)), keys.Verifier)
		return err
	})
	if err != nil || old.Size != 10 {
		t.Fatalf("checkpoint 1: %+v %v", old, err)
	}
	tp, err := l.ConsistencyProof(old.Size, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConsistency(old, cp2, tp); err != nil {
		t.Fatal(err)
	}
	tp[len(tp)-1][0] ^= 1
	if err := CheckConsistency(old, cp2, tp); !errors.Is(err, ErrBadProof) {
		t.Fatalf("altered consistency proof accepted: %v", err)
	}
	if _, err := l.InclusionProof(40, 40); !errors.Is(err, ErrBadRange) {
		t.Fatalf("proof past the end: %v", err)
	}
	if _, err := l.ConsistencyProof(10, 41); !errors.Is(err, ErrBadRange) {
		t.Fatalf("consistency past the end: %v", err)
	}
}

func TestCheckpointReusedWhenUnchanged(t *testing.T) {
	f := newFixture(t)
	_, l := openLog(t, f.dir)
	a, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Number != 3 || a.Size != 40 {
		t.Fatalf("checkpoint %d of %d, want the stored 3 of 40", a.Number, a.Size)
	}
	if _, err := l.Append(context.Background(), Entry{Time: t0, Kind: KindAction, Sitting: "S1", Actor: "p-7"}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := l.Checkpoint(context.Background())
	if err != nil || b.Number != 4 || b.Size != 41 {
		t.Fatalf("new checkpoint %d of %d (%v), want 4 of 41", b.Number, b.Size, err)
	}
}

func TestAppendRejectsBadEntries(t *testing.T) {
	_, l := openLog(t, t.TempDir())
	ok := Entry{Time: t0, Kind: KindEvent, Sitting: "S1", Actor: "agent"}
	tests := []struct {
		name string
		edit func(e *Entry)
		want error
	}{
		{"no time", func(e *Entry) { e.Time = time.Time{} }, ErrBadEntry},
		{"bad kind", func(e *Entry) { e.Kind = "Event!" }, ErrBadEntry},
		{"no actor", func(e *Entry) { e.Actor = "" }, ErrBadEntry},
		{"actor with spaces", func(e *Entry) { e.Actor = "Aigerim Nurlanovna" }, ErrBadEntry},
		{"sitting with NUL", func(e *Entry) { e.Sitting = "S\x001" }, ErrBadEntry},
		{"data not an object", func(e *Entry) { e.Data = json.RawMessage(`[1,2]`) }, ErrBadEntry},
		{"absolute file path", func(e *Entry) {
			e.Files = []FileRef{{Path: "/etc/passwd", SHA256: hex.EncodeToString(make([]byte, 32))}}
		}, ErrBadFileRef},
		{"escaping file path", func(e *Entry) { e.Files = []FileRef{{Path: "../x", SHA256: hex.EncodeToString(make([]byte, 32))}} }, ErrBadFileRef},
		{"short hash", func(e *Entry) { e.Files = []FileRef{{Path: "evidence/S1/x", SHA256: "abcd"}} }, ErrBadFileRef},
		{"too large", func(e *Entry) {
			e.Data = json.RawMessage(`{"x":"` + string(bytes.Repeat([]byte("a"), MaxEntrySize)) + `"}`)
		}, ErrEntryTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.edit(&e)
			if _, err := l.Append(context.Background(), e, nil); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	if n, _ := l.Size(); n != 0 {
		t.Fatalf("rejected entries were appended: size %d", n)
	}
}

func TestAppendCallbackAtomicity(t *testing.T) {
	db, l := openLog(t, t.TempDir())
	ctx := context.Background()
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
		t.Fatal(err)
	}
	errDup := errors.New("duplicate event")
	// Many concurrent appends share transactions; every odd one fails in
	// its callback and must leave neither a log entry nor a record.
	var wg sync.WaitGroup
	results := make([]int64, 200)
	errs := make([]error, 200)
	for i := range 200 {
		wg.Go(func() {
			results[i], errs[i] = l.Append(ctx, Entry{Time: t0, Kind: KindEvent, Sitting: fmt.Sprintf("S%d", i%5), Actor: "agent",
				Data: json.RawMessage(fmt.Sprintf(`{"seq":%d}`, i))}, func(tx *bbolt.Tx, index int64) error {
				if i%2 == 1 {
					return errDup
				}
				return tx.Bucket([]byte("events")).Put([]byte(fmt.Sprintf("%05d", i)), u64(index))
			})
		})
	}
	wg.Wait()
	for i := range 200 {
		if i%2 == 1 {
			if !errors.Is(errs[i], errDup) || results[i] != -1 {
				t.Fatalf("append %d: index %d err %v, want -1 and the callback's error", i, results[i], errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		rec, err := l.Entry(results[i])
		if err != nil || !bytes.Contains(rec.Raw, []byte(fmt.Sprintf(`"seq":%d}`, i))) {
			t.Fatalf("append %d: entry %d is %s (%v)", i, results[i], rec.Raw, err)
		}
		err = db.View(func(tx *bbolt.Tx) error {
			v := tx.Bucket([]byte("events")).Get([]byte(fmt.Sprintf("%05d", i)))
			if int64(btoi(v)) != results[i] {
				return fmt.Errorf("callback record of %d says index %d, append returned %d", i, btoi(v), results[i])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := l.Size(); n != 100 {
		t.Fatalf("size %d, want 100", n)
	}
	panicking := func(tx *bbolt.Tx, index int64) error { panic("boom") }
	if _, err := l.Append(ctx, Entry{Time: t0, Kind: KindEvent, Actor: "agent"}, panicking); !errors.Is(err, ErrCallback) {
		t.Fatalf("panicking callback: %v", err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := writeKeyless(t, l); err != nil {
		t.Fatal(err)
	}
}

// writeKeyless checks the whole log after the callback test.
func writeKeyless(t *testing.T, l *Log) error {
	t.Helper()
	rep := Verify(context.Background(), l.db, l.dataDir)
	if !rep.OK() {
		return fmt.Errorf("log after callback failures does not verify: %v %v", rep.Err, rep.Problems)
	}
	return nil
}

func TestAppendAfterCloseAndCancel(t *testing.T) {
	_, l := openLog(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Entry{Time: t0, Kind: KindEvent, Actor: "agent"}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled append: %v", err)
	}
	l.Close()
	if _, err := l.Append(context.Background(), Entry{Time: t0, Kind: KindEvent, Actor: "agent"}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func TestRelFileRef(t *testing.T) {
	sum := hex.EncodeToString(make([]byte, 32))
	tests := []struct {
		file string
		want string
		ok   bool
	}{
		{"/data/recordings/S1/camera-1.webm", "recordings/S1/camera-1.webm", true},
		{"/data/evidence/S1/" + sum, "evidence/S1/" + sum, true},
		{"/elsewhere/x.webm", "", false},
		{"/data", "", false},
	}
	for _, tc := range tests {
		f, err := RelFileRef("/data", tc.file, sum, 10)
		if (err == nil) != tc.ok || f.Path != tc.want {
			t.Fatalf("RelFileRef(%s) = %+v, %v; want %q ok=%v", tc.file, f, err, tc.want, tc.ok)
		}
	}
}

// AppendTx commits with the caller's transaction or not at all, chains a
// sitting's entries like Append, and the log still verifies when both are
// used together.
func TestAppendTxIsAtomicWithCallersRecords(t *testing.T) {
	db, l := openLog(t, t.TempDir())
	ctx := context.Background()
	if _, err := l.Append(ctx, Entry{Time: t0, Kind: KindWorkflow, Sitting: "c-1", Actor: "a-hr"}, nil); err != nil {
		t.Fatal(err)
	}
	errNo := errors.New("refused")
	err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := AppendTx(tx, Entry{Time: t0, Kind: KindWorkflow, Sitting: "c-1", Actor: "a-hr"}); err != nil {
			return err
		}
		return errNo
	})
	if !errors.Is(err, errNo) {
		t.Fatal(err)
	}
	if n, _ := l.Size(); n != 1 {
		t.Fatalf("a rolled-back AppendTx left %d entries, want 1", n)
	}
	var idx []int64
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("mine"))
		if err != nil {
			return err
		}
		for i := range 2 {
			n, err := AppendTx(tx, Entry{Time: t0, Kind: KindWorkflow, Sitting: "c-1", Actor: "a-hr", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
			if err != nil {
				return err
			}
			idx = append(idx, n)
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if idx[0] != 1 || idx[1] != 2 {
		t.Fatalf("indexes %v, want [1 2]", idx)
	}
	rec, err := l.Entry(2)
	if err != nil || !bytes.Contains(rec.Raw, []byte(`"prev":1`)) {
		t.Fatalf("entry 2 does not chain to 1: %s %v", rec.Raw, err)
	}
	if _, err := l.Append(ctx, Entry{Time: t0, Kind: KindWorkflow, Sitting: "c-1", Actor: "a-hr"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := writeKeyless(t, l); err != nil {
		t.Fatal(err)
	}
	if _, err := AppendTx(nil, Entry{Time: t0, Kind: "BAD", Actor: "x"}); !errors.Is(err, ErrBadEntry) {
		t.Fatalf("bad entry: %v", err)
	}
}
