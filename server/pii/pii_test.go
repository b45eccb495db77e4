package pii_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/pii"
)

func vault(t *testing.T) (*pii.Vault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys", "pii.key")
	key, err := pii.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v, path
}

func TestSealOpensOnlyForItsRecordAndKey(t *testing.T) {
	v, path := vault(t)
	sealed, err := v.Seal([]byte("Айгерім Нұрланқызы"), "cand-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Айгерім")) {
		t.Fatal("the name is readable in what was sealed")
	}
	plain, err := v.Open(sealed, "cand-1")
	if err != nil || string(plain) != "Айгерім Нұрланқызы" {
		t.Fatalf("%q %v", plain, err)
	}
	if _, err := v.Open(sealed, "cand-2"); !errors.Is(err, pii.ErrSealed) {
		t.Fatalf("opened as another record: %v", err)
	}
	damaged := append([]byte(nil), sealed...)
	damaged[len(damaged)-1] ^= 1
	if _, err := v.Open(damaged, "cand-1"); !errors.Is(err, pii.ErrSealed) {
		t.Fatalf("damaged: %v", err)
	}
	// The same key file gives the same vault; another key opens nothing.
	key, err := pii.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pii.New(key)
	if _, err := again.Open(sealed, "cand-1"); err != nil {
		t.Fatalf("reloaded key: %v", err)
	}
	other, _ := vault(t)
	if _, err := other.Open(sealed, "cand-1"); !errors.Is(err, pii.ErrSealed) {
		t.Fatalf("another key: %v", err)
	}
	if v.Index("iin", "900101300017") != again.Index("iin", "900101300017") || v.Index("iin", "900101300017") == other.Index("iin", "900101300017") {
		t.Fatal("lookup hashes must depend on the key and only on it")
	}
	if v.Index("iin", "1") == v.Index("email", "1") {
		t.Fatal("lookup hashes of two kinds collide")
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", info.Mode(), err)
	}
}

func TestKeyFileErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pii.key")
	if err := os.WriteFile(path, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pii.LoadOrCreateKey(path); !errors.Is(err, pii.ErrKey) || !strings.Contains(err.Error(), "64 hex digits") {
		t.Fatalf("%v", err)
	}
	if _, err := pii.New(make([]byte, 5)); !errors.Is(err, pii.ErrKey) {
		t.Fatalf("%v", err)
	}
}

func TestSealedFiles(t *testing.T) {
	v, _ := vault(t)
	path := filepath.Join(t.TempDir(), "docs", "a1", "d1")
	scan := bytes.Repeat([]byte("%PDF-1.7 diploma "), 1000)
	if err := v.WriteFile(path, scan, "a1/d1"); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("diploma")) {
		t.Fatal("the scan is readable on disk")
	}
	got, err := v.ReadFile(path, "a1/d1")
	if err != nil || !bytes.Equal(got, scan) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := v.ReadFile(path, "a1/d2"); !errors.Is(err, pii.ErrSealed) {
		t.Fatalf("another document's name: %v", err)
	}
}

// iin completes 11 digits with their check digit, or "" when none exists.
func iin(first11 string) string {
	for c := '0'; c <= '9'; c++ {
		if pii.CheckIIN(first11+string(c)) == nil {
			return first11 + string(c)
		}
	}
	return ""
}

func TestCheckIIN(t *testing.T) {
	// 9·1 + 1·4 + 1·6 + 3·7 + 1·11 = 51 = 4·11 + 7.
	if err := pii.CheckIIN("900101300017"); err != nil {
		t.Fatalf("a valid IIN refused: %v", err)
	}
	// Find numbers whose first sum is 10 (modulo 11), so the second set of
	// weights decides, and numbers with no check digit at all.
	second, none := "", ""
	for n := 0; n < 100000 && (second == "" || none == ""); n++ {
		first := "850615" + "4" + padded(n)
		var d [11]int
		for i := range 11 {
			d[i] = int(first[i] - '0')
		}
		s1, s2 := 0, 0
		for i := range 11 {
			s1 += (i + 1) * d[i]
			s2 += ((i+2)%11 + 1) * d[i]
		}
		switch {
		case s1%11 == 10 && s2%11 != 10 && second == "":
			second = first + string(rune('0'+s2%11))
		case s1%11 == 10 && s2%11 == 10 && none == "":
			none = first
		}
	}
	if second == "" || none == "" {
		t.Fatal("search for test numbers failed")
	}
	if err := pii.CheckIIN(second); err != nil {
		t.Fatalf("second weights: %s refused: %v", second, err)
	}
	if iin(none) != "" {
		t.Fatalf("%s has no check digit, but %s was accepted", none, iin(none))
	}
	for _, tc := range []struct{ in, want string }{
		{"90010130001", "12 digits"},
		{"9001013000171", "12 digits"},
		{"90010130001x", "only digits"},
		{"900101300018", "should be 7, not 8"},
		{"901301300017", "not a date"},
		{"900230300017", "not a date"},
		{"900101700017", "digit 7"},
		{none + "0", "no valid check digit"},
	} {
		err := pii.CheckIIN(tc.in)
		if !errors.Is(err, pii.ErrIIN) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
	// Leap day, in the right century.
	if err := pii.CheckIIN(iin("000229500001")[:0] + iin("00022950000")); err != nil {
		t.Fatalf("29 February 2000: %v", err)
	}
	if n := iin("00022930000"); n != "" {
		t.Fatalf("29 February 1900 accepted as %s", n)
	}
}

func padded(n int) string {
	s := "0000" + strings.TrimLeft(string(rune('0'+n/10000%10))+string(rune('0'+n/1000%10))+string(rune('0'+n/100%10))+string(rune('0'+n/10%10))+string(rune('0'+n%10)), "")
	return s[len(s)-4:]
}

func FuzzCheckIIN(f *testing.F) {
	f.Add("900101300017")
	f.Add("abc")
	f.Fuzz(func(t *testing.T, s string) {
		if err := pii.CheckIIN(s); err == nil && len(s) != 12 {
			t.Fatalf("accepted %q", s)
		}
	})
}
