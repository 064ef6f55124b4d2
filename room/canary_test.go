package room

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"liaptui/game"
	"liaptui/monitor"
)

func TestCanaryPlaysAHiddenGame(t *testing.T) {
	t.Parallel()
	p := newProbe()
	h := newHarness(t, fastConfig(), p.attach(true))
	if err := h.reg.RunCanary(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	const id = "_canary:1"
	stored := h.stored(id)
	if len(stored) == 0 || stored[0].Type != "room_created" || stored[len(stored)-1].Type != "game_over" {
		t.Fatalf("stored %d events", len(stored))
	}
	if !strings.Contains(string(stored[0].Payload), `"host":null`) {
		t.Fatalf("room_created %s", stored[0].Payload)
	}
	if h.reg.HasActor(id) || len(h.reg.Summaries()) != 0 || len(h.pub.events(id)) != 0 {
		t.Fatal("the canary room is visible")
	}
	if n := h.reg.RoomCounts(h.clock.Now()); n != (monitor.RoomCounts{}) {
		t.Fatalf("counts %+v", n)
	}
	if c := h.reg.Counters(); c.GamesStarted != 0 || len(c.EventsAppended) != 0 {
		t.Fatalf("counters %+v", c)
	}
	if _, _, _, replays := p.snapshot(); replays[ReplayCanary] != 1 {
		t.Fatalf("replays %v", replays)
	}
	err := h.reg.RunCanary(t.Context(), 1)
	if err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("a repeated run number: %v", err)
	}
}

func TestCanaryReportsAnInjectedViolation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		event string
		want  string
	}{
		{"score rule", "round_scored", "rules §14 give"},
		{"live state differs from the fold", "game_over", "fold of the stored events differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var armed atomic.Bool
			armed.Store(true)
			h := newHarness(t, fastConfig(), func(h *harness) {
				h.opts.Faults = &Faults{AfterApply: func(id string, ev game.Event, next *game.State) {
					if strings.HasPrefix(id, "_canary:") && ev.Type() == tc.event && armed.CompareAndSwap(true, false) {
						next.Seats[0].Score++
					}
				}}
			})
			err := h.reg.RunCanary(t.Context(), 5)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "canary run 5") {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestCanaryTimesOutWithoutGameOver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, game.DefaultConfig()) // slow: the clock never moves, so the game never ends
	r, err := h.reg.createCanary(t.Context(), "_canary:9", 9, game.DefaultConfig(), &canaryRecorder{})
	if err != nil {
		t.Fatal(err)
	}
	h.sync(r) // the actor has armed its timers and waits: the count holds still
	pending := h.clock.Pending()
	done := make(chan error, 1)
	go func() { done <- h.reg.awaitCanary(t.Context(), r) }()
	waitFor(t, func() bool { return h.clock.Pending() > pending })
	h.clock.Advance(canaryTimeout) // 30 s of play is far from a whole game
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	waitDone(t, r)
	if h.reg.HasActor("_canary:9") {
		t.Fatal("a timed-out canary room is still live")
	}
}
