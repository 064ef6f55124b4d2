package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"liaptui/game"
)

// simFlags are the flags of `liaptui sim`.
type simFlags struct {
	games    int
	seed     uint64
	seats    string
	winScore int
	rounds   int
}

func parseSimFlags(args []string, out io.Writer) (simFlags, error) {
	var f simFlags
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&f.games, "games", 1000, "games to play")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the first game; game g uses seed+g-1")
	fs.StringVar(&f.seats, "seats", "rotate",
		`strategy per seat: "rotate" (rules §19.5: the bot in seat ((g-1) mod 4)+1, random elsewhere), `+
			`or four of bot, random, table (a bot at the table), comma-separated`)
	fs.IntVar(&f.winScore, "win-score", game.DefaultConfig().WinScore, "win_score")
	fs.IntVar(&f.rounds, "max-rounds", game.DefaultConfig().MaxRounds, "max_rounds (0 = unlimited)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.games < 1 {
		return f, fmt.Errorf("-games must be at least 1, not %d", f.games)
	}
	if _, err := seatStrategies(f.seats, 1); err != nil {
		return f, err
	}
	return f, nil
}

// seatStrategies gives the strategies of game g (1-based) and the seat the
// bot plays in the rotate harness (0 otherwise).
func seatStrategies(spec string, g int) ([4]game.Strategy, error) {
	var st [4]game.Strategy
	if spec == "rotate" {
		for i := range st {
			st[i] = game.RandomStrategy{}
		}
		st[(g-1)%4] = game.BotStrategy{}
		return st, nil
	}
	names := strings.Split(spec, ",")
	if len(names) != 4 {
		return st, fmt.Errorf("-seats wants 4 strategies, got %d in %q", len(names), spec)
	}
	for i, name := range names {
		switch strings.TrimSpace(name) {
		case "bot":
			st[i] = game.BotStrategy{}
		case "random":
			st[i] = game.RandomStrategy{}
		case "table":
			st[i] = nil
		default:
			return st, fmt.Errorf("-seats: unknown strategy %q (want bot, random or table)", name)
		}
	}
	if st[0] == nil && slices.ContainsFunc(st[1:], func(s game.Strategy) bool { return s != nil }) {
		return st, fmt.Errorf("-seats: seat 1 hosts, so it may be table only when all four are")
	}
	return st, nil
}

// simStats accumulates the figures `liaptui sim` prints.
type simStats struct {
	games, rounds, maxRounds, redeals, events int
	multipliers                               map[int]int
	botGames, botWins                         int
}

func runSim(ctx context.Context, args []string, out io.Writer) error {
	f, err := parseSimFlags(args, out)
	if err != nil {
		return err
	}
	cfg := game.DefaultConfig()
	cfg.FastMode, cfg.WinScore, cfg.MaxRounds = true, f.winScore, f.rounds
	stats := simStats{multipliers: map[int]int{}}
	start := time.Now()
	for g := 1; g <= f.games; g++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		strategies, _ := seatStrategies(f.seats, g)
		final, events, err := game.PlayMatch(game.Match{Seed: f.seed + uint64(g) - 1, Strategies: strategies, Config: cfg})
		if err != nil {
			return err
		}
		stats.add(final, events)
		if f.seats == "rotate" {
			botSeat := (g-1)%4 + 1
			next := botSeat%4 + 1
			stats.botGames++
			if final.Seats[botSeat-1].Score > final.Seats[next-1].Score {
				stats.botWins++
			}
		}
	}
	stats.print(out, f, time.Since(start))
	return nil
}

func (st *simStats) add(final game.State, events []game.Event) {
	st.games++
	st.rounds += final.Round
	st.maxRounds = max(st.maxRounds, final.Round)
	st.events += len(events)
	for _, e := range events {
		switch p := e.Data.(type) {
		case game.RedealStarted:
			st.redeals++
		case game.RoundScored:
			st.multipliers[p.Multiplier]++
		}
	}
}

func (st *simStats) print(out io.Writer, f simFlags, took time.Duration) {
	fmt.Fprintf(out, "games           %d (seeds %d..%d, seats %s, fast mode)\n", st.games, f.seed, f.seed+uint64(st.games)-1, f.seats)
	fmt.Fprintf(out, "games/s         %.0f (%.2fs)\n", float64(st.games)/took.Seconds(), took.Seconds())
	fmt.Fprintf(out, "rounds/game     mean %.2f, max %d\n", float64(st.rounds)/float64(st.games), st.maxRounds)
	fmt.Fprintf(out, "redeals/round   %.3f\n", float64(st.redeals)/float64(st.rounds))
	fmt.Fprintf(out, "events/game     %.1f\n", float64(st.events)/float64(st.games))
	fmt.Fprintf(out, "multiplier      ")
	keys := make([]int, 0, len(st.multipliers))
	for k := range st.multipliers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "x%d: %d (%.1f%%)  ", k, st.multipliers[k], 100*float64(st.multipliers[k])/float64(st.rounds))
	}
	fmt.Fprintln(out)
	if st.botGames > 0 {
		lo, hi := wilson(st.botWins, st.botGames)
		fmt.Fprintf(out, "bot vs random   %d of %d won (%.1f%%, 95%% CI %.1f%%..%.1f%%; rules §19.5 requires ≥ 600 of 1000)\n",
			st.botWins, st.botGames, 100*float64(st.botWins)/float64(st.botGames), 100*lo, 100*hi)
	}
}

// wilson is the 95% Wilson score interval of a proportion.
func wilson(wins, n int) (lo, hi float64) {
	const z = 1.959964
	p, nf := float64(wins)/float64(n), float64(n)
	centre := (p + z*z/(2*nf)) / (1 + z*z/nf)
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / (1 + z*z/nf)
	return centre - half, centre + half
}
