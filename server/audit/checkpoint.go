package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// KeyName is the name of the log's signing key in checkpoint signatures.
const KeyName = "kuzet-audit"

// Origin is the first line of every checkpoint: it says which log the
// checkpoint is about, so a signature cannot be replayed for another log.
const Origin = "kuzet.kz/audit/v1"

// Key file names inside the keys directory (DATA/keys).
const (
	SignerKeyFile   = "audit.key"
	VerifierKeyFile = "audit.pub"
)

// KeysEnv is the environment variable naming the directory of the log's
// keys, kept apart from the data directory (kuzet-server -audit-keys).
const KeysEnv = "KUZET_AUDIT_KEYS"

// KeysDir is where the log's keys are: dir if given, else $KUZET_AUDIT_KEYS,
// else DATA/keys (the demo layout).
func KeysDir(dataDir, dir string) string {
	if dir != "" {
		return dir
	}
	if env := os.Getenv(KeysEnv); env != "" {
		return env
	}
	return filepath.Join(dataDir, "keys")
}

// Keys are the log's signing and verifying keys.
type Keys struct {
	// Signer signs checkpoints; nil for a verify-only log.
	Signer note.Signer
	// Verifier checks checkpoint signatures.
	Verifier note.Verifier
	// VerifierKey is the verifier key in note format ("kuzet-audit+hash+key"),
	// what is published and put into bundles.
	VerifierKey string
}

// LoadOrCreateKeys reads DIR/audit.key and DIR/audit.pub, creating both on
// first start (the private key 0600, the directory 0700).
func LoadOrCreateKeys(dir string) (Keys, error) {
	skPath := filepath.Join(dir, SignerKeyFile)
	pkPath := filepath.Join(dir, VerifierKeyFile)
	sk, err := os.ReadFile(skPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Keys{}, fmt.Errorf("%w: create %s: %w", ErrBadKey, dir, err)
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, KeyName)
		if err != nil {
			return Keys{}, fmt.Errorf("%w: generate: %w", ErrBadKey, err)
		}
		// The public half is written first: a crash between the two writes
		// leaves no private key without its public key.
		if err := writeFileSync(pkPath, []byte(vkey+"\n"), 0o644); err != nil {
			return Keys{}, err
		}
		if err := writeFileSync(skPath, []byte(skey+"\n"), 0o600); err != nil {
			return Keys{}, err
		}
		sk = []byte(skey)
	} else if err != nil {
		return Keys{}, fmt.Errorf("%w: read %s: %w", ErrBadKey, skPath, err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(sk)))
	if err != nil {
		return Keys{}, fmt.Errorf("%w: %s is not a note signer key: %w", ErrBadKey, skPath, err)
	}
	keys, err := LoadVerifierKey(dir)
	if err != nil {
		return Keys{}, err
	}
	if keys.Verifier.KeyHash() != signer.KeyHash() || keys.Verifier.Name() != signer.Name() {
		return Keys{}, fmt.Errorf("%w: %s does not belong to %s", ErrBadKey, pkPath, skPath)
	}
	keys.Signer = signer
	return keys, nil
}

// LoadVerifierKey reads DIR/audit.pub only, for verification.
func LoadVerifierKey(dir string) (Keys, error) {
	p := filepath.Join(dir, VerifierKeyFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return Keys{}, fmt.Errorf("%w: read %s: %w", ErrBadKey, p, err)
	}
	return ParseVerifierKey(string(b))
}

// ParseVerifierKey parses a verifier key in note format.
func ParseVerifierKey(text string) (Keys, error) {
	vkey := strings.TrimSpace(text)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Keys{}, fmt.Errorf("%w: not a note verifier key: %w", ErrBadKey, err)
	}
	return Keys{Verifier: v, VerifierKey: vkey}, nil
}

func writeFileSync(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("%w: create %s: %w", ErrBadKey, name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("%w: write %s: %w", ErrBadKey, name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: sync %s: %w", ErrBadKey, name, err)
	}
	return f.Close()
}

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	// Number is the checkpoint's sequence number in this log, from 1
	// (part of the signed text).
	Number int64
	// Size is the number of entries the tree had.
	Size int64
	// Root is the RFC 6962 root hash of those entries.
	Root tlog.Hash
	// Time is when the checkpoint was signed.
	Time time.Time
	// Signed is the signed note: the text and its signature lines.
	Signed []byte
}

// checkpointText is the body that is signed: origin, size, base64 root
// (the C2SP tlog-checkpoint layout), then the signing time and the
// checkpoint's number, so "verified against checkpoint N" is signed too.
func checkpointText(size int64, root tlog.Hash, t time.Time, number int64) string {
	return fmt.Sprintf("%s\n%d\n%s\ntime %s\nnumber %d\n", Origin, size, base64.StdEncoding.EncodeToString(root[:]), t.UTC().Format(time.RFC3339Nano), number)
}

// OpenCheckpoint checks the signature of a signed checkpoint with v and
// parses it. It needs nothing but the public key.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: signature: %w", ErrBadCheckpoint, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 6 || lines[5] != "" || lines[0] != Origin {
		return Checkpoint{}, fmt.Errorf("%w: text is not a %s checkpoint", ErrBadCheckpoint, Origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: bad tree size %q", ErrBadCheckpoint, lines[1])
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: bad root hash %q", ErrBadCheckpoint, lines[2])
	}
	ts, ok := strings.CutPrefix(lines[3], "time ")
	if !ok {
		return Checkpoint{}, fmt.Errorf("%w: missing time line", ErrBadCheckpoint)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: bad time %q", ErrBadCheckpoint, ts)
	}
	ns, ok := strings.CutPrefix(lines[4], "number ")
	num, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || num < 1 || strconv.FormatInt(num, 10) != ns {
		return Checkpoint{}, fmt.Errorf("%w: bad number line %q", ErrBadCheckpoint, lines[4])
	}
	cp := Checkpoint{Number: num, Size: size, Time: t, Signed: append([]byte(nil), signed...)}
	copy(cp.Root[:], rootBytes)
	return cp, nil
}

// Checkpoint signs and stores a checkpoint of the current tree, unless the
// newest stored checkpoint already covers the current size, which is then
// returned. It fails with ErrEmptyLog before the first entry.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if l.keys.Signer == nil {
		return Checkpoint{}, fmt.Errorf("%w: no signing key loaded", ErrBadKey)
	}
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	var cp Checkpoint
	err := l.db.Update(func(tx *bbolt.Tx) error {
		size, err := readSize(tx.Bucket(bucketMeta))
		if err != nil {
			return err
		}
		if size == 0 {
			return ErrEmptyLog
		}
		cps := tx.Bucket(bucketCheckpoints)
		if k, v := cps.Cursor().Last(); k != nil {
			last, err := OpenCheckpoint(v, l.keys.Verifier)
			if err != nil {
				return fmt.Errorf("%w: newest stored checkpoint: %w", ErrCorrupt, err)
			}
			if last.Size == size {
				cp = last
				return nil
			}
		}
		root, err := tlog.TreeHash(size, hashReader(tx))
		if err != nil {
			return fmt.Errorf("audit: tree hash at %d: %w", size, err)
		}
		seq, err := cps.NextSequence()
		if err != nil {
			return fmt.Errorf("audit: checkpoint number: %w", err)
		}
		now := time.Now()
		signed, err := note.Sign(&note.Note{Text: checkpointText(size, root, now, int64(seq))}, l.keys.Signer)
		if err != nil {
			return fmt.Errorf("audit: sign checkpoint: %w", err)
		}
		if err := cps.Put(u64(int64(seq)), signed); err != nil {
			return fmt.Errorf("audit: store checkpoint: %w", err)
		}
		cp = Checkpoint{Number: int64(seq), Size: size, Root: root, Time: now.UTC(), Signed: signed}
		return nil
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	return cp, nil
}

func btoi(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// LatestCheckpoint returns the newest stored checkpoint, verified with the
// log's key, or ErrEmptyLog if there is none.
func (l *Log) LatestCheckpoint() (Checkpoint, error) {
	var cp Checkpoint
	err := l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return ErrEmptyLog
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return ErrEmptyLog
		}
		var err error
		cp, err = OpenCheckpoint(v, l.keys.Verifier)
		return err
	})
	return cp, err
}

// Run publishes a checkpoint every interval until ctx ends, skipping
// intervals in which nothing was appended. The caller owns the goroutine
// that calls Run and waits for it to return.
func (l *Log) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("audit: run: checkpoint interval must be positive, got %s", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := l.Checkpoint(ctx); err != nil && !errors.Is(err, ErrEmptyLog) && ctx.Err() == nil {
				l.logger.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// InclusionProof proves that the entry at index is in the tree of size
// treeSize (which a checkpoint states).
func (l *Log) InclusionProof(index, treeSize int64) (tlog.RecordProof, error) {
	var p tlog.RecordProof
	err := l.db.View(func(tx *bbolt.Tx) error {
		size, err := readSize(tx.Bucket(bucketMeta))
		if err != nil {
			return err
		}
		if index < 0 || index >= treeSize || treeSize > size {
			return fmt.Errorf("%w: entry %d in tree of %d (log has %d)", ErrBadRange, index, treeSize, size)
		}
		p, err = tlog.ProveRecord(treeSize, index, hashReader(tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of size newSize extends the tree of
// size oldSize (the log was only appended to in between).
func (l *Log) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	err := l.db.View(func(tx *bbolt.Tx) error {
		size, err := readSize(tx.Bucket(bucketMeta))
		if err != nil {
			return err
		}
		if oldSize < 1 || oldSize > newSize || newSize > size {
			return fmt.Errorf("%w: tree %d to %d (log has %d)", ErrBadRange, oldSize, newSize, size)
		}
		p, err = tlog.ProveTree(newSize, oldSize, hashReader(tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	return p, nil
}

// CheckInclusion verifies, with nothing but a verified checkpoint, that
// entry (its canonical bytes) is at index in the checkpoint's tree.
func CheckInclusion(cp Checkpoint, index int64, entry []byte, proof tlog.RecordProof) error {
	if index < 0 || index >= cp.Size {
		return fmt.Errorf("%w: entry %d is outside the checkpoint's tree of %d", ErrBadProof, index, cp.Size)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("%w: entry %d in tree of %d: %w", ErrBadProof, index, cp.Size, err)
	}
	return nil
}

// CheckConsistency verifies that newer extends older, given a proof from
// ConsistencyProof(older.Size, newer.Size).
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	if older.Size < 1 || older.Size > newer.Size {
		return fmt.Errorf("%w: tree %d cannot precede tree %d", ErrBadProof, older.Size, newer.Size)
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("%w: tree %d to %d: %w", ErrBadProof, older.Size, newer.Size, err)
	}
	return nil
}

// sameKey reports whether two verifier keys are the same key.
func sameKey(a, b string) bool {
	return bytes.Equal([]byte(strings.TrimSpace(a)), []byte(strings.TrimSpace(b)))
}

// TreeProofText writes a consistency proof as one base64 hash a line (the
// file "kuzet-server audit checkpoint --proof" writes).
func TreeProofText(p tlog.TreeProof) []byte {
	var b strings.Builder
	for _, h := range p {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ParseTreeProof reads what TreeProofText wrote.
func ParseTreeProof(text []byte) (tlog.TreeProof, error) {
	p := tlog.TreeProof{}
	for i, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("%w: proof line %d %q is not a base64 %d-byte hash", ErrBadProof, i+1, line, tlog.HashSize)
		}
		var h tlog.Hash
		copy(h[:], raw)
		p = append(p, h)
	}
	return p, nil
}
