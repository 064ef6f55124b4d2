package ws

import (
	"errors"
	"fmt"
	"maps"

	"liaptui/game"
)

// Error is a rejection decided by the protocol layer (not the game).
// RetryAfterMs is sent as data.retry_after_ms for RATE_LIMITED and
// UNAVAILABLE (§5); other codes ignore it.
type Error struct {
	Code         Code
	Message      string
	Details      map[string]any
	RetryAfterMs int
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// NewError makes a protocol error; nil details become {}.
func NewError(code Code, details map[string]any, format string, args ...any) *Error {
	if details == nil {
		details = map[string]any{}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Details: details}
}

// Reasons of INVALID_FIELD details.reason. The spec fixes only {field,
// reason}; these short tokens are stable so clients may log or test them.
const (
	ReasonMissing    = "missing"
	ReasonNotString  = "not_string"
	ReasonNotInt     = "not_int"
	ReasonNotNumber  = "not_number"
	ReasonNotBool    = "not_bool"
	ReasonNotArray   = "not_array"
	ReasonNotObject  = "not_object"
	ReasonOutOfRange = "out_of_range"
	ReasonEmpty      = "empty"
	ReasonTooLong    = "too_long"
	ReasonBadLength  = "bad_length"
	ReasonBadChar    = "bad_character"
	ReasonBadValue   = "bad_value"
	ReasonExactlyOne = "exactly_one_of_name_token"
)

const (
	internalMessage   = "internal error"
	defaultRetryAfter = 1000 // ms, UNAVAILABLE without a value: the rebuild value of §3.7
)

// InvalidField is INVALID_FIELD with details {field, reason}.
func InvalidField(field, reason string) *Error {
	return NewError(CodeInvalidField, map[string]any{"field": field, "reason": reason},
		"invalid field %s: %s", field, reason)
}

// RateLimited is RATE_LIMITED; retryAfterMs is clamped to ≥ 1 (§1.4).
func RateLimited(retryAfterMs int) *Error {
	e := NewError(CodeRateLimited, nil, "rate limit exceeded")
	e.RetryAfterMs = max(retryAfterMs, 1)
	return e
}

// Unavailable is UNAVAILABLE; reason ("overloaded", "queue_full") goes to
// details.reason when not empty.
func Unavailable(reason string, retryAfterMs int) *Error {
	var details map[string]any
	if reason != "" {
		details = map[string]any{"reason": reason}
	}
	e := NewError(CodeUnavailable, details, "service unavailable, retry later")
	e.RetryAfterMs = retryAfterMs
	return e
}

// UnknownType is UNKNOWN_TYPE for a well-formed envelope.
func UnknownType(typ string) *Error {
	return NewError(CodeUnknownType, nil, "unknown message type %q", typ)
}

// SeqOutOfRange answers a resync beyond the room's latest seq head.
func SeqOutOfRange(head int64) *Error {
	return NewError(CodeSeqOutOfRange, map[string]any{"last_seq": head},
		"last_seq is beyond the latest seq %d", head)
}

// AsError normalises any error to what may be sent: a *game.Error or a ws
// *Error (also wrapped) keeps its code, message and details; anything else,
// or a code outside §10, becomes INTERNAL with a generic message so no
// internal text leaks. The result is a fresh value with non-nil Details.
func AsError(err error) *Error {
	var ge *game.Error
	var we *Error
	var out Error
	switch {
	case errors.As(err, &we):
		out = *we
	case errors.As(err, &ge):
		out = Error{Code: Code(ge.Code), Message: ge.Message, Details: ge.Details}
	default:
		return NewError(CodeInternal, nil, internalMessage)
	}
	if !KnownCode(string(out.Code)) {
		return NewError(CodeInternal, nil, internalMessage)
	}
	out.Details = maps.Clone(out.Details)
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	return &out
}

// ErrorParts is AsError split into what both error bodies carry.
func ErrorParts(err error) (code, message string, details map[string]any) {
	e := AsError(err)
	return string(e.Code), e.Message, e.Details
}

// retryAfter is the retry_after_ms to send for codes that carry one (§5).
func (e *Error) retryAfter() (int, bool) {
	switch e.Code {
	case CodeRateLimited:
		return max(e.RetryAfterMs, 1), true
	case CodeUnavailable:
		if e.RetryAfterMs < 1 {
			return defaultRetryAfter, true
		}
		return e.RetryAfterMs, true
	}
	return 0, false
}
