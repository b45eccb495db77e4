package protocol

import "fmt"

// ErrorCode is the machine-readable reason in an error message.
type ErrorCode string

// Error codes. Each has one WebSocket close code (see CloseCode) so a client
// can tell, without parsing text, whether retrying can help.
const (
	// ErrMalformed: the frame is not a JSON object of the envelope's shape.
	ErrMalformed ErrorCode = "malformed"
	// ErrUnknownType: the envelope's type is not one this channel carries.
	ErrUnknownType ErrorCode = "unknown_type"
	// ErrUnsupportedVersion: the envelope's or hello's version is not spoken here.
	ErrUnsupportedVersion ErrorCode = "unsupported_version"
	// ErrInvalid: a field is missing, unknown or out of range.
	ErrInvalid ErrorCode = "invalid"
	// ErrUnexpected: a valid message at the wrong time (an event before hello).
	ErrUnexpected ErrorCode = "unexpected"
	// ErrTooLarge: the frame is over MaxMessageBytes.
	ErrTooLarge ErrorCode = "too_large"
	// ErrUnauthorized: the token or login is not valid.
	ErrUnauthorized ErrorCode = "unauthorized"
	// ErrForbidden: valid credentials that do not allow this.
	ErrForbidden ErrorCode = "forbidden"
	// ErrSittingClosed: the sitting has ended or another agent holds it.
	ErrSittingClosed ErrorCode = "sitting_closed"
	// ErrRateLimited: too many messages; slow down and retry.
	ErrRateLimited ErrorCode = "rate_limited"
	// ErrInternal: the server failed; retry later.
	ErrInternal ErrorCode = "internal"
	// ErrShuttingDown: the server is stopping; reconnect later.
	ErrShuttingDown ErrorCode = "shutting_down"
)

// WebSocket close codes sent with each error code. 4000–4999 are the range
// RFC 6455 leaves to applications; the standard codes are used where one fits.
const (
	CloseNormal             = 1000
	CloseGoingAway          = 1001
	CloseMessageTooBig      = 1009
	CloseInternal           = 1011
	CloseMalformed          = 4000
	CloseUnknownType        = 4001
	CloseUnsupportedVersion = 4002
	CloseInvalid            = 4003
	CloseUnexpected         = 4004
	CloseUnauthorized       = 4401
	CloseForbidden          = 4403
	CloseSittingClosed      = 4409
	CloseRateLimited        = 4429
)

// CloseCode returns the WebSocket close code that goes with c.
func (c ErrorCode) CloseCode() int {
	switch c {
	case ErrMalformed:
		return CloseMalformed
	case ErrUnknownType:
		return CloseUnknownType
	case ErrUnsupportedVersion:
		return CloseUnsupportedVersion
	case ErrInvalid:
		return CloseInvalid
	case ErrUnexpected:
		return CloseUnexpected
	case ErrTooLarge:
		return CloseMessageTooBig
	case ErrUnauthorized:
		return CloseUnauthorized
	case ErrForbidden:
		return CloseForbidden
	case ErrSittingClosed:
		return CloseSittingClosed
	case ErrRateLimited:
		return CloseRateLimited
	case ErrShuttingDown:
		return CloseGoingAway
	default:
		return CloseInternal
	}
}

// CodeForClose maps a close code back to its error code, for a client that
// got the close frame without the error message before it.
func CodeForClose(close int) (ErrorCode, bool) {
	for _, c := range []ErrorCode{ErrMalformed, ErrUnknownType, ErrUnsupportedVersion, ErrInvalid, ErrUnexpected,
		ErrTooLarge, ErrUnauthorized, ErrForbidden, ErrSittingClosed, ErrRateLimited, ErrShuttingDown, ErrInternal} {
		if c.CloseCode() == close {
			return c, true
		}
	}
	return "", false
}

// Retryable reports whether a client that got c should reconnect and try
// again. Errors that say the client is wrong (bad token, bad message) are not.
func (c ErrorCode) Retryable() bool {
	switch c {
	case ErrInternal, ErrShuttingDown, ErrRateLimited:
		return true
	}
	return false
}

// Error is a protocol error: the body of an "error" message and, on the
// receiving side, a Go error.
type Error struct {
	// Code is the machine-readable reason.
	Code ErrorCode `json:"code"`
	// Message says, for a person, what was wrong and what to do.
	Message string `json:"message"`
	// Seq, when the error is about one event, is that event's number.
	Seq uint64 `json:"seq,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf makes an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func fieldErr(field, problem string) *Error {
	return Errorf(ErrInvalid, "field %q %s", field, problem)
}
