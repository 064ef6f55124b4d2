package game

import "fmt"

// Apply folds one event into the state (rules §20.1). It reads nothing but
// its arguments; live rooms and replay both use it, so a replay equals the
// live state by construction. An event that does not fit the state is a fold
// error and leaves the state unchanged.
func Apply(s State, e Event) (State, error) {
	if err := fits(&s, e.Data); err != nil {
		return s, fmt.Errorf("apply %s: %w", e.Type(), err)
	}
	switch p := e.Data.(type) {
	case RoomCreated:
		s = State{RoomID: p.RoomID, Created: true, QuickPlay: p.QuickPlay, Hosted: p.Host != nil,
			HostSeat: int(p.HostSeat), Config: p.Config, Phase: PhaseWaiting}
		for i := range s.Seats {
			s.Seats[i] = SeatState{Occupant: Open, Declared: -1}
		}
		if p.Host != nil {
			s.Seats[0].occupyHuman(p.Host.PlayerID, p.Host.Name)
		}
	case PlayerJoined:
		s.seat(p.Seat).occupyHuman(p.PlayerID, p.Name)
	case BotAdded:
		st := s.seat(p.Seat)
		*st = SeatState{Occupant: Bot, Name: p.Name, Controller: Bot, Connected: true, Declared: -1}
	case BotRemoved:
		*s.seat(p.Seat) = SeatState{Occupant: Open, Declared: -1}
	case GameStarted:
		s.Phase, s.Round, s.Deal = PhasePreparation, 1, 0
		s.Config, s.HostSeat = p.Config, int(p.HostSeat)
		for i := range s.Seats {
			st := &s.Seats[i]
			st.Score, st.ZeroStreak, st.TurnsWon, st.PerfectRounds = 0, 0, 0, 0
			st.Controller = Human
			if st.Occupant == Bot {
				st.Controller = Bot
			}
		}
	case HandsDealt:
		applyHandsDealt(&s, p)
	case RedealDecided:
		s.Decisions[p.Seat-1] = Declined
		if p.Accept {
			s.Decisions[p.Seat-1] = Accepted
		}
	case RedealStarted:
		s.Multiplier, s.Redeals, s.LatestAccepter = p.Multiplier, p.Redeals, p.Accepter
		s.Deadline = 0
	case RoundStarted:
		s.Phase, s.Starter, s.StarterReason, s.Multiplier = PhaseRoundStart, p.Starter, p.Reason, p.Multiplier
		s.Deadline = p.Deadline
	case DeclarationStarted:
		s.Phase, s.DeclOrder, s.DeclIndex, s.DeclTotal, s.DeclStarted = PhaseDeclaration, p.Order, 0, 0, true
		s.Current, s.Deadline = p.Current, p.Deadline
	case Declared:
		st := s.seat(p.Seat)
		st.Declared, st.ZeroStreak = p.Value, p.ZeroStreak
		s.DeclIndex++
		s.DeclTotal, s.Current, s.Deadline = p.Total, int(p.Next), p.Deadline
	case TurnStarted:
		s.Phase, s.Turn, s.TurnStarter, s.TurnOrder = PhaseTurn, p.Turn, p.Starter, p.Order
		s.Required, s.Plays, s.NumPlays = 0, [numSeats]PlayRecord{}, 0
		s.Current, s.Deadline = p.Starter, p.Deadline
	case Played:
		s.seat(p.Seat).Hand &^= p.Pieces
		s.Plays[s.NumPlays] = PlayRecord{Seat: p.Seat, Pieces: p.Pieces, PlayType: p.PlayType, Value: p.Value}
		s.NumPlays++
		s.Required, s.Current, s.Deadline = p.Required, int(p.Next), p.Deadline
	case TurnWon:
		s.Phase, s.Current, s.Deadline = PhaseTurnResults, 0, p.Deadline
		for i := range s.Seats {
			s.Seats[i].Captured, s.Seats[i].TurnsWon = p.Captured[i], p.TurnsWon[i]
		}
		s.LastTurn = TurnResult{Round: p.Round, Turn: p.Turn, Winner: p.Winner, Piles: p.Piles}
		copy(s.LastTurn.Plays[:], p.Plays)
		if p.HandsEmpty {
			s.LastTurnWinner = p.Winner
		}
	case RoundScored:
		s.Phase, s.Deadline = PhaseScoring, p.Deadline
		for i := range s.Seats {
			s.Seats[i].Score = p.Results[i].Score
			s.Seats[i].PerfectRounds = p.PerfectRounds[i]
		}
		s.LastRound = RoundResult{Round: p.Round, Multiplier: p.Multiplier, Results: p.Results}
	case GameOver:
		s.Phase, s.Deadline, s.Current = PhaseGameOver, 0, 0
		s.Result = GameResult{Reason: p.Reason, Rounds: p.Rounds, Ranking: p.Ranking}
		for _, w := range p.Winners {
			s.Result.Winners = s.Result.Winners.With(w)
		}
		for i := range s.Seats {
			s.Seats[i].GraceDeadline = 0
		}
		s.AbandonDeadline = p.AbandonDeadline
	case PlayerDisconnected:
		st := s.seat(p.Seat)
		st.Connected, st.GraceDeadline = false, p.GraceDeadline
		if p.AbandonDeadline != 0 {
			s.AbandonDeadline = p.AbandonDeadline
		}
	case PlayerReconnected:
		st := s.seat(p.Seat)
		st.Connected, st.GraceDeadline = true, 0
		s.AbandonDeadline = 0
	case PlayerLeft:
		st := s.seat(p.Seat)
		if s.Phase == PhaseWaiting {
			*st = SeatState{Occupant: Open, Declared: -1}
			break
		}
		st.Connected, st.Left, st.GraceDeadline = false, true, 0
		if p.AbandonDeadline != 0 {
			s.AbandonDeadline = p.AbandonDeadline
		}
	case SeatControlChanged:
		st := s.seat(p.Seat)
		st.Controller, st.GraceDeadline = p.Controller, 0
	case HostChanged:
		s.HostSeat = p.ToSeat
	case RoomClosed:
		s.Closed, s.CloseReason = true, p.Reason
		s.Deadline, s.AbandonDeadline = 0, 0
		for i := range s.Seats {
			s.Seats[i].GraceDeadline = 0
		}
	}
	return s, nil
}

func (st *SeatState) occupyHuman(playerID, name string) {
	*st = SeatState{Occupant: Human, PlayerID: playerID, Name: name, Controller: Human,
		Connected: true, Declared: -1}
}

func applyHandsDealt(s *State, p HandsDealt) {
	if p.Round > s.Round || s.Deal == 0 {
		// first deal of a round (rules §7)
		s.Round, s.Multiplier, s.Redeals, s.LatestAccepter = p.Round, 1, 0, 0
		s.Turn, s.LastTurn, s.DeclStarted = 0, TurnResult{}, false
		s.Starter, s.StarterReason = 0, ""
		for i := range s.Seats {
			s.Seats[i].Declared, s.Seats[i].Captured = -1, 0
		}
	}
	s.Phase, s.Deal, s.Multiplier = PhasePreparation, p.Deal, p.Multiplier
	for i := range s.Seats {
		s.Seats[i].Hand = p.Hands[i]
	}
	s.WeakSeats, s.Awaiting = 0, 0
	for _, w := range p.WeakSeats {
		s.WeakSeats = s.WeakSeats.With(w)
	}
	s.RedealOffered = p.RedealOffered
	if p.RedealOffered {
		s.Awaiting = s.WeakSeats
	}
	s.Decisions = [numSeats]Decision{}
	s.Current, s.Deadline = 0, p.Deadline
	s.DeclOrder, s.DeclIndex, s.DeclTotal = [numSeats]int{}, 0, 0
	s.TurnOrder, s.TurnStarter, s.Required, s.Plays, s.NumPlays = [numSeats]int{}, 0, 0, [numSeats]PlayRecord{}, 0
}
