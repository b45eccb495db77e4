package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

const crashHelperEnv = "KUZET_AUDIT_CRASH_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashHelperEnv); dir != "" {
		os.Exit(crashHelper(dir))
	}
	os.Exit(m.Run())
}

// crashHelper appends from 8 goroutines until it is killed, printing
// "ack INDEX SEQ" for every append Append acknowledged as durable.
func crashHelper(dir string) int {
	db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, &bbolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	keys, err := LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := Open(db, keys, Options{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	round := os.Getenv("KUZET_AUDIT_CRASH_ROUND")
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	ctx := context.Background()
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				seq := fmt.Sprintf("r%s-g%d-%d", round, g, i)
				idx, err := l.Append(ctx, Entry{Time: time.Now(), Kind: KindEvent, Sitting: fmt.Sprintf("S%d", g), Actor: "agent",
					Data: json.RawMessage(fmt.Sprintf(`{"seq":%q}`, seq))}, nil)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				if i%500 == 0 && g == 0 {
					if _, err := l.Checkpoint(ctx); err != nil {
						fmt.Fprintln(os.Stderr, err)
						return
					}
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d %s\n", idx, seq)
				out.Flush() // the test must see it before the kill
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 1
}

// TestCrashLosesNothingAcknowledged kills a real appending process with
// SIGKILL, three times, and checks after each that the log verifies and
// holds every entry whose append was acknowledged.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a helper process; skipped with -short")
	}
	dir := t.TempDir()
	acked := map[int64]string{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir, "KUZET_AUDIT_CRASH_ROUND="+strconv.Itoa(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		target := 3000 + round*1000
		for sc.Scan() && n < target {
			var idx int64
			var seq string
			if _, err := fmt.Sscanf(sc.Text(), "ack %d %s", &idx, &seq); err != nil {
				t.Fatalf("helper printed %q", sc.Text())
			}
			if prev, dup := acked[idx]; dup {
				t.Fatalf("index %d acknowledged twice: %s and %s", idx, prev, seq)
			}
			acked[idx] = seq
			n++
		}
		// Kill mid-write: appends are in flight from 8 goroutines.
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Acks printed before the kill landed are acknowledged too.
		for sc.Scan() {
			var idx int64
			var seq string
			if _, err := fmt.Sscanf(sc.Text(), "ack %d %s", &idx, &seq); err == nil {
				acked[idx] = seq
			}
		}
		_ = cmd.Wait()
		if n < target {
			t.Fatalf("round %d: helper stopped after %d acks: %s", round, n, stderr.String())
		}

		db, err := bbolt.Open(filepath.Join(dir, "kuzet.db"), 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rep := Verify(context.Background(), db, dir)
		if !rep.OK() {
			db.Close()
			t.Fatalf("round %d: log does not verify after SIGKILL: %v %v", round, rep.Err, rep.Problems)
		}
		err = db.View(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketEntries)
			for idx, seq := range acked {
				v := b.Get(u64(idx))
				if v == nil {
					return fmt.Errorf("acknowledged entry %d (%s) is lost", idx, seq)
				}
				if !strings.Contains(string(v), fmt.Sprintf(`"seq":%q`, seq)) {
					return fmt.Errorf("entry %d is %s, acknowledged as %s", idx, v, seq)
				}
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: %d entries, %d acknowledged so far, verified", round, rep.Entries, len(acked))
	}
}
