package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
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
