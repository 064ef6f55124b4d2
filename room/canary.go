package room

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"liaptui/game"
)

// canaryTimeout bounds one canary game (observability §9.3).
const canaryTimeout = 30 * time.Second

// canaryStream is the PCG stream of canary rooms' random sources.
const canaryStream = 0x63616e617279

// RunCanary implements monitor.CanaryHost: it plays one internal game
// (observability §9.3) in stream _canary:<run> through the real actor and
// store path — no host, four bots, fast mode, seeded by the run, hidden from
// the lobby, the gauges and the counters — waits for game over (30 s at
// most; a timeout wraps context.DeadlineExceeded) and checks the rules. The
// error describes the first violation found.
func (g *Registry) RunCanary(ctx context.Context, run int64) error {
	if err := g.runCanary(ctx, run); err != nil {
		return fmt.Errorf("canary run %d: %w", run, err)
	}
	return nil
}

func (g *Registry) runCanary(ctx context.Context, run int64) error {
	if run < 1 {
		return errors.New("runs are numbered from 1")
	}
	id := "_canary:" + strconv.FormatInt(run, 10)
	switch exists, err := g.opts.Log.RoomExists(ctx, id); {
	case err != nil:
		return fmt.Errorf("look up stream %s: %w", id, err)
	case exists:
		return fmt.Errorf("stream %s exists already: canary runs must be numbered uniquely across restarts", id)
	}
	cfg := g.opts.Config
	cfg.FastMode = true
	rec := &canaryRecorder{}
	r, err := g.createCanary(ctx, id, uint64(run), cfg, rec)
	if err != nil {
		return fmt.Errorf("create room %s: %w", id, err)
	}
	if err := g.awaitCanary(ctx, r); err != nil {
		return err
	}
	return g.checkCanary(ctx, r, rec)
}

// createCanary creates and starts a canary room: room_created without a
// host, four bot_added, and the server's start. A step that fails leaves the
// room unstarted.
func (g *Registry) createCanary(ctx context.Context, id string, run uint64, cfg game.Config, pub Publisher) (*Room, error) {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		return nil, unavailable(ReasonShutdown, "the server is shutting down")
	}
	if g.rooms[id] != nil {
		g.mu.Unlock()
		return nil, roomError(game.CodeInvalidField, map[string]any{"field": "run", "reason": "in use"}, "canary %s is running", id)
	}
	g.rooms[id] = &entry{canary: true}
	g.mu.Unlock()
	c := g.roomConfig(id, game.State{}, 0, 1, 0, rand.New(rand.NewPCG(run, canaryStream)))
	c.pub, c.canary = pub, true
	r := newRoom(c)
	cmds := []game.Command{game.CreateRoom{RoomID: id, Config: cfg}}
	for seat := 1; seat <= 4; seat++ {
		cmds = append(cmds, game.SetSeat{AsServer: true, Seat: seat, Bot: true})
	}
	cmds = append(cmds, game.Start{AsServer: true})
	corr := correlation(ctx)
	for i, cmd := range cmds {
		out, err := r.safeStep(corr, cmd, ActorSystem)
		if err != nil {
			g.unreserveID(id)
			return nil, err
		}
		if i == 0 {
			r.createdAt = createdAtOf(out, r.now())
		}
	}
	if !g.start(r) {
		return nil, unavailable(ReasonShutdown, "the server is shutting down")
	}
	return r, nil
}

// awaitCanary waits until the canary room's actor exits: at game over, when
// it is closed as failed, or at shutdown. A room not done in canaryTimeout
// is dropped.
func (g *Registry) awaitCanary(ctx context.Context, r *Room) error {
	t := g.opts.Clock.NewTimer(canaryTimeout)
	defer t.Stop()
	var err error
	select {
	case <-r.done:
		return nil
	case <-t.C():
		err = fmt.Errorf("no game over within %s: %w", canaryTimeout, context.DeadlineExceeded)
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.drop(r)
	r.stop(roomError(game.CodeRoomNotFound, nil, "canary %s was given up", r.id))
	return err
}

// canaryRecorder is a canary room's Publisher: it keeps what the room did.
type canaryRecorder struct {
	mu      sync.Mutex
	events  []Committed
	rebuilt bool
}

func (c *canaryRecorder) Publish(_ string, evs []Committed, _ game.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, evs...)
}

func (c *canaryRecorder) Rebuilt(string, game.State, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rebuilt = true
}

// checkCanary checks a finished canary game (observability §9.3): the actor
// never failed; seqs 1..head without gaps; the invariants after every
// event; each round's score change by rules §14; game over reached; and the
// fold of the stored stream equal to the final live state.
func (g *Registry) checkCanary(ctx context.Context, r *Room, rec *canaryRecorder) error {
	rec.mu.Lock()
	evs, rebuilt := append([]Committed(nil), rec.events...), rec.rebuilt
	rec.mu.Unlock()
	live, liveHead := r.Snapshot()
	if rebuilt {
		return errors.New("the room's actor failed and was rebuilt")
	}
	if len(evs) == 0 {
		return errors.New("the room published no events")
	}
	var before game.State
	for i, c := range evs {
		if c.Seq != int64(i+1) {
			return fmt.Errorf("event %d has seq %d: seqs are not 1..head without gaps", i+1, c.Seq)
		}
		if err := game.CheckInvariants(c.State); err != nil {
			return fmt.Errorf("invariants broken after seq %d (%s): %w", c.Seq, c.Event.Type(), err)
		}
		if scored, ok := c.Event.Data.(game.RoundScored); ok {
			if err := checkRoundScores(before, c.State, scored.Round); err != nil {
				return fmt.Errorf("seq %d: %w", c.Seq, err)
			}
		}
		before = c.State
	}
	last := evs[len(evs)-1]
	switch {
	case last.Seq != liveHead || last.State != live:
		return fmt.Errorf("the last published event (seq %d) is not the room's final state (head %d)", last.Seq, liveHead)
	case live.Phase != game.PhaseGameOver:
		return fmt.Errorf("the game stopped in phase %s (closed %v, reason %q), not at game over",
			live.Phase, live.Closed, live.CloseReason)
	}
	start := g.opts.Clock.Now()
	folded, head, err := g.opts.Log.ReplayRoom(ctx, r.id)
	g.sig.replayed(ReplayCanary, g.opts.Clock.Now().Sub(start))
	switch {
	case err != nil:
		return fmt.Errorf("fold of the stored stream: %w", err)
	case head != liveHead:
		return fmt.Errorf("stored head %d, live head %d", head, liveHead)
	case folded != live:
		return errors.New("the fold of the stored events differs from the final live state")
	}
	return nil
}

// checkRoundScores checks one round's score change by rules §14, recomputed
// from the declarations, piles and multiplier of the state before scoring.
func checkRoundScores(before, after game.State, round int) error {
	for i := range after.Seats {
		d, a, m := before.Seats[i].Declared, before.Seats[i].Captured, before.Multiplier
		want := game.RoundScore(d, a, m)
		if got := after.Seats[i].Score - before.Seats[i].Score; got != want {
			return fmt.Errorf("round %d, seat %d: score changed by %d, rules §14 give %d (declared %d, captured %d, multiplier %d)",
				round, i+1, got, want, d, a, m)
		}
	}
	return nil
}
