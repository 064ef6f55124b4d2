package ws

import "encoding/json"

// Command types of §4.
const (
	TypeHello            = "hello"
	TypePing             = "ping"
	TypeLobbySubscribe   = "lobby.subscribe"
	TypeLobbyUnsubscribe = "lobby.unsubscribe"
	TypeRoomCreate       = "room.create"
	TypeRoomJoin         = "room.join"
	TypeRoomLeave        = "room.leave"
	TypeRoomSeat         = "room.seat"
	TypeRoomStart        = "room.start"
	TypeGameRedeal       = "game.redeal"
	TypeGameDeclare      = "game.declare"
	TypeGamePlay         = "game.play"
	TypeRoomResync       = "room.resync"
)

// Command is the typed data of one client command. Its JSON is the data
// object a client sends, so EncodeCommand and DecodeData round-trip.
type Command interface{ CommandType() string }

type (
	// HelloData has exactly one of Name (trimmed) and Token.
	HelloData struct {
		Name   *string `json:"name,omitempty"`
		Token  *string `json:"token,omitempty"`
		Client string  `json:"client,omitempty"` // logged only
	}
	// PingData echoes ClientTime as sent (any JSON number), or null.
	PingData struct {
		ClientTime *json.Number `json:"client_time,omitempty"`
	}
	LobbySubscribeData   struct{}
	LobbyUnsubscribeData struct{}
	CreateData           struct {
		QuickPlay bool `json:"quick_play"`
	}
	// JoinData.RoomID is upper-cased and of the room-id alphabet.
	JoinData struct {
		RoomID string `json:"room_id"`
	}
	LeaveData struct{}
	// SeatData.Occupant is OccupantBot or OccupantOpen.
	SeatData struct {
		Seat     int    `json:"seat"`
		Occupant string `json:"occupant"`
	}
	StartData  struct{}
	RedealData struct {
		Accept bool `json:"accept"`
		Deal   *int `json:"deal,omitempty"` // nil: the current deal
	}
	// DeclareData.Value is any int; the game checks 0..8.
	DeclareData struct {
		Value int `json:"value"`
	}
	// PlayData.Pieces are ints as sent; the game checks ids and duplicates.
	PlayData struct {
		Pieces []int `json:"pieces"`
	}
	// ResyncData.RoomID is upper-cased but not checked against the
	// alphabet: an unknown id is ROOM_NOT_FOUND, not INVALID_FIELD.
	ResyncData struct {
		RoomID  string `json:"room_id"`
		LastSeq int64  `json:"last_seq"`
	}
)

// room.seat occupants.
const (
	OccupantBot  = "bot"
	OccupantOpen = "open"
)

func (HelloData) CommandType() string            { return TypeHello }
func (PingData) CommandType() string             { return TypePing }
func (LobbySubscribeData) CommandType() string   { return TypeLobbySubscribe }
func (LobbyUnsubscribeData) CommandType() string { return TypeLobbyUnsubscribe }
func (CreateData) CommandType() string           { return TypeRoomCreate }
func (JoinData) CommandType() string             { return TypeRoomJoin }
func (LeaveData) CommandType() string            { return TypeRoomLeave }
func (SeatData) CommandType() string             { return TypeRoomSeat }
func (StartData) CommandType() string            { return TypeRoomStart }
func (RedealData) CommandType() string           { return TypeGameRedeal }
func (DeclareData) CommandType() string          { return TypeGameDeclare }
func (PlayData) CommandType() string             { return TypeGamePlay }
func (ResyncData) CommandType() string           { return TypeRoomResync }

// GameDeal is the game.Redeal.Deal to use. The game reads 0 as "current",
// but the protocol makes an explicit deal that is not current STALE_DEAL
// (§4), so an explicit deal ≤ 0, never a current deal, maps to -1.
func (d RedealData) GameDeal() int {
	switch {
	case d.Deal == nil:
		return 0
	case *d.Deal <= 0:
		return -1
	}
	return *d.Deal
}

// EncodeCommand writes a client frame; id "" omits it. Clients in Go (tests,
// tools) use it; the server never sends commands.
func EncodeCommand(id string, c Command) ([]byte, error) {
	return json.Marshal(struct {
		Type string  `json:"type"`
		ID   string  `json:"id,omitempty"`
		Data Command `json:"data"`
	}{c.CommandType(), id, c})
}
