package game

import (
	"fmt"
	"math/rand/v2"
)

// Match describes one whole game played without a network: the simulator,
// property tests and benchmarks use it. Seats with a nil strategy are bots at
// the table; the others are human seats whose decisions the strategy makes.
// A match with any driven seat needs seat 1 driven, since seat 1 hosts.
type Match struct {
	RoomID     string // "MATCH" when empty
	Seed       uint64
	Strategies [numSeats]Strategy
	Config     Config
	// Step, when set, sees every accepted command with the states around it.
	Step func(before State, cmd Command, events []Event, after State)
}

// MatchStart is the instant a match's clock reads; it never advances, so no
// human timeout fires.
const MatchStart Instant = 1_764_000_000_000

// PlayMatch plays the match to game over and returns the final state and
// every event in order.
func PlayMatch(m Match) (State, []Event, error) {
	env := Env{Now: MatchStart, Rand: rand.New(rand.NewPCG(m.Seed, 0x6c6961707475))}
	choices := rand.New(rand.NewPCG(m.Seed, 0x73747261746567))
	var s State
	var log []Event
	do := func(cmd Command) error {
		events, err := Decide(s, cmd, env)
		if err != nil {
			return fmt.Errorf("seed %d: %s: %w", m.Seed, cmd.commandName(), err)
		}
		before := s
		for _, e := range events {
			if s, err = Apply(s, e); err != nil {
				return fmt.Errorf("seed %d: %w", m.Seed, err)
			}
		}
		log = append(log, events...)
		if m.Step != nil {
			m.Step(before, cmd, events, s)
		}
		return nil
	}
	for _, cmd := range setupCommands(m) {
		if err := do(cmd); err != nil {
			return s, log, err
		}
	}
	for steps := 0; s.Phase != PhaseGameOver; steps++ {
		if steps > maxSteps {
			return s, log, fmt.Errorf("seed %d: no game over after %d commands", m.Seed, steps)
		}
		acted := false
		for seat := 1; seat <= numSeats; seat++ {
			strategy := m.Strategies[seat-1]
			if strategy == nil || !owes(&s, seat) {
				continue
			}
			if err := do(decision(strategy, ViewOf(s, seat), playerID(seat), choices)); err != nil {
				return s, log, err
			}
			acted = true
		}
		if !acted {
			return s, log, fmt.Errorf("seed %d: nobody owes a decision in phase %s", m.Seed, s.Phase)
		}
	}
	return s, log, nil
}

func playerID(seat int) string { return fmt.Sprintf("p%d", seat) }

// setupCommands creates the room, seats everyone and starts the game.
func setupCommands(m Match) []Command {
	cfg, room := m.Config, m.RoomID
	if room == "" {
		room = "MATCH"
	}
	if m.Strategies[0] == nil {
		cmds := []Command{CreateRoom{RoomID: room, Config: cfg}}
		for seat := 1; seat <= numSeats; seat++ {
			cmds = append(cmds, SetSeat{AsServer: true, Seat: seat, Bot: true})
		}
		return append(cmds, Start{AsServer: true})
	}
	host := playerID(1)
	cmds := []Command{CreateRoom{RoomID: room, Host: &Player{PlayerID: host, Name: "Seat 1"}, Config: cfg}}
	for seat := 2; seat <= numSeats; seat++ {
		if m.Strategies[seat-1] == nil {
			cmds = append(cmds, SetSeat{PlayerID: host, Seat: seat, Bot: true})
		}
	}
	for seat := 2; seat <= numSeats; seat++ {
		if m.Strategies[seat-1] != nil {
			cmds = append(cmds, Join{Player: Player{PlayerID: playerID(seat), Name: fmt.Sprintf("Seat %d", seat)}})
		}
	}
	return append(cmds, Start{PlayerID: host})
}

// decision asks a strategy for the command the seat owes.
func decision(st Strategy, v SeatView, player string, r *rand.Rand) Command {
	switch v.Phase {
	case PhasePreparation:
		return Redeal{PlayerID: player, Deal: v.Deal, Accept: st.Redeal(v, r)}
	case PhaseDeclaration:
		return Declare{PlayerID: player, Value: st.Declare(v, r)}
	}
	return Play{PlayerID: player, Pieces: st.Play(v, r).IDs()}
}
