// Package room runs live rooms: one goroutine per room owns its game state,
// decides commands with the game package, stores the events (write-ahead)
// through an EventLog, applies them and hands them to a Publisher. The
// Registry holds the live rooms and the player memberships.
package room

import (
	"context"

	"liaptui/game"
)

// EventLog is the room's view of the event store (implemented by
// events.RoomLog, wired in main.go).
type EventLog interface {
	// AppendEvents stores events after head; nil means committed.
	AppendEvents(ctx context.Context, room string, incarnation, head int64, evs []game.Event, actor string) error
	// ReplayRoom folds the stored stream: the state and its head seq.
	ReplayRoom(ctx context.Context, room string) (game.State, int64, error)
	// FenceRoom bumps the stream's incarnation; appends with an older one fail.
	FenceRoom(ctx context.Context, room string) (int64, error)
	// RoomExists reports whether a stream with this id was ever stored.
	RoomExists(ctx context.Context, room string) (bool, error)
	// LiveRoomIDs lists the unfinished rooms to rebuild at startup.
	LiveRoomIDs(ctx context.Context) ([]string, error)
}

// Committed is one stored and applied event with its sequence number and
// the state right after it (each pushed event carries the view after it).
type Committed struct {
	Seq           int64
	Event         game.Event
	CorrelationID string
	State         game.State
}

// Publisher receives what a room did, on the room's goroutine, in seq order,
// after the events were stored and applied. It must not block: the hub
// queues frames and returns. Because the room replies to a command only
// after Publish returned, a connection's events are queued before its ack.
type Publisher interface {
	// Publish delivers committed events with the state after the last one.
	Publish(roomID string, events []Committed, state game.State)
	// Rebuilt says the room's actor was rebuilt from its stream: members
	// get a fresh view (protocol room.view "rebuilt").
	Rebuilt(roomID string, state game.State, head int64)
}

// RoomInfoReader may also be implemented by an EventLog. It reads a stream's
// stored head and creation instant without folding it, which the replay
// cannot give for a stream that does not fold. Without it the room guesses
// the head of a corrupt stream (the failed event is usually the last one) and
// dates a restored room at its restore.
type RoomInfoReader interface {
	RoomInfo(ctx context.Context, room string) (headSeq int64, createdAt game.Instant, err error)
}
