package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
	"kuzet.kz/kuzet/server/audit"
)

// realLog is a kuzet audit log in its own bbolt file, signed with the keys
// in keysDir.
type realLog struct {
	t      *testing.T
	dir    string
	db     *bbolt.DB
	log    *audit.Log
	closed bool
}

// close closes the log and its file (so a command can open it).
func (r *realLog) close() {
	if !r.closed {
		r.closed = true
		r.log.Close()
		r.db.Close()
	}
}

func openLog(t *testing.T, keysDir string) *realLog {
	t.Helper()
	dir := t.TempDir()
	db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.LoadOrCreateKeys(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(db, keys, audit.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := &realLog{t: t, dir: dir, db: db, log: l}
	t.Cleanup(r.close)
	return r
}

// add appends entries whose notes are prefix-0, prefix-1, …
func (r *realLog) add(prefix string, from, n int) {
	r.t.Helper()
	for i := from; i < from+n; i++ {
		e := audit.Entry{Time: time.Date(2026, 5, 1, 9, 0, i, 0, time.UTC), Kind: audit.KindEvent, Sitting: "S1", Actor: "agent",
			Data: json.RawMessage(fmt.Sprintf(`{"note":"%s-%d"}`, prefix, i))}
		if _, err := r.log.Append(context.Background(), e, nil); err != nil {
			r.t.Fatal(err)
		}
	}
}

// checkpoint signs the current tree and returns it with the consistency
// proof from size from (none when from is 0 or the same size).
func (r *realLog) checkpoint(from int64) ([]byte, tlog.TreeProof) {
	r.t.Helper()
	cp, err := r.log.Checkpoint(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	if from == 0 || from >= cp.Size {
		return cp.Signed, tlog.TreeProof{}
	}
	p, err := r.log.ConsistencyProof(from, cp.Size)
	if err != nil {
		r.t.Fatal(err)
	}
	return cp.Signed, p
}

func TestWitnessCatchesALogRebuiltWithTheStolenKey(t *testing.T) {
	keysDir := filepath.Join(t.TempDir(), "audit-keys")
	honest := openLog(t, keysDir)
	keys, err := audit.LoadVerifierKey(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	v := keys.Verifier
	state := filepath.Join(t.TempDir(), "witness.state")

	honest.add("real", 0, 5)
	cp1, _ := honest.checkpoint(0)
	res, err := Observe(state, v, cp1, nil)
	if err != nil || !res.First || res.Current.Size != 5 {
		t.Fatalf("first checkpoint: %+v, %v", res, err)
	}
	honest.add("real", 5, 3)
	cp2, proof := honest.checkpoint(5)
	if res, err := Observe(state, v, cp2, proof); err != nil || res.Previous.Size != 5 || res.Current.Size != 8 {
		t.Fatalf("honest growth 5→8 refused: %+v, %v", res, err)
	}
	kept, _ := os.ReadFile(state)
	if !bytes.Equal(kept, cp2) {
		t.Fatal("the witness did not keep the newer checkpoint")
	}

	// The thief has the signing key and rebuilds the log from scratch:
	// the same entries except one changed, to the same and to a larger
	// size; other entries altogether; a shorter log.
	cases := []struct {
		name  string
		build func(*realLog)
		want  error
	}{
		{"one entry changed, same size", func(r *realLog) { r.add("real", 0, 3); r.add("forged", 3, 1); r.add("real", 4, 4) }, ErrFork},
		{"one entry changed, larger", func(r *realLog) { r.add("real", 0, 3); r.add("forged", 3, 1); r.add("real", 4, 8) }, ErrInconsistent},
		{"other entries, larger", func(r *realLog) { r.add("forged", 0, 20) }, ErrInconsistent},
		{"shorter", func(r *realLog) { r.add("real", 0, 6) }, ErrShrunk},
	}
	for _, tc := range cases {
		forged := openLog(t, keysDir) // the stolen key, a fresh data directory
		tc.build(forged)
		cp, proof := forged.checkpoint(8)
		_, err := Observe(state, v, cp, proof)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Observe = %v, want %v", tc.name, err, tc.want)
			continue
		}
		// The refusal names both sizes and both roots.
		fc, _ := audit.OpenCheckpoint(cp, v)
		hc, _ := audit.OpenCheckpoint(cp2, v)
		for _, want := range []string{"size 8", fmt.Sprintf("size %d", fc.Size), b64(hc.Root), b64(fc.Root)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: refusal %q does not name %q", tc.name, err, want)
			}
		}
		if now, _ := os.ReadFile(state); !bytes.Equal(now, cp2) {
			t.Errorf("%s: a refused checkpoint changed the kept state", tc.name)
		}
	}

	// A correct checkpoint with a doctored proof is refused too.
	honest.add("real", 8, 4)
	cp3, proof3 := honest.checkpoint(8)
	bad := append(tlog.TreeProof{}, proof3...)
	bad[0][0] ^= 1
	if _, err := Observe(state, v, cp3, bad); !errors.Is(err, ErrInconsistent) {
		t.Errorf("doctored proof: Observe = %v, want ErrInconsistent", err)
	}
	// The honest log still goes on.
	if res, err := Observe(state, v, cp3, proof3); err != nil || res.Current.Size != 12 {
		t.Fatalf("honest growth 8→12 refused after the forgeries: %+v, %v", res, err)
	}

	// A checkpoint under another key is refused before anything else.
	other := openLog(t, filepath.Join(t.TempDir(), "other-keys"))
	other.add("real", 0, 12)
	cpOther, _ := other.checkpoint(0)
	if _, err := Observe(state, v, cpOther, nil); err == nil || !errors.Is(err, audit.ErrBadCheckpoint) {
		t.Errorf("checkpoint under another key: Observe = %v, want a signature refusal", err)
	}
}

func TestProofRoundTrip(t *testing.T) {
	p := tlog.TreeProof{{1, 2, 3}, {4, 5, 6}}
	got, err := audit.ParseTreeProof(audit.TreeProofText(p))
	if err != nil || len(got) != 2 || got[0] != p[0] || got[1] != p[1] {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if _, err := audit.ParseTreeProof([]byte("not base64!\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad proof line: %v", err)
	}
	if got, err := audit.ParseTreeProof(nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty proof: %v, %v", got, err)
	}
}
