package room

import (
	"slices"
	"testing"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

func TestRoomCountsReadsEveryLiveGameRoom(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	ctx := t.Context()
	if n := h.reg.RoomCounts(h.clock.Now()); n != (monitor.RoomCounts{}) {
		t.Fatalf("empty registry counts %+v", n)
	}
	// waiting: p1 connected, p2 away, a bot
	w, err := h.reg.Create(ctx, player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Join(ctx, w.RoomID, player("p2")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Seat(ctx, "p1", 3, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Disconnect(ctx, "p2"); err != nil {
		t.Fatal(err)
	}
	// playing: p3 and three bots
	if _, err := h.reg.Create(ctx, player("p3"), true); err != nil {
		t.Fatal(err)
	}
	// finished: p4 and three bots
	f, err := h.reg.Create(ctx, player("p4"), true)
	if err != nil {
		t.Fatal(err)
	}
	playToEnd(t, h.reg, f.State, "p4")
	// closed: gone
	if _, err := h.reg.Create(ctx, player("p5"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Leave(ctx, "p5"); err != nil {
		t.Fatal(err)
	}
	// a canary room, still playing: excluded
	if _, err := h.reg.createCanary(ctx, "_canary:1", 1, game.DefaultConfig(), &canaryRecorder{}); err != nil {
		t.Fatal(err)
	}

	got := h.reg.RoomCounts(h.clock.Now())
	want := monitor.RoomCounts{Waiting: 1, Playing: 1, Finished: 1, HumansConnected: 3, HumansAway: 1, Bots: 7}
	if got != want {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	c := h.reg.Counters()
	if c.GamesStarted != 2 || c.GamesFinished[OutcomeCompleted] != 1 || c.EventsAppended["game_over"] != 1 ||
		c.EventsAppended["room_created"] != 4 || c.EventsAppended["room_closed"] != 1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestStuckRoomWithABlockedActor(t *testing.T) {
	t.Parallel()
	h, id, r, release, first := blockedActor(t)
	defer func() {
		close(release)
		<-first
	}()
	queued := r.Progress().MailboxOldestAt
	if queued.IsZero() || !r.Progress().NextDeadlineAt.IsZero() {
		t.Fatalf("progress %+v: the command in progress is not the oldest message", r.Progress())
	}
	h.clock.Advance(stuckAfter - h.clock.Now().Sub(queued))
	if n := h.reg.RoomCounts(h.clock.Now()).Stuck; n != 0 || len(h.reg.Stuck(h.clock.Now())) != 0 {
		t.Fatalf("stuck after exactly %s", stuckAfter)
	}
	h.clock.Advance(time.Millisecond)
	if n := h.reg.RoomCounts(h.clock.Now()).Stuck; n != 1 || !slices.Equal(h.reg.Stuck(h.clock.Now()), []string{id}) {
		t.Fatalf("%d stuck, list %v", n, h.reg.Stuck(h.clock.Now()))
	}
}

func TestStuckRoomWithADeadlineNotHandled(t *testing.T) {
	t.Parallel()
	cfg := game.DefaultConfig()
	h, r, out, failing := flakyRoundStart(t)
	if got := r.Progress().NextDeadlineAt; got != time.UnixMilli(int64(out.State.Deadline)) {
		t.Fatalf("published deadline %v, state's %d", got, out.State.Deadline)
	}
	stuck := func() bool { return slices.Contains(h.reg.Stuck(h.clock.Now()), out.RoomID) }

	// The store refuses the expiry's events: the deadline stays passed and
	// unhandled while the room retries.
	failing.Store(true)
	h.advance(r, ms(cfg.RoundStartPauseMs)+stuckAfter)
	if stuck() {
		t.Fatalf("stuck %s after the deadline", stuckAfter)
	}
	h.advance(r, 100*time.Millisecond)
	if !stuck() {
		t.Fatal("not stuck when the deadline passed more than 10 s ago")
	}
	if last := r.Progress().LastProgressAt; h.clock.Now().Sub(last) >= retryDelay {
		t.Fatalf("last progress %v, now %v: the retries are progress", last, h.clock.Now())
	}
	failing.Store(false)
	if s := h.advance(r, retryDelay); s.Phase != game.PhaseDeclaration || stuck() {
		t.Fatalf("phase %s, stuck %v after the store came back", s.Phase, stuck())
	}
}

func TestFaultWindowKeepsFiveMinutes(t *testing.T) {
	t.Parallel()
	var w faultWindow
	start := testStart
	w.add(&w.panics, start)
	w.add(&w.invariants, start.Add(time.Minute))
	w.add(&w.panics, start.Add(2*time.Minute))
	for _, tc := range []struct {
		at               time.Duration
		invariant, panic int
	}{
		{2 * time.Minute, 1, 2},
		{faultSpan - time.Millisecond, 1, 2},
		{faultSpan, 1, 1},
		{faultSpan + time.Minute, 0, 1},
		{faultSpan + 2*time.Minute, 0, 0},
	} {
		if inv, pan := w.counts(start.Add(tc.at)); inv != tc.invariant || pan != tc.panic {
			t.Errorf("at +%s: %d invariant failures, %d panics; want %d, %d", tc.at, inv, pan, tc.invariant, tc.panic)
		}
	}
	for i := range faultCap + 10 {
		w.add(&w.invariants, start.Add(3*time.Minute+time.Duration(i)))
	}
	if inv, _ := w.counts(start.Add(4 * time.Minute)); inv != faultCap {
		t.Fatalf("%d invariant failures kept, cap %d", inv, faultCap)
	}
}
