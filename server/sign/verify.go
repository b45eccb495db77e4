package sign

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
)

// The errors of the port. Every error this package returns wraps exactly
// one of them, so the workflow maps errors.Is to its refusal; the message
// after the sentinel says what was wrong and what to do.
var (
	// ErrBadPayload: the grade or the payload is not valid (p.115, p.130).
	ErrBadPayload = errors.New("sign: invalid grade payload")
	// ErrMissingSignature: no signature was sent.
	ErrMissingSignature = errors.New("sign: the grade is not signed")
	// ErrBadSignature: the signature does not verify, or is malformed.
	ErrBadSignature = errors.New("sign: the signature does not verify")
	// ErrUnsupportedFormat: a signature or key format this verifier does
	// not check.
	ErrUnsupportedFormat = errors.New("sign: unsupported format")
	// ErrBadKey: the public key is malformed, not Ed25519, or the key
	// record is damaged.
	ErrBadKey = errors.New("sign: invalid public key")
	// ErrWrongSigner: the key is not the required signer's.
	ErrWrongSigner = errors.New("sign: the key is not the signer's")
)

// The signature formats.
const (
	// FormatEd25519 is a bare Ed25519 signature (RFC 8032), 64 bytes, as
	// WebCrypto's sign('Ed25519', …) gives.
	FormatEd25519 = "ed25519"
	// FormatCMSDetached is a detached CMS SignedData from NCALayer (the
	// national EDS); not verified by this package yet.
	FormatCMSDetached = "cms-detached"
)

// AlgorithmEd25519 is the Signature.Algorithm of an Ed25519 signature,
// spelled as WebCrypto names it.
const AlgorithmEd25519 = "Ed25519"

// MaxSignatureSize bounds a signature's value, chain and timestamp
// together, in bytes: room for a detached CMS with its certificates.
const MaxSignatureSize = 16 << 10

// Signature is a signature a client sends over a payload.
type Signature struct {
	// Format is FormatEd25519 now; FormatCMSDetached later.
	Format string `json:"format"`
	// Value is the signature bytes (64 for Ed25519; the DER CMS later).
	Value []byte `json:"value"`
	// Chain is the signer's certificate chain, leaf first, DER; empty for
	// Ed25519.
	Chain [][]byte `json:"chain,omitempty"`
	// Algorithm is AlgorithmEd25519 now; later the CMS's (GOST 34.10-2015,
	// RSA with SHA-256).
	Algorithm string `json:"algorithm"`
	// Timestamp is an optional RFC 3161 timestamp token; empty for Ed25519.
	Timestamp []byte `json:"timestamp,omitempty"`
}

// Size is the number of bytes of the value, chain and timestamp together.
func (s Signature) Size() int {
	n := len(s.Value) + len(s.Timestamp)
	for _, c := range s.Chain {
		n += len(c)
	}
	return n
}

// Constraints say whose signature is required.
type Constraints struct {
	// Signer is the account id whose registered key must have signed.
	Signer string
	// Later, for the national EDS: the signer's IIN and the extended key
	// usage OIDs (1.3.6.1.5.5.7.3.4) the certificate must carry.
}

// Verifier checks a signature over payload against a registered key, under
// constraints. It returns nil only when the signature verifies; otherwise
// an error wrapping one of the Err* sentinels of this package.
type Verifier interface {
	Verify(ctx context.Context, payload []byte, sig Signature, key PublicKey, c Constraints) error
}

// Ed25519Verifier verifies FormatEd25519 signatures (WebCrypto Ed25519)
// against FormatEd25519 keys. Its zero value is ready to use.
type Ed25519Verifier struct{}

var _ Verifier = Ed25519Verifier{}

// Verify implements Verifier.
func (Ed25519Verifier) Verify(ctx context.Context, payload []byte, sig Signature, key PublicKey, c Constraints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(payload) == 0 {
		return badPayload("the payload to verify is empty")
	}
	if sig.Size() > MaxSignatureSize {
		return fmt.Errorf("%w: the signature is longer than %d bytes", ErrBadSignature, MaxSignatureSize)
	}
	if sig.Format == "" && sig.Size() == 0 && len(sig.Chain) == 0 {
		return fmt.Errorf("%w: sign the payload with the key registered for the account and send the signature (p.115, p.130)", ErrMissingSignature)
	}
	switch sig.Format {
	case FormatEd25519:
	case FormatCMSDetached:
		return fmt.Errorf("%w: detached CMS signatures (NCALayer) are not verified yet: sign with the registered WebCrypto Ed25519 key", ErrUnsupportedFormat)
	case "":
		return fmt.Errorf("%w: the signature format is missing: it is %q", ErrUnsupportedFormat, FormatEd25519)
	default:
		return fmt.Errorf("%w: the signature format must be %q", ErrUnsupportedFormat, FormatEd25519)
	}
	if len(sig.Value) == 0 {
		return fmt.Errorf("%w: the signature value is empty: send the bytes crypto.subtle.sign gave (p.115, p.130)", ErrMissingSignature)
	}
	if sig.Algorithm != AlgorithmEd25519 {
		return fmt.Errorf("%w: an %q signature has the algorithm %q", ErrUnsupportedFormat, FormatEd25519, AlgorithmEd25519)
	}
	if len(sig.Chain) != 0 || len(sig.Timestamp) != 0 {
		return fmt.Errorf("%w: an Ed25519 signature has no certificate chain and no timestamp: send the signature bytes only", ErrBadSignature)
	}
	if len(sig.Value) != ed25519.SignatureSize {
		return fmt.Errorf("%w: an Ed25519 signature is %d bytes, this one is %d", ErrBadSignature, ed25519.SignatureSize, len(sig.Value))
	}
	if err := checkKeyRecord(key); err != nil {
		return err
	}
	if c.Signer == "" {
		return fmt.Errorf("%w: the required signer is not given", ErrWrongSigner)
	}
	if key.Account != c.Signer {
		return fmt.Errorf("%w: the key is registered to another account: sign with your own key", ErrWrongSigner)
	}
	if !ed25519.Verify(ed25519.PublicKey(key.Data), payload, sig.Value) {
		return fmt.Errorf("%w: it was not made over this payload with this key: sign the payload exactly as issued with the key registered for the account", ErrBadSignature)
	}
	return nil
}

// checkKeyRecord refuses a key record the verifier cannot trust: not an
// Ed25519 key, not 32 bytes, without an account, or with a fingerprint
// that does not match its bytes (a damaged or edited record).
func checkKeyRecord(key PublicKey) error {
	if key.Format != FormatEd25519 {
		return fmt.Errorf("%w: the registered key is not an %q key: register a WebCrypto Ed25519 key", ErrBadKey, FormatEd25519)
	}
	if len(key.Data) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: the registered key is not %d bytes: register the key again", ErrBadKey, ed25519.PublicKeySize)
	}
	if key.Account == "" {
		return fmt.Errorf("%w: the registered key has no account", ErrBadKey)
	}
	if key.Fingerprint != Fingerprint(key.Data) {
		return fmt.Errorf("%w: the key record's fingerprint does not match its key: register the key again", ErrBadKey)
	}
	return nil
}

// VerifyGrade builds g's payload and verifies sig over it with v, requiring
// the key to be g.Signer's: the check the workflow makes before it records
// an essay grade (p.115) or an interview score (p.130). The nonce and the
// one-grade-per-member rule are the workflow's to check.
func VerifyGrade(ctx context.Context, v Verifier, g Grade, sig Signature, key PublicKey) error {
	payload, err := g.Payload()
	if err != nil {
		return err
	}
	return v.Verify(ctx, payload, sig, key, Constraints{Signer: g.Signer})
}
