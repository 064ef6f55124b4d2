//go:build !race

// The race detector slows pure-Go SQLite tenfold; `make test` runs this file
// in a separate pass without it.

package events

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"liaptui/game"
)

// TestReplayPropertySeededGames stores 2,000 seeded fast-mode games and
// checks that replaying each stored stream equals the live end state, and
// that folding stored prefixes at 5 random points equals the live fold there.
func TestReplayPropertySeededGames(t *testing.T) {
	games := 2000
	if testing.Short() {
		games = 100
	}
	s := openTemp(t, Options{})
	bot, random := game.BotStrategy{}, game.RandomStrategy{}
	lineups := [][4]game.Strategy{{nil, nil, nil, nil}, {bot, random, random, random}, {random, random, nil, bot}}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for worker := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := worker; g < games; g += 4 {
				if err := storeAndReplay(s, g, lineups[g%len(lineups)]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func storeAndReplay(s *Store, g int, lineup [4]game.Strategy) error {
	ctx := context.Background()
	room := roomID(g)
	cfg := game.DefaultConfig()
	cfg.FastMode = true
	final, log, err := game.PlayMatch(game.Match{RoomID: room, Seed: uint64(g + 1), Strategies: lineup, Config: cfg})
	if err != nil {
		return err
	}
	for i := 0; i < len(log); i += 256 {
		chunk := log[i:min(i+256, len(log))]
		batch := make([]NewEvent, len(chunk))
		for j, e := range chunk {
			payload, _ := json.Marshal(e.Data)
			batch[j] = NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload}
		}
		if _, err := s.Append(ctx, room, 1, int64(i), batch); err != nil {
			return fmt.Errorf("game %d: %w", g, err)
		}
	}
	replayed, replayedHead, err := s.Replay(ctx, room)
	if err != nil {
		return fmt.Errorf("game %d: %w", g, err)
	}
	if replayedHead != int64(len(log)) || replayed != final {
		return fmt.Errorf("game %d: replay of %d events differs from the live state", g, replayedHead)
	}
	// Prefix folds: at 5 random points the stored events fold like the live
	// ones, in one pass over the stream.
	r := rand.New(rand.NewPCG(uint64(g), 5))
	checkAt := map[int64]bool{}
	for range 5 {
		checkAt[int64(1+r.IntN(len(log)))] = true
	}
	var live, stored game.State
	err = s.Load(ctx, room, 1, func(ev Stored) error {
		live, _ = game.Apply(live, log[ev.Seq-1])
		e, err := game.DecodeEvent(ev.Type, ev.At, ev.Payload)
		if err == nil {
			stored, err = game.Apply(stored, e)
		}
		if err == nil && checkAt[ev.Seq] && stored != live {
			err = fmt.Errorf("the stored prefix of %d events folds differently", ev.Seq)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("game %d: %w", g, err)
	}
	return nil
}
