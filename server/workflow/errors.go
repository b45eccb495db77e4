package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrKind sorts refusals for the HTTP layer.
type ErrKind string

// Kinds of refusal.
const (
	KindInvalid  ErrKind = "invalid"   // the input is wrong: fix it and send again
	KindConflict ErrKind = "conflict"  // the state does not allow it (now, or any more)
	KindNotFound ErrKind = "not_found" // no such record
	KindTooLarge ErrKind = "too_large" // a document over the limit
	// KindForbidden: the staff account may not do this to this record
	// (an essay assigned to another member).
	KindForbidden ErrKind = "forbidden"
	// KindUnauthorized: the credential (a cabinet token) is missing,
	// replaced or expired.
	KindUnauthorized ErrKind = "unauthorized"
)

// ErrRefused is what every *Error wraps, so errors.Is finds a refusal.
var ErrRefused = errors.New("refused")

// Error is a refusal: the clause it enforces (empty for plain input
// errors), a catalogue key with its arguments for the user's language,
// and the English message.
type Error struct {
	Kind   ErrKind
	Clause string
	Key    string
	Args   map[string]string
	Msg    string
}

func (e *Error) Error() string {
	if e.Clause != "" {
		return e.Clause + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *Error) Unwrap() error { return ErrRefused }

// refuse makes an Error. args alternate name, value; the message may use
// {name} placeholders, filled from them (the catalogue text uses the same).
func refuse(kind ErrKind, clause, key, msg string, args ...string) *Error {
	m := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i]] = args[i+1]
	}
	text := msg
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		text = strings.ReplaceAll(text, "{"+k+"}", m[k])
	}
	if clause != "" {
		m["clause"] = clause
	}
	return &Error{Kind: kind, Clause: clause, Key: key, Args: m, Msg: text}
}

func notFound(what, id string) *Error {
	return refuse(KindNotFound, "", "workflow.err.not_found", "there is no {what} {id}", "what", what, "id", id)
}

// storeErr turns a store's ErrNotFound into a refusal naming the record.
func storeErr(err error, what, id string) error {
	if errors.Is(err, ErrNotFound) {
		return notFound(what, id)
	}
	if err != nil {
		return fmt.Errorf("read %s %s: %w", what, id, err)
	}
	return nil
}
