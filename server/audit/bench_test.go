package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func benchEntry(i int64) Entry {
	return Entry{
		Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: KindEvent, Sitting: fmt.Sprintf("S%04d", i%1000), Actor: "agent",
		Data: json.RawMessage(fmt.Sprintf(`{"seq":%d,"rule":"10.4","event":"start","severity":"suspected","text":"rule.10.4.detail","evidence":[]}`, i)),
	}
}

// BenchmarkAppendGroupCommit measures durable appends per second: many
// goroutines (the agents' ingest handlers) append concurrently, each Append
// returning only after its transaction is fsynced. "server-options" opens
// bbolt as docs/bench/audit.md recommends for the server (map freelist, not
// synced); "default-options" uses bbolt's defaults.
func BenchmarkAppendGroupCommit(b *testing.B) {
	for _, opt := range []struct {
		name string
		o    *bbolt.Options
	}{
		{"default-options", &bbolt.Options{}},
		{"server-options", &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType}},
	} {
		for _, par := range []int{8, 64, 512} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", opt.name, par*2), func(b *testing.B) {
				dir := b.TempDir()
				db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, opt.o)
				if err != nil {
					b.Fatal(err)
				}
				keys, err := LoadOrCreateKeys(filepath.Join(dir, "keys"))
				if err != nil {
					b.Fatal(err)
				}
				l, err := Open(db, keys, Options{DataDir: dir})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { l.Close(); db.Close() }()
				var n atomic.Int64
				b.SetParallelism(par)
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := l.Append(context.Background(), benchEntry(n.Add(1)), nil); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
			})
		}
	}
}

// buildLog writes n entries quickly (large transactions, no group commit)
// and one checkpoint per 100 000 entries.
func buildLog(b *testing.B, dir string, n int64) {
	b.Helper()
	db, l := openLog(b, dir)
	const perTx = 50000
	for first := int64(0); first < n; first += perTx {
		err := db.Update(func(tx *bbolt.Tx) error {
			w, err := newWriter(tx)
			if err != nil {
				return err
			}
			for i := first; i < min(n, first+perTx); i++ {
				if _, err := w.add(benchEntry(i)); err != nil {
					return err
				}
			}
			return w.finish()
		})
		if err != nil {
			b.Fatal(err)
		}
		if (first+perTx)%100000 == 0 || first+perTx >= n {
			if _, err := l.Checkpoint(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	l.Close()
	db.Close()
}

// BenchmarkVerify1M measures Verify over a log of 1 000 000 entries with 10
// checkpoints (the log is built first, outside the timing).
func BenchmarkVerify1M(b *testing.B) {
	const n = 1000000
	dir := b.TempDir()
	buildLog(b, dir, n)
	db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		rep := Verify(context.Background(), db, dir)
		if !rep.OK() || rep.Entries != n || rep.Checkpoints != 10 {
			b.Fatalf("verify: %v %v (%d entries, %d checkpoints)", rep.Err, rep.Problems, rep.Entries, rep.Checkpoints)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "kuzet.db")); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "db-MiB")
	}
}

// BenchmarkProofSizes reports the size of inclusion and consistency proofs
// in a 1 000 000-entry log, and how long making one takes.
func BenchmarkProofSizes(b *testing.B) {
	const n = 1000000
	dir := b.TempDir()
	buildLog(b, dir, n)
	db, l := openLog(b, dir)
	_ = db
	var incl, cons int
	i := int64(0)
	for b.Loop() {
		p, err := l.InclusionProof(i%n, n)
		if err != nil {
			b.Fatal(err)
		}
		incl = len(p) * 32
		tp, err := l.ConsistencyProof(n/2+1, n)
		if err != nil {
			b.Fatal(err)
		}
		cons = len(tp) * 32
		i += 7919
	}
	b.ReportMetric(float64(incl), "inclusion-proof-bytes")
	b.ReportMetric(float64(cons), "consistency-proof-bytes")
}
