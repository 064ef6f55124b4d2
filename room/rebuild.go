package room

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// Actor supervision (observability §5.3, §9.1).
const (
	panicLimit     = 3                // more actor panics than this within panicWindow
	panicWindow    = 10 * time.Minute // close the room as failed
	rebuildTimeout = 10 * time.Second // fence + replay of one room
)

// failed handles a failure of the actor inside a step: a panic, or (without
// a recovery manager) a step that broke the invariants. The actor rebuilds
// its room in place: it fences the stream, replays it and goes on with the
// new incarnation (members get Publisher.Rebuilt, _system room_rebuilt). A
// stream that does not fold, or more than panicLimit panics within
// panicWindow, close the room as failed; a fence the store refuses leaves the
// room as it was. The command that failed gets INTERNAL.
func (r *Room) failed(corr, trigger string, cause error) error {
	err := internalError(r.id, cause)
	now := r.clock.Now()
	if trigger == RebuildPanic {
		r.failures = slices.DeleteFunc(r.failures, func(t time.Time) bool { return now.Sub(t) >= panicWindow })
		r.failures = append(r.failures, now)
	}
	if r.storedHead == 0 || r.retired.Load() {
		return err // nothing stored (a failed create), or replaced already
	}
	r.rebuilding.Store(true)
	defer r.rebuilding.Store(false)
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(r.ctx, corr), rebuildTimeout)
	defer cancel()
	inc, ferr := r.log.FenceRoom(ctx, r.id)
	if ferr != nil {
		r.sig.log.ErrorContext(ctx, "room rebuild: fence failed", "category", "error", "component", "room",
			"correlation_id", corr, "room_id", r.id, "error", ferr.Error())
		return err
	}
	r.setIncarnation(inc)
	good, goodHead, rerr := r.replay(ctx, ReplayRebuild)
	switch {
	case rerr != nil:
		r.closeUnrecoverable(ctx, corr, good, goodHead, rerr)
	case trigger == RebuildPanic && len(r.failures) > panicLimit:
		r.reportUnrecoverable(ctx, UnrecoverablePanicked, cause)
		r.closeFailed(corr, r.state, r.head, true)
	default:
		r.changed()
		if !r.retired.Load() {
			r.pub.Rebuilt(r.id, r.state, r.head)
		}
		if !r.canary {
			panicText := ""
			if trigger == RebuildPanic {
				panicText = cause.Error()
			}
			r.sig.rebuilt(ctx, r.id, trigger, r.head, r.incarnation, panicText)
		}
	}
	return err
}

func (r *Room) setIncarnation(inc int64) {
	r.incarnation = inc
	r.published.incarnation.Store(inc)
}

// replay folds the stream into the room. On a replay error it returns the
// last state that folded (or the one that broke an invariant) and its seq,
// and leaves the room as it was.
func (r *Room) replay(ctx context.Context, reason string) (game.State, int64, error) {
	start := r.clock.Now()
	s, head, err := r.log.ReplayRoom(ctx, r.id)
	r.sig.replayed(reason, r.clock.Now().Sub(start))
	if err != nil {
		return s, head, fmt.Errorf("replay room %s: %w", r.id, err)
	}
	r.state, r.head, r.storedHead = s, head, head
	r.publishState()
	return s, head, nil
}

// closeUnrecoverable closes a room whose stream did not replay (rules §18:
// failed) and reports why.
func (r *Room) closeUnrecoverable(ctx context.Context, corr string, good game.State, goodHead int64, cause error) {
	reason := unrecoverableReason(good, cause)
	if reason == UnrecoverableInvalid && !r.canary {
		r.sig.invariantFailed(ctx, r.id, cause)
	}
	r.reportUnrecoverable(ctx, reason, cause)
	r.closeFailed(corr, good, goodHead, false)
}

func (r *Room) reportUnrecoverable(ctx context.Context, reason string, cause error) {
	if !r.canary {
		r.sig.unrecoverable(ctx, r.id, reason, cause)
	}
}

// unrecoverableReason classifies a replay error for room_unrecoverable; the
// replay returns the state that broke an invariant, or the last one that
// folded when an event did not fit.
func unrecoverableReason(s game.State, cause error) string {
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return UnrecoverableTimeout
	case game.CheckInvariants(s) != nil:
		return UnrecoverableInvalid
	}
	return UnrecoverableFold
}

// closeFailed appends room_closed {reason: failed} (rules §18) after good,
// the last state that folded, and ends the room. exact says goodHead is the
// stream's head; otherwise the head is read (RoomInfoReader) or guessed. If
// no append succeeds the room still ends here; its stream stays live and the
// next start tries again.
func (r *Room) closeFailed(corr string, good game.State, goodHead int64, exact bool) {
	if good.Closed {
		r.state, r.head = good, goodHead
		r.changed()
		return
	}
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(r.ctx, corr), appendTimeout)
	defer cancel()
	env := game.Env{Now: r.now(), Rand: r.rng}
	evs, err := game.Decide(good, game.Close{Reason: game.CloseFailed}, env)
	if err != nil { // good is not a room (the first event did not fold)
		evs = []game.Event{{At: env.Now, Data: game.RoomClosed{Reason: game.CloseFailed}}}
	}
	closed := closedState(good, evs)
	heads := []int64{goodHead}
	if !exact {
		heads = r.headCandidates(ctx, goodHead)
	}
	r.state, r.head = closed, goodHead
	for _, head := range heads {
		if r.log.AppendEvents(ctx, r.id, r.incarnation, head, evs, ActorSystem) != nil {
			continue
		}
		r.head, r.storedHead = head+1, head+1
		c := []Committed{{Seq: head + 1, Event: evs[0], CorrelationID: corr, State: closed}}
		if !r.canary {
			r.sig.counters.stored(good, c)
		}
		if !r.retired.Load() {
			r.pub.Publish(r.id, c, closed)
		}
		break
	}
	r.changed()
}

// headCandidates are the heads a corrupt stream may have: the stored head
// when the log can read it, else the seq of the event that did not fold (the
// usual last one), the highest head this actor stored, and goodHead. An
// append at a wrong head only conflicts, so trying them is safe.
func (r *Room) headCandidates(ctx context.Context, goodHead int64) []int64 {
	if ir, ok := r.log.(RoomInfoReader); ok {
		if head, _, err := ir.RoomInfo(ctx, r.id); err == nil {
			return []int64{head}
		}
	}
	heads := []int64{goodHead + 1}
	if r.storedHead > goodHead+1 {
		heads = append(heads, r.storedHead)
	}
	return append(heads, goodHead)
}

// closedState is good after evs (a room_closed); a state that is no room
// is marked closed by hand.
func closedState(good game.State, evs []game.Event) game.State {
	s := good
	var err error
	for _, e := range evs {
		if s, err = game.Apply(s, e); err != nil {
			s = good
			s.Closed, s.CloseReason = true, game.CloseFailed
			s.Deadline, s.AbandonDeadline = 0, 0
			for i := range s.Seats {
				s.Seats[i].GraceDeadline = 0
			}
			return s
		}
	}
	return s
}
