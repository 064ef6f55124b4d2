package ws

import (
	"encoding/json"
	"fmt"
	"strconv"

	"liaptui/game"
)

// Level is a redaction level of §9: member of a seat, public or admin.
type Level struct {
	admin bool
	seat  int // 1..4 for a member
}

// Member is the level of the player holding seat. A seat outside 1..4 is
// public. A player who left a room is not a member: pass Public.
func Member(seat int) Level {
	if seat < 1 || seat > 4 {
		return Public
	}
	return Level{seat: seat}
}

// Public and Admin are the other two levels.
var (
	Public = Level{}
	Admin  = Level{admin: true}
)

// Seat is the member's seat, 0 for public and admin.
func (l Level) Seat() int { return l.seat }

// String is the level's name as REST reports it ("redaction").
func (l Level) String() string {
	switch {
	case l.admin:
		return "admin"
	case l.seat != 0:
		return "member"
	}
	return "public"
}

// Viewer is the game.Viewer rendering views at this level.
func (l Level) Viewer() game.Viewer { return game.Viewer{Seat: l.seat, Admin: l.admin} }

// RenderView renders the room's view (§6) at this level after event seq.
func RenderView(s game.State, l Level, seq, serverTime int64) game.View {
	v := game.RenderView(s, l.Viewer())
	v.Seq, v.ServerTime = seq, serverTime
	return v
}

// StoredEvent is what redaction needs of a stored room event.
type StoredEvent struct {
	ID            int64
	Seq           int64
	Type          string
	At            int64
	Payload       json.RawMessage
	CorrelationID string
	SchemaVersion int
}

// ClientEvent is the event object of §7.1; Admin is set only at the admin
// level, and its fields are then always present.
type ClientEvent struct {
	Seq     int64           `json:"seq"`
	Type    string          `json:"type"`
	At      int64           `json:"at"`
	Payload json.RawMessage `json:"payload"`
	*AdminFields
}

// AdminFields are the admin-only fields of §7.1.
type AdminFields struct {
	ID            int64   `json:"id"`
	CorrelationID *string `json:"correlation_id"` // null when none was stored
	SchemaVersion int     `json:"schema_version"`
}

const handsDealt = "hands_dealt"

// Redact turns a stored event into the client event object at level l (§9):
// hands_dealt.payload.hands keeps the member's own key, is {} for public and
// whole for admin; every other payload is passed through as stored (shared,
// not copied). WS events, resync replies and REST all use it.
func Redact(ev StoredEvent, l Level) (ClientEvent, error) {
	out := ClientEvent{Seq: ev.Seq, Type: ev.Type, At: ev.At, Payload: ev.Payload}
	if l.admin {
		out.AdminFields = &AdminFields{ID: ev.ID, SchemaVersion: ev.SchemaVersion}
		if ev.CorrelationID != "" {
			id := ev.CorrelationID
			out.CorrelationID = &id
		}
		return out, nil
	}
	if ev.Type != handsDealt {
		return out, nil
	}
	p, err := redactHands(ev.Payload, l.seat)
	if err != nil {
		return ClientEvent{}, fmt.Errorf("redact %s seq %d: %w", ev.Type, ev.Seq, err)
	}
	out.Payload = p
	return out, nil
}

// redactHands keeps only seat's key of payload.hands (none for seat 0).
func redactHands(payload json.RawMessage, seat int) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("payload is not an object")
	}
	var hands map[string]json.RawMessage
	if err := json.Unmarshal(fields["hands"], &hands); err != nil || hands == nil {
		return nil, fmt.Errorf("payload.hands is not an object")
	}
	kept := map[string]json.RawMessage{}
	if key := strconv.Itoa(seat); seat != 0 && hands[key] != nil {
		kept[key] = hands[key]
	}
	h, err := json.Marshal(kept)
	if err != nil {
		return nil, err
	}
	fields["hands"] = h
	return json.Marshal(fields)
}
