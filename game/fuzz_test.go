package game

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// fuzzStates are states met in a few seeded games with human seats and the
// default (slow) timers, so deadlines and pauses are armed.
var fuzzStates = sync.OnceValue(func() []State {
	var states []State
	for seed := uint64(1); seed <= 4; seed++ {
		m := Match{Seed: seed, Config: DefaultConfig(),
			Strategies: [numSeats]Strategy{BotStrategy{}, RandomStrategy{}, nil, BotStrategy{}}}
		m.Config.MaxRounds = 2
		m.Config.BotDelayMs = 0
		m.Config.RoundStartPauseMs, m.Config.TurnResultsPauseMs, m.Config.ScoringPauseMs = 0, 0, 0
		m.Step = func(_ State, _ Command, _ []Event, after State) { states = append(states, after) }
		if _, _, err := PlayMatch(m); err != nil {
			panic(err)
		}
	}
	return append(states, State{})
})

// fuzzCommand reads one command from b, returning the rest.
func fuzzCommand(b []byte) (Command, []byte) {
	next := func() int {
		if len(b) == 0 {
			return 0
		}
		v := int(int8(b[0]))
		b = b[1:]
		return v
	}
	op, who := next(), next()
	player := playerID(who%6 + 1) // p1..p4 are seated, p5 and p6 are strangers
	switch uint(op) % 13 {
	case 0:
		return Redeal{PlayerID: player, Deal: next(), Accept: next()%2 == 0}, b
	case 1:
		return Declare{PlayerID: player, Value: next()}, b
	case 2:
		n := next() % 9
		pieces := make([]int, 0, max(n, 0))
		for range n {
			pieces = append(pieces, next())
		}
		return Play{PlayerID: player, Pieces: pieces}, b
	case 3:
		return Disconnect{PlayerID: player}, b
	case 4:
		return Reconnect{PlayerID: player}, b
	case 5:
		return Leave{PlayerID: player}, b
	case 6:
		return Tick{}, b
	case 7:
		return BotTurn{}, b
	case 8:
		return Join{Player: Player{PlayerID: player, Name: "F"}}, b
	case 9:
		return SetSeat{PlayerID: player, Seat: next(), Bot: next()%2 == 0}, b
	case 10:
		return Start{PlayerID: player}, b
	case 11:
		return Close{Reason: []string{CloseFailed, CloseAbandoned, CloseEmpty, ""}[uint(next())%4]}, b
	}
	return CreateRoom{RoomID: "FUZZ", Host: &Player{PlayerID: player, Name: "F"}, QuickPlay: next()%2 == 0,
		Config: DefaultConfig()}, b
}

// FuzzDecide feeds arbitrary command sequences to Decide from states met in
// real games: it never panics, a rejection carries a code and no events, and
// accepted events fold and keep the invariants.
func FuzzDecide(f *testing.F) {
	f.Add(uint16(0), int64(0), []byte{1, 0, 3})
	f.Add(uint16(40), int64(5000), []byte{2, 0, 1, 5, 2, 1, 1, 7})
	f.Add(uint16(90), int64(40_000), []byte{3, 1, 6, 0, 4, 1, 6, 0})
	f.Add(uint16(7), int64(20_000), []byte{5, 0, 5, 1, 6, 0, 7, 0})
	f.Add(uint16(200), int64(1), []byte{0, 2, 0, 0, 0, 3, 2, 4, 40, 22, 22, 0})
	f.Add(uint16(1000), int64(0), []byte{12, 0, 1, 8, 4, 9, 0, 2, 0, 10, 0})
	f.Add(uint16(13), int64(16_000), []byte{3, 0, 6, 0, 3, 2, 6, 0, 11, 0, 1})
	f.Fuzz(func(t *testing.T, at uint16, advance int64, script []byte) {
		states := fuzzStates()
		s := states[int(at)%len(states)]
		env := Env{Now: MatchStart, Rand: rand.New(rand.NewPCG(uint64(at), 1))}
		for steps := 0; len(script) > 0 && steps < 64; steps++ {
			var cmd Command
			cmd, script = fuzzCommand(script)
			if _, ok := cmd.(Tick); ok {
				env.Now += Instant(advance % 400_000)
			}
			events, err := Decide(s, cmd, env)
			if err != nil {
				if events != nil || CodeOf(err) == "" {
					t.Fatalf("%T rejected with events %v, code %q", cmd, events, CodeOf(err))
				}
				if CodeOf(err) == string(CodeInternal) {
					t.Fatalf("%#v: internal error: %v", cmd, err)
				}
				continue
			}
			for _, e := range events {
				if s, err = Apply(s, e); err != nil {
					t.Fatalf("%T: event does not fold: %v", cmd, err)
				}
				if err := CheckInvariants(s); err != nil {
					t.Fatalf("%T: after %s: %v", cmd, e.Type(), err)
				}
			}
		}
	})
}
