package game

import (
	"errors"
	"fmt"
)

// fits checks that an event can follow the state. It guards replay against
// corrupt or foreign streams; events made by Decide always fit.
func fits(s *State, p Payload) error {
	if _, ok := p.(RoomCreated); ok {
		if s.Created {
			return errors.New("room already created")
		}
		return nil
	}
	if !s.Created {
		return errors.New("room not created yet")
	}
	if s.Closed {
		return errors.New("room is closed")
	}
	if seat, ok := seatOf(p); ok && (seat < 1 || seat > numSeats) {
		return fmt.Errorf("seat %d outside 1..4", seat)
	}
	switch p := p.(type) {
	case PlayerJoined:
		return want(s.Phase == PhaseWaiting && s.seat(p.Seat).Occupant != Human, "join needs a waiting room and a free seat")
	case BotAdded:
		return want(s.Phase == PhaseWaiting && s.seat(p.Seat).Occupant == Open, "bot needs an open seat")
	case BotRemoved:
		return want(s.Phase == PhaseWaiting && s.seat(p.Seat).Occupant == Bot, "no bot in that seat")
	case GameStarted:
		for i := range s.Seats {
			if s.Seats[i].Occupant == Open {
				return errors.New("start with an open seat")
			}
		}
		return want(s.Phase == PhaseWaiting, "game already started")
	case HandsDealt:
		var all Hand
		for _, h := range p.Hands {
			if h.Len() != handSize || all&h != 0 {
				return errors.New("hands are not a deal of the deck")
			}
			all |= h
		}
		return want(all == fullDeck && (s.Phase == PhasePreparation || s.Phase == PhaseScoring),
			"deal outside preparation or scoring")
	case RedealDecided:
		return want(s.Phase == PhasePreparation && s.Awaiting.Has(p.Seat) && s.Decisions[p.Seat-1] == Undecided,
			"seat not awaiting a redeal answer")
	case RedealStarted, RoundStarted:
		return want(s.Phase == PhasePreparation, "not in preparation")
	case DeclarationStarted:
		return want(s.Phase == PhaseRoundStart, "not in round_start")
	case Declared:
		return want(s.Phase == PhaseDeclaration && s.Current == p.Seat, "not the current declarer")
	case TurnStarted:
		return want(s.Phase == PhaseDeclaration || s.Phase == PhaseTurnResults, "turn cannot start now")
	case Played:
		return want(s.Phase == PhaseTurn && s.Current == p.Seat && p.Pieces&^s.seat(p.Seat).Hand == 0 &&
			s.NumPlays < numSeats, "play does not fit the turn")
	case TurnWon:
		return want(s.Phase == PhaseTurn && s.NumPlays == numSeats, "turn not complete")
	case RoundScored:
		return want(s.Phase == PhaseTurnResults, "not in turn_results")
	case GameOver:
		return want(s.Phase == PhaseScoring, "not in scoring")
	case PlayerDisconnected, PlayerReconnected, PlayerLeft, SeatControlChanged:
		seat, _ := seatOf(p)
		return want(s.seat(seat).Occupant == Human, "seat has no human occupant")
	case HostChanged:
		return want(p.ToSeat >= 1 && p.ToSeat <= numSeats && s.seat(p.ToSeat).Occupant == Human,
			"new host is not a human occupant")
	}
	return nil
}

func want(ok bool, msg string) error {
	if ok {
		return nil
	}
	return errors.New(msg)
}

func seatOf(p Payload) (int, bool) {
	switch p := p.(type) {
	case PlayerJoined:
		return p.Seat, true
	case BotAdded:
		return p.Seat, true
	case BotRemoved:
		return p.Seat, true
	case RedealDecided:
		return p.Seat, true
	case Declared:
		return p.Seat, true
	case Played:
		return p.Seat, true
	case PlayerDisconnected:
		return p.Seat, true
	case PlayerReconnected:
		return p.Seat, true
	case PlayerLeft:
		return p.Seat, true
	case SeatControlChanged:
		return p.Seat, true
	}
	return 0, false
}
