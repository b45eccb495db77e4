// Package sign is the signature port of the selection workflow: every essay
// grade a commission member gives (p.115: "each grade is confirmed with an
// EDS") and every interview score (p.130: the member "confirms it with an
// EDS") is signed by the member, and the server verifies the signature
// against the member's registered public key before the grade counts.
//
// # The port
//
// The port is shaped for Kazakhstan's national EDS (NCALayer in the browser,
// detached CMS with GOST 34.10-2015 or RSA keys, the signer's IIN and the
// signing extended key usage 1.3.6.1.5.5.7.3.4 as constraints, a certificate
// chain and an optional timestamp, verified server-side by NCANode or the
// Kalkan library):
//
//   - [Grade.Payload] builds the canonical payload: the exact bytes signed.
//   - [Signature] carries a format ("ed25519" now, "cms-detached" later), the
//     signature bytes, the certificate chain, the algorithm and an optional
//     timestamp token.
//   - [Constraints] say who must have signed (the account now; the IIN and
//     the key usage OIDs later).
//   - [Verifier] checks a signature over a payload against a registered
//     [PublicKey] under constraints. [Ed25519Verifier] is the built-in
//     implementation; an NCANode or Kalkan verifier plugs in behind the same
//     interface without the workflow changing.
//
// Until the EDS is wired in, the browser signs with WebCrypto Ed25519, which
// Chromium and Node implement: the member registers a key once per device
// and signs each grade with it.
//
// # The payload
//
// A grade's payload is ASCII text, one "name=value" line per field, each
// line ended by "\n" (the last one too), in this fixed order after a version
// line:
//
//	kuzet-grade/1
//	purpose=essay_grade
//	competition=cmp-7f3a
//	subject=essay-19c2
//	pin=P-000123
//	signer=acc-5d1e
//	score=4
//	issued=2026-05-04T09:30:00.25Z
//	nonce=Qm9vdHN0cmFwTm9uY2UxMjM
//
// purpose is "essay_grade" (p.115, score an integer 0..5) or
// "interview_score" (p.130, score an integer 0..3); the score is written as
// one digit. competition, subject (the essay's or the interview's id), pin
// (the candidate's personal identification number, p.74-1) and signer (the
// member's account id) are 1..128 characters of [A-Za-z0-9._:-]; issued is
// the UTC instant in RFC 3339 with as many fraction digits as needed and no
// trailing zeros (time.RFC3339Nano); nonce is 16..64 characters of
// [A-Za-z0-9_-]. No value can hold "\n" or "=", so no field can be injected
// into another, and every field is in the bytes, so changing any of them
// changes the payload. [ParseGrade] reads a payload back and refuses any
// text that is not exactly what [Grade.Payload] would write.
//
// # Replay
//
// A signature is bound to (purpose, competition, subject, pin, signer,
// score, issued, nonce): replayed onto another essay, another interview,
// another competition, another score or another member, it fails
// verification, because the payload differs. A replay of the very same grade
// verifies, and is refused by the workflow: one grade per member per essay
// or interview (p.115, p.130), and the nonce of every accepted grade is
// stored so it is never accepted twice. This package makes the nonce
// ([NewNonce]) and stores nothing.
//
// # What the browser does
//
// Registration, once per member and device (the private key never leaves
// the browser; keep the CryptoKey pair in IndexedDB, which stores it as is):
//
//	const kp = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
//	const spki = new Uint8Array(await crypto.subtle.exportKey('spki', kp.publicKey));
//	// send {format: 'spki', key: btoa(String.fromCharCode(...spki))}
//	// ('raw' works too: exportKey('raw', kp.publicKey) gives the 32 key bytes)
//
// The server parses the key with [ParsePublicKeyBase64] (or
// [ParsePublicKey]) and shows the member the [PublicKey.Fingerprint] to
// compare. Signing a grade: the server issues the payload text (with a fresh
// nonce and the issue time); the page shows the member the purpose, the
// subject and the score read from its lines, and signs the bytes exactly as
// received, without re-encoding or trimming them:
//
//	const data = new TextEncoder().encode(payloadText); // ASCII, so bytes = text
//	const sig = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, kp.privateKey, data));
//	// send {format: 'ed25519', algorithm: 'Ed25519', value: btoa(String.fromCharCode(...sig))}
//
// The 64 signature bytes go into [Signature.Value]; the JSON form of
// [Signature] carries them as standard base64, which is what btoa gives.
// Chain and timestamp stay empty for Ed25519.
//
// # Untrusted input
//
// Keys and signatures come from clients: a key is at most [MaxKeySize]
// bytes, a signature (value, chain and timestamp together) at most
// [MaxSignatureSize] bytes (room for a detached CMS with its chain later),
// parsing is strict, and nothing here panics on any input (see the fuzz
// targets). Errors name what was wrong and what to do, never the values of
// the fields, so they carry no personal data.
package sign
