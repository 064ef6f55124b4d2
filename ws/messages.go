package ws

import (
	"encoding/json"
	"fmt"
)

// Server message types of §5.
const (
	MsgWelcome    = "welcome"
	MsgAck        = "ack"
	MsgError      = "error"
	MsgEvent      = "event"
	MsgLobbyRooms = "lobby.rooms"
	MsgRoomView   = "room.view"
	MsgRoomClosed = "room.closed"
	MsgReplaced   = "replaced"
	MsgShutdown   = "shutdown"
)

// ProtocolVersion is welcome.data.protocol.
const ProtocolVersion = 1

// Message is one server → client frame (§2). Build it with the
// constructors below and marshal it once per recipient.
type Message struct {
	Type    string
	ReplyTo string // only welcome, ack and error
	Seq     int64  // only event
	Data    any    // nil encodes as {}
	// CorrelationID, set on the reply to a command, is added to an object
	// Data as correlation_id, as error data carries it (observability §7.4).
	CorrelationID string
	// encoded, when set, is the whole frame already encoded; the fields
	// above other than Type and Seq are then unset.
	encoded []byte
}

// MarshalJSON writes the envelope; data is always present.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.encoded != nil {
		return m.encoded, nil
	}
	data := m.Data
	if data == nil {
		data = emptyObject
	}
	if m.CorrelationID != "" {
		data = withCorrelation{data: data, id: m.CorrelationID}
	}
	return json.Marshal(struct {
		Type    string `json:"type"`
		ReplyTo string `json:"reply_to,omitempty"`
		Seq     int64  `json:"seq,omitempty"`
		Data    any    `json:"data"`
	}{m.Type, m.ReplyTo, m.Seq, data})
}

// withCorrelation is an object with a correlation_id field added first.
type withCorrelation struct {
	data any
	id   string
}

func (w withCorrelation) MarshalJSON() ([]byte, error) {
	inner, err := json.Marshal(w.data)
	if err != nil {
		return nil, err
	}
	id, err := json.Marshal(w.id)
	if err != nil {
		return nil, err
	}
	if len(inner) < 2 || inner[0] != '{' {
		return nil, fmt.Errorf("correlation id on non-object data %s", inner)
	}
	out := append([]byte(`{"correlation_id":`), id...)
	if inner[1] != '}' {
		out = append(out, ',')
	}
	return append(out, inner[1:]...), nil
}

// Encode marshals the message; it fails only when Data does. It calls
// MarshalJSON directly: json.Marshal(m) would validate and compact the whole
// frame once more, which cost a third of the server's CPU under load.
func (m Message) Encode() ([]byte, error) { return m.MarshalJSON() }

// Limits is welcome.data.limits.
type Limits struct {
	MaxFrameBytes   int `json:"max_frame_bytes"`
	RatePerSec      int `json:"rate_per_sec"`
	Burst           int `json:"burst"`
	OutboundQueue   int `json:"outbound_queue"`
	PingIntervalMs  int `json:"ping_interval_ms"`
	PongTimeoutMs   int `json:"pong_timeout_ms"`
	ResyncMaxEvents int `json:"resync_max_events"`
}

// DefaultLimits are the §0.3 defaults.
func DefaultLimits() Limits {
	return Limits{MaxFrameBytes: 4096, RatePerSec: 20, Burst: 40, OutboundQueue: 256,
		PingIntervalMs: 20000, PongTimeoutMs: 45000, ResyncMaxEvents: 100}
}

// WelcomeRoom is welcome.data.room for a member.
type WelcomeRoom struct {
	RoomID  string `json:"room_id"`
	Seat    int    `json:"seat"`
	Phase   string `json:"phase"`
	LastSeq int64  `json:"last_seq"`
}

// WelcomeData is §5.2; Protocol is set by Welcome.
type WelcomeData struct {
	PlayerID   string       `json:"player_id"`
	Token      string       `json:"token"`
	Name       string       `json:"name"`
	Protocol   int          `json:"protocol"`
	Resumed    bool         `json:"resumed"`
	ServerTime int64        `json:"server_time"`
	Room       *WelcomeRoom `json:"room"`
	Limits     Limits       `json:"limits"`
}

// Welcome answers a successful hello.
func Welcome(replyTo string, d WelcomeData) Message {
	d.Protocol = ProtocolVersion
	return Message{Type: MsgWelcome, ReplyTo: replyTo, Data: d}
}

// Ack answers any other successful command; data nil is {}.
func Ack(replyTo string, data any) Message {
	return Message{Type: MsgAck, ReplyTo: replyTo, Data: data}
}

// Ack data of §4.
type (
	PingAck struct {
		ServerTime int64        `json:"server_time"`
		ClientTime *json.Number `json:"client_time"` // echo, or null
	}
	// SeatAck answers room.create and room.join.
	SeatAck struct {
		RoomID string `json:"room_id"`
		Seat   int    `json:"seat"`
	}
	LeaveAck struct {
		RoomID string `json:"room_id"`
	}
	// ResyncAck is the §8 reply; build it with NewResyncAck.
	ResyncAck struct {
		RoomID  string        `json:"room_id"`
		Mode    string        `json:"mode"`
		Events  []ClientEvent `json:"events"`
		LastSeq int64         `json:"last_seq"`
		View    any           `json:"view"`
	}
)

// Resync modes (§8).
const (
	ResyncEvents = "events"
	ResyncView   = "view"
)

// ResyncMode picks the §8 mode for a client at lastSeq when the room's head
// is head (the caller has checked lastSeq ≤ head).
func ResyncMode(head, lastSeq int64, maxEvents int) string {
	if head-lastSeq <= int64(maxEvents) {
		return ResyncEvents
	}
	return ResyncView
}

// NewResyncAck builds the §8 reply at head; events are ignored in view
// mode and never encode as null.
func NewResyncAck(roomID string, head int64, mode string, events []ClientEvent, view any) ResyncAck {
	if mode == ResyncView || events == nil {
		events = []ClientEvent{}
	}
	return ResyncAck{RoomID: roomID, Mode: mode, Events: events, LastSeq: head, View: view}
}

// ErrorData is data of an error message (§5.1).
type ErrorData struct {
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	Details       map[string]any `json:"details"`
	CorrelationID string         `json:"correlation_id"`
	RetryAfterMs  *int           `json:"retry_after_ms,omitempty"`
}

// ErrorReply answers a rejected frame or command with err normalised by
// AsError; retry_after_ms is added for RATE_LIMITED and UNAVAILABLE.
func ErrorReply(replyTo string, err error, correlationID string) Message {
	e := AsError(err)
	d := ErrorData{Code: string(e.Code), Message: e.Message, Details: e.Details, CorrelationID: correlationID}
	if ms, ok := e.retryAfter(); ok {
		d.RetryAfterMs = &ms
	}
	return Message{Type: MsgError, ReplyTo: replyTo, Data: d}
}

// EventData is data of an event message (§5.3).
type EventData struct {
	RoomID string      `json:"room_id"`
	Event  ClientEvent `json:"event"`
	View   any         `json:"view"`
}

// Event pushes one redacted event with the recipient's view after it; the
// envelope's seq is the event's. Publish writes the same bytes through
// eventFrames, which encodes what the members share once.
func Event(roomID string, ev ClientEvent, view any) Message {
	return Message{Type: MsgEvent, Seq: ev.Seq, Data: EventData{RoomID: roomID, Event: ev, View: view}}
}

// encodedEvent is an event message whose frame eventFrames encoded.
func encodedEvent(seq int64, frame []byte) Message {
	return Message{Type: MsgEvent, Seq: seq, encoded: frame}
}

// LobbyRoomsData is data of lobby.rooms (§5.4). Rooms is the summary list
// (room.Summary values, which GET /rooms shares); nil encodes as [].
type LobbyRoomsData struct {
	Version   int64 `json:"version"`
	Rooms     any   `json:"rooms"`
	Total     int   `json:"total"`
	Truncated bool  `json:"truncated"`
}

// LobbyRooms pushes the lobby list.
func LobbyRooms(d LobbyRoomsData) Message {
	if d.Rooms == nil {
		d.Rooms = []struct{}{}
	}
	return Message{Type: MsgLobbyRooms, Data: d}
}

// room.view reasons (§5).
const (
	ViewRebuilt      = "rebuilt"
	ViewForcedResync = "forced_resync"
)

// RoomView pushes an unsolicited fresh view.
func RoomView(roomID, reason string, view any) Message {
	return Message{Type: MsgRoomView, Data: struct {
		RoomID string `json:"room_id"`
		Reason string `json:"reason"`
		View   any    `json:"view"`
	}{roomID, reason, view}}
}

// RoomClosed follows the room_closed event; reason is that event's.
func RoomClosed(roomID, reason string, lastSeq int64) Message {
	return Message{Type: MsgRoomClosed, Data: struct {
		RoomID  string `json:"room_id"`
		Reason  string `json:"reason"`
		LastSeq int64  `json:"last_seq"`
	}{roomID, reason, lastSeq}}
}

// Replaced precedes close 4000.
func Replaced(message string) Message {
	return Message{Type: MsgReplaced, Data: struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}{"replaced", message}}
}

// Shutdown precedes close 1001.
func Shutdown(retryAfterMs int) Message {
	return Message{Type: MsgShutdown, Data: struct {
		Reason       string `json:"reason"`
		RetryAfterMs int    `json:"retry_after_ms"`
	}{"shutdown", retryAfterMs}}
}
