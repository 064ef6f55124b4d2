package game

// Phase is one of the phases of rules §6.1.
type Phase string

// The phases of rules §6.1. The zero Phase means the room does not exist yet.
const (
	PhaseWaiting     Phase = "waiting"
	PhasePreparation Phase = "preparation"
	PhaseRoundStart  Phase = "round_start"
	PhaseDeclaration Phase = "declaration"
	PhaseTurn        Phase = "turn"
	PhaseTurnResults Phase = "turn_results"
	PhaseScoring     Phase = "scoring"
	PhaseGameOver    Phase = "game_over"
)

// inGame is true from preparation through scoring, where seat control can
// change and the in-game abandon timer runs.
func (p Phase) inGame() bool {
	return p != "" && p != PhaseWaiting && p != PhaseGameOver
}

// started is true once the host has started the game.
func (p Phase) started() bool { return p != "" && p != PhaseWaiting }

// Occupant kinds of a seat.
const (
	Open  = "open"
	Human = "human"
	Bot   = "bot"
)

// Close reasons (rules §18).
const (
	CloseEmpty     = "empty"
	CloseAbandoned = "abandoned"
	CloseFailed    = "failed"
)

// Instant is Unix milliseconds; 0 means none (JSON null).
type Instant int64

// SeatState is one seat of rules §5. Seat numbers are 1..4 everywhere
// outside the §22 functions; Seats[i] is seat i+1.
type SeatState struct {
	Occupant      string // Open, Human or Bot
	PlayerID      string
	Name          string
	Controller    string // Human or Bot; "" for an open seat
	Connected     bool
	Left          bool
	GraceDeadline Instant
	Hand          Hand
	Score         int
	Declared      int // -1 until the seat declares this round
	Captured      int
	ZeroStreak    int
	TurnsWon      int
	PerfectRounds int
}

// humanPresent is a human occupant who is connected and has not left.
func (s *SeatState) humanPresent() bool {
	return s.Occupant == Human && s.Connected && !s.Left
}

// Decision is a redeal answer: none yet, accept or decline.
type Decision int8

// Redeal answers.
const (
	Undecided Decision = iota
	Accepted
	Declined
)

// PlayRecord is one seat's play in a turn.
type PlayRecord struct {
	Seat     int      `json:"seat"`
	Pieces   Hand     `json:"pieces"`
	PlayType PlayType `json:"play_type"`
	Value    int      `json:"value"`
}

// SeatResult is one seat's line of round_scored.
type SeatResult struct {
	Seat     int  `json:"seat"`
	Declared int  `json:"declared"`
	Captured int  `json:"captured"`
	Base     int  `json:"base"`
	Delta    int  `json:"delta"`
	Score    int  `json:"score"`
	Perfect  bool `json:"perfect"`
}

// RankEntry is one line of the final ranking.
type RankEntry struct {
	Seat          int `json:"seat"`
	Score         int `json:"score"`
	Rank          int `json:"rank"`
	TurnsWon      int `json:"turns_won"`
	PerfectRounds int `json:"perfect_rounds"`
}

// TurnResult is the latest finished turn of the round.
type TurnResult struct {
	Round, Turn, Winner, Piles int
	Plays                      [numSeats]PlayRecord
}

// RoundResult is the latest scored round.
type RoundResult struct {
	Round, Multiplier int
	Results           [numSeats]SeatResult
}

// GameResult is the end of the game.
type GameResult struct {
	Reason  string
	Winners SeatSet
	Rounds  int
	Ranking [numSeats]RankEntry
}

// SeatSet is a set of seat numbers 1..4 (bit seat-1).
type SeatSet uint8

// Has reports whether seat is in the set.
func (s SeatSet) Has(seat int) bool { return seat >= 1 && seat <= numSeats && s&(1<<(seat-1)) != 0 }

// With adds seat.
func (s SeatSet) With(seat int) SeatSet { return s | 1<<(seat-1) }

// Seats lists the seats ascending; never nil.
func (s SeatSet) Seats() []int {
	out := make([]int, 0, numSeats)
	for seat := 1; seat <= numSeats; seat++ {
		if s.Has(seat) {
			out = append(out, seat)
		}
	}
	return out
}

// State is the whole state of a room (rules §5). It holds no pointers, maps or
// slices, so a copy is independent and two states compare with ==.
type State struct {
	RoomID          string
	Created         bool
	QuickPlay       bool
	Hosted          bool // false for an internal canary room (no host, never abandoned)
	HostSeat        int  // 0 = none
	Config          Config
	AbandonDeadline Instant
	Closed          bool
	CloseReason     string

	Phase Phase
	Round int
	Deal  int
	Seats [numSeats]SeatState

	// round
	Multiplier     int
	Redeals        int
	LatestAccepter int // 0 = none
	LastTurnWinner int // previous round's last-turn winner, 0 = none
	Starter        int
	StarterReason  string

	// preparation
	WeakSeats     SeatSet
	RedealOffered bool
	Awaiting      SeatSet
	Decisions     [numSeats]Decision

	// declaration
	DeclOrder   [numSeats]int
	DeclIndex   int // index into DeclOrder of the current declarer; 4 when done
	DeclTotal   int
	DeclStarted bool

	// turn
	Turn        int
	TurnStarter int
	TurnOrder   [numSeats]int
	Required    int // 0 until the starter plays
	Plays       [numSeats]PlayRecord
	NumPlays    int
	Current     int // current declarer or player, 0 = none

	LastTurn  TurnResult // Round == 0: none
	LastRound RoundResult
	Result    GameResult

	Deadline Instant // the phase timer, 0 = none
}

func (s *State) seat(n int) *SeatState { return &s.Seats[n-1] }

// seatOfPlayer finds the seat a player holds (left or not), 0 when none.
func (s *State) seatOfPlayer(playerID string) int {
	if playerID == "" {
		return 0
	}
	for i := range s.Seats {
		if s.Seats[i].Occupant == Human && s.Seats[i].PlayerID == playerID {
			return i + 1
		}
	}
	return 0
}

// anyHumanPresent reports whether some seat holds a connected human who has
// not left.
func (s *State) anyHumanPresent() bool {
	for i := range s.Seats {
		if s.Seats[i].humanPresent() {
			return true
		}
	}
	return false
}

// rotationFrom gives the seat numbers of the rotation from seat.
func rotationFrom(seat int) [numSeats]int {
	var r [numSeats]int
	for i := range r {
		r[i] = (seat-1+i)%numSeats + 1
	}
	return r
}

// generalRedSeat is the seat holding piece 0 in the current deal, 0 if none.
func (s *State) generalRedSeat() int {
	for i := range s.Seats {
		if s.Seats[i].Hand.Has(0) {
			return i + 1
		}
	}
	return 0
}
