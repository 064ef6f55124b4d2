package room

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"liaptui/events"
	"liaptui/game"
)

// corruptOnce puts seat 1's pieces into seat 2's hand too, in the live state,
// before the next step decided while armed is set.
func corruptOnce(armed *atomic.Bool) func(*harness) {
	return func(h *harness) {
		h.opts.Faults = &Faults{BeforeDecide: func(_ string, _ game.Command, live *game.State) {
			if armed.CompareAndSwap(true, false) {
				live.Seats[1].Hand |= live.Seats[0].Hand
			}
		}}
	}
}

func TestCorruptionTriggersRecoveryAndRebuildRaisesIncarnation(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	p := newProbe()
	h := newHarness(t, fastConfig(), p.attach(true), corruptOnce(&armed))
	ctx := t.Context()
	out, err := h.reg.Create(ctx, player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	old := h.room(out.RoomID)
	armed.Store(true)
	_, err = humanMove(ctx, h.reg, out.State, 1, "p1", rand.New(rand.NewPCG(1, 1)))
	wantCode(t, err, game.CodeInternal)
	if n := len(h.stored(out.RoomID)); n != int(out.Head) {
		t.Fatalf("stored %d events, had %d: events that break the invariants were stored", n, out.Head)
	}
	wakes, triggers, _, _ := p.snapshot()
	if len(triggers) != 1 || len(wakes) != 1 {
		t.Fatalf("triggers %+v wakes %v", triggers, wakes)
	}
	if tr := triggers[0]; tr.procedure != ProcedureRoomCorruption || tr.target != out.RoomID || tr.raisedBy != RaisedByRoom ||
		tr.observed["cause"] != "invariant_failure" {
		t.Fatalf("trigger %+v", tr)
	}
	if n := h.reg.RoomCounts(h.clock.Now()); n.InvariantFailures != 1 || h.reg.Counters().InvariantFailures != 1 {
		t.Fatalf("counts %+v", n)
	}

	res, err := h.reg.Rebuild(ctx, out.RoomID, RebuildCorruption)
	if err != nil || res != (RebuildResult{Rebuilt: 1, HeadSeq: out.Head, Incarnation: 2}) {
		t.Fatalf("rebuild %+v: %v", res, err)
	}
	if inc, ok := h.reg.Incarnation(out.RoomID); !ok || inc != 2 {
		t.Fatalf("incarnation %d", inc)
	}
	if n := h.reg.RoomCounts(h.clock.Now()); n.Playing != 1 || n.HumansConnected != 1 || n.Bots != 3 {
		t.Fatalf("the rebuilt room counts %+v", n)
	}
	waitDone(t, old)
	_, err = old.Do(ctx, game.Leave{PlayerID: "p1"})
	var ge *game.Error
	if !errors.As(err, &ge) || ge.Code != CodeUnavailable || ge.Details["reason"] != ReasonRebuilding ||
		ge.Details["retry_after_ms"] != RebuildRetryAfter {
		t.Fatalf("the replaced actor answers %v", err)
	}
	r := h.room(out.RoomID)
	s, head := h.sync(r)
	folded, _, err := h.store.Replay(ctx, out.RoomID)
	if err != nil || s != folded || head != out.Head || game.CheckInvariants(s) != nil {
		t.Fatalf("the rebuilt room is not the fold of its stream: %v", err)
	}
	if rb := h.pub.rebuilds(); len(rb) != 1 || rb[0].state != folded || rb[0].head != head {
		t.Fatalf("members got %+v", rb)
	}
	_, _, system, replays := p.snapshot()
	if len(system) != 1 || system[0].payload != (roomRebuilt{RoomID: out.RoomID, Reason: RebuildCorruption,
		HeadSeq: head, Incarnation: 2}) || replays[ReplayRebuild] != 1 {
		t.Fatalf("system %+v replays %v", system, replays)
	}
	if c := h.reg.Counters(); c.Rebuilds[RebuildCorruption] != 1 {
		t.Fatalf("counters %+v", c)
	}
	if stuck := h.reg.Stuck(h.clock.Now()); len(stuck) != 0 {
		t.Fatalf("stuck %v", stuck)
	}
	final := playToEnd(t, h.reg, s, "p1")
	if again, _, _ := h.store.Replay(ctx, out.RoomID); again != final {
		t.Fatal("the fold differs from the live state after the rebuild")
	}

	_, err = h.reg.Rebuild(ctx, "ZZZZZZ", RebuildCorruption)
	wantCode(t, err, game.CodeRoomNotFound)
	_, err = h.reg.Rebuild(ctx, out.RoomID, "manual")
	wantCode(t, err, game.CodeInvalidField)
}

func TestCorruptionWithoutRecoveryRebuildsAtOnce(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	p := newProbe()
	h := newHarness(t, fastConfig(), p.attach(false), corruptOnce(&armed))
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	_, err = humanMove(t.Context(), h.reg, out.State, 1, "p1", rand.New(rand.NewPCG(1, 1)))
	wantCode(t, err, game.CodeInternal)
	s, head := h.sync(h.room(out.RoomID))
	if s != out.State || head != out.Head {
		t.Fatal("the room rebuilt in place is not the state before the corruption")
	}
	if inc, _ := h.reg.Incarnation(out.RoomID); inc != 2 {
		t.Fatalf("incarnation %d", inc)
	}
	_, _, system, _ := p.snapshot()
	if len(system) != 1 || system[0].payload.(roomRebuilt).Reason != RebuildCorruption {
		t.Fatalf("system %+v", system)
	}
}

func TestRebuildAbandonsAStuckActor(t *testing.T) {
	t.Parallel()
	p := newProbe()
	h, id, old, release, first := blockedActor(t, p.attach(true))
	type rebuilt struct {
		res RebuildResult
		err error
	}
	done := make(chan rebuilt, 1)
	go func() {
		res, err := h.reg.Rebuild(t.Context(), id, RebuildCorruption)
		done <- rebuilt{res, err}
	}()
	waitFor(t, func() bool { return h.clock.Pending() > 0 }) // Rebuild waits for the old actor
	_, err := h.reg.Seat(t.Context(), "p1", 3, true)
	wantCode(t, err, CodeUnavailable)
	h.clock.Advance(oldActorWait)
	got := <-done
	if got.err != nil || got.res != (RebuildResult{Rebuilt: 1, Abandoned: 1, HeadSeq: 1, Incarnation: 2}) {
		t.Fatalf("rebuild %+v: %v", got.res, got.err)
	}
	r := h.room(id)
	if r == old {
		t.Fatal("the stuck actor still holds the room")
	}

	// Released, the old actor's append is fenced: its command fails, and a
	// fenced append raises no trigger.
	close(release)
	err = <-first
	wantCode(t, err, CodeUnavailable)
	if !errors.Is(err, events.ErrFenced) {
		t.Fatalf("the old actor's append: %v", err)
	}
	waitDone(t, old)
	if s, head := h.sync(r); s.Seats[1].Occupant != game.Open || head != 1 {
		t.Fatalf("head %d, seat 2 %s: the fenced append reached the room", head, s.Seats[1].Occupant)
	}
	if _, triggers, _, _ := p.snapshot(); len(triggers) != 0 {
		t.Fatalf("triggers %+v", triggers)
	}
	if _, err := h.reg.Seat(t.Context(), "p1", 2, true); err != nil {
		t.Fatalf("the rebuilt room refuses commands: %v", err)
	}
}

func TestRebuildClosesARoomWhoseStreamDoesNotFold(t *testing.T) {
	t.Parallel()
	p := newProbe()
	h := newHarness(t, fastConfig(), p.attach(true))
	ctx := t.Context()
	out, err := h.reg.Create(ctx, player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	head := corrupt(t, h.store, out.RoomID, 1)

	// The actor's next append conflicts with the stream: a trigger.
	_, err = humanMove(ctx, h.reg, out.State, 1, "p1", rand.New(rand.NewPCG(1, 1)))
	if wantCode(t, err, CodeUnavailable); !errors.Is(err, events.ErrConflict) {
		t.Fatalf("append: %v", err)
	}
	_, triggers, _, _ := p.snapshot()
	if len(triggers) != 1 || triggers[0].procedure != ProcedureRoomCorruption || triggers[0].observed["cause"] != "append_conflict" {
		t.Fatalf("triggers %+v", triggers)
	}

	res, err := h.reg.Rebuild(ctx, out.RoomID, RebuildCorruption)
	if err != nil || res != (RebuildResult{ClosedFailed: 1, HeadSeq: head + 2, Incarnation: 2}) {
		t.Fatalf("rebuild %+v: %v", res, err)
	}
	checkClosedFailed(t, h, out.RoomID, head+2, "p1")
	if c, ok := h.pub.lastOfType(out.RoomID, "room_closed"); !ok || c.Seq != head+2 {
		t.Fatal("members did not get room_closed")
	}
	_, _, system, _ := p.snapshot()
	if len(system) != 1 || system[0].payload != (roomUnrecoverable{RoomID: out.RoomID, Reason: UnrecoverableFold}) {
		t.Fatalf("system %+v", system)
	}
	if c := h.reg.Counters(); c.GamesFinished[OutcomeFailed] != 1 || c.Rebuilds[RebuildCorruption] != 0 {
		t.Fatalf("counters %+v", c)
	}
	if n := h.reg.RoomCounts(h.clock.Now()); n.Playing != 0 {
		t.Fatalf("counts %+v", n)
	}
}

func TestCloseIdleFinishedClosesFinishedGamesWithoutHumans(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	ctx := t.Context()
	finish := func(host string) Outcome {
		out, err := h.reg.Create(ctx, player(host), true)
		if err != nil {
			t.Fatal(err)
		}
		playToEnd(t, h.reg, out.State, host)
		return out
	}
	idle, watched := finish("p1"), finish("p2")
	if _, err := h.reg.Disconnect(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	playing, err := h.reg.Create(ctx, player("p3"), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Disconnect(ctx, "p3"); err != nil {
		t.Fatal(err)
	}
	r := h.room(idle.RoomID)

	if n := h.reg.CloseIdleFinished(ctx); n != 1 {
		t.Fatalf("closed %d rooms", n)
	}
	waitDone(t, r)
	if c, ok := h.pub.lastOfType(idle.RoomID, "room_closed"); !ok || c.Event.Data != (game.RoomClosed{Reason: game.CloseAbandoned}) {
		t.Fatalf("room_closed %+v", c)
	}
	for _, id := range []string{watched.RoomID, playing.RoomID} {
		if _, ok := h.reg.Room(id); !ok {
			t.Fatalf("room %s was closed", id)
		}
	}
	if c := h.reg.Counters(); c.GamesFinished[OutcomeCompleted] != 2 || c.GamesFinished[OutcomeAbandoned] != 0 {
		t.Fatalf("a game closed after game over counted twice: %+v", c.GamesFinished)
	}
	if n := h.reg.CloseIdleFinished(ctx); n != 0 {
		t.Fatalf("closed %d rooms the second time", n)
	}
}

func TestCloseRoom(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	err = h.reg.CloseRoom(t.Context(), out.RoomID, game.CloseAbandoned)
	wantCode(t, err, game.CodeInvalidField) // not abandoned: a human is connected
	if err := h.reg.CloseRoom(t.Context(), out.RoomID, game.CloseFailed); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.reg.Room(out.RoomID); ok {
		t.Fatal("the closed room is live")
	}
	if c := h.reg.Counters(); c.GamesFinished[OutcomeFailed] != 1 {
		t.Fatalf("counters %+v", c.GamesFinished)
	}
	err = h.reg.CloseRoom(t.Context(), out.RoomID, game.CloseFailed)
	wantCode(t, err, game.CodeRoomNotFound)
}
