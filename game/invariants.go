package game

import "fmt"

// CheckInvariants verifies what must hold after every applied event, live or
// replayed (observability.md §5.3): no piece in two hands, equal hand sizes
// and consistent piles at a turn start, and phase fields that name real seats.
func CheckInvariants(s State) error {
	if !s.Created {
		return nil
	}
	var seen Hand
	for i := range s.Seats {
		h := s.Seats[i].Hand
		if seen&h != 0 {
			return fmt.Errorf("pieces %v are in two hands", (seen & h).IDs())
		}
		seen |= h
	}
	validSeat := func(n int) bool { return n >= 1 && n <= numSeats }
	// Between player_left and host_changed the host seat may be open.
	if s.HostSeat != 0 && !validSeat(s.HostSeat) {
		return fmt.Errorf("host seat %d is not a seat", s.HostSeat)
	}
	if s.Closed {
		return nil
	}
	owed := (s.Phase == PhaseDeclaration && s.DeclIndex < numSeats) || (s.Phase == PhaseTurn && s.NumPlays < numSeats)
	if owed && !validSeat(s.Current) {
		return fmt.Errorf("phase %s has no current seat", s.Phase)
	}
	switch s.Phase {
	case PhaseRoundStart, PhaseDeclaration, PhaseTurn, PhaseTurnResults:
		if !validSeat(s.Starter) {
			return fmt.Errorf("phase %s has no round starter", s.Phase)
		}
	}
	if s.Phase == PhaseTurn && s.NumPlays == 0 {
		size, piles := s.Seats[0].Hand.Len(), 0
		for i := range s.Seats {
			if s.Seats[i].Hand.Len() != size {
				return fmt.Errorf("turn %d starts with hands of different sizes", s.Turn)
			}
			piles += s.Seats[i].Captured
		}
		if piles != handSize-size {
			return fmt.Errorf("turn %d starts with %d piles awarded and %d pieces per hand", s.Turn, piles, size)
		}
	}
	return nil
}
