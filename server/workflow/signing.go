package workflow

import (
	"context"
	"strconv"
	"time"

	"kuzet.kz/kuzet/server/sign"
)

// The purposes of a signed grade, as server/sign names them.
const (
	PurposeEssay     = sign.PurposeEssayGrade     // p.115
	PurposeInterview = sign.PurposeInterviewScore // p.130
)

// How old a signed grade's issue time may be: the page asks for the
// payload when the member chooses the score and signs it at once; a
// payload older than this is refused so that an old signature is not
// kept for later.
const gradeFreshness = 2 * time.Hour

func parseSignerKey(format string, data []byte) (sign.PublicKey, error) {
	k, err := sign.ParsePublicKey(format, data)
	if err != nil {
		return k, refuse(KindInvalid, "p.115", "workflow.err.key_invalid", "the signing key was refused: {why}", "why", err.Error())
	}
	return k, nil
}

// GradePayload is what a member's page signs: the canonical bytes of the
// grade (server/sign), with the issue time and nonce to send back.
type GradePayload struct {
	Payload string    `json:"payload"`
	Issued  time.Time `json:"issued"`
	Nonce   string    `json:"nonce"`
}

func (e *Engine) payload(purpose, competition, subject, pin, account string, sc int, issued time.Time, nonce string) ([]byte, error) {
	g := sign.Grade{Purpose: purpose, Competition: competition, Subject: subject, PIN: pin, Signer: account, Score: strconv.Itoa(sc), Issued: issued.UTC(), Nonce: nonce}
	return g.Payload()
}

// EssayPayload issues the payload a member signs to grade an essay
// (p.115); it is refused for an essay the member may not grade.
func (e *Engine) EssayPayload(ctx context.Context, account, app string, sc int) (GradePayload, error) {
	es, err := e.GraderEssay(ctx, account, app)
	if err != nil {
		return GradePayload{}, err
	}
	if sc < 0 || sc > 5 {
		return GradePayload{}, refuse(KindInvalid, "p.115", "workflow.err.grade_range", "the score must be a whole number from 0 to {max}", "max", "5")
	}
	return e.issue(PurposeEssay, es.Competition, app, es.PIN, account, sc)
}

// InterviewPayload issues the payload a member signs to score a
// finalist's interview (p.130).
func (e *Engine) InterviewPayload(ctx context.Context, account, id, app string, sc int) (GradePayload, error) {
	c, err := e.Competition(ctx, id)
	if err != nil {
		return GradePayload{}, err
	}
	if member(&c, account) == nil {
		return GradePayload{}, refuse(KindForbidden, "p.130", "workflow.err.not_member", "you are not on the commission of this competition")
	}
	f := finalist(&c, app)
	if f == nil {
		return GradePayload{}, refuse(KindNotFound, "p.120", "workflow.err.p120_not_finalist", "this application is not among the interview's candidates")
	}
	if sc < 0 || sc > 3 {
		return GradePayload{}, refuse(KindInvalid, "p.130", "workflow.err.grade_range", "the score must be a whole number from 0 to {max}", "max", "3")
	}
	return e.issue(PurposeInterview, id, app, f.PIN, account, sc)
}

func (e *Engine) issue(purpose, competition, subject, pin, account string, sc int) (GradePayload, error) {
	now := e.now().UTC().Truncate(time.Second)
	nonce := sign.NewNonce()
	p, err := e.payload(purpose, competition, subject, pin, account, sc, now, nonce)
	if err != nil {
		return GradePayload{}, err
	}
	return GradePayload{Payload: string(p), Issued: now, Nonce: nonce}, nil
}

// verifyGrade checks s over the canonical payload of the grade with the
// member's registered key.
func (e *Engine) verifyGrade(ctx context.Context, purpose, competition, subject, pin, account string, s Signed, key SignerKey) error {
	now := e.now()
	if s.Issued.After(now.Add(5*time.Minute)) || now.Sub(s.Issued) > gradeFreshness {
		return refuse(KindInvalid, "", "workflow.err.grade_stale", "the signed grade was issued at {issued}; ask for a new one and sign it at once", "issued", atText(s.Issued))
	}
	p, err := e.payload(purpose, competition, subject, pin, account, s.Score, s.Issued, s.Nonce)
	if err != nil {
		return err
	}
	return sign.Ed25519Verifier{}.Verify(ctx, p, sign.Signature{Format: s.Format, Value: s.Signature, Algorithm: sign.AlgorithmEd25519},
		sign.PublicKey{Account: key.Account, Format: key.Format, Data: key.Data, Fingerprint: key.Fingerprint}, sign.Constraints{Signer: account})
}
