package sign

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The purposes of a signed grade.
const (
	// PurposeEssayGrade is a commission member's essay grade, 0..5 (p.115).
	PurposeEssayGrade = "essay_grade"
	// PurposeInterviewScore is a commission member's interview score, 0..3 (p.130).
	PurposeInterviewScore = "interview_score"
)

// PayloadVersion is the first line of every grade payload. A change of the
// format is a new version; a verifier never reads one version as another.
const PayloadVersion = "kuzet-grade/1"

// MaxPayloadSize bounds the text ParseGrade reads; a valid grade payload
// is well under it.
const MaxPayloadSize = 2048

const (
	maxIDLen    = 128
	minNonceLen = 16
	maxNonceLen = 64
	minYear     = 2000
	maxYear     = 9999
)

// Grade is what a commission member signs: one essay grade (p.115) or one
// interview score (p.130).
type Grade struct {
	// Purpose is PurposeEssayGrade or PurposeInterviewScore.
	Purpose string `json:"purpose"`
	// Competition is the competition's id.
	Competition string `json:"competition"`
	// Subject is the essay's or the interview's id.
	Subject string `json:"subject"`
	// PIN is the candidate's personal identification number (p.74-1).
	PIN string `json:"pin"`
	// Signer is the commission member's account id.
	Signer string `json:"signer"`
	// Score is the grade as decimal text, one digit: 0..5 for an essay
	// (p.115), 0..3 for an interview (p.130).
	Score string `json:"score"`
	// Issued is when the server issued the payload to be signed.
	Issued time.Time `json:"issued"`
	// Nonce is 16..64 characters of [A-Za-z0-9_-], fresh for every grade
	// (NewNonce).
	Nonce string `json:"nonce"`
}

// Check says whether every field of g is valid; the error wraps
// ErrBadPayload and names the field and the rule, not the value.
func (g Grade) Check() error {
	var top byte
	switch g.Purpose {
	case PurposeEssayGrade:
		top = '5'
	case PurposeInterviewScore:
		top = '3'
	case "":
		return badPayload("the purpose is missing: it is %q (p.115) or %q (p.130)", PurposeEssayGrade, PurposeInterviewScore)
	default:
		return badPayload("the purpose is unknown: it is %q (p.115) or %q (p.130)", PurposeEssayGrade, PurposeInterviewScore)
	}
	for _, f := range []struct{ name, v string }{
		{"competition", g.Competition},
		{"subject", g.Subject},
		{"pin", g.PIN},
		{"signer", g.Signer},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	if len(g.Score) != 1 || g.Score[0] < '0' || g.Score[0] > top {
		if g.Purpose == PurposeEssayGrade {
			return badPayload("an essay grade is a whole number from 0 to 5 (p.115, Annex 3), written as one digit")
		}
		return badPayload("an interview score is a whole number from 0 to 3 (p.130, Annex 3), written as one digit")
	}
	if g.Issued.IsZero() {
		return badPayload("the issue time is missing: the server sets it when it issues the payload")
	}
	if y := g.Issued.UTC().Year(); y < minYear || y > maxYear {
		return badPayload("the issue time is not between the years %d and %d: check the server clock", minYear, maxYear)
	}
	if n := len(g.Nonce); n < minNonceLen || n > maxNonceLen {
		return badPayload("the nonce must be %d to %d characters long: make it with NewNonce", minNonceLen, maxNonceLen)
	}
	for i := 0; i < len(g.Nonce); i++ {
		if !nonceByte(g.Nonce[i]) {
			return badPayload("the nonce may hold only A-Z, a-z, 0-9, '_' and '-': make it with NewNonce")
		}
	}
	return nil
}

// Payload is the canonical payload of g, the exact bytes the member signs
// (see the package documentation for the format). The same grade always
// gives the same bytes, whatever the location or monotonic reading of
// Issued. An invalid field is refused with an error wrapping ErrBadPayload.
func (g Grade) Payload() ([]byte, error) {
	if err := g.Check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString(PayloadVersion)
	b.WriteByte('\n')
	for _, f := range g.fields() {
		b.WriteString(f.name)
		b.WriteByte('=')
		b.WriteString(f.v)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

type field struct{ name, v string }

// fields are the payload lines after the version, in their fixed order.
func (g Grade) fields() []field {
	return []field{
		{"purpose", g.Purpose},
		{"competition", g.Competition},
		{"subject", g.Subject},
		{"pin", g.PIN},
		{"signer", g.Signer},
		{"score", g.Score},
		{"issued", g.Issued.UTC().Format(time.RFC3339Nano)},
		{"nonce", g.Nonce},
	}
}

// ParseGrade reads a payload written by Grade.Payload. Any other text —
// another version, a missing, extra, repeated or reordered line, a value
// not in its canonical form, a missing final newline — is refused with an
// error wrapping ErrBadPayload, so that one grade has exactly one payload.
func ParseGrade(payload []byte) (Grade, error) {
	if len(payload) > MaxPayloadSize {
		return Grade{}, badPayload("the payload is longer than %d bytes", MaxPayloadSize)
	}
	text := string(payload)
	if !strings.HasSuffix(text, "\n") {
		return Grade{}, badPayload("the payload does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != PayloadVersion {
		return Grade{}, badPayload("the payload does not start with the line %q", PayloadVersion)
	}
	names := Grade{}.fields()
	if len(lines) != 1+len(names) {
		return Grade{}, badPayload("the payload has %d lines, a grade has %d", len(lines), 1+len(names))
	}
	vals := make([]string, len(names))
	for i, f := range names {
		v, ok := strings.CutPrefix(lines[1+i], f.name+"=")
		if !ok {
			return Grade{}, badPayload("line %d of the payload is not %q", 2+i, f.name+"=…")
		}
		vals[i] = v
	}
	issued, err := time.Parse(time.RFC3339Nano, vals[6])
	if err != nil {
		return Grade{}, badPayload("the issue time is not an RFC 3339 UTC time")
	}
	g := Grade{
		Purpose: vals[0], Competition: vals[1], Subject: vals[2], PIN: vals[3],
		Signer: vals[4], Score: vals[5], Issued: issued, Nonce: vals[7],
	}
	back, err := g.Payload()
	if err != nil {
		return Grade{}, err
	}
	if !bytes.Equal(back, payload) {
		return Grade{}, badPayload("the payload is not in canonical form (the issue time is UTC with no trailing fraction zeros)")
	}
	return g, nil
}

// NewNonce is a fresh nonce for a grade payload: 16 bytes from crypto/rand
// in URL-safe base64 without padding (22 characters). The workflow stores
// the nonce of every accepted grade and refuses it a second time.
func NewNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program first)
	return base64.RawURLEncoding.EncodeToString(b)
}

func checkID(name, v string) error {
	if v == "" {
		return badPayload("the %s is missing", name)
	}
	if len(v) > maxIDLen {
		return badPayload("the %s is longer than %d characters", name, maxIDLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(nonceByte(c) || c == '.' || c == ':') {
			return badPayload("the %s may hold only A-Z, a-z, 0-9, '.', ':', '_' and '-'", name)
		}
	}
	return nil
}

func nonceByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func badPayload(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...))
}
