package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// webcryptoScript does in Node what the member's browser does (see the
// package documentation): generate an Ed25519 key with WebCrypto, export
// it as spki and raw, sign the payload file's bytes, and print the
// base64 of each.
const webcryptoScript = `
import { readFileSync } from 'node:fs';
const data = new Uint8Array(readFileSync(process.argv[2]));
const kp = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
const spki = new Uint8Array(await crypto.subtle.exportKey('spki', kp.publicKey));
const raw = new Uint8Array(await crypto.subtle.exportKey('raw', kp.publicKey));
const sig = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, kp.privateKey, data));
const b64 = (b) => btoa(String.fromCharCode(...b));
console.log(JSON.stringify({spki: b64(spki), raw: b64(raw), sig: b64(sig)}));
`

// TestP115_WebCryptoSignatureVerifies proves WebCrypto compatibility: a key
// made and a payload signed by Node's crypto.subtle, as the browser does,
// are accepted by ParsePublicKeyBase64 and Ed25519Verifier — and the same
// signature is refused for another score.
func TestP115_WebCryptoSignatureVerifies(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("could not check: node not installed")
	}
	dir := t.TempDir()
	g := essayGrade()
	payload, err := g.Payload()
	if err != nil {
		t.Fatal(err)
	}
	payloadFile, script := filepath.Join(dir, "payload.txt"), filepath.Join(dir, "sign.mjs")
	if err := os.WriteFile(payloadFile, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(webcryptoScript), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--no-warnings", script, payloadFile)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && (bytes.Contains(ee.Stderr, []byte("NotSupportedError")) || bytes.Contains(ee.Stderr, []byte("Unrecognized algorithm name"))) {
			t.Skipf("could not check: this node's WebCrypto has no Ed25519: %s", ee.Stderr)
		}
		if errors.As(err, &ee) {
			t.Fatalf("node: %v: %s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct{ SPKI, Raw, Sig string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	value, err := DecodeBase64(got.Sig, MaxSignatureSize)
	if err != nil {
		t.Fatal(err)
	}
	sig := Signature{Format: FormatEd25519, Algorithm: AlgorithmEd25519, Value: value}
	for format, b64 := range map[string]string{KeySPKI: got.SPKI, KeyRaw: got.Raw} {
		key, err := ParsePublicKeyBase64(format, b64)
		if err != nil {
			t.Fatalf("WebCrypto %s key refused: %v", format, err)
		}
		key.Account = g.Signer
		if err := VerifyGrade(context.Background(), Ed25519Verifier{}, g, sig, key); err != nil {
			t.Fatalf("WebCrypto signature refused with the %s key: %v", format, err)
		}
		h := g
		h.Score = "5"
		if err := VerifyGrade(context.Background(), Ed25519Verifier{}, h, sig, key); err == nil {
			t.Fatal("WebCrypto signature of score 4 accepted for score 5")
		}
	}
	// The signature also travels as the JSON form of Signature.
	wire, err := json.Marshal(sig)
	if err != nil {
		t.Fatal(err)
	}
	var back Signature
	if err := json.Unmarshal(wire, &back); err != nil {
		t.Fatal(err)
	}
	want := `{"format":"ed25519","value":"` + base64.StdEncoding.EncodeToString(value) + `","algorithm":"Ed25519"}`
	if string(wire) != want {
		t.Fatalf("JSON %s, want %s", wire, want)
	}
}
