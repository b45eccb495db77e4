package sign

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

type member struct {
	priv ed25519.PrivateKey
	key  PublicKey
}

func newMember(t *testing.T, account string) member {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePublicKey(KeyRaw, pub)
	if err != nil {
		t.Fatal(err)
	}
	k.Account, k.Registered = account, time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	return member{priv, k}
}

func (m member) sign(t *testing.T, g Grade) Signature {
	t.Helper()
	p, err := g.Payload()
	if err != nil {
		t.Fatal(err)
	}
	return Signature{Format: FormatEd25519, Algorithm: AlgorithmEd25519, Value: ed25519.Sign(m.priv, p)}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var v Verifier = Ed25519Verifier{}

func TestP115_ValidEssayGradeSignatureAccepted(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	if err := VerifyGrade(context.Background(), v, g, m.sign(t, g), m.key); err != nil {
		t.Fatal(err)
	}
}

func TestP130_ValidInterviewScoreSignatureAccepted(t *testing.T) {
	g := interviewScore()
	m := newMember(t, g.Signer)
	if err := VerifyGrade(context.Background(), v, g, m.sign(t, g), m.key); err != nil {
		t.Fatal(err)
	}
}

// Every single flipped bit of the signature is refused.
func TestP115_ForgedGradeSignatureRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	for i := range len(sig.Value) * 8 {
		forged := sig
		forged.Value = append([]byte(nil), sig.Value...)
		forged.Value[i/8] ^= 1 << (i % 8)
		if err := VerifyGrade(context.Background(), v, g, forged, m.key); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("bit %d flipped: %v; want ErrBadSignature", i, err)
		}
	}
}

// A signature made with another member's key does not verify against this
// member's registered key.
func TestP115_SignatureByAnotherKeyRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	other := newMember(t, g.Signer)
	if err := VerifyGrade(context.Background(), v, g, other.sign(t, g), m.key); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signed by another key: %v; want ErrBadSignature", err)
	}
}

// The key given must be the required signer's: another member's key,
// even with a valid signature of its own, is refused.
func TestP115_KeyOfAnotherMemberRefused(t *testing.T) {
	g := essayGrade()
	other := newMember(t, "acc-other")
	p, _ := g.Payload()
	sig := Signature{Format: FormatEd25519, Algorithm: AlgorithmEd25519, Value: ed25519.Sign(other.priv, p)}
	err := VerifyGrade(context.Background(), v, g, sig, other.key)
	if !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("another member's key: %v; want ErrWrongSigner", err)
	}
	if err := v.Verify(context.Background(), p, sig, other.key, Constraints{}); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("no signer constraint: %v; want ErrWrongSigner", err)
	}
}

func TestP115_MissingSignatureRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	for name, sig := range map[string]Signature{
		"zero":        {},
		"empty value": {Format: FormatEd25519, Algorithm: AlgorithmEd25519},
		"no algo":     {Format: FormatEd25519},
	} {
		if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrMissingSignature) {
			t.Errorf("%s: %v; want ErrMissingSignature", name, err)
		}
	}
}

// A signature of one grade does not verify for another: another score,
// essay, member, competition, candidate, purpose, time or nonce.
func TestP115_SignatureOfAnotherGradeRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	for name, change := range map[string]func(*Grade){
		"score changed":       func(g *Grade) { g.Score = "5" },
		"subject changed":     func(g *Grade) { g.Subject = "essay-other" },
		"signer changed":      func(g *Grade) { g.Signer = "acc-other" },
		"competition changed": func(g *Grade) { g.Competition = "cmp-other" },
		"pin changed":         func(g *Grade) { g.PIN = "P-999999" },
		"purpose changed":     func(g *Grade) { g.Purpose = PurposeInterviewScore; g.Score = "3" },
		"issued changed":      func(g *Grade) { g.Issued = g.Issued.Add(time.Second) },
		"nonce changed":       func(g *Grade) { g.Nonce = NewNonce() },
	} {
		h := g
		change(&h)
		key := m.key
		if h.Signer != g.Signer {
			key.Account = h.Signer // even with the key re-labelled, the payload differs
		}
		if err := VerifyGrade(context.Background(), v, h, sig, key); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v; want ErrBadSignature", name, err)
		}
	}
}

func TestP130_ScoreReplayedOntoAnotherInterviewRefused(t *testing.T) {
	g := interviewScore()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	h := g
	h.Subject = "intv-0a42"
	if err := VerifyGrade(context.Background(), v, h, sig, m.key); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("replayed onto another interview: %v; want ErrBadSignature", err)
	}
}

func TestP130_InterviewScoreOutOfRangeNotVerified(t *testing.T) {
	g := interviewScore()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	g.Score = "4"
	if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrBadPayload) {
		t.Fatalf("score 4: %v; want ErrBadPayload", err)
	}
}

func TestUnsupportedSignatureFormatRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	good := m.sign(t, g)
	for _, f := range []string{FormatCMSDetached, "", "ED25519", "rsa", "xml"} {
		sig := good
		sig.Format = f
		if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("format %q: %v; want ErrUnsupportedFormat", f, err)
		}
	}
	for _, a := range []string{"", "ed25519", "EdDSA", "RSA-SHA256"} {
		sig := good
		sig.Algorithm = a
		if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("algorithm %q: %v; want ErrUnsupportedFormat", a, err)
		}
	}
	sig := good
	sig.Format = FormatCMSDetached
	if err := VerifyGrade(context.Background(), v, g, sig, m.key); err == nil || !strings.Contains(err.Error(), "NCALayer") {
		t.Errorf("cms-detached: %v; want it to say detached CMS is not verified yet", err)
	}
}

func TestEd25519SignatureWithChainOrTimestampRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	good := m.sign(t, g)
	withChain, withTS := good, good
	withChain.Chain = [][]byte{{0x30, 0x00}}
	withTS.Timestamp = []byte{0x30, 0x00}
	for name, sig := range map[string]Signature{"chain": withChain, "timestamp": withTS} {
		if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v; want ErrBadSignature", name, err)
		}
	}
}

func TestSignatureWrongLengthAndOversizeRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	good := m.sign(t, g)
	for _, n := range []int{1, 63, 65, 128} {
		sig := good
		sig.Value = make([]byte, n)
		copy(sig.Value, good.Value)
		if err := VerifyGrade(context.Background(), v, g, sig, m.key); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%d bytes: %v; want ErrBadSignature", n, err)
		}
	}
	for name, sig := range map[string]Signature{
		"value":     {Format: FormatEd25519, Algorithm: AlgorithmEd25519, Value: make([]byte, MaxSignatureSize+1)},
		"chain":     {Format: FormatCMSDetached, Value: good.Value, Chain: [][]byte{make([]byte, MaxSignatureSize)}},
		"timestamp": {Format: FormatEd25519, Algorithm: AlgorithmEd25519, Value: good.Value, Timestamp: make([]byte, MaxSignatureSize)},
	} {
		err := VerifyGrade(context.Background(), v, g, sig, m.key)
		if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "16384") {
			t.Errorf("oversize %s: %v; want ErrBadSignature naming the limit", name, err)
		}
	}
}

// A key record that is damaged (edited bytes, wrong fingerprint, wrong
// format, no account) is refused before any signature check.
func TestDamagedKeyRecordRefused(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	for name, change := range map[string]func(*PublicKey){
		"fingerprint":    func(k *PublicKey) { k.Fingerprint = strings.Repeat("0", 64) },
		"no fingerprint": func(k *PublicKey) { k.Fingerprint = "" },
		"bytes edited": func(k *PublicKey) {
			k.Data = append([]byte(nil), k.Data...)
			k.Data[0] ^= 1
		},
		"short":      func(k *PublicKey) { k.Data = k.Data[:31]; k.Fingerprint = Fingerprint(k.Data) },
		"format":     func(k *PublicKey) { k.Format = FormatCMSDetached },
		"no account": func(k *PublicKey) { k.Account = "" },
	} {
		k := m.key
		change(&k)
		if err := VerifyGrade(context.Background(), v, g, sig, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v; want ErrBadKey", name, err)
		}
	}
}

func TestVerify_EmptyPayloadAndCanceledContext(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	if err := v.Verify(context.Background(), nil, sig, m.key, Constraints{Signer: g.Signer}); !errors.Is(err, ErrBadPayload) {
		t.Errorf("empty payload: %v; want ErrBadPayload", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := VerifyGrade(ctx, v, g, sig, m.key); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v; want context.Canceled", err)
	}
}

// Every error of the port wraps exactly one of the sentinels.
func TestErrorsWrapOneSentinel(t *testing.T) {
	g := essayGrade()
	m := newMember(t, g.Signer)
	sig := m.sign(t, g)
	bad := sig
	bad.Value = append([]byte(nil), sig.Value...)
	bad.Value[0] ^= 1
	_, keyErr := ParsePublicKey(KeyRaw, []byte{1})
	_, fmtErr := ParsePublicKey("jwk", []byte{1})
	g2 := g
	g2.Score = "9"
	for _, err := range []error{
		VerifyGrade(context.Background(), v, g, bad, m.key),
		VerifyGrade(context.Background(), v, g, Signature{}, m.key),
		VerifyGrade(context.Background(), v, g2, sig, m.key),
		keyErr, fmtErr,
	} {
		n := 0
		for _, s := range []error{ErrBadPayload, ErrMissingSignature, ErrBadSignature, ErrUnsupportedFormat, ErrBadKey, ErrWrongSigner} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v wraps %d sentinels, want 1", err, n)
		}
	}
}
