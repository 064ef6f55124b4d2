package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"liaptui/monitor"
)

// Tests of the store as the monitor's source (observability §1.1, §1.3,
// §2.2), its caches and its counters.

func TestStoreHealthUnderLoad(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock, QueueSize: 32})
	if h := s.StoreHealth(); h != (monitor.StoreHealth{QueueCapacity: 32}) {
		t.Fatalf("idle store: %+v", h)
	}

	release := blockWriter(t, s)
	const queued = 20
	var results []<-chan appendResult
	for i := range queued {
		results = append(results, goAppend(s, roomID(i+1), 1, 0, ev("room_created", `{}`)))
		waitQueued(t, s, i+1)
	}
	clock.Advance(300 * time.Millisecond)
	waitFor(t, func() bool { return s.StoreHealth().OldestQueued != 0 })
	h := s.StoreHealth()
	if h.QueueDepth != queued || h.OldestQueued != 300*time.Millisecond || h.Append.Count != 0 {
		t.Fatalf("20 appends queued 300 ms ago: %+v", h)
	}

	release()
	for i, c := range results {
		if r := receive(t, c, "queued append"); r.err != nil {
			t.Fatalf("append %d: %v", i, r.err)
		}
	}
	h = s.StoreHealth()
	switch {
	case h.QueueDepth != 0 || h.OldestQueued != 0:
		t.Fatalf("drained queue: depth %d oldest %v", h.QueueDepth, h.OldestQueued)
	case h.Append.Count != queued || h.Append.P99Ms != 500 || h.Append.Counts[9] != queued: // (250, 500] ms
		t.Fatalf("20 appends of 300 ms: %+v", h.Append)
	case h.CommitErrors != 0 || h.Degraded || h.Stopped:
		t.Fatalf("after clean commits: %+v", h)
	}
	if ws := s.WriterStats(); *ws.AppendP50Ms != 500 || *ws.AppendP99Ms != 500 {
		t.Fatalf("writer stats p50 %v p99 %v, want 500 500", *ws.AppendP50Ms, *ws.AppendP99Ms)
	}

	// One fast append does not move p99 off the slow ones; the window
	// forgets them all after 60 s.
	appendOK(t, s, roomID(100), 1, 0, ev("room_created", `{}`))
	if h := s.StoreHealth(); h.Append.Count != queued+1 || h.Append.P99Ms != 500 || h.Append.Counts[0] != 1 {
		t.Fatalf("after one instant append: %+v", h.Append)
	}
	clock.Advance(61 * time.Second)
	if h := s.StoreHealth(); h.Append.Count != 0 || h.Append.P99Ms != 0 {
		t.Fatalf("61 s later the window still holds %+v", h.Append)
	}
}

func TestStoreHealthStoppedAfterClose(t *testing.T) {
	s := openTemp(t, Options{})
	if s.StoreHealth().Stopped {
		t.Fatal("a running writer reported stopped")
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.StoreHealth().Stopped {
		t.Fatal("the writer exited but StoreHealth does not say stopped")
	}
}

func TestWakeWhenQueueCrosses80Percent(t *testing.T) {
	hooks := &hookRecorder{}
	s := openTemp(t, Options{Clock: monitor.NewFakeClock(t0), QueueSize: 10, Wake: hooks.wake})
	for round := 1; round <= 2; round++ {
		release := blockWriter(t, s)
		var results []<-chan appendResult
		for i := range 10 {
			results = append(results, goAppend(s, roomID(round*100+i), 1, 0, ev("room_created", `{}`)))
			waitQueued(t, s, i+1)
			if i+1 == 9 {
				waitFor(t, func() bool { return hooks.wakeCount() == round })
			}
		}
		release()
		for _, c := range results {
			if r := receive(t, c, "append"); r.err != nil {
				t.Fatal(r.err)
			}
		}
		// 8 of 10 is not above 80 %; depth 9 and 10 are one crossing; the
		// drained queue re-arms the edge for the next round.
		if n := hooks.wakeCount(); n != round {
			t.Fatalf("round %d: %d wakes in all, want %d", round, n, round)
		}
	}
}

func TestWakeWhenOldestQueuedPasses500ms(t *testing.T) {
	hooks := &hookRecorder{}
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock, Wake: hooks.wake})
	queueFirst := func(stream string) <-chan appendResult {
		c := goAppend(s, stream, 1, 0, ev("room_created", `{}`))
		waitQueued(t, s, 1)
		waitFor(t, func() bool {
			h := s.queueMark.head.Load()
			return h != nil && !h.taken.Load()
		})
		return c
	}
	results := func(cs ...<-chan appendResult) {
		for _, c := range cs {
			if r := receive(t, c, "append"); r.err != nil {
				t.Fatal(r.err)
			}
		}
	}

	// A producer finds the head older than 500 ms.
	release := blockWriter(t, s)
	first := queueFirst(roomID(1))
	clock.Advance(500 * time.Millisecond)
	s.checkOldest(clock.Now())
	if n := hooks.wakeCount(); n != 0 {
		t.Fatal("woken at exactly 500 ms")
	}
	clock.Advance(time.Millisecond)
	second := goAppend(s, roomID(2), 1, 0, ev("room_created", `{}`))
	waitFor(t, func() bool { return hooks.wakeCount() == 1 })
	third := goAppend(s, roomID(3), 1, 0, ev("room_created", `{}`))
	waitQueued(t, s, 3)
	release()
	results(first, second, third)
	if n := hooks.wakeCount(); n != 1 {
		t.Fatalf("%d wakes for one crossing", n)
	}

	// The writer finds it when no producer comes; the drained queue had
	// re-armed the edge.
	release = blockWriter(t, s)
	fourth := queueFirst(roomID(4))
	clock.Advance(501 * time.Millisecond)
	release()
	results(fourth)
	if n := hooks.wakeCount(); n != 2 {
		t.Fatalf("%d wakes after the second crossing, want 2", n)
	}
}

func TestDropCaches(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	for i := range 5 {
		appendOK(t, s, roomID(i), 1, 0, ev("room_created", `{}`))
	}
	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idle := s.reader().Stats().Idle
	if idle == 0 {
		t.Fatal("no idle read connection after reads")
	}
	if dropped := s.DropCaches(); dropped != 1+5+idle {
		t.Fatalf("dropped %d, want the stats answer, 5 heads and %d idle connections", dropped, idle)
	}
	if n := s.reader().Stats().Idle; n != 0 {
		t.Fatalf("%d idle read connections after DropCaches", n)
	}
	if dropped := s.DropCaches(); dropped != 0 {
		t.Fatalf("a second DropCaches dropped %d", dropped)
	}

	// The stats answer is read afresh although its 10 s have not passed,
	// and heads reload from the streams table.
	appendOK(t, s, roomID(0), 1, 1, ev("bot_added", `{}`))
	if _, err := s.Append(ctx, roomID(1), 1, 0, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("append at a stale head after the head cache was dropped: %v", err)
	}
	after, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.TotalEvents != before.TotalEvents+1 {
		t.Fatalf("stats after DropCaches: %d events, want %d", after.TotalEvents, before.TotalEvents+1)
	}
}

func TestCountersAndHooks(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	var appends, commits, committedEvents int
	reads := map[string]int{}
	s := openTemp(t, Options{Clock: clock,
		OnAppend: func(time.Duration) { appends++ },
		OnCommit: func(_ time.Duration, events int) { commits++; committedEvents += events },
		OnRead:   func(op string, _ time.Duration) { reads[op]++ },
	})
	ctx := context.Background()
	now := t0.UnixMilli()
	appendOK(t, s, "K7MPQ3", 1, 0, evAt("room_created", now-10*dayMs), evAt("game_over", now-9*dayMs))
	appendOK(t, s, SystemStream, 0, AnyHead, ev("server_started", `{}`))
	appendOK(t, s, "_canary:7", 0, AnyHead, ev("room_created", `{}`))
	for _, bad := range []struct {
		head int64
		typ  string
	}{{5, "bot_added"}, {2, "no_such_type"}} {
		if _, err := s.Append(ctx, "K7MPQ3", 1, bad.head, []NewEvent{ev(bad.typ, `{}`)}); err == nil {
			t.Fatalf("append of %s at head %d succeeded", bad.typ, bad.head)
		}
	}
	if _, err := s.Cleanup(ctx, CleanupRequest{Cutoff: t0.Add(-7 * 24 * time.Hour), Trigger: TriggerManual, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cleanup(ctx, CleanupRequest{Cutoff: t0.Add(-7 * 24 * time.Hour), Trigger: TriggerManual}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Since(ctx, SystemStream, 0, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(ctx, "_canary:7", 1, func(Stored) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stats(ctx); err != nil {
		t.Fatal(err)
	}

	c := s.Counters()
	// The cleanup appended retention_cleanup.
	if want := map[string]int64{KindRoom: 2, KindSystem: 2, KindCanary: 1}; !equalCounts(c.EventsAppended, want) {
		t.Fatalf("events appended %v, want %v", c.EventsAppended, want)
	}
	want := map[string]int64{"conflict": 1, "fenced": 0, "invalid": 1, "overloaded": 0, "unavailable": 0, "closed": 0, "io": 0}
	if !equalCounts(c.AppendErrors, want) {
		t.Fatalf("append errors %v, want %v", c.AppendErrors, want)
	}
	if want := map[string]int64{TriggerSchedule: 0, TriggerManual: 1}; !equalCounts(c.CleanupRuns, want) || c.CleanupDeletedEvents != 2 {
		t.Fatalf("cleanup runs %v deleted %d, want %v and 2", c.CleanupRuns, c.CleanupDeletedEvents, want)
	}
	// Appends that reached the writer: 4 good and the conflicting one.
	if appends != 5 || commits != 5 || committedEvents != 5 {
		t.Fatalf("hooks: %d appends, %d commits of %d events", appends, commits, committedEvents)
	}
	for _, op := range ReadOps {
		if reads[op] == 0 {
			t.Errorf("no %s read reported (%v)", op, reads)
		}
	}
}

func equalCounts(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if n, ok := got[k]; !ok || n != v {
			return false
		}
	}
	return true
}
