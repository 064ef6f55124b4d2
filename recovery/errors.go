package recovery

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Rejection reasons: the reason label of liaptui_recovery_rejections_total
// and details.reason of the HTTP answer (§5.2).
const (
	ReasonDisabled    = "disabled"
	ReasonCooldown    = "cooldown"
	ReasonHourlyLimit = "hourly_limit"
	ReasonInProgress  = "in_progress"
	ReasonQueueFull   = "queue_full"
)

// Protocol error codes the manager answers with (protocol.md §10).
const (
	CodeNotFound          = "NOT_FOUND"
	CodeBadRequest        = "BAD_REQUEST"
	CodeInvalidField      = "INVALID_FIELD"
	CodeRoomNotFound      = "ROOM_NOT_FOUND"
	CodeRecoveryThrottled = "RECOVERY_THROTTLED"
	CodeInProgress        = "IN_PROGRESS"
	CodeUnavailable       = "UNAVAILABLE"
)

// queueFullRetry is the Retry-After of a full inbox: it drains as fast as
// the manager admits, so a second is ample.
const queueFullRetry = time.Second

// ErrAlreadyRunning is returned by a second concurrent Run.
var ErrAlreadyRunning = errors.New("recovery manager already running")

// reasonNotRunning is details.reason of a manual trigger while Run is not
// running (startup, shutdown, or a restart by the supervisor).
const reasonNotRunning = "not_running"

// Error is a refused manual trigger: the HTTP status, the protocol code and
// the error body's details; RetryAfterMs > 0 asks for a Retry-After header
// of RetryAfterMs rounded up to whole seconds.
type Error struct {
	Status       int
	Code         string
	Message      string
	Details      map[string]any
	RetryAfterMs int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// RetryAfterSeconds is the Retry-After header value, 0 for none.
func (e *Error) RetryAfterSeconds() int { return (e.RetryAfterMs + 999) / 1000 }

func newError(status int, code string, details map[string]any, format string, args ...any) *Error {
	if details == nil {
		details = map[string]any{}
	}
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Details: details}
}

func invalidField(field, reason string) *Error {
	return newError(http.StatusBadRequest, CodeInvalidField, map[string]any{"field": field, "reason": reason},
		"invalid field %s: %s", field, reason)
}

// rejection is a gate's refusal; retry is zero when waiting does not help.
type rejection struct {
	reason string
	retry  time.Duration
}

// ceilMs is d in whole milliseconds, rounded up.
func ceilMs(d time.Duration) int {
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

// httpError is the answer of §5.4 rows 7-11 for a gate refusal.
func (r rejection) httpError(procedure string) *Error {
	switch r.reason {
	case ReasonDisabled:
		return newError(http.StatusConflict, CodeRecoveryThrottled,
			map[string]any{"reason": r.reason, "retry_after_ms": nil}, "%s is disabled", procedure)
	case ReasonCooldown, ReasonHourlyLimit:
		status := http.StatusConflict
		if r.reason == ReasonHourlyLimit {
			status = http.StatusTooManyRequests
		}
		ms := max(ceilMs(r.retry), 1)
		e := newError(status, CodeRecoveryThrottled, map[string]any{"reason": r.reason, "retry_after_ms": ms},
			"%s throttled (%s)", procedure, r.reason)
		e.RetryAfterMs = ms
		return e
	case ReasonInProgress:
		return newError(http.StatusConflict, CodeInProgress, map[string]any{"reason": r.reason},
			"an attempt of %s is running", procedure)
	default: // queue_full, not_running
		ms := ceilMs(queueFullRetry)
		e := newError(http.StatusServiceUnavailable, CodeUnavailable, map[string]any{"reason": r.reason},
			"recovery manager unavailable (%s)", r.reason)
		e.RetryAfterMs = ms
		return e
	}
}
