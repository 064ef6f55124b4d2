package room

import (
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"liaptui/game"
)

// panicOn makes the harness's rooms panic while shots remain, for the
// commands match accepts: before Decide, or after the append (after).
func panicOn(shots *atomic.Int32, after bool, match func(game.Command) bool) func(*harness) {
	hook := func(_ string, cmd game.Command) {
		if match(cmd) && shots.Add(-1) >= 0 {
			panic("injected failure")
		}
	}
	return func(h *harness) {
		if after {
			h.opts.Faults = &Faults{AfterAppend: hook}
		} else {
			h.opts.Faults = &Faults{BeforeDecide: func(id string, cmd game.Command, _ *game.State) { hook(id, cmd) }}
		}
	}
}

func isPlayerDecision(cmd game.Command) bool {
	switch cmd.(type) {
	case game.Redeal, game.Declare, game.Play:
		return true
	}
	return false
}

func TestPanicRebuildsTheRoomFromItsStream(t *testing.T) {
	t.Parallel()
	var shots atomic.Int32
	p := newProbe()
	h := newHarness(t, fastConfig(), panicOn(&shots, true, isPlayerDecision), p.attach(true))
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	r := h.room(out.RoomID)
	shots.Store(1)
	_, err = humanMove(t.Context(), h.reg, out.State, 1, "p1", rand.New(rand.NewPCG(1, 1)))
	wantCode(t, err, game.CodeInternal)

	// The panic struck after the append: the rebuilt room holds the
	// command's events although they were never applied live.
	folded, head, err := h.store.Replay(t.Context(), out.RoomID)
	if err != nil {
		t.Fatal(err)
	}
	if head <= out.Head {
		t.Fatalf("stored head %d, was %d", head, out.Head)
	}
	rb := h.pub.rebuilds()
	if len(rb) != 1 || rb[0].room != out.RoomID || rb[0].state != folded || rb[0].head != head {
		t.Fatalf("rebuilt calls %+v", rb)
	}
	if s, liveHead := h.sync(r); s != folded || liveHead != head {
		t.Fatal("the live state is not the fold of the stream")
	}
	if info, _ := h.store.Stream(t.Context(), out.RoomID); info.Incarnation != 2 {
		t.Fatalf("incarnation %d after the rebuild", info.Incarnation)
	}
	if inc, ok := h.reg.Incarnation(out.RoomID); !ok || inc != 2 {
		t.Fatalf("published incarnation %d", inc)
	}
	// What the rest of the server learnt: a wake-up, room_rebuilt with the
	// panic's text, the counters and check 14's window; no recovery trigger.
	wakes, triggers, system, replays := p.snapshot()
	if len(wakes) != 1 || wakes[0] != WakeRoomFault || len(triggers) != 0 || replays[ReplayRebuild] != 1 {
		t.Fatalf("wakes %v triggers %v replays %v", wakes, triggers, replays)
	}
	if len(system) != 1 || system[0].typ != "room_rebuilt" {
		t.Fatalf("system events %+v", system)
	}
	if got := system[0].payload.(roomRebuilt); got.RoomID != out.RoomID || got.Reason != RebuildPanic ||
		got.HeadSeq != head || got.Incarnation != 2 || !strings.Contains(got.Panic, "injected failure") {
		t.Fatalf("room_rebuilt %+v", got)
	}
	if c := h.reg.Counters(); c.ActorPanics != 1 || c.Rebuilds[RebuildPanic] != 1 || c.InvariantFailures != 0 {
		t.Fatalf("counters %+v", c)
	}
	if n := h.reg.RoomCounts(h.clock.Now()); n.Panics != 1 || n.InvariantFailures != 0 {
		t.Fatalf("counts %+v", n)
	}
	if n := h.reg.RoomCounts(h.clock.Now().Add(faultSpan)); n.Panics != 0 {
		t.Fatalf("a panic counted after %s", faultSpan)
	}
	// The room goes on with the new incarnation.
	final := playToEnd(t, h.reg, folded, "p1")
	if again, _, _ := h.store.Replay(t.Context(), out.RoomID); again != final {
		t.Fatal("the fold differs from the live state after the rebuild")
	}
}

func TestRepeatedPanicsCloseTheRoomAsFailed(t *testing.T) {
	t.Parallel()
	var shots atomic.Int32
	isSeat := func(cmd game.Command) bool { _, ok := cmd.(game.SetSeat); return ok }
	p := newProbe()
	h := newHarness(t, fastConfig(), panicOn(&shots, false, isSeat), p.attach(false))
	ctx := t.Context()
	out, err := h.reg.Create(ctx, player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	spread, err := h.reg.Create(ctx, player("p2"), false)
	if err != nil {
		t.Fatal(err)
	}
	shots.Store(1 << 20)
	for i := 1; i <= panicLimit; i++ {
		_, err := h.reg.Seat(ctx, "p1", 2, true)
		wantCode(t, err, game.CodeInternal)
		if _, ok := h.reg.Room(out.RoomID); !ok {
			t.Fatalf("closed after %d panics", i)
		}
	}
	if n := len(h.pub.rebuilds()); n != panicLimit {
		t.Fatalf("%d rebuilds", n)
	}
	r := h.room(out.RoomID)
	_, err = h.reg.Seat(ctx, "p1", 2, true)
	wantCode(t, err, game.CodeInternal)
	waitDone(t, r)
	checkClosedFailed(t, h, out.RoomID, out.Head+1, "p1")
	c, ok := h.pub.lastOfType(out.RoomID, "room_closed")
	if !ok || c.Seq != out.Head+1 || c.Event.Data != (game.RoomClosed{Reason: game.CloseFailed}) {
		t.Fatalf("published room_closed %+v", c)
	}
	_, err = r.Do(ctx, game.SetSeat{PlayerID: "p1", Seat: 2, Bot: true})
	wantCode(t, err, game.CodeRoomNotFound)
	_, _, system, _ := p.snapshot()
	if last := system[len(system)-1]; last.typ != "room_unrecoverable" ||
		last.payload != (roomUnrecoverable{RoomID: out.RoomID, Reason: UnrecoverablePanicked}) || len(system) != panicLimit+1 {
		t.Fatalf("system events %+v", system)
	}

	// Panics spread over more than the window only rebuild.
	for i := 0; i <= panicLimit; i++ {
		_, err := h.reg.Seat(ctx, "p2", 2, true)
		wantCode(t, err, game.CodeInternal)
		h.clock.Advance(panicWindow / 3)
	}
	if _, ok := h.reg.Room(spread.RoomID); !ok {
		t.Fatal("panics spread over more than 10 min closed the room")
	}
	shots.Store(0)
	if _, err := h.reg.Seat(ctx, "p2", 2, true); err != nil {
		t.Fatal(err)
	}
}
