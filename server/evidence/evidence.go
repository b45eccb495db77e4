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
	"sync"
)

// Errors of the evidence store.
var (
	// ErrTooLarge: the upload is over the limit.
	ErrTooLarge = errors.New("evidence file is too large")
	// ErrNotFound: no such file for the sitting.
	ErrNotFound = errors.New("evidence file not found")
	// ErrBadName: a sitting id or hash that cannot be a path element.
	ErrBadName = errors.New("invalid sitting id or hash")
	// ErrQuota: the sitting's evidence quota (files or bytes) is used up.
	ErrQuota = errors.New("the sitting's evidence quota is used up")
	// ErrDamaged: the file's hash is not the one announced for it.
	ErrDamaged = errors.New("evidence file arrived damaged")
)

// Quota bounds what one sitting may store (issue 16 item 7), so one agent
// cannot fill the disk: a sitting with many flags stores a few hundred
// small snapshots and reports.
type Quota struct {
	Files int
	Bytes int64
}

// DefaultQuota is the quota of every sitting.
var DefaultQuota = Quota{Files: 600, Bytes: 128 << 20}

var (
	safeID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	hexSum = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Store is the evidence directory.
type Store struct {
	dir   string // DATA/evidence
	quota Quota
	// mu makes the quota check and the rename one step, so uploads in
	// parallel cannot together pass the quota.
	mu sync.Mutex
}

// New returns the store rooted at dataDir/evidence, with DefaultQuota.
func New(dataDir string) *Store {
	return &Store{dir: filepath.Join(dataDir, "evidence"), quota: DefaultQuota}
}

// WithQuota sets the per-sitting quota (tests use small ones).
func (s *Store) WithQuota(q Quota) *Store {
	s.quota = q
	return s
}

// File is a stored file of a sitting.
type File struct {
	SHA256 string
	Size   int64
}

// List returns the sitting's stored files (none for an unknown sitting).
func (s *Store) List(sitting string) ([]File, error) {
	if !safeID.MatchString(sitting) {
		return nil, ErrBadName
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, sitting))
	if errors.Is(err, os.ErrNotExist) {
		return []File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", sitting, err)
	}
	out := []File{}
	for _, e := range entries {
		if !hexSum.MatchString(e.Name()) || !e.Type().IsRegular() {
			continue // temporary uploads and anything else
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, File{SHA256: e.Name(), Size: fi.Size()})
	}
	return out, nil
}

// Remove deletes a stored file; a file already gone is no error.
func (s *Store) Remove(sitting, sum string) error {
	p, err := s.path(sitting, sum)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove evidence: %w", err)
	}
	return nil
}

// usage is what the sitting holds now.
func (s *Store) usage(sitting string) (files int, bytes int64, err error) {
	list, err := s.List(sitting)
	for _, f := range list {
		files++
		bytes += f.Size
	}
	return files, bytes, err
}

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
	return s.PutChecked(sitting, r, limit, "")
}

// PutChecked is Put refusing (ErrDamaged) a file whose SHA-256 is not want,
// when want is set, and one over the sitting's quota (ErrQuota). A refused
// file is not kept.
func (s *Store) PutChecked(sitting string, r io.Reader, limit int64, want string) (string, int64, error) {
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
	if want != "" && want != sum {
		return "", 0, fmt.Errorf("%w: it arrived with SHA-256 %s, not %s; upload it again", ErrDamaged, sum, want)
	}
	final := filepath.Join(dir, sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	// The quota is checked once the hash is known: the same bytes again
	// (a resend after a lost answer) are no new file, even at the quota.
	if _, err := os.Stat(final); err != nil {
		files, used, err := s.usage(sitting)
		if err != nil {
			return "", 0, err
		}
		if files+1 > s.quota.Files || used+n > s.quota.Bytes {
			return "", 0, s.quotaError(sitting)
		}
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("store evidence: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable
		d.Close()
	}
	return sum, n, nil
}

// quotaError states the sitting's quota and what it holds.
func (s *Store) quotaError(sitting string) error {
	files, used, _ := s.usage(sitting)
	return fmt.Errorf("%w: a sitting may hold %d files and %d bytes of evidence; this one holds %d files, %d bytes", ErrQuota, s.quota.Files, s.quota.Bytes, files, used)
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
