package game

import (
	"encoding/json"
	"fmt"
	"testing"
)

// roundTrip encodes an event as the store will and decodes it again.
func roundTrip(t testing.TB, e Event) Event {
	t.Helper()
	payload, err := json.Marshal(e.Data)
	if err != nil {
		t.Fatalf("encode %s: %v", e.Type(), err)
	}
	back, err := DecodeEvent(e.Type(), int64(e.At), payload)
	if err != nil {
		t.Fatalf("decode %s %s: %v", e.Type(), payload, err)
	}
	return back
}

// propertyChecker checks one match step by step.
type propertyChecker struct {
	t          testing.TB
	replay     State // fold of the JSON round trip of every event so far
	played     Hand  // pieces played this round
	deltas     [numSeats]int
	roundTrips bool
}

func (c *propertyChecker) step(_ State, cmd Command, events []Event, after State) {
	t := c.t
	for _, e := range events {
		if c.roundTrips {
			e = roundTrip(t, e)
		}
		var err error
		if c.replay, err = Apply(c.replay, e); err != nil {
			t.Fatalf("replay: %v", err)
		}
		if err := CheckInvariants(c.replay); err != nil {
			t.Fatalf("after %s: %v", e.Type(), err)
		}
		switch p := e.Data.(type) {
		case HandsDealt:
			c.played = 0
		case Played:
			if c.played&p.Pieces != 0 {
				t.Fatalf("pieces %v played twice", (c.played & p.Pieces).IDs())
			}
			c.played |= p.Pieces
		case RoundScored:
			captured := 0
			for i, r := range p.Results {
				captured += r.Captured
				c.deltas[i] += r.Delta
			}
			if captured != handSize {
				t.Fatalf("round %d awarded %d piles, want 8", p.Round, captured)
			}
		}
		all := c.played
		for i := range c.replay.Seats {
			all |= c.replay.Seats[i].Hand
		}
		if c.replay.Phase.inGame() && c.replay.Deal > 0 && all != fullDeck {
			t.Fatalf("after %s the pieces in hands and played are %d, not 32", e.Type(), all.Len())
		}
	}
	if c.replay != after {
		t.Fatalf("after %T the fold of the events differs from the live state", cmd)
	}
	for seat := 1; seat <= numSeats; seat++ {
		v := ViewOf(after, seat)
		var others Hand
		for i := range after.Seats {
			if i+1 != seat {
				others |= after.Seats[i].Hand
			}
		}
		var seen Hand = v.Hand
		for _, p := range v.Plays[:v.NumPlays] {
			seen |= p.Pieces
		}
		if seen&others != 0 {
			t.Fatalf("seat %d's view shows pieces %v of another hand", seat, (seen & others).IDs())
		}
	}
}

func (c *propertyChecker) finish(final State) {
	if final.Phase != PhaseGameOver {
		c.t.Fatalf("game ended in phase %s", final.Phase)
	}
	for i := range final.Seats {
		if final.Seats[i].Score != c.deltas[i] {
			c.t.Fatalf("seat %d scored %d but its round deltas sum to %d", i+1, final.Seats[i].Score, c.deltas[i])
		}
	}
}

func matchConfig() Config {
	cfg := DefaultConfig()
	cfg.FastMode = true
	return cfg
}

// TestPropertiesSeededGames plays thousands of seeded fast-mode games with
// bots at the table, the bot-vs-random harness and all-random seats, in two
// parallel shards.
func TestPropertiesSeededGames(t *testing.T) {
	games := 2000
	if testing.Short() {
		games = 200
	}
	const shards = 2
	for shard := range shards {
		t.Run(fmt.Sprintf("shard%d", shard), func(t *testing.T) {
			t.Parallel()
			for g := shard; g < games; g += shards {
				checkSeededGame(t, uint64(g+1))
			}
		})
	}
}

func checkSeededGame(t *testing.T, seed uint64) {
	bot, random := BotStrategy{}, RandomStrategy{}
	lineups := [][numSeats]Strategy{
		{nil, nil, nil, nil},
		{bot, random, random, random},
		{random, bot, random, random},
		{random, random, random, random},
		{bot, nil, random, nil},
		{bot, bot, bot, bot},
	}
	c := &propertyChecker{t: t, roundTrips: seed%20 == 1}
	final, events, err := PlayMatch(Match{Seed: seed, Strategies: lineups[seed%uint64(len(lineups))],
		Config: matchConfig(), Step: c.step})
	if err != nil {
		t.Fatal(err)
	}
	c.finish(final)
	// A fold from scratch of the whole stream equals the end state.
	var fold State
	for _, e := range events {
		if fold, err = Apply(fold, e); err != nil {
			t.Fatal(err)
		}
	}
	if fold != final {
		t.Fatalf("seed %d: full fold differs from the final state", seed)
	}
}
