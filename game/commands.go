package game

import "math/rand/v2"

// Env is what Decide needs from outside the state: the current instant and
// the random source for deals and bot redeal answers. Production seeds the
// source from crypto/rand; tests and the simulator seed it by hand, so the
// same seed and inputs give the same events. Now must be > 0.
type Env struct {
	Now  Instant
	Rand *rand.Rand
}

// Command is an input to Decide. Commands from a player name the player; the
// game finds the seat (NOT_SEATED when none).
type Command interface{ commandName() string }

type (
	// CreateRoom opens a room; Host nil makes an internal canary room.
	CreateRoom struct {
		RoomID    string
		Host      *Player
		QuickPlay bool
		Config    Config
	}
	// Join seats a human: the lowest open seat, else the highest bot.
	Join struct{ Player Player }
	// SetSeat puts a bot into an open seat (Bot true) or opens a bot seat.
	// AsServer skips the host check (canary rooms have no host).
	SetSeat struct {
		PlayerID string
		AsServer bool
		Seat     int
		Bot      bool
	}
	// Start begins the game (host, or the server for a canary room).
	Start struct {
		PlayerID string
		AsServer bool
	}
	// Redeal answers a redeal offer; Deal 0 answers the current deal.
	Redeal struct {
		PlayerID string
		Deal     int
		Accept   bool
	}
	// Declare declares the piles the seat expects to win.
	Declare struct {
		PlayerID string
		Value    int
	}
	// Play puts pieces down.
	Play struct {
		PlayerID string
		Pieces   []int
	}
	// Disconnect records the end of the player's last connection.
	Disconnect struct{ PlayerID string }
	// Reconnect records the player's return.
	Reconnect struct{ PlayerID string }
	// Leave gives up the seat (rules §17).
	Leave struct{ PlayerID string }
	// BotTurn lets every bot-controlled seat that owes a decision act; the
	// room sends it bot_delay_ms after such a seat came to owe one.
	BotTurn struct{}
	// Tick fires every timer whose deadline is at or before Env.Now.
	Tick struct{}
	// Close ends the room: CloseFailed at any time, CloseAbandoned only for
	// a room that is abandoned already (rules §18).
	Close struct{ Reason string }
)

func (CreateRoom) commandName() string { return "room.create" }
func (Join) commandName() string       { return "room.join" }
func (SetSeat) commandName() string    { return "room.seat" }
func (Start) commandName() string      { return "room.start" }
func (Redeal) commandName() string     { return "game.redeal" }
func (Declare) commandName() string    { return "game.declare" }
func (Play) commandName() string       { return "game.play" }
func (Disconnect) commandName() string { return "disconnect" }
func (Reconnect) commandName() string  { return "reconnect" }
func (Leave) commandName() string      { return "room.leave" }
func (BotTurn) commandName() string    { return "bot_turn" }
func (Tick) commandName() string       { return "tick" }
func (Close) commandName() string      { return "close" }
