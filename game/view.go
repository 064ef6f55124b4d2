package game

// The room view of protocol.md §6: a complete, self-contained picture of one
// room for one recipient, rendered from the state with the redaction of
// protocol.md §9.

// Viewer says who a view is rendered for (protocol.md §9).
//
//   - Admin true: the admin view, with every hand in View.Hands and no
//     my_seat or my_hand.
//   - Seat 1..4 (Admin false): the member view of that seat, with its own hand
//     in my_hand. A seat whose player has left the started game is rendered
//     at the public level (§9: "a player who left a room reads it at the
//     public level from then on").
//   - Anything else: the public view, without any hand.
type Viewer struct {
	Seat  int
	Admin bool
}

// The actions of View.Actor.
const (
	ActionRedeal  = "redeal"
	ActionDeclare = "declare"
	ActionPlay    = "play"
)

// Piece is a piece as views carry it (protocol.md §0.2).
type Piece struct {
	ID     int  `json:"id"`
	Kind   Kind `json:"kind"`
	Points int  `json:"points"`
}

// ViewSeat is one seat of a view (the Seat object of protocol.md §6.1).
type ViewSeat struct {
	Seat          int     `json:"seat"`
	Kind          string  `json:"kind"`           // "human", "bot" or "open"
	Name          *string `json:"name"`           // null for an open seat
	PlayerID      *string `json:"player_id"`      // humans only
	ControlledBy  *string `json:"controlled_by"`  // null for an open seat
	Connected     bool    `json:"connected"`      // bots true, open seats false
	Host          bool    `json:"host"`           // the seat is the host seat
	Left          bool    `json:"left"`           // the player left the started game
	GraceDeadline Instant `json:"grace_deadline"` // null when no grace runs
}

// ViewPlay is one play of a turn (the Play object of protocol.md §6.1).
type ViewPlay struct {
	Seat     int      `json:"seat"`
	Pieces   []Piece  `json:"pieces"`
	PlayType PlayType `json:"play_type"`
	Value    int      `json:"value"`
}

// ViewActor names whose decision the game waits for.
type ViewActor struct {
	Action string `json:"action"` // ActionRedeal, ActionDeclare or ActionPlay
	Seats  []int  `json:"seats"`  // ascending; several only for a redeal
}

// ViewRedeal is the redeal decision cycle of the current deal.
type ViewRedeal struct {
	Deal          int   `json:"deal"`
	WeakSeats     []int `json:"weak_seats"`
	Offered       bool  `json:"offered"`
	AwaitingSeats []int `json:"awaiting_seats"` // awaited seats that have not answered yet
	// Decisions is per seat: true accepted, false declined, null no answer
	// (or not awaited).
	Decisions [numSeats]*bool `json:"decisions"`
}

// ViewTurn is the latest finished turn of the round (turn_won).
type ViewTurn struct {
	Round  int        `json:"round"`
	Turn   int        `json:"turn"`
	Winner int        `json:"winner"`
	Piles  int        `json:"piles"`
	Plays  []ViewPlay `json:"plays"`
}

// ViewRound is the latest scored round (round_scored).
type ViewRound struct {
	Round      int                  `json:"round"`
	Multiplier int                  `json:"multiplier"`
	Results    [numSeats]SeatResult `json:"results"`
}

// ViewGameResult is the end of the game (game_over).
type ViewGameResult struct {
	Reason  string              `json:"reason"`
	Winners []int               `json:"winners"`
	Rounds  int                 `json:"rounds"`
	Ranking [numSeats]RankEntry `json:"ranking"`
}

// View is the room view of protocol.md §6.1. Its JSON has exactly the fields
// of that table; every field is always present (null where the table allows
// it) except Hands, which only the admin view carries. Per-seat arrays are Go
// arrays, so they always encode 4 elements; seat k is index k-1.
type View struct {
	RoomID     string `json:"room_id"`
	Seq        int64  `json:"seq"`         // left 0: the room layer sets it
	ServerTime int64  `json:"server_time"` // left 0: the room layer sets it
	Closed     bool   `json:"closed"`
	Phase      Phase  `json:"phase"`
	Config     Config `json:"config"`

	HostSeat SeatRef            `json:"host_seat"`
	MySeat   SeatRef            `json:"my_seat"` // null in public and admin views
	Seats    [numSeats]ViewSeat `json:"seats"`

	Round      int `json:"round"`
	Deal       int `json:"deal"`
	Multiplier int `json:"multiplier"`
	Turn       int `json:"turn"`

	MyHand        []Piece            `json:"my_hand"`         // nil (null) unless member view
	Hands         *[numSeats][]Piece `json:"hands,omitempty"` // admin view only
	HandSizes     [numSeats]int      `json:"hand_sizes"`
	Declarations  [numSeats]*int     `json:"declarations"` // null: not declared this round
	ZeroStreaks   [numSeats]int      `json:"zero_streaks"`
	Piles         [numSeats]int      `json:"piles"`
	Scores        [numSeats]int      `json:"scores"`
	TurnsWon      [numSeats]int      `json:"turns_won"`
	PerfectRounds [numSeats]int      `json:"perfect_rounds"`

	Actor           *ViewActor `json:"actor"`
	Deadline        Instant    `json:"deadline"`
	AbandonDeadline Instant    `json:"abandon_deadline"`
	Starter         SeatRef    `json:"starter"`
	StarterReason   *string    `json:"starter_reason"`

	Redeal           *ViewRedeal     `json:"redeal"`
	DeclarationOrder []int           `json:"declaration_order"` // nil (null) before declaration_started
	TurnOrder        []int           `json:"turn_order"`        // nil (null) before the round's first turn_started
	RequiredCount    *int            `json:"required_count"`    // null until the turn's starter has played
	TurnPlays        []ViewPlay      `json:"turn_plays"`        // never nil
	LastTurn         *ViewTurn       `json:"last_turn"`
	LastRound        *ViewRound      `json:"last_round"`
	GameResult       *ViewGameResult `json:"game_result"`
}

// RenderView renders the state for who (protocol.md §6, redacted per §9). It
// is pure; Seq and ServerTime are left 0 for the caller to set.
func RenderView(s State, who Viewer) View {
	v := View{
		RoomID:          s.RoomID,
		Closed:          s.Closed,
		Phase:           s.Phase,
		Config:          s.Config,
		HostSeat:        SeatRef(s.HostSeat),
		Round:           s.Round,
		Deal:            s.Deal,
		Multiplier:      s.Multiplier,
		Turn:            s.Turn,
		Actor:           renderActor(&s),
		Deadline:        s.Deadline,
		AbandonDeadline: s.AbandonDeadline,
		Starter:         SeatRef(s.Starter),
		TurnPlays:       renderPlays(s.Plays[:s.NumPlays]),
	}
	for i := range s.Seats {
		st := &s.Seats[i]
		v.Seats[i] = renderSeat(&s, i+1)
		v.HandSizes[i] = st.Hand.Len()
		if st.Declared >= 0 {
			v.Declarations[i] = renderPtr(st.Declared)
		}
		v.ZeroStreaks[i] = st.ZeroStreak
		v.Piles[i] = st.Captured
		v.Scores[i] = st.Score
		v.TurnsWon[i] = st.TurnsWon
		v.PerfectRounds[i] = st.PerfectRounds
	}

	switch {
	case who.Admin:
		var hands [numSeats][]Piece
		for i := range s.Seats {
			hands[i] = renderPieces(s.Seats[i].Hand)
		}
		v.Hands = &hands
	case who.Seat >= 1 && who.Seat <= numSeats && !s.seat(who.Seat).Left:
		v.MySeat = SeatRef(who.Seat)
		v.MyHand = renderPieces(s.seat(who.Seat).Hand)
	}

	if s.Starter != 0 {
		v.StarterReason = renderPtr(s.StarterReason)
	}
	if s.Phase == PhasePreparation && s.WeakSeats != 0 {
		v.Redeal = renderRedeal(&s)
	}
	if s.DeclStarted && s.DeclOrder[0] != 0 {
		v.DeclarationOrder = append([]int{}, s.DeclOrder[:]...)
	}
	if s.TurnOrder[0] != 0 {
		v.TurnOrder = append([]int{}, s.TurnOrder[:]...)
	}
	if s.Required != 0 {
		v.RequiredCount = renderPtr(s.Required)
	}
	if lt := s.LastTurn; lt.Round != 0 {
		v.LastTurn = &ViewTurn{Round: lt.Round, Turn: lt.Turn, Winner: lt.Winner, Piles: lt.Piles,
			Plays: renderPlays(lt.Plays[:])}
	}
	if lr := s.LastRound; lr.Round != 0 {
		v.LastRound = &ViewRound{Round: lr.Round, Multiplier: lr.Multiplier, Results: lr.Results}
	}
	if s.Phase == PhaseGameOver {
		r := s.Result
		v.GameResult = &ViewGameResult{Reason: r.Reason, Winners: r.Winners.Seats(), Rounds: r.Rounds,
			Ranking: r.Ranking}
	}
	return v
}

// renderActor is whose decision the game waits for; none once the room closed.
func renderActor(s *State) *ViewActor {
	if s.Closed {
		return nil
	}
	switch s.Phase {
	case PhasePreparation:
		if seats := renderUndecided(s); len(seats) > 0 {
			return &ViewActor{Action: ActionRedeal, Seats: seats}
		}
	case PhaseDeclaration:
		if s.Current != 0 {
			return &ViewActor{Action: ActionDeclare, Seats: []int{s.Current}}
		}
	case PhaseTurn:
		if s.Current != 0 {
			return &ViewActor{Action: ActionPlay, Seats: []int{s.Current}}
		}
	}
	return nil
}

// renderUndecided lists the awaited seats without an answer, ascending; never nil.
func renderUndecided(s *State) []int {
	seats := make([]int, 0, numSeats)
	for _, n := range s.Awaiting.Seats() {
		if s.Decisions[n-1] == Undecided {
			seats = append(seats, n)
		}
	}
	return seats
}

func renderRedeal(s *State) *ViewRedeal {
	r := &ViewRedeal{Deal: s.Deal, WeakSeats: s.WeakSeats.Seats(), Offered: s.RedealOffered,
		AwaitingSeats: renderUndecided(s)}
	for i, d := range s.Decisions {
		switch d {
		case Accepted:
			r.Decisions[i] = renderPtr(true)
		case Declined:
			r.Decisions[i] = renderPtr(false)
		}
	}
	return r
}

func renderSeat(s *State, seat int) ViewSeat {
	st := s.seat(seat)
	v := ViewSeat{Seat: seat, Kind: st.Occupant, Host: s.HostSeat == seat, Left: st.Left,
		GraceDeadline: st.GraceDeadline}
	switch st.Occupant {
	case Human:
		v.Name, v.PlayerID, v.ControlledBy = renderPtr(st.Name), renderPtr(st.PlayerID), renderPtr(st.Controller)
		v.Connected = st.Connected
	case Bot:
		v.Name, v.ControlledBy = renderPtr(st.Name), renderPtr(Bot)
		v.Connected = true
	default:
		v.Kind = Open
	}
	return v
}

// renderPieces lists a set of pieces ascending by id; never nil, so it encodes
// as [] when empty.
func renderPieces(h Hand) []Piece {
	ids := h.IDs()
	out := make([]Piece, len(ids))
	for i, id := range ids {
		out[i] = Piece{ID: id, Kind: KindOfPiece(id), Points: PiecePoints(id)}
	}
	return out
}

// renderPlays converts plays in play order; never nil.
func renderPlays(plays []PlayRecord) []ViewPlay {
	out := make([]ViewPlay, len(plays))
	for i, p := range plays {
		out[i] = ViewPlay{Seat: p.Seat, Pieces: renderPieces(p.Pieces), PlayType: p.PlayType, Value: p.Value}
	}
	return out
}

func renderPtr[T any](v T) *T { return &v }
