package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestJoinTokens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok, c, err := IssueJoin(key, "s-1", exp)
	if err != nil || !strings.HasPrefix(tok, JoinPrefix) {
		t.Fatalf("issue: %q %v", tok, err)
	}
	got, err := ParseJoin(key, tok)
	if err != nil || got != c || !got.ExpiresAt().Equal(exp) || got.Sitting != "s-1" {
		t.Fatalf("parse: %+v %v, want %+v", got, err, c)
	}
	tok2, c2, _ := IssueJoin(key, "s-1", exp)
	if tok2 == tok || c2.Nonce == c.Nonce {
		t.Fatal("two tokens share a nonce")
	}
	// Another key, a changed payload (another sitting), garbage.
	other := []byte("another key that is also 32 byte")
	p, sig, _ := strings.Cut(strings.TrimPrefix(tok, JoinPrefix), ".")
	forged := JoinPrefix + strings.Replace(p, p[:4], "AAAA", 1) + "." + sig
	for name, bad := range map[string]string{
		"other key": "", "forged payload": forged, "no prefix": strings.TrimPrefix(tok, JoinPrefix),
		"no signature": JoinPrefix + p, "empty": "", "huge": JoinPrefix + strings.Repeat("a", 2000),
	} {
		k := key
		if name == "other key" {
			k, bad = other, tok
		}
		if _, err := ParseJoin(k, bad); !errors.Is(err, ErrJoinToken) {
			t.Errorf("%s: %v, want ErrJoinToken", name, err)
		}
	}
}
