package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"liaptui/game"
)

func TestAsError(t *testing.T) {
	gameErr := &game.Error{Code: game.CodeNotYourTurn, Message: "seat 1 is not the current declarer",
		Details: map[string]any{"actor_seats": []int{2}}}
	wsErr := InvalidField("data.seat", ReasonOutOfRange)
	tests := []struct {
		name    string
		err     error
		code    string
		message string
		details map[string]any
	}{
		{"game error", gameErr, "NOT_YOUR_TURN", gameErr.Message, gameErr.Details},
		{"wrapped game error", fmt.Errorf("room: %w", gameErr), "NOT_YOUR_TURN", gameErr.Message, gameErr.Details},
		{"game error nil details", &game.Error{Code: game.CodeWrongPhase, Message: "m"}, "WRONG_PHASE", "m", map[string]any{}},
		{"ws error", wsErr, "INVALID_FIELD", wsErr.Message, map[string]any{"field": "data.seat", "reason": "out_of_range"}},
		{"wrapped ws error", fmt.Errorf("x: %w", wsErr), "INVALID_FIELD", wsErr.Message, wsErr.Details},
		{"plain error", errors.New("sql: database is locked at /var/lib/x"), "INTERNAL", internalMessage, map[string]any{}},
		{"nil", nil, "INTERNAL", internalMessage, map[string]any{}},
		{"code outside §10", &game.Error{Code: "BOGUS", Message: "secret"}, "INTERNAL", internalMessage, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg, details := ErrorParts(tt.err)
			if code != tt.code || msg != tt.message || !reflect.DeepEqual(details, tt.details) {
				t.Errorf("got (%s, %q, %v), want (%s, %q, %v)", code, msg, details, tt.code, tt.message, tt.details)
			}
		})
	}
}

func TestAsErrorDoesNotAlias(t *testing.T) {
	orig := map[string]any{"deal": 3}
	e := AsError(&game.Error{Code: game.CodeStaleDeal, Message: "m", Details: orig})
	e.Details["x"] = 1
	if len(orig) != 1 {
		t.Error("AsError shares the caller's details map")
	}
}

func TestHTTPError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"room not found", NewError(Code(game.CodeRoomNotFound), nil, "no room K7MPQ3"), 404,
			`{"error":{"code":"ROOM_NOT_FOUND","message":"no room K7MPQ3","details":{},"correlation_id":"4be1d0c9a3f27e65"}}`},
		{"rate limited", RateLimited(1500), 429,
			`{"error":{"code":"RATE_LIMITED","message":"rate limit exceeded","details":{"retry_after_ms":1500},"correlation_id":"4be1d0c9a3f27e65"}}`},
		{"throttled cooldown", NewError(CodeRecoveryThrottled, map[string]any{"reason": "cooldown", "retry_after_ms": 100}, "m"), 409,
			`{"error":{"code":"RECOVERY_THROTTLED","message":"m","details":{"reason":"cooldown","retry_after_ms":100},"correlation_id":"4be1d0c9a3f27e65"}}`},
		{"throttled hourly", NewError(CodeRecoveryThrottled, map[string]any{"reason": "hourly_limit", "retry_after_ms": 100}, "m"), 429,
			`{"error":{"code":"RECOVERY_THROTTLED","message":"m","details":{"reason":"hourly_limit","retry_after_ms":100},"correlation_id":"4be1d0c9a3f27e65"}}`},
		{"ws-only code", &game.Error{Code: game.CodeNotYourTurn, Message: "m"}, 500,
			`{"error":{"code":"INTERNAL","message":"internal error","details":{},"correlation_id":"4be1d0c9a3f27e65"}}`},
		{"unmarshalable details", NewError(CodeNotFound, map[string]any{"f": func() {}}, "m"), 500,
			`{"error":{"code":"INTERNAL","message":"internal error","details":{},"correlation_id":"4be1d0c9a3f27e65"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := HTTPError(tt.err, "4be1d0c9a3f27e65")
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			assertJSONEqual(t, body, tt.body)
		})
	}
}

// assertJSONEqual compares two documents as decoded JSON values.
func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}
