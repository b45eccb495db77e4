package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutIsContentAddressedAndBounded(t *testing.T) {
	data := t.TempDir()
	s := New(data)
	payload := []byte("snapshot bytes")
	sum, n, err := s.Put("s-1", bytes.NewReader(payload), 100)
	want := sha256.Sum256(payload)
	if err != nil || sum != hex.EncodeToString(want[:]) || n != int64(len(payload)) {
		t.Fatalf("Put = %s, %d, %v", sum, n, err)
	}
	if !s.Has("s-1", sum) || s.Has("s-2", sum) {
		t.Fatal("Has is wrong about which sitting holds the file")
	}
	f, err := s.Open("s-1", sum)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, payload) {
		t.Fatalf("read back %q", got)
	}
	if _, _, err := s.Put("s-1", bytes.NewReader(make([]byte, 101)), 100); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	for _, bad := range []string{"../x", "a/b", "", "."} {
		if _, _, err := s.Put(bad, bytes.NewReader(payload), 100); !errors.Is(err, ErrBadName) {
			t.Errorf("sitting %q accepted: %v", bad, err)
		}
	}
	if _, err := s.Open("s-1", "../../etc/passwd"); !errors.Is(err, ErrBadName) {
		t.Fatalf("path traversal: %v", err)
	}
	// No temporary files are left behind, accepted or refused.
	entries, _ := os.ReadDir(filepath.Join(data, "evidence", "s-1"))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want 1", len(entries))
	}
	if RelPath("s-1", sum) != "evidence/s-1/"+sum {
		t.Fatal(RelPath("s-1", sum))
	}
}

// TestQuotaPerSitting: a sitting holds at most Quota.Files files and
// Quota.Bytes bytes; the refusal states the limit, leaves nothing on
// disk, and other sittings keep their own quota. The same bytes again
// are no new file.
func TestQuotaPerSitting(t *testing.T) {
	data := t.TempDir()
	s := New(data).WithQuota(Quota{Files: 3, Bytes: 100})
	put := func(sitting string, content string) error {
		_, _, err := s.Put(sitting, bytes.NewReader([]byte(content)), 64)
		return err
	}
	for _, c := range []string{"one", "two", "three"} {
		if err := put("s-1", c); err != nil {
			t.Fatalf("file %q within the quota: %v", c, err)
		}
	}
	if err := put("s-1", "two"); err != nil {
		t.Fatalf("the same bytes again (already stored): %v", err)
	}
	err := put("s-1", "four")
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "3 files") {
		t.Fatalf("a fourth file: %v, want ErrQuota stating 3 files", err)
	}
	if err := put("s-2", strings.Repeat("x", 60)); err != nil {
		t.Fatalf("another sitting: %v", err)
	}
	err = put("s-2", strings.Repeat("y", 50))
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "100 bytes") {
		t.Fatalf("60+50 bytes of a 100-byte quota: %v, want ErrQuota stating 100 bytes", err)
	}
	if err := put("s-1", "three"); err != nil {
		t.Fatalf("a file already stored, resent at the full quota: %v", err)
	}
	for sitting, want := range map[string]int{"s-1": 3, "s-2": 1} {
		entries, _ := os.ReadDir(filepath.Join(data, "evidence", sitting))
		if len(entries) != want {
			t.Errorf("%s holds %d files after the refusals, want %d", sitting, len(entries), want)
		}
	}
}

// TestPutCheckedRefusesADamagedFile: a file whose hash is not the one the
// agent announced is refused and not kept.
func TestPutCheckedRefusesADamagedFile(t *testing.T) {
	data := t.TempDir()
	s := New(data)
	good := sha256.Sum256([]byte("what the agent sent"))
	_, _, err := s.PutChecked("s-1", bytes.NewReader([]byte("what arrived")), 64, hex.EncodeToString(good[:]))
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), hex.EncodeToString(good[:])) {
		t.Fatalf("a damaged file: %v, want ErrDamaged naming the announced hash", err)
	}
	entries, _ := os.ReadDir(filepath.Join(data, "evidence", "s-1"))
	if len(entries) != 0 {
		t.Fatalf("the refused file stayed on disk: %d files", len(entries))
	}
	if _, _, err := s.PutChecked("s-1", bytes.NewReader([]byte("what the agent sent")), 64, hex.EncodeToString(good[:])); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
}
