package room

import (
	"fmt"

	"liaptui/game"
)

// CodeUnavailable is the protocol's UNAVAILABLE (protocol.md §10): the room
// cannot take the command now, but a retry may succeed. It is a room-layer
// code, so it lives here and not in game.
const CodeUnavailable game.Code = "UNAVAILABLE"

// details.reason of an UNAVAILABLE error.
const (
	ReasonQueueFull  = "queue_full"    // the room's inbox is full (explicit overload rule)
	ReasonShutdown   = "shutting_down" // the registry is closing
	ReasonStore      = "store"         // the event store did not take the events
	ReasonRebuilding = "rebuilding"    // the room's actor is being rebuilt
)

// ActorSystem is the actor stored with events the server causes on its own:
// timers, bot turns, restart disconnects and closing a failed room. Player
// commands store the acting player's id.
const ActorSystem = "system"

// RebuildRetryAfter is the retry_after_ms of a command refused while its
// room is rebuilt (protocol.md §3.7).
const RebuildRetryAfter = 1000

func rebuildingError(room string) *game.Error {
	err := unavailable(ReasonRebuilding, "room %s is being rebuilt", room)
	err.Details["retry_after_ms"] = RebuildRetryAfter
	return err
}

func unavailable(reason, format string, args ...any) *game.Error {
	return &game.Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, args...),
		Details: map[string]any{"reason": reason}}
}

func roomError(code game.Code, details map[string]any, format string, args ...any) *game.Error {
	if details == nil {
		details = map[string]any{}
	}
	return &game.Error{Code: code, Message: fmt.Sprintf(format, args...), Details: details}
}

// storeError is UNAVAILABLE wrapping the store's error, so callers can match
// both the code (game.CodeOf) and the cause (errors.Is).
func storeError(room string, cause error) error {
	return fmt.Errorf("room %s: %w: %w", room, unavailable(ReasonStore, "the event store did not take the events"), cause)
}

// internalError is INTERNAL wrapping what went wrong (a panic, a fold error).
func internalError(room string, cause error) error {
	return fmt.Errorf("room %s: %w: %w", room, roomError(game.CodeInternal, nil, "internal error"), cause)
}
