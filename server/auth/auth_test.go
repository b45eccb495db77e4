package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "correct horse battery") || !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if err := CheckPassword(h, "correct horse battery"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if err := CheckPassword(h, "correct horsE"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1$x$y", "$argon2id$v=19$m=65536,t=3,p=2$!!$AAAA", "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA"} {
		if err := CheckPassword(bad, "x"); !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckPassword(%q) = %v, want ErrBadHash", bad, err)
		}
	}
	for _, bad := range []string{"short", "eleven-char", strings.Repeat("x", MaxPasswordLen+1)} {
		if _, err := HashPassword(bad); !errors.Is(err, ErrPasswordLength) {
			t.Errorf("HashPassword of %d bytes = %v, want ErrPasswordLength", len(bad), err)
		}
	}
	// Twelve characters, counted as characters (Cyrillic is 2 bytes each).
	if _, err := HashPassword("құпиясөзкүзет"); err != nil {
		t.Errorf("a 13-character Kazakh password was refused: %v", err)
	}
}

func TestTokens(t *testing.T) {
	a, _ := NewToken()
	b, _ := NewToken()
	if a == b || len(a) < 32 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if TokenHash(a) == TokenHash(b) || len(TokenHash(a)) != 64 {
		t.Fatal("token hashes collide or have the wrong length")
	}
}
