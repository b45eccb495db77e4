package sign

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// MaxKeySize is the largest public key, in bytes, ParsePublicKey reads.
const MaxKeySize = 1 << 10

// The key formats a client may send, named as WebCrypto's exportKey names
// them.
const (
	// KeySPKI is a DER SubjectPublicKeyInfo, exportKey('spki', …).
	KeySPKI = "spki"
	// KeyRaw is the 32 bytes of an Ed25519 public key, exportKey('raw', …).
	KeyRaw = "raw"
)

// PublicKey is a commission member's registered public key.
type PublicKey struct {
	// Account is the member's account id; the workflow sets it.
	Account string `json:"account"`
	// Format is the signature format the key verifies: FormatEd25519 (Data
	// is the 32 raw key bytes); later FormatCMSDetached (Data is the
	// member's certificate).
	Format string `json:"format"`
	// Data is the key in its canonical form for Format.
	Data []byte `json:"data"`
	// Fingerprint is the lowercase hex SHA-256 of Data, for the member to
	// compare with what the browser shows.
	Fingerprint string `json:"fingerprint"`
	// Registered is when the workflow registered the key; it sets it.
	Registered time.Time `json:"registered"`
}

// ParsePublicKey reads a public key a client sends for registration:
// format is KeySPKI (the DER that WebCrypto's exportKey('spki') gives for
// an Ed25519 key) or KeyRaw (the 32 bytes exportKey('raw') gives). The key
// must be a valid Ed25519 point that is not of small order. The result has
// Format, Data and Fingerprint set; the caller sets Account and Registered.
// Every refusal wraps ErrBadKey or, for an unknown format,
// ErrUnsupportedFormat.
func ParsePublicKey(format string, data []byte) (PublicKey, error) {
	if len(data) == 0 {
		return PublicKey{}, badKey("the key is empty: send the bytes of exportKey('spki', publicKey)")
	}
	if len(data) > MaxKeySize {
		return PublicKey{}, badKey("the key is longer than %d bytes: send an Ed25519 key from exportKey('spki', publicKey)", MaxKeySize)
	}
	var raw []byte
	switch format {
	case KeySPKI:
		var err error
		if raw, err = parseSPKI(data); err != nil {
			return PublicKey{}, err
		}
	case KeyRaw:
		if len(data) != ed25519.PublicKeySize {
			return PublicKey{}, badKey("a raw Ed25519 key is %d bytes, this one is %d: send exportKey('raw', publicKey) of an Ed25519 key, or its 'spki' form", ed25519.PublicKeySize, len(data))
		}
		raw = data
	default:
		return PublicKey{}, fmt.Errorf("%w: the key format must be %q or %q (WebCrypto exportKey of an Ed25519 key)", ErrUnsupportedFormat, KeySPKI, KeyRaw)
	}
	if err := checkPoint(raw); err != nil {
		return PublicKey{}, err
	}
	return newEd25519Key(raw), nil
}

// ParsePublicKeyBase64 is ParsePublicKey of a key sent as standard base64
// with padding (what btoa gives), the way JSON carries it.
func ParsePublicKeyBase64(format, b64 string) (PublicKey, error) {
	data, err := DecodeBase64(b64, MaxKeySize)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return ParsePublicKey(format, data)
}

// DecodeBase64 decodes standard base64 with padding (RFC 4648 §4, what
// btoa gives) strictly: no line breaks, no spaces, no URL-safe alphabet,
// and at most max decoded bytes, checked before decoding.
func DecodeBase64(s string, max int) ([]byte, error) {
	if base64.StdEncoding.DecodedLen(len(s)) > max+2 {
		return nil, fmt.Errorf("the base64 text decodes to more than %d bytes", max)
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("the base64 text has a line break: send it on one line")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the text is not standard base64 with padding (as btoa gives)")
	}
	if len(b) > max {
		return nil, fmt.Errorf("the base64 text decodes to more than %d bytes", max)
	}
	return b, nil
}

// Fingerprint is the lowercase hex SHA-256 of a key's canonical bytes.
func Fingerprint(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func newEd25519Key(raw []byte) PublicKey {
	return PublicKey{
		Format:      FormatEd25519,
		Data:        bytes.Clone(raw),
		Fingerprint: Fingerprint(raw),
	}
}

func parseSPKI(der []byte) ([]byte, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, badKey("the key is not a DER SubjectPublicKeyInfo: send the bytes of exportKey('spki', publicKey) as they are")
	}
	// ParsePKIXPublicKey allows nothing after the structure; re-encoding
	// it checks that the bytes were the one DER form of this key.
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if again, err := x509.MarshalPKIXPublicKey(k); err != nil || !bytes.Equal(again, der) {
			return nil, badKey("the SubjectPublicKeyInfo is not in canonical DER: send the bytes of exportKey('spki', publicKey) as they are")
		}
		return k, nil
	case *rsa.PublicKey:
		return nil, badKey("this is an RSA key; registration takes an Ed25519 key: generate it with crypto.subtle.generateKey({name: 'Ed25519'}, …) (RSA keys of the national EDS will be verified through NCALayer certificates later)")
	case *ecdsa.PublicKey:
		return nil, badKey("this is an ECDSA key; registration takes an Ed25519 key: generate it with crypto.subtle.generateKey({name: 'Ed25519'}, …)")
	default:
		return nil, badKey("this key's algorithm is not Ed25519: generate the key with crypto.subtle.generateKey({name: 'Ed25519'}, …)")
	}
}

// The field and curve constants of edwards25519 (RFC 8032 §5.1).
var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// curveD is -121665/121666 mod p.
	curveD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), fieldP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, fieldP)
	}()
	halfP = new(big.Int).Rsh(new(big.Int).Sub(fieldP, big.NewInt(1)), 1)
	// x25519Probe is a fixed X25519 scalar; X25519 clamps it to 8·k with
	// 0 < k < ℓ, so its product with a point is zero exactly when the point
	// is of small order.
	x25519Probe = func() *ecdh.PrivateKey {
		k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x5a}, 32))
		if err != nil {
			panic(err)
		}
		return k
	}()
)

// checkPoint refuses a 32-byte Ed25519 public key that does not decode to a
// point of the curve (RFC 8032 §5.1.3: y not below p, x² not a square, or
// x = 0 with its sign bit set) or that is of small order. A small-order key
// lets one "signature" verify for many messages; no honest WebCrypto key is
// one.
func checkPoint(raw []byte) error {
	le := bytes.Clone(raw)
	le[31] &= 0x7f // the sign of x; any sign is valid when x ≠ 0
	y := new(big.Int).SetBytes(reverse(le))
	if y.Cmp(fieldP) >= 0 {
		return badKey("the key is not a canonical Ed25519 point: send the key WebCrypto exported")
	}
	p := fieldP
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, p)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	v := new(big.Int).Mul(curveD, y2)
	v.Add(v, big.NewInt(1))
	x2 := new(big.Int).ModInverse(v.Mod(v, p), p)
	x2.Mul(x2, u).Mod(x2, p)
	if x2.Sign() == 0 {
		// y = ±1: the identity or the point of order 2.
		return badKey("the key is a small-order Ed25519 point: generate a key with crypto.subtle.generateKey({name: 'Ed25519'}, …)")
	}
	if new(big.Int).Exp(x2, halfP, p).Cmp(big.NewInt(1)) != 0 {
		return badKey("the key is not a point of the Ed25519 curve: send the key WebCrypto exported")
	}
	// The Montgomery u of the point is (1+y)/(1−y); y ≠ 1 here.
	num := new(big.Int).Add(y, big.NewInt(1))
	den := new(big.Int).Sub(big.NewInt(1), y)
	den.Mod(den, p)
	mu := new(big.Int).ModInverse(den, p)
	mu.Mul(mu, num).Mod(mu, p)
	ub := make([]byte, 32)
	mu.FillBytes(ub)
	pub, err := ecdh.X25519().NewPublicKey(reverse(ub))
	if err != nil {
		return badKey("the key is not a point of the Ed25519 curve: send the key WebCrypto exported")
	}
	if _, err := x25519Probe.ECDH(pub); err != nil {
		return badKey("the key is a small-order Ed25519 point: generate a key with crypto.subtle.generateKey({name: 'Ed25519'}, …)")
	}
	return nil
}

func reverse(b []byte) []byte {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

func badKey(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadKey, fmt.Sprintf(format, args...))
}
