package game

// Event is one change of room state (rules §20): the instant it was created
// and its typed payload. The store adds the sequence number.
type Event struct {
	At   Instant
	Data Payload
}

// Type is the event's name of rules §20.2.
func (e Event) Type() string { return e.Data.EventType() }

// Payload is the type-specific part of an event; each type of rules §20.2 has
// one struct whose JSON is the stored payload.
type Payload interface{ EventType() string }

// Player names a human occupant.
type Player struct {
	PlayerID string `json:"player_id"`
	Name     string `json:"name"`
}

// StartedSeat is one entry of game_started.seats.
type StartedSeat struct {
	Seat     int     `json:"seat"`
	PlayerID *string `json:"player_id"`
	Name     string  `json:"name"`
	Bot      bool    `json:"bot"`
}

// Who made a decision ("by" in rules §20.2).
const (
	ByPlayer  = "player"
	ByBot     = "bot"
	ByTimeout = "timeout"
)

// Reasons of player_left, seat_control_changed and host_changed.
const (
	ReasonLeft         = "left"
	ReasonGraceExpired = "grace_expired"
	ReasonReconnected  = "reconnected"
)

// Game-over reasons (rules §16).
const (
	EndWinScore  = "win_score"
	EndMaxRounds = "max_rounds"
)

type (
	RoomCreated struct {
		RoomID    string  `json:"room_id"`
		HostSeat  SeatRef `json:"host_seat"`
		Host      *Player `json:"host"`
		QuickPlay bool    `json:"quick_play"`
		Config    Config  `json:"config"`
	}
	PlayerJoined struct {
		Seat        int    `json:"seat"`
		PlayerID    string `json:"player_id"`
		Name        string `json:"name"`
		ReplacedBot bool   `json:"replaced_bot"`
	}
	BotAdded struct {
		Seat int    `json:"seat"`
		Name string `json:"name"`
	}
	BotRemoved struct {
		Seat int `json:"seat"`
	}
	GameStarted struct {
		Seats    [numSeats]StartedSeat `json:"seats"`
		HostSeat SeatRef               `json:"host_seat"`
		Config   Config                `json:"config"`
	}
	HandsDealt struct {
		Round         int           `json:"round"`
		Deal          int           `json:"deal"`
		Hands         SeatMap[Hand] `json:"hands"`
		WeakSeats     []int         `json:"weak_seats"`
		RedealOffered bool          `json:"redeal_offered"`
		Multiplier    int           `json:"multiplier"`
		Deadline      Instant       `json:"deadline"`
	}
	RedealDecided struct {
		Deal   int    `json:"deal"`
		Seat   int    `json:"seat"`
		Accept bool   `json:"accept"`
		By     string `json:"by"`
	}
	RedealStarted struct {
		Deal       int `json:"deal"`
		Accepter   int `json:"accepter"`
		Multiplier int `json:"multiplier"`
		Redeals    int `json:"redeals"`
	}
	RoundStarted struct {
		Round      int     `json:"round"`
		Starter    int     `json:"starter"`
		Reason     string  `json:"reason"`
		Multiplier int     `json:"multiplier"`
		Deadline   Instant `json:"deadline"`
	}
	DeclarationStarted struct {
		Round    int           `json:"round"`
		Order    [numSeats]int `json:"order"`
		Current  int           `json:"current"`
		Deadline Instant       `json:"deadline"`
	}
	Declared struct {
		Round      int     `json:"round"`
		Seat       int     `json:"seat"`
		Value      int     `json:"value"`
		By         string  `json:"by"`
		Total      int     `json:"total"`
		ZeroStreak int     `json:"zero_streak"`
		Next       SeatRef `json:"next"`
		Deadline   Instant `json:"deadline"`
	}
	TurnStarted struct {
		Round    int           `json:"round"`
		Turn     int           `json:"turn"`
		Starter  int           `json:"starter"`
		Order    [numSeats]int `json:"order"`
		Deadline Instant       `json:"deadline"`
	}
	Played struct {
		Round    int      `json:"round"`
		Turn     int      `json:"turn"`
		Seat     int      `json:"seat"`
		Pieces   Hand     `json:"pieces"`
		PlayType PlayType `json:"play_type"`
		Value    int      `json:"value"`
		Required int      `json:"required"`
		By       string   `json:"by"`
		Next     SeatRef  `json:"next"`
		Deadline Instant  `json:"deadline"`
	}
	TurnWon struct {
		Round      int          `json:"round"`
		Turn       int          `json:"turn"`
		Winner     int          `json:"winner"`
		Piles      int          `json:"piles"`
		Plays      []PlayRecord `json:"plays"`
		Captured   SeatMap[int] `json:"captured"`
		TurnsWon   SeatMap[int] `json:"turns_won"`
		HandsEmpty bool         `json:"hands_empty"`
		Deadline   Instant      `json:"deadline"`
	}
	RoundScored struct {
		Round         int                  `json:"round"`
		Multiplier    int                  `json:"multiplier"`
		Results       [numSeats]SeatResult `json:"results"`
		PerfectRounds SeatMap[int]         `json:"perfect_rounds"`
		GameEnds      bool                 `json:"game_ends"`
		Deadline      Instant              `json:"deadline"`
	}
	GameOver struct {
		Reason          string              `json:"reason"`
		Winners         []int               `json:"winners"`
		Rounds          int                 `json:"rounds"`
		Ranking         [numSeats]RankEntry `json:"ranking"`
		AbandonDeadline Instant             `json:"abandon_deadline"`
	}
	PlayerDisconnected struct {
		Seat            int     `json:"seat"`
		GraceDeadline   Instant `json:"grace_deadline"`
		AbandonDeadline Instant `json:"abandon_deadline"`
	}
	PlayerReconnected struct {
		Seat int `json:"seat"`
	}
	PlayerLeft struct {
		Seat            int     `json:"seat"`
		Reason          string  `json:"reason"`
		AbandonDeadline Instant `json:"abandon_deadline"`
	}
	SeatControlChanged struct {
		Seat       int    `json:"seat"`
		Controller string `json:"controller"`
		Reason     string `json:"reason"`
	}
	HostChanged struct {
		FromSeat int    `json:"from_seat"`
		ToSeat   int    `json:"to_seat"`
		Reason   string `json:"reason"`
	}
	RoomClosed struct {
		Reason string `json:"reason"`
	}
)

func (RoomCreated) EventType() string        { return "room_created" }
func (PlayerJoined) EventType() string       { return "player_joined" }
func (BotAdded) EventType() string           { return "bot_added" }
func (BotRemoved) EventType() string         { return "bot_removed" }
func (GameStarted) EventType() string        { return "game_started" }
func (HandsDealt) EventType() string         { return "hands_dealt" }
func (RedealDecided) EventType() string      { return "redeal_decided" }
func (RedealStarted) EventType() string      { return "redeal_started" }
func (RoundStarted) EventType() string       { return "round_started" }
func (DeclarationStarted) EventType() string { return "declaration_started" }
func (Declared) EventType() string           { return "declared" }
func (TurnStarted) EventType() string        { return "turn_started" }
func (Played) EventType() string             { return "played" }
func (TurnWon) EventType() string            { return "turn_won" }
func (RoundScored) EventType() string        { return "round_scored" }
func (GameOver) EventType() string           { return "game_over" }
func (PlayerDisconnected) EventType() string { return "player_disconnected" }
func (PlayerReconnected) EventType() string  { return "player_reconnected" }
func (PlayerLeft) EventType() string         { return "player_left" }
func (SeatControlChanged) EventType() string { return "seat_control_changed" }
func (HostChanged) EventType() string        { return "host_changed" }
func (RoomClosed) EventType() string         { return "room_closed" }

// newPayload maps a stored type name to an empty payload to decode into.
var newPayload = map[string]func() Payload{
	"room_created":         func() Payload { return &RoomCreated{} },
	"player_joined":        func() Payload { return &PlayerJoined{} },
	"bot_added":            func() Payload { return &BotAdded{} },
	"bot_removed":          func() Payload { return &BotRemoved{} },
	"game_started":         func() Payload { return &GameStarted{} },
	"hands_dealt":          func() Payload { return &HandsDealt{} },
	"redeal_decided":       func() Payload { return &RedealDecided{} },
	"redeal_started":       func() Payload { return &RedealStarted{} },
	"round_started":        func() Payload { return &RoundStarted{} },
	"declaration_started":  func() Payload { return &DeclarationStarted{} },
	"declared":             func() Payload { return &Declared{} },
	"turn_started":         func() Payload { return &TurnStarted{} },
	"played":               func() Payload { return &Played{} },
	"turn_won":             func() Payload { return &TurnWon{} },
	"round_scored":         func() Payload { return &RoundScored{} },
	"game_over":            func() Payload { return &GameOver{} },
	"player_disconnected":  func() Payload { return &PlayerDisconnected{} },
	"player_reconnected":   func() Payload { return &PlayerReconnected{} },
	"player_left":          func() Payload { return &PlayerLeft{} },
	"seat_control_changed": func() Payload { return &SeatControlChanged{} },
	"host_changed":         func() Payload { return &HostChanged{} },
	"room_closed":          func() Payload { return &RoomClosed{} },
}
