package sign_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"kuzet.kz/kuzet/server/sign"
)

// A commission member signs an essay grade (p.115) and the server verifies
// it; the same signature does not pass for another score.
func Example() {
	// The member's key pair; in the browser it is WebCrypto's
	// generateKey({name: 'Ed25519'}, …), and the server gets only the
	// public key.
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, ed25519.SeedSize))
	key, err := sign.ParsePublicKey(sign.KeyRaw, priv.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	key.Account, key.Registered = "acc-5d1e", time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

	// The server issues the grade payload, with a fresh nonce in practice
	// (sign.NewNonce()); a fixed one here keeps the output stable.
	g := sign.Grade{
		Purpose:     sign.PurposeEssayGrade,
		Competition: "cmp-7f3a",
		Subject:     "essay-19c2",
		PIN:         "P-000123",
		Signer:      "acc-5d1e",
		Score:       "4",
		Issued:      time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC),
		Nonce:       "Qm9vdHN0cmFwTm9uY2UxMjM",
	}
	payload, err := g.Payload()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(payload))

	// The member signs the bytes as issued.
	sig := sign.Signature{Format: sign.FormatEd25519, Algorithm: sign.AlgorithmEd25519, Value: ed25519.Sign(priv, payload)}

	v := sign.Ed25519Verifier{}
	fmt.Println("verified:", v.Verify(context.Background(), payload, sig, key, sign.Constraints{Signer: g.Signer}))

	g.Score = "5"
	err = sign.VerifyGrade(context.Background(), v, g, sig, key)
	fmt.Println("score changed, bad signature:", errors.Is(err, sign.ErrBadSignature))
	// Output:
	// kuzet-grade/1
	// purpose=essay_grade
	// competition=cmp-7f3a
	// subject=essay-19c2
	// pin=P-000123
	// signer=acc-5d1e
	// score=4
	// issued=2026-05-04T09:30:00Z
	// nonce=Qm9vdHN0cmFwTm9uY2UxMjM
	// verified: <nil>
	// score changed, bad signature: true
}
