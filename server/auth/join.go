package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JoinPrefix starts every join token, so the server tells it from a
// resume token at a glance.
const JoinPrefix = "kj1."

// ErrJoinToken means a join token is malformed or its signature is wrong.
var ErrJoinToken = errors.New("not a valid join token")

// JoinClaims are what a join token says: which sitting it opens, until
// when, and its one-time nonce.
type JoinClaims struct {
	Sitting string `json:"s"`
	Expires int64  `json:"e"` // Unix seconds
	Nonce   string `json:"n"`
}

// ExpiresAt is the claims' expiry as a time.
func (c JoinClaims) ExpiresAt() time.Time { return time.Unix(c.Expires, 0) }

// IssueJoin makes a join token for a sitting: signed with key (HMAC-SHA256),
// valid until expires, with a fresh nonce the server accepts once.
func IssueJoin(key []byte, sitting string, expires time.Time) (token string, c JoinClaims, err error) {
	n := make([]byte, 12)
	if _, err := rand.Read(n); err != nil {
		return "", c, fmt.Errorf("join token nonce: %w", err)
	}
	c = JoinClaims{Sitting: sitting, Expires: expires.Unix(), Nonce: hex.EncodeToString(n)}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", c, err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return JoinPrefix + p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p)), c, nil
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(JoinPrefix + payload))
	return h.Sum(nil)
}

// ParseJoin checks a join token's signature and returns its claims. It
// does not judge expiry or use; the caller does, against the sitting.
func ParseJoin(key []byte, token string) (JoinClaims, error) {
	var c JoinClaims
	rest, ok := strings.CutPrefix(token, JoinPrefix)
	if !ok || len(token) > 1024 {
		return c, ErrJoinToken
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return c, ErrJoinToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return c, ErrJoinToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sitting == "" || c.Nonce == "" {
		return c, ErrJoinToken
	}
	return c, nil
}
