package game

// SeatView is what one seat's player can know (rules §19.1): its own hand and
// the public state. Bots and strategies decide from it alone.
type SeatView struct {
	Seat  int
	Phase Phase
	Hand  Hand
	Round int
	Deal  int

	// preparation
	AwaitingRedeal bool

	// declaration
	FirstToDeclare bool
	LastToDeclare  bool
	OthersTotal    int
	ZeroStreak     int

	// turn
	Declared int // this seat's declaration, -1 before it declares
	Captured int // this seat's piles this round
	Required int // 0 for the turn's starter
	Plays    [numSeats]PlayRecord
	NumPlays int
}

// ViewOf is seat's view of the state.
func ViewOf(s State, seat int) SeatView {
	st := s.seat(seat)
	v := SeatView{Seat: seat, Phase: s.Phase, Hand: st.Hand, Round: s.Round, Deal: s.Deal,
		AwaitingRedeal: s.Phase == PhasePreparation && s.Awaiting.Has(seat) && s.Decisions[seat-1] == Undecided,
		OthersTotal:    s.DeclTotal, ZeroStreak: st.ZeroStreak, Declared: st.Declared, Captured: st.Captured,
		Required: s.Required, Plays: s.Plays, NumPlays: s.NumPlays}
	if s.Phase == PhaseDeclaration {
		v.FirstToDeclare = s.DeclIndex == 0
		v.LastToDeclare = s.DeclIndex == numSeats-1
	}
	return v
}

// Options are the declarations the seat may make now.
func (v SeatView) Options() []int {
	return DeclarationOptions(v.OthersTotal, v.LastToDeclare, v.ZeroStreak)
}

// owes reports whether seat owes a decision now.
func owes(s *State, seat int) bool {
	if s.Closed {
		return false
	}
	switch s.Phase {
	case PhasePreparation:
		return s.Awaiting.Has(seat) && s.Decisions[seat-1] == Undecided
	case PhaseDeclaration, PhaseTurn:
		return s.Current == seat
	}
	return false
}

// BotsOwing is the set of bot-controlled seats that owe a decision now; the
// room arms its bot timer while it is not empty.
func BotsOwing(s State) SeatSet {
	var set SeatSet
	for seat := 1; seat <= numSeats; seat++ {
		if s.seat(seat).Controller == Bot && owes(&s, seat) {
			set = set.With(seat)
		}
	}
	return set
}

// botsAct lets every bot-controlled seat owing a decision act, in seat order
// (rules §19.1).
func (d *decider) botsAct(by string) {
	deal := d.s.Deal // answers that resolve a cycle may deal anew: a new decision
	for _, seat := range BotsOwing(d.s).Seats() {
		if d.err == nil && d.s.Deal == deal && owes(&d.s, seat) {
			d.botAct(seat, by)
		}
	}
}

// botAct makes seat's owed decision with the bot logic (rules §19).
func (d *decider) botAct(seat int, by string) {
	v := ViewOf(d.s, seat)
	var bot BotStrategy
	switch d.s.Phase {
	case PhasePreparation:
		d.decideRedeal(seat, bot.Redeal(v, d.env.Rand), by)
	case PhaseDeclaration:
		value := bot.Declare(v, d.env.Rand)
		if err := CheckDeclaration(value, d.s.DeclTotal, v.LastToDeclare, v.ZeroStreak); err != nil {
			d.err = &Error{Code: CodeInternal, Message: "bot declaration: " + err.Error()}
			return
		}
		d.declare(seat, value, by)
	case PhaseTurn:
		pieces := bot.Play(v, d.env.Rand)
		if _, err := checkPieces(v.Hand, pieces.IDs(), v.Required); err != nil {
			d.err = &Error{Code: CodeInternal, Message: "bot play: " + err.Error()}
			return
		}
		d.play(seat, pieces, by)
	}
}
