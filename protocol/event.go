package protocol

import (
	"fmt"
	"time"
)

// EventKind says whether an event opens a span, closes one, or stands alone.
type EventKind string

// Event kinds. A rule observed over time (no face for 5 s, a remote-access
// program running) is a span: a start event and, when it is over, an end
// event that names the start by its sequence number. A one-off fact (a room
// scan's result, a snapshot taken) is an instant.
const (
	KindStart   EventKind = "start"
	KindEnd     EventKind = "end"
	KindInstant EventKind = "instant"
)

// Severity grades what an event means for the verdict. It is evidence, not a
// verdict: only the proctor's published check result decides (p.115).
type Severity string

// Severities, from least to most serious.
const (
	// SeverityInfo is context: the camera started, a room scan passed.
	SeverityInfo Severity = "info"
	// SeveritySuspected needs a proctor's judgement: speech was heard, a
	// virtual machine was found.
	SeveritySuspected Severity = "suspected"
	// SeverityViolation is a breach the agent observed directly: a second
	// face, a remote-access program running.
	SeverityViolation Severity = "violation"
	// SeverityUnchecked says a check could not run, so nothing is known.
	SeverityUnchecked Severity = "unchecked"
)

// EvidenceKind says what an evidence file shows.
type EvidenceKind string

// Evidence kinds.
const (
	EvidenceSnapshot   EvidenceKind = "snapshot"   // downscaled camera frame (JPEG)
	EvidenceScreenshot EvidenceKind = "screenshot" // downscaled screen capture (JPEG)
	EvidenceIDPhoto    EvidenceKind = "id_photo"   // the ID document shown at the start (10.1)
	EvidenceReference  EvidenceKind = "reference"  // the reference face snapshot (10.1)
	EvidenceClip       EvidenceKind = "clip"       // a short recording
	EvidenceReport     EvidenceKind = "report"     // structured findings (JSON)
)

// EvidenceRef points from an event to an evidence file the agent uploaded
// (POST /v1/evidence). The hash covers the file's bytes, so the audit log that
// stores the event also covers the file.
type EvidenceRef struct {
	// ID is the agent-chosen identifier, unique within the sitting.
	ID string `json:"id"`
	// Kind says what the file shows.
	Kind EvidenceKind `json:"kind"`
	// MIME is the file's media type, e.g. "image/jpeg".
	MIME string `json:"mime"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
}

// Event is one rule observation the agent reports. Events are numbered per
// sitting from 1 without gaps; the server stores each (sitting, seq) once and
// acknowledges it, so the agent may resend until it sees the ack.
type Event struct {
	// Seq is the event's number within the sitting, from 1.
	Seq uint64 `json:"seq"`
	// Time is when the agent observed it (its clock, UTC).
	Time time.Time `json:"time"`
	// Rule is the clause of p.10 it concerns.
	Rule RuleID `json:"rule"`
	// Kind is start, end or instant.
	Kind EventKind `json:"kind"`
	// StartSeq, on an end event, is the Seq of the start event it closes.
	StartSeq uint64 `json:"start_seq,omitempty"`
	// Subject names what the span is about, stable from start to end, e.g.
	// "camera", "face", "process:anydesk".
	Subject string `json:"subject"`
	// Severity grades the observation.
	Severity Severity `json:"severity"`
	// Key is the catalogue key of the human text, e.g. "camera.lost".
	Key string `json:"key"`
	// Args fill the text's placeholders. They never hold personal data.
	Args map[string]string `json:"args,omitempty"`
	// Evidence lists the files that support the event.
	Evidence []EvidenceRef `json:"evidence,omitempty"`
}

// Limits on what one event may carry, so a faulty or hostile agent cannot
// grow the store without bound.
const (
	MaxEventArgs     = 16
	MaxEventEvidence = 8
	MaxTextLen       = 1024
	MaxIDLen         = 128
)

// Validate checks that e is complete and within limits. Its errors name the
// field and what is expected.
func (e *Event) Validate() error {
	switch {
	case e.Seq == 0:
		return fieldErr("seq", "must be 1 or more")
	case e.Time.IsZero():
		return fieldErr("time", "is missing")
	case !e.Rule.Valid():
		return fieldErr("rule", fmt.Sprintf("%q is not a clause of p.10 (10.1 … 10.11)", e.Rule))
	case e.Subject == "" || len(e.Subject) > MaxIDLen:
		return fieldErr("subject", fmt.Sprintf("must be 1 to %d characters", MaxIDLen))
	case e.Key == "" || len(e.Key) > MaxIDLen:
		return fieldErr("key", fmt.Sprintf("must be 1 to %d characters", MaxIDLen))
	case len(e.Args) > MaxEventArgs:
		return fieldErr("args", fmt.Sprintf("has %d entries; at most %d", len(e.Args), MaxEventArgs))
	case len(e.Evidence) > MaxEventEvidence:
		return fieldErr("evidence", fmt.Sprintf("has %d entries; at most %d", len(e.Evidence), MaxEventEvidence))
	}
	switch e.Kind {
	case KindStart, KindInstant:
		if e.StartSeq != 0 {
			return fieldErr("start_seq", "is only allowed on end events")
		}
	case KindEnd:
		if e.StartSeq == 0 || e.StartSeq >= e.Seq {
			return fieldErr("start_seq", "must name an earlier start event")
		}
	default:
		return fieldErr("kind", fmt.Sprintf("%q is not start, end or instant", e.Kind))
	}
	switch e.Severity {
	case SeverityInfo, SeveritySuspected, SeverityViolation, SeverityUnchecked:
	default:
		return fieldErr("severity", fmt.Sprintf("%q is not info, suspected, violation or unchecked", e.Severity))
	}
	for k, v := range e.Args {
		if k == "" || len(k) > MaxIDLen || len(v) > MaxTextLen {
			return fieldErr("args", fmt.Sprintf("entry %.32q: names up to %d and values up to %d characters", k, MaxIDLen, MaxTextLen))
		}
	}
	for i := range e.Evidence {
		if err := e.Evidence[i].Validate(); err != nil {
			return fmt.Errorf("evidence[%d]: %w", i, err)
		}
	}
	return nil
}

// Validate checks an evidence reference.
func (r *EvidenceRef) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > MaxIDLen:
		return fieldErr("id", fmt.Sprintf("must be 1 to %d characters", MaxIDLen))
	case !validEvidenceKind(r.Kind):
		return fieldErr("kind", fmt.Sprintf("%q is not an evidence kind", r.Kind))
	case r.MIME == "" || len(r.MIME) > MaxIDLen:
		return fieldErr("mime", "is missing")
	case !isHex(r.SHA256, 64):
		return fieldErr("sha256", "must be 64 lowercase hex digits")
	case r.Size <= 0:
		return fieldErr("size", "must be positive")
	}
	return nil
}

func validEvidenceKind(k EvidenceKind) bool {
	switch k {
	case EvidenceSnapshot, EvidenceScreenshot, EvidenceIDPhoto, EvidenceReference, EvidenceClip, EvidenceReport:
		return true
	}
	return false
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
