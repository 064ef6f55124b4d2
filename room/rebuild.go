package room

import (
	"context"
	"fmt"
	"slices"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// Actor supervision (observability §5.3, §9.1).
const (
	panicLimit     = 3                // more actor failures than this within panicWindow
	panicWindow    = 10 * time.Minute // close the room as failed
	rebuildTimeout = 10 * time.Second // fence + replay of one room
)

// failed handles a failure of the actor inside a step: a panic, or stored
// events that do not fold. The room fences its stream, replays it and goes on
// with the new incarnation (members get Publisher.Rebuilt); a stream that
// does not fold, or more than panicLimit failures within panicWindow, close
// the room as failed. The command that failed gets INTERNAL.
func (r *Room) failed(corr string, cause error) error {
	err := internalError(r.id, cause)
	now := r.clock.Now()
	r.failures = slices.DeleteFunc(r.failures, func(t time.Time) bool { return now.Sub(t) >= panicWindow })
	r.failures = append(r.failures, now)
	if r.storedHead == 0 {
		return err // nothing stored: the room never existed (a failed create)
	}
	r.rebuilding.Store(true)
	defer r.rebuilding.Store(false)
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(r.ctx, corr), rebuildTimeout)
	defer cancel()
	good, goodHead, rerr := r.reload(ctx)
	switch {
	case rerr != nil:
		r.closeFailed(corr, good, goodHead, false)
	case len(r.failures) > panicLimit:
		r.closeFailed(corr, r.state, r.head, true)
	default:
		r.changed()
		r.pub.Rebuilt(r.id, r.state, r.head)
	}
	return err
}

// reload fences the stream and folds it into the actor. On a replay error it
// returns the last state that folded and its seq, and leaves the actor as it
// was apart from the new incarnation.
func (r *Room) reload(ctx context.Context) (game.State, int64, error) {
	inc, err := r.log.FenceRoom(ctx, r.id)
	if err != nil {
		return r.state, r.head, fmt.Errorf("fence room %s: %w", r.id, err)
	}
	r.incarnation = inc
	s, head, err := r.log.ReplayRoom(ctx, r.id)
	if err != nil {
		return s, head, fmt.Errorf("replay room %s: %w", r.id, err)
	}
	r.state, r.head, r.storedHead = s, head, head
	return s, head, nil
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
		r.pub.Publish(r.id, []Committed{{Seq: head + 1, Event: evs[0], CorrelationID: corr, State: closed}}, closed)
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
