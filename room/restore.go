package room

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// restoreTimeout bounds fencing and folding one room at startup
// (observability §6.7).
const restoreTimeout = 10 * time.Second

// RestoreReport is what Restore did (store_recovered's counts).
type RestoreReport struct {
	Resumed     int
	Failed      int
	FailedRooms []string // in the store's order
}

// Restore rebuilds every unfinished room of the store at startup
// (observability §6.7, protocol.md §3.7): fence, fold, start an actor with
// the new incarnation, and record a disconnect for every human seat the
// state shows as connected, with fresh deadlines. Deadlines that passed
// during the downtime fire at once. A room that does not fold in time is
// closed as failed. It runs up to GOMAXPROCS rooms at a time; an error means
// the live rooms could not be listed.
func (g *Registry) Restore(ctx context.Context) (RestoreReport, error) {
	ids, err := g.opts.Log.LiveRoomIDs(ctx)
	if err != nil {
		return RestoreReport{}, fmt.Errorf("restore rooms: %w", err)
	}
	type job struct {
		i   int
		rng *rand.Rand
	}
	jobs := make(chan job)
	ok := make([]bool, len(ids))
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(ids))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ok[j.i] = g.restoreRoom(ctx, ids[j.i], j.rng)
			}
		}()
	}
	for i := range ids { // random sources drawn in store order, so Seed stays reproducible
		select {
		case jobs <- job{i: i, rng: g.nextRand()}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	var rep RestoreReport
	for i, id := range ids {
		if ok[i] {
			rep.Resumed++
		} else {
			rep.Failed++
			rep.FailedRooms = append(rep.FailedRooms, id)
		}
	}
	return rep, ctx.Err()
}

// restoreRoom rebuilds one room; false when it was closed as failed, or
// could not be fenced (the store is failing: it stays live for the next
// start).
func (g *Registry) restoreRoom(ctx context.Context, id string, rng *rand.Rand) bool {
	if ctx.Err() != nil {
		return false
	}
	if _, live := g.Room(id); live {
		return true
	}
	corr := monitor.NewCorrelationID()
	rctx, cancel := context.WithTimeout(monitor.WithCorrelationID(ctx, corr), restoreTimeout)
	defer cancel()
	inc, err := g.opts.Log.FenceRoom(rctx, id)
	if err != nil {
		return false
	}
	cfg := g.roomConfig(id, game.State{}, 0, inc, 0, rng)
	cfg.onChange = nil // not the registry's until reserved below
	r := newRoom(cfg)
	if good, head, err := r.replay(rctx, ReplayStartup); err != nil {
		r.closeUnrecoverable(rctx, corr, good, head, err)
		return false
	}
	r.createdAt = g.createdAt(rctx, id, r.now())
	if !g.reserveRestored(id) {
		return true
	}
	r.onChange = g.roomChanged
	for _, st := range r.state.Seats {
		if st.Occupant == game.Human && st.Connected && !st.Left {
			r.safeStep(corr, game.Disconnect{PlayerID: st.PlayerID}, ActorSystem)
		}
	}
	g.sig.counters.rebuild(RebuildStartup)
	g.start(r)
	return true
}

// reserveRestored reserves a restored room's id; false if a room runs under
// it already.
func (g *Registry) reserveRestored(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rooms[id] != nil {
		return false
	}
	g.rooms[id] = &entry{}
	return true
}

// createdAt is the stored creation instant when the log can read it.
func (g *Registry) createdAt(ctx context.Context, id string, fallback game.Instant) game.Instant {
	if ir, ok := g.opts.Log.(RoomInfoReader); ok {
		if _, created, err := ir.RoomInfo(ctx, id); err == nil && created != 0 {
			return created
		}
	}
	return fallback
}
