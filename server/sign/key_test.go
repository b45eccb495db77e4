package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestParsePublicKey_SPKIAndRawAccepted(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParsePublicKey(KeySPKI, der)
	if err != nil {
		t.Fatalf("spki: %v", err)
	}
	b, err := ParsePublicKey(KeyRaw, pub)
	if err != nil {
		t.Fatalf("raw: %v", err)
	}
	c, err := ParsePublicKeyBase64(KeySPKI, base64.StdEncoding.EncodeToString(der))
	if err != nil {
		t.Fatalf("spki base64: %v", err)
	}
	for _, k := range []PublicKey{a, b, c} {
		if k.Format != FormatEd25519 || !bytes.Equal(k.Data, pub) || k.Fingerprint != Fingerprint(pub) || len(k.Fingerprint) != 64 {
			t.Fatalf("key %+v, want the raw key with its fingerprint", k)
		}
	}
	// The key record does not alias the caller's buffer.
	raw := bytes.Clone(pub)
	k, _ := ParsePublicKey(KeyRaw, raw)
	raw[0] ^= 1
	if !bytes.Equal(k.Data, pub) {
		t.Fatal("the key record shares the caller's bytes")
	}
}

// A WebCrypto spki export of an Ed25519 key, fixed (from Node's
// crypto.subtle.exportKey('spki', …)): the 12-byte header and 32 key bytes.
func TestParsePublicKey_WebCryptoSPKIBytes(t *testing.T) {
	der := mustHex(t, "302a300506032b657003210060c9208d0eeb96b0167aea51fe594c415b8a53493009295713061190376aa43e")
	k, err := ParsePublicKey(KeySPKI, der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Data, der[12:]) {
		t.Fatalf("key %x, want %x", k.Data, der[12:])
	}
}

func TestParsePublicKey_MalformedSPKIRefused(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	longLen := append([]byte{0x30, 0x81, 0x2a}, der[2:]...) // non-minimal DER length
	for name, data := range map[string][]byte{
		"truncated":          der[:len(der)-1],
		"trailing byte":      append(bytes.Clone(der), 0),
		"header only":        der[:12],
		"garbage":            []byte("not a key at all, clearly"),
		"raw key as spki":    pub,
		"non-minimal DER":    longLen,
		"wrong inner length": func() []byte { d := bytes.Clone(der); d[11] = 0x20; return d }(),
	} {
		_, err := ParsePublicKey(KeySPKI, data)
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v; want ErrBadKey", name, err)
		}
	}
}

func TestParsePublicKey_RSASPKIRefused(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParsePublicKey(KeySPKI, der)
	if !errors.Is(err, ErrBadKey) {
		t.Fatalf("RSA key: %v; want ErrBadKey", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "RSA") || !strings.Contains(msg, "generateKey({name: 'Ed25519'}") {
		t.Fatalf("RSA refusal %q: want it to say the key is RSA and how to make an Ed25519 one", msg)
	}
}

func TestParsePublicKey_ECDSASPKIRefused(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	_, err = ParsePublicKey(KeySPKI, der)
	if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "ECDSA") {
		t.Fatalf("ECDSA key: %v; want ErrBadKey naming ECDSA", err)
	}
}

func TestParsePublicKey_RawWrongLengthRefused(t *testing.T) {
	for _, n := range []int{1, 31, 33, 44, 64} {
		_, err := ParsePublicKey(KeyRaw, bytes.Repeat([]byte{7}, n))
		if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("raw key of %d bytes: %v; want ErrBadKey saying 32 bytes", n, err)
		}
	}
}

func TestParsePublicKey_EmptyAndOversizeRefused(t *testing.T) {
	for _, f := range []string{KeySPKI, KeyRaw, "jwk"} {
		if _, err := ParsePublicKey(f, nil); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s empty: %v; want ErrBadKey", f, err)
		}
		if _, err := ParsePublicKey(f, make([]byte, MaxKeySize+1)); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "1024") {
			t.Errorf("%s oversize: %v; want ErrBadKey naming the limit", f, err)
		}
	}
	if _, err := ParsePublicKeyBase64(KeySPKI, strings.Repeat("A", 4*MaxKeySize)); !errors.Is(err, ErrBadKey) {
		t.Errorf("oversize base64: %v; want ErrBadKey", err)
	}
}

func TestParsePublicKey_UnknownFormatRefused(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, f := range []string{"", "jwk", "pkcs8", "SPKI", "Raw", "pem"} {
		if _, err := ParsePublicKey(f, pub); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("format %q: %v; want ErrUnsupportedFormat", f, err)
		}
	}
}

// Keys that are not curve points, not canonical, or of small order are
// refused: no WebCrypto key is one, and a small-order key lets one
// signature pass for many messages.
func TestParsePublicKey_NonPointsAndSmallOrderRefused(t *testing.T) {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	le := func(n *big.Int, signBit bool) []byte {
		b := make([]byte, 32)
		n.FillBytes(b)
		b = reverse(b)
		if signBit {
			b[31] |= 0x80
		}
		return b
	}
	cases := map[string][]byte{
		"identity (y=1)":            le(big.NewInt(1), false),
		"identity with sign bit":    le(big.NewInt(1), true),
		"order 2 (y=-1)":            le(new(big.Int).Sub(p, big.NewInt(1)), false),
		"y = p (non-canonical 0)":   le(p, false),
		"y = p+1 (non-canonical 1)": le(new(big.Int).Add(p, big.NewInt(1)), false),
		"y = 2^255-1":               le(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)), false),
		"y = 0 (order 4)":           le(big.NewInt(0), false),
	}
	// The points of order 8: doubling gives y = 0, so x² = −y², and the
	// curve equation gives d·y⁴ + 2·y² − 1 = 0, y² = (−1 ± √(1+d)) / d.
	order8 := 0
	if r := new(big.Int).ModSqrt(new(big.Int).Add(curveD, big.NewInt(1)), p); r != nil {
		dInv := new(big.Int).ModInverse(curveD, p)
		for _, root := range []*big.Int{r, new(big.Int).Sub(p, r)} {
			y2 := new(big.Int).Sub(root, big.NewInt(1))
			y2.Mul(y2, dInv).Mod(y2, p)
			y := new(big.Int).ModSqrt(y2, p)
			if y == nil {
				continue
			}
			for _, yy := range []*big.Int{y, new(big.Int).Sub(p, y)} {
				if b := le(yy, false); onCurve(b) {
					cases["order 8 #"+yy.Text(16)[:8]] = b
					order8++
				}
			}
		}
	}
	if order8 != 2 {
		t.Fatalf("found %d y-coordinates of order-8 points, want 2", order8)
	}
	// The first small y that is not on the curve.
	for y := int64(2); ; y++ {
		b := le(big.NewInt(y), false)
		if !onCurve(b) {
			cases["off the curve"] = b
			break
		}
	}
	for name, raw := range cases {
		if _, err := ParsePublicKey(KeyRaw, raw); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v; want ErrBadKey", name, err)
		}
	}
	// And generated keys all pass.
	for range 50 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		if _, err := ParsePublicKey(KeyRaw, pub); err != nil {
			t.Fatalf("generated key %x refused: %v", []byte(pub), err)
		}
	}
}

// onCurve says whether the key's y has an x on the curve, using
// ModSqrt rather than the Euler criterion checkPoint uses.
func onCurve(raw []byte) bool {
	p := fieldP
	b := bytes.Clone(raw)
	b[31] &= 0x7f
	y := new(big.Int).SetBytes(reverse(b))
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	v := new(big.Int).Add(new(big.Int).Mul(curveD, y2), big.NewInt(1))
	x2 := new(big.Int).Mul(u, new(big.Int).ModInverse(v.Mod(v, p), p))
	x2.Mod(x2, p)
	return new(big.Int).ModSqrt(x2, p) != nil
}

func TestDecodeBase64_Strict(t *testing.T) {
	if b, err := DecodeBase64("AQID", 3); err != nil || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatalf("AQID: %x, %v", b, err)
	}
	for _, s := range []string{"AQI", "AQ\nID", "AQID\r\n", " AQID", "AQ-_", "AQIDBA", "AQIDBA==", "AQI=="} {
		if _, err := DecodeBase64(s, 3); err == nil {
			t.Errorf("%q decoded; want a refusal", s)
		}
	}
}
