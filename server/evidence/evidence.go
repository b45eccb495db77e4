// Package evidence keeps the files agents upload to support their events
// (downscaled camera snapshots, screenshots, reports), content-addressed:
// DATA/evidence/<sitting>/<sha256>. A file is written to a temporary name,
// hashed while it streams, synced and then renamed, so a crash never leaves
// a half-written file under a hash, and the same bytes stored twice are one
// file. The audit log covers each file by that hash.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Errors of the evidence store.
var (
	// ErrTooLarge: the upload is over the limit.
	ErrTooLarge = errors.New("evidence file is too large")
	// ErrNotFound: no such file for the sitting.
	ErrNotFound = errors.New("evidence file not found")
	// ErrBadName: a sitting id or hash that cannot be a path element.
	ErrBadName = errors.New("invalid sitting id or hash")
)

var (
	safeID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	hexSum = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Store is the evidence directory.
type Store struct {
	dir string // DATA/evidence
}

// New returns the store rooted at dataDir/evidence.
func New(dataDir string) *Store { return &Store{dir: filepath.Join(dataDir, "evidence")} }

// RelPath is a file's path relative to the data directory, as the audit
// log records it.
func RelPath(sitting, sum string) string {
	return filepath.ToSlash(filepath.Join("evidence", sitting, sum))
}

func (s *Store) path(sitting, sum string) (string, error) {
	if !safeID.MatchString(sitting) || !hexSum.MatchString(sum) {
		return "", ErrBadName
	}
	return filepath.Join(s.dir, sitting, sum), nil
}

// Put stores what r holds (at most limit bytes) for sitting and returns
// its hex SHA-256 and size.
func (s *Store) Put(sitting string, r io.Reader, limit int64) (string, int64, error) {
	if !safeID.MatchString(sitting) {
		return "", 0, ErrBadName
	}
	dir := filepath.Join(s.dir, sitting)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("evidence directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("evidence temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op error
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		tmp.Close()
		return "", 0, fmt.Errorf("receive evidence: %w", err)
	}
	if n > limit {
		tmp.Close()
		return "", 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	if n == 0 {
		tmp.Close()
		return "", 0, errors.New("evidence file is empty")
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, fmt.Errorf("sync evidence: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := filepath.Join(dir, sum)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("store evidence: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable
		d.Close()
	}
	return sum, n, nil
}

// Has reports whether the sitting has a file with this hash.
func (s *Store) Has(sitting, sum string) bool {
	p, err := s.path(sitting, sum)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Size returns the size of the sitting's file with this hash, and whether
// there is one.
func (s *Store) Size(sitting, sum string) (int64, bool) {
	p, err := s.path(sitting, sum)
	if err != nil {
		return 0, false
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// Open opens a stored file.
func (s *Store) Open(sitting, sum string) (*os.File, error) {
	p, err := s.path(sitting, sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}
