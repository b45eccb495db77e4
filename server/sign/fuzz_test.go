package sign

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"testing"
)

// FuzzParsePublicKey: any bytes in any format are refused with ErrBadKey or
// ErrUnsupportedFormat, or accepted as a 32-byte Ed25519 key with its
// fingerprint; never a panic.
func FuzzParsePublicKey(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)
	der, _ := x509.MarshalPKIXPublicKey(seed)
	f.Add(KeySPKI, der)
	f.Add(KeyRaw, []byte(seed))
	f.Add(KeyRaw, make([]byte, 32))
	f.Add(KeySPKI, der[:20])
	f.Add("jwk", []byte("{}"))
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		k, err := ParsePublicKey(format, data)
		if err != nil {
			if !errors.Is(err, ErrBadKey) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error %v wraps neither ErrBadKey nor ErrUnsupportedFormat", err)
			}
			return
		}
		if k.Format != FormatEd25519 || len(k.Data) != ed25519.PublicKeySize || k.Fingerprint != Fingerprint(k.Data) {
			t.Fatalf("accepted key %+v is not a 32-byte Ed25519 key with its fingerprint", k)
		}
	})
}

// FuzzVerify: no signature, key record or payload makes Verify panic, and
// a fuzzed signature over a fuzzed payload never verifies for the seed key
// unless it is the real signature.
func FuzzVerify(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	p, _ := essayGrade().Payload()
	f.Add(p, ed25519.Sign(priv, p), []byte(pub), FormatEd25519, AlgorithmEd25519, []byte(nil))
	f.Add(p, make([]byte, 64), make([]byte, 32), FormatEd25519, AlgorithmEd25519, []byte(nil))
	f.Add([]byte("x"), []byte{1}, []byte{1}, FormatCMSDetached, "", []byte{0x30})
	f.Add([]byte{}, []byte{}, []byte{}, "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, payload, sigValue, keyData []byte, format, algorithm string, chain []byte) {
		sig := Signature{Format: format, Algorithm: algorithm, Value: sigValue}
		if chain != nil {
			sig.Chain = [][]byte{chain}
		}
		key := PublicKey{Account: "acc-5d1e", Format: FormatEd25519, Data: keyData, Fingerprint: Fingerprint(keyData)}
		err := Ed25519Verifier{}.Verify(context.Background(), payload, sig, key, Constraints{Signer: "acc-5d1e"})
		// Ed25519 signing is deterministic and the fuzzer has no private
		// key: the only signature it can present that verifies under the
		// seed key is the seeded one.
		if err == nil && bytes.Equal(keyData, pub) && !bytes.Equal(sigValue, ed25519.Sign(priv, payload)) {
			t.Fatalf("a fuzzed signature verified under the seed key")
		}
		// And with the key parsed as a client would send it.
		if k, err := ParsePublicKey(KeyRaw, keyData); err == nil {
			k.Account = "acc-5d1e"
			_ = Ed25519Verifier{}.Verify(context.Background(), payload, sig, k, Constraints{Signer: "acc-5d1e"})
		}
	})
}

// FuzzParseGrade: any text is refused or is exactly the payload of the
// grade it reads as.
func FuzzParseGrade(f *testing.F) {
	p, _ := essayGrade().Payload()
	f.Add(p)
	q, _ := interviewScore().Payload()
	f.Add(q)
	f.Add([]byte("kuzet-grade/1\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		g, err := ParseGrade(text)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		back, err := g.Payload()
		if err != nil || !bytes.Equal(back, text) {
			t.Fatalf("%q read as %+v, which writes %q (%v)", text, g, back, err)
		}
	})
}
