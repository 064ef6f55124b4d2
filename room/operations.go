package room

import (
	"context"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// oldActorWait bounds the wait for a replaced actor to exit; one that has
// not exited by then is abandoned, fenced (observability §5.3 step 3).
const oldActorWait = 2 * time.Second

// RebuildResult is what Rebuild did, as counts for the recovery attempt.
type RebuildResult struct {
	Rebuilt      int // 1 when a new actor runs
	ClosedFailed int // 1 when the stream did not fold: the room was closed as failed
	Abandoned    int // 1 when the old actor did not exit within 2 s
	HeadSeq      int64
	Incarnation  int64
}

// Rebuild replaces a live room's actor with one folded from its stream
// (observability §5.3); reason is RebuildCorruption or RebuildPanic. While
// it runs the room's commands get UNAVAILABLE (rebuilding, retry_after_ms
// 1000). It fences the stream, stops the old actor (waiting at most 2 s,
// then abandoning it), folds the stream with the invariant checks and starts
// a new actor with the new incarnation, whose first act is to send members
// a fresh view; room_rebuilt goes to _system. A stream that does not fold
// closes the room as failed (room_closed in its stream, room_unrecoverable
// in _system) and drops it from the registry. An error means nothing was
// done: no such live room, a rebuild already running, or the store refused
// the fence. Safe for concurrent use.
func (g *Registry) Rebuild(ctx context.Context, roomID, reason string) (RebuildResult, error) {
	if reason != RebuildCorruption && reason != RebuildPanic {
		return RebuildResult{}, roomError(game.CodeInvalidField, map[string]any{"field": "reason", "reason": "bad_value"},
			"rebuild reason %q is neither %s nor %s", reason, RebuildCorruption, RebuildPanic)
	}
	old, err := g.beginRebuild(roomID)
	if err != nil {
		return RebuildResult{}, err
	}
	defer g.endRebuild(roomID)
	corr := correlation(ctx)
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(ctx, corr), rebuildTimeout)
	defer cancel()

	old.rebuilding.Store(true)
	inc, err := g.opts.Log.FenceRoom(ctx, roomID)
	if err != nil {
		old.rebuilding.Store(false)
		return RebuildResult{}, storeError(roomID, err)
	}
	res := RebuildResult{Incarnation: inc}
	old.retire(rebuildingError(roomID))
	exited := g.waitExit(ctx, old)
	rng, failures := g.nextRand(), []time.Time(nil)
	if exited { // the old actor's own fields are safe to take over now
		rng, failures = old.rng, old.failures
		inc = max(inc, old.incarnation) // it may have rebuilt itself meanwhile
		res.Incarnation = inc
	} else {
		res.Abandoned = 1
	}

	r := newRoom(g.roomConfig(roomID, game.State{}, 0, inc, old.createdAt, rng))
	r.failures = failures
	good, head, err := r.replay(ctx, ReplayRebuild)
	res.HeadSeq = head
	switch {
	case err != nil:
		r.closeUnrecoverable(ctx, corr, good, head, err)
		g.drop(old)
		res.ClosedFailed, res.HeadSeq = 1, r.head
		return res, nil
	case r.state.Closed: // the old actor closed it before the fence
		g.drop(old)
		return res, nil
	}
	r.announce = true
	if !g.start(r) {
		return res, unavailable(ReasonShutdown, "the server is shutting down")
	}
	g.sig.rebuilt(ctx, roomID, reason, head, inc, "")
	res.Rebuilt = 1
	return res, nil
}

// beginRebuild marks a live game room as being rebuilt and returns its room.
func (g *Registry) beginRebuild(roomID string) (*Room, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.rooms[roomID]
	switch {
	case g.closing:
		return nil, unavailable(ReasonShutdown, "the server is shutting down")
	case e == nil || e.room == nil || e.canary:
		return nil, roomError(game.CodeRoomNotFound, nil, "no live room %s", roomID)
	case e.rebuilding:
		return nil, rebuildingError(roomID)
	}
	e.rebuilding = true
	return e.room, nil
}

func (g *Registry) endRebuild(roomID string) {
	g.mu.Lock()
	if e := g.rooms[roomID]; e != nil {
		e.rebuilding = false
	}
	g.mu.Unlock()
}

// retire stops a room being replaced: commands get err, it publishes and
// reports nothing more, and its store calls are aborted.
func (r *Room) retire(err error) {
	r.retired.Store(true)
	r.stop(err)
	if r.cancel != nil {
		r.cancel()
	}
}

// waitExit waits up to oldActorWait for a stopped actor; false means it is
// abandoned.
func (g *Registry) waitExit(ctx context.Context, r *Room) bool {
	t := g.opts.Clock.NewTimer(oldActorWait)
	defer t.Stop()
	select {
	case <-r.done:
		return true
	case <-t.C():
	case <-ctx.Done():
	}
	return false
}

// drop removes a room from the registry and its members' memberships, unless
// another room has replaced it meanwhile.
func (g *Registry) drop(r *Room) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.rooms[r.id]
	if e == nil || (e.room != nil && e.room != r) {
		return
	}
	for _, p := range e.members {
		if g.members[p] == r.id {
			delete(g.members, p)
		}
	}
	delete(g.rooms, r.id)
}

// CloseRoom closes a live game room with a reason of rules §18 through its
// actor; the game refuses a reason not allowed now (abandoned only for an
// abandoned room). Members get the event and room.closed.
func (g *Registry) CloseRoom(ctx context.Context, roomID, reason string) error {
	r, ok := g.gameRoom(roomID)
	if !ok {
		return roomError(game.CodeRoomNotFound, nil, "no live room %s", roomID)
	}
	_, err := r.Do(ctx, game.Close{Reason: reason})
	return err
}

// CloseIdleFinished closes at once, as abandoned, every finished game with
// no connected human instead of waiting out its abandon deadline (the
// memory_pressure action, observability §5.1; rules §18 allows it). It
// returns how many rooms it closed.
func (g *Registry) CloseIdleFinished(ctx context.Context) (closed int) {
	for _, r := range g.gameRooms() {
		if ctx.Err() != nil {
			break
		}
		if gg := r.gauge.Load(); gg.phase != game.PhaseGameOver || gg.humansConnected > 0 {
			continue
		}
		if _, err := r.Do(ctx, game.Close{Reason: game.CloseAbandoned}); err == nil {
			closed++
		}
	}
	return closed
}

// gameRoom is the live room with this id unless it is a canary room.
func (g *Registry) gameRoom(id string) (*Room, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.rooms[id]; e != nil && e.room != nil && !e.canary {
		return e.room, true
	}
	return nil, false
}
