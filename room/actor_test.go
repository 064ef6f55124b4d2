package room

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
)

func TestQuickPlayFastRunsToHumanDecision(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	ctx := monitor.WithCorrelationID(t.Context(), "c0ffee0000000001")
	out, err := h.reg.Create(ctx, player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RoomID) != idLength || strings.Trim(out.RoomID, idAlphabet) != "" || out.Seat != 1 {
		t.Fatalf("room id %q seat %d", out.RoomID, out.Seat)
	}
	if !owes(out.State, 1) {
		t.Fatalf("phase %s: seat 1 owes nothing", out.State.Phase)
	}
	if out.Head != int64(len(out.Events)) || out.Events[0].Event.Type() != "room_created" {
		t.Fatalf("head %d with %d events, first %s", out.Head, len(out.Events), out.Events[0].Event.Type())
	}
	h.checkPublishedEqualsStored(out.RoomID)
	for _, c := range h.pub.events(out.RoomID) {
		if c.CorrelationID != "c0ffee0000000001" {
			t.Fatalf("event %d has correlation %q", c.Seq, c.CorrelationID)
		}
	}
	if s, head := h.room(out.RoomID).Snapshot(); s != out.State || head != out.Head {
		t.Fatal("snapshot differs from the outcome")
	}
	if id, ok := h.reg.MemberRoom("p1"); !ok || id != out.RoomID {
		t.Fatalf("membership %q %v", id, ok)
	}
}

func TestHumanPlaysWholeFastGame(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	final := playToEnd(t, h.reg, out.State, "p1")
	h.checkPublishedEqualsStored(out.RoomID)
	folded, head, err := h.store.Replay(t.Context(), out.RoomID)
	if err != nil {
		t.Fatal(err)
	}
	if folded != final {
		t.Fatal("the fold of the stored stream differs from the live state")
	}
	if s, liveHead := h.sync(h.room(out.RoomID)); s != final || liveHead != head {
		t.Fatalf("live head %d, stored %d", liveHead, head)
	}
	for _, c := range h.pub.events(out.RoomID) {
		if p, ok := c.Event.Data.(game.Played); ok && p.By == game.ByTimeout {
			t.Fatalf("a timeout fired without the clock moving: %+v", p)
		}
	}
}

func TestFailedAppendChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	out, err := h.reg.Create(t.Context(), player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	r := h.room(out.RoomID)
	if err := h.store.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = h.reg.Seat(t.Context(), "p1", 2, true)
	wantCode(t, err, CodeUnavailable)
	if !errors.Is(err, events.ErrClosed) {
		t.Fatalf("error %v does not wrap the store's", err)
	}
	var ge *game.Error
	if !errors.As(err, &ge) || ge.Details["reason"] != ReasonStore {
		t.Fatalf("details of %v", err)
	}
	if s, head := h.sync(r); s != out.State || head != out.Head {
		t.Fatalf("state moved: head %d, was %d", head, out.Head)
	}
	if n := len(h.pub.events(out.RoomID)); n != int(out.Head) {
		t.Fatalf("published %d events, want %d", n, out.Head)
	}
}

func TestRejectionIsTheGamesError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	out, err := h.reg.Create(t.Context(), player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.reg.Start(t.Context(), "p1")
	wantCode(t, err, game.CodeSeatsNotFilled)
	_, err = h.reg.Declare(t.Context(), "p1", 2)
	wantCode(t, err, game.CodeWrongPhase)
	if s, head := h.sync(h.room(out.RoomID)); s != out.State || head != out.Head {
		t.Fatal("a rejection changed the room")
	}
}

// blockedActor creates a waiting room for p1 and runs the seat command
// "bot in seat 2", holding the actor inside it until release is closed;
// first yields that command's error. mods adjust the harness.
func blockedActor(t *testing.T, mods ...func(*harness)) (h *harness, roomID string, r *Room, release chan struct{}, first chan error) {
	t.Helper()
	var blocking atomic.Bool
	entered := make(chan struct{})
	release = make(chan struct{})
	h = newHarness(t, fastConfig(), append(mods, func(h *harness) {
		h.opts.Faults = &Faults{BeforeDecide: func(_ string, cmd game.Command, _ *game.State) {
			if _, ok := cmd.(game.SetSeat); ok && blocking.CompareAndSwap(true, false) {
				close(entered)
				<-release
			}
		}}
	})...)
	out, err := h.reg.Create(t.Context(), player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	r = h.room(out.RoomID)
	blocking.Store(true)
	first = make(chan error, 1)
	go func() {
		_, err := h.reg.Seat(t.Context(), "p1", 2, true)
		first <- err
	}()
	<-entered // the actor is inside the first command
	return h, out.RoomID, r, release, first
}

func TestFullInboxIsUnavailable(t *testing.T) {
	t.Parallel()
	h, _, r, release, first := blockedActor(t, func(h *harness) { h.opts.InboxSize = 1 })
	queued := message{ctx: t.Context(), cmd: game.SetSeat{PlayerID: "p1", Seat: 3, Bot: true}, actor: "p1",
		corr: monitor.NewCorrelationID(), reply: make(chan result, 1)}
	if err := r.enqueue(queued); err != nil {
		t.Fatal(err)
	}
	_, err := h.reg.Seat(t.Context(), "p1", 4, true)
	wantCode(t, err, CodeUnavailable)
	var ge *game.Error
	if !errors.As(err, &ge) || ge.Details["reason"] != ReasonQueueFull {
		t.Fatalf("details of %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if res := <-queued.reply; res.err != nil || res.out.State.Seats[2].Occupant != game.Bot {
		t.Fatalf("queued command: %v", res.err)
	}
	if s, _ := h.sync(r); s.Seats[3].Occupant != game.Open {
		t.Fatal("the refused command ran")
	}
}

func TestCloseFinishesTheStepInProgress(t *testing.T) {
	t.Parallel()
	h, roomID, r, release, first := blockedActor(t)
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- h.reg.Close(ctx)
	}()
	waitFor(t, func() bool {
		h.reg.mu.Lock()
		defer h.reg.mu.Unlock()
		return h.reg.closing
	})
	_, err := h.reg.Seat(t.Context(), "p1", 3, true)
	wantCode(t, err, CodeUnavailable)
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the command in progress failed: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	waitDone(t, r)
	_, err = r.Do(t.Context(), game.SetSeat{PlayerID: "p1", Seat: 4, Bot: true})
	wantCode(t, err, CodeUnavailable)
	if got := h.stored(roomID); got[len(got)-1].Type != "bot_added" || len(got) != 2 {
		t.Fatalf("stored %d events", len(got))
	}
}

func TestCloseStopsActorsAndTimers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, game.DefaultConfig())
	var rooms []*Room
	for _, p := range []string{"p1", "p2", "p3"} {
		out, err := h.reg.Create(t.Context(), player(p), true)
		if err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, h.room(out.RoomID))
	}
	if h.clock.Pending() == 0 {
		t.Fatal("slow quick-play rooms armed no timer")
	}
	if err := h.reg.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		waitDone(t, r)
	}
	if n := h.clock.Pending(); n != 0 {
		t.Fatalf("%d timers still armed", n)
	}
	_, err := h.reg.Create(t.Context(), player("p4"), false)
	wantCode(t, err, CodeUnavailable)
}

// waitFor polls cond until it holds, failing after a bounded wait.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		runtime.Gosched()
	}
}
