package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"liaptui/game"
)

// RoomLog is the store as the room layer sees it: game events in, folded
// state out. main.go hands it to the room registry.
type RoomLog struct{ Store *Store }

// AppendEvents stores a room's events after head (write-ahead: the room
// applies them only once this returns nil). The correlation id comes from
// ctx; the actor is recorded per event.
func (l RoomLog) AppendEvents(ctx context.Context, room string, incarnation, head int64, evs []game.Event, actor string) error {
	batch := make([]NewEvent, len(evs))
	for i, e := range evs {
		payload, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.Type(), err)
		}
		batch[i] = NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload, Actor: actor}
	}
	_, err := l.Store.Append(ctx, room, incarnation, head, batch)
	return err
}

// ReplayRoom folds a room's stream; see Store.Replay.
func (l RoomLog) ReplayRoom(ctx context.Context, room string) (game.State, int64, error) {
	return l.Store.Replay(ctx, room)
}

// FenceRoom bumps the room's incarnation and returns the new one.
func (l RoomLog) FenceRoom(ctx context.Context, room string) (int64, error) {
	return l.Store.Fence(ctx, room)
}

// RoomExists reports whether any stream, live or ended, has this id.
func (l RoomLog) RoomExists(ctx context.Context, room string) (bool, error) {
	_, err := l.Store.Stream(ctx, room)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}

// LiveRoomIDs lists the room streams still live, for crash recovery.
func (l RoomLog) LiveRoomIDs(ctx context.Context) ([]string, error) {
	rooms, err := l.Store.LiveRooms(ctx)
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.Stream
	}
	return ids, err
}

// RoomInfo reads a stream's stored head and creation instant without
// folding it (room.RoomInfoReader).
func (l RoomLog) RoomInfo(ctx context.Context, room string) (int64, game.Instant, error) {
	info, err := l.Store.Stream(ctx, room)
	return info.HeadSeq, game.Instant(info.CreatedAt), err
}
