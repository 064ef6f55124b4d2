package events

import (
	"context"
	"testing"
	"time"

	"liaptui/monitor"
)

func TestRetentionRunsOnSchedule(t *testing.T) {
	clock := monitor.NewFakeClock(time.UnixMilli(1_800_000_000_000))
	s := openTemp(t, Options{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	old := clock.Now().Add(-8 * 24 * time.Hour).UnixMilli()
	if _, err := s.Append(ctx, "K7MPQ3", 1, 0, []NewEvent{{Type: "room_created", At: old, Payload: []byte(`{}`)},
		{Type: "room_closed", At: old, Payload: []byte(`{"reason":"empty"}`)}}); err != nil {
		t.Fatal(err)
	}
	r := &Retention{Store: s, Clock: clock, Interval: time.Hour, FirstDelay: 5 * time.Minute, Days: 7}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	waitFor(t, func() bool { return clock.Pending() == 1 })
	if want := clock.Now().Add(5 * time.Minute); !r.NextRun().Equal(want) {
		t.Fatalf("next run %v, want %v", r.NextRun(), want)
	}
	clock.Advance(4 * time.Minute)
	if s.LastCleanup() != nil {
		t.Fatal("cleanup ran before its first delay")
	}
	clock.Advance(time.Minute)
	waitFor(t, func() bool { return s.LastCleanup() != nil && clock.Pending() == 1 })
	if got := s.LastCleanup(); got.DeletedRooms != 1 || got.DeletedEvents != 2 {
		t.Fatalf("first run deleted %+v", got)
	}
	if want := clock.Now().Add(time.Hour); !r.NextRun().Equal(want) {
		t.Fatalf("next run %v, want %v", r.NextRun(), want)
	}
	cancel()
	<-done
}

// waitFor polls a condition another goroutine makes true, for at most 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
