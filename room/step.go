package room

import (
	"context"
	"fmt"

	"liaptui/game"
	"liaptui/monitor"
)

// testHooks let tests in this package block or break a step. Production
// leaves them nil.
type testHooks struct {
	beforeDecide func(r *Room, cmd game.Command)
	afterAppend  func(r *Room, cmd game.Command)
}

// safeStep is step with the actor supervision of observability §9.1: a panic
// answers INTERNAL and rebuilds the room from its stream.
func (r *Room) safeStep(corr string, cmd game.Command, actor string) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.failed(corr, fmt.Errorf("panic in %T: %v", cmd, p))
			out = r.outcome(cmd, nil)
		}
	}()
	return r.step(corr, cmd, actor)
}

// step decides cmd, stores the events (write-ahead), folds them, publishes
// them and re-arms the timers. A rejection or a failed append changes
// nothing.
func (r *Room) step(corr string, cmd game.Command, actor string) (Outcome, error) {
	if h := r.hooks; h != nil && h.beforeDecide != nil {
		h.beforeDecide(r, cmd)
	}
	evs, err := game.Decide(r.state, cmd, game.Env{Now: r.now(), Rand: r.rng})
	if err != nil || len(evs) == 0 {
		r.rearmSpent(cmd)
		return r.outcome(cmd, nil), err
	}
	if err := r.appendEvents(corr, evs, actor); err != nil {
		r.rearmSpent(cmd)
		return r.outcome(cmd, nil), storeError(r.id, err)
	}
	r.storedHead = r.head + int64(len(evs))
	if h := r.hooks; h != nil && h.afterAppend != nil {
		h.afterAppend(r, cmd)
	}
	next := r.state
	committed := make([]Committed, len(evs))
	for i, e := range evs {
		next, err = game.Apply(next, e)
		if err == nil {
			err = game.CheckInvariants(next)
		}
		if err != nil {
			return r.outcome(cmd, nil), r.failed(corr, fmt.Errorf("stored %s does not fold: %w", e.Type(), err))
		}
		committed[i] = Committed{Seq: r.head + int64(i) + 1, Event: e, CorrelationID: corr, State: next}
	}
	r.state, r.head = next, r.storedHead
	r.pub.Publish(r.id, committed, next)
	r.changed()
	return r.outcome(cmd, committed), nil
}

func (r *Room) appendEvents(corr string, evs []game.Event, actor string) error {
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(r.ctx, corr), appendTimeout)
	defer cancel()
	return r.log.AppendEvents(ctx, r.id, r.incarnation, r.head, evs, actor)
}

// changed runs after the state moved: snapshot, timers, the registry's view
// and, for a closed room, the end of the actor.
func (r *Room) changed() {
	r.mu.Lock()
	r.snap, r.snapHead = r.state, r.head
	r.mu.Unlock()
	r.arm(false)
	if r.onChange != nil {
		r.onChange(r, r.state)
	}
	if r.state.Closed {
		r.stop(roomError(game.CodeRoomNotFound, nil, "room %s is closed", r.id))
	}
}
