package room

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
)

// safeStep is step with the actor supervision of observability §9.1: a panic
// answers INTERNAL and rebuilds the room from its stream. Every command
// (timer steps aside) gets its one game log line.
func (r *Room) safeStep(corr string, cmd game.Command, actor string) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			ctx := monitor.WithCorrelationID(r.ctx, corr)
			if !r.canary {
				r.sig.panicked(ctx, r.id, p, debug.Stack())
			}
			err = r.failed(corr, RebuildPanic, fmt.Errorf("panic in %T: %v", cmd, p))
			out = r.outcome(cmd, nil)
		}
		r.sig.logCommand(monitor.WithCorrelationID(r.ctx, corr), r.id, cmd, out.Seat, len(out.Events), err)
	}()
	return r.step(corr, cmd, actor)
}

// step decides cmd, applies the events to a copy of the state and checks the
// invariants after each, stores them (write-ahead), then makes the copy the
// room's state, publishes the events and re-arms the timers. A rejection, a
// failed check or a failed append changes nothing, and nothing that fails
// the check is ever stored.
func (r *Room) step(corr string, cmd game.Command, actor string) (Outcome, error) {
	r.sig.opts.Faults.beforeDecide(r.id, cmd, &r.state)
	evs, err := game.Decide(r.state, cmd, game.Env{Now: r.now(), Rand: r.rng})
	if err != nil || len(evs) == 0 {
		r.rearmSpent(cmd)
		return r.outcome(cmd, nil), err
	}
	committed, err := r.fold(corr, evs)
	if err != nil {
		r.rearmSpent(cmd)
		return r.outcome(cmd, nil), r.corrupted(corr, err)
	}
	if err := r.appendEvents(corr, evs, actor); err != nil {
		r.rearmSpent(cmd)
		r.appendFailed(corr, err)
		return r.outcome(cmd, nil), storeError(r.id, err)
	}
	r.storedHead = r.head + int64(len(evs))
	r.sig.opts.Faults.afterAppend(r.id, cmd)
	r.commit(committed)
	return r.outcome(cmd, committed), nil
}

// fold applies evs after the room's state, checking the invariants after
// every event (observability §5.3).
func (r *Room) fold(corr string, evs []game.Event) ([]Committed, error) {
	next := r.state
	committed := make([]Committed, len(evs))
	for i, e := range evs {
		var err error
		next, err = game.Apply(next, e)
		if err == nil {
			r.sig.opts.Faults.afterApply(r.id, e, &next)
			err = game.CheckInvariants(next)
		}
		if err != nil {
			return nil, fmt.Errorf("%s (seq %d) does not fold: %w", e.Type(), r.head+int64(i)+1, err)
		}
		committed[i] = Committed{Seq: r.head + int64(i) + 1, Event: e, CorrelationID: corr, State: next}
	}
	return committed, nil
}

// commit makes stored and checked events the room's: state, head, counters,
// publication, timers.
func (r *Room) commit(committed []Committed) {
	if !r.canary {
		r.sig.counters.stored(r.state, committed)
	}
	last := committed[len(committed)-1]
	r.state, r.head = last.State, last.Seq
	// Readers woken by the publication (the lobby pusher) see the new state.
	r.publishState()
	if !r.retired.Load() {
		r.pub.Publish(r.id, committed, r.state)
	}
	r.changed()
}

// corrupted handles a step whose events do not fold onto the live state or
// break an invariant: the live state (or the game) is wrong, the stream is
// not. The room asks recovery for a rebuild when it can, else it rebuilds
// itself at once. The command gets INTERNAL.
func (r *Room) corrupted(corr string, cause error) error {
	ctx := monitor.WithCorrelationID(r.ctx, corr)
	if !r.canary {
		r.sig.invariantFailed(ctx, r.id, cause)
	}
	if r.canary || !r.sig.canRecover() || r.storedHead == 0 { // nothing stored: no room to recover
		return r.failed(corr, RebuildCorruption, cause)
	}
	if !r.retired.Load() {
		r.sig.raiseCorruption(ctx, r.id, map[string]any{"room_id": r.id, "cause": "invariant_failure",
			"error": cause.Error(), "head_seq": r.head, "incarnation": r.incarnation})
	}
	return internalError(r.id, cause)
}

// appendFailed raises room_state_corruption when the store refused the
// current actor's append because the stream is not what the actor believes
// (observability §5.1 trigger (c)). A fenced actor is an abandoned one: its
// replacement runs already.
func (r *Room) appendFailed(corr string, err error) {
	if r.canary || !r.sig.canRecover() || r.retired.Load() || errors.Is(err, events.ErrFenced) {
		return
	}
	var cause string
	switch {
	case errors.Is(err, events.ErrConflict):
		cause = "append_conflict"
	case isConstraint(err):
		cause = "append_constraint"
	default:
		return
	}
	r.sig.raiseCorruption(monitor.WithCorrelationID(r.ctx, corr), r.id, map[string]any{"room_id": r.id,
		"cause": cause, "error": err.Error(), "head_seq": r.head, "incarnation": r.incarnation})
}

// sqliteConstraint is SQLite's primary result code SQLITE_CONSTRAINT; the
// driver's errors report it through Code() (extended codes keep it in the
// low byte).
const sqliteConstraint = 19

func isConstraint(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == sqliteConstraint
}

func (r *Room) appendEvents(corr string, evs []game.Event, actor string) error {
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(r.ctx, corr), appendTimeout)
	defer cancel()
	return r.log.AppendEvents(ctx, r.id, r.incarnation, r.head, evs, actor)
}

// publishState makes the state readable without the actor: snapshot, gauge.
func (r *Room) publishState() {
	r.mu.Lock()
	r.snap, r.snapHead = r.state, r.head
	r.mu.Unlock()
	r.gauge.Store(gaugeOf(r.state))
}

// changed runs after the state moved: snapshot, gauge, timers, the
// registry's view and, for a closed room, the end of the actor.
func (r *Room) changed() {
	r.publishState()
	r.arm(false)
	if r.onChange != nil {
		r.onChange(r, r.state)
	}
	if r.state.Closed {
		r.stop(roomError(game.CodeRoomNotFound, nil, "room %s is closed", r.id))
	}
}
