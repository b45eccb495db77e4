// Package witness keeps the audit log honest from outside its host. A
// witness remembers the last signed checkpoint it accepted and accepts a
// newer one only with a consistency proof that the newer tree extends the
// remembered one. A log rebuilt from scratch — even one signed with the
// real (stolen) key — cannot produce that proof, so the witness refuses
// it, and the copy of the checkpoint it keeps is the evidence.
//
// Checkpoints are the log's signed notes (C2SP signed-note: origin, tree
// size, base64 root hash, then the log's extension lines); the proof is the
// RFC 6962 consistency proof of golang.org/x/mod/sumdb/tlog.
package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"kuzet.kz/kuzet/server/audit"
)

var (
	// ErrShrunk: the new checkpoint's tree is smaller than the kept one.
	ErrShrunk = errors.New("witness: the log shrank")
	// ErrFork: same size as the kept checkpoint, another root.
	ErrFork = errors.New("witness: the log was rewritten (same size, another root)")
	// ErrInconsistent: a larger tree that does not extend the kept one.
	ErrInconsistent = errors.New("witness: the new checkpoint does not extend the kept one")
	// ErrState: the state file cannot be read or written.
	ErrState = errors.New("witness: state file")
)

// Result says what Observe did.
type Result struct {
	// Previous is the checkpoint kept before (Size 0 when there was none).
	Previous audit.Checkpoint
	// Current is the checkpoint kept now.
	Current audit.Checkpoint
	// First is true when the state held no checkpoint yet.
	First bool
}

// Check verifies next (a signed checkpoint) with v and that it extends
// kept (a signed checkpoint the witness accepted earlier, or nil) by
// proof, a consistency proof from kept's size to next's. It returns the
// parsed checkpoints.
func Check(v note.Verifier, kept, next []byte, proof tlog.TreeProof) (Result, error) {
	cur, err := audit.OpenCheckpoint(next, v)
	if err != nil {
		return Result{}, fmt.Errorf("witness: the new checkpoint: %w", err)
	}
	if len(bytes.TrimSpace(kept)) == 0 {
		return Result{Current: cur, First: true}, nil
	}
	prev, err := audit.OpenCheckpoint(kept, v)
	if err != nil {
		return Result{}, fmt.Errorf("%w: the kept checkpoint does not verify with this key (was the key changed?): %w", ErrState, err)
	}
	res := Result{Previous: prev, Current: cur}
	switch {
	case cur.Size < prev.Size:
		return res, fmt.Errorf("%w: kept checkpoint %d has size %d root %s; the new checkpoint %d has size %d root %s",
			ErrShrunk, prev.Number, prev.Size, b64(prev.Root), cur.Number, cur.Size, b64(cur.Root))
	case cur.Size == prev.Size:
		if cur.Root != prev.Root {
			return res, fmt.Errorf("%w: kept checkpoint %d has size %d root %s; the new checkpoint %d has size %d root %s",
				ErrFork, prev.Number, prev.Size, b64(prev.Root), cur.Number, cur.Size, b64(cur.Root))
		}
		return res, nil
	}
	if err := tlog.CheckTree(proof, cur.Size, cur.Root, prev.Size, prev.Root); err != nil {
		return res, fmt.Errorf("%w: kept checkpoint %d has size %d root %s; the new checkpoint %d has size %d root %s; the consistency proof from %d to %d fails: %v",
			ErrInconsistent, prev.Number, prev.Size, b64(prev.Root), cur.Number, cur.Size, b64(cur.Root), prev.Size, cur.Size, err)
	}
	return res, nil
}

// Observe is Check against the checkpoint kept in the state file
// statePath (absent on first use); when it passes, next replaces it
// (written to a temporary file, synced, then renamed). On a refusal the
// state is left as it was.
func Observe(statePath string, v note.Verifier, next []byte, proof tlog.TreeProof) (Result, error) {
	kept, err := os.ReadFile(statePath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("%w: read %s: %w", ErrState, statePath, err)
	}
	res, err := Check(v, kept, next, proof)
	if err != nil {
		return res, err
	}
	if !res.First && res.Current.Size == res.Previous.Size {
		return res, nil // the same tree: keep the older signature
	}
	if err := writeAtomic(statePath, next); err != nil {
		return res, err
	}
	return res, nil
}

// KeptSize returns the tree size of the checkpoint kept in statePath, 0
// when there is none: the size a consistency proof must start from.
func KeptSize(statePath string, v note.Verifier) (int64, error) {
	kept, err := os.ReadFile(statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w: read %s: %w", ErrState, statePath, err)
	}
	cp, err := audit.OpenCheckpoint(kept, v)
	if err != nil {
		return 0, fmt.Errorf("%w: %s does not verify with this key: %w", ErrState, statePath, err)
	}
	return cp.Size, nil
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".witness-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: write %s: %w", ErrState, path, err)
	}
	return nil
}
