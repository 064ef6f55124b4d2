package monitor

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

type (
	correlationKey struct{}
	roomIDKey      struct{}
	playerIDKey    struct{}
	connIDKey      struct{}
)

// WithCorrelationID returns ctx carrying id, the cause of everything done
// under it: log lines, stored events, error replies (observability §7.4).
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the id ctx carries, "" when none.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// NewCorrelationID makes a fresh id: 16 lowercase hex characters from
// math/rand/v2, which is concurrency-safe; ids need uniqueness, not secrecy.
func NewCorrelationID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// WithRoomID returns ctx carrying the room id every log line under it names.
func WithRoomID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, roomIDKey{}, id)
}

// RoomID is the room id ctx carries, "" when none.
func RoomID(ctx context.Context) string {
	id, _ := ctx.Value(roomIDKey{}).(string)
	return id
}

// WithPlayerID returns ctx carrying the player id every log line under it names.
func WithPlayerID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, playerIDKey{}, id)
}

// PlayerID is the player id ctx carries, "" when none.
func PlayerID(ctx context.Context) string {
	id, _ := ctx.Value(playerIDKey{}).(string)
	return id
}

// WithConnID returns ctx carrying the WebSocket connection id every log line
// under it names.
func WithConnID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, connIDKey{}, id)
}

// ConnID is the connection id ctx carries, "" when none.
func ConnID(ctx context.Context) string {
	id, _ := ctx.Value(connIDKey{}).(string)
	return id
}
