package ws

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/room"
)

// BenchmarkPublishGame publishes the events of one full fast game to its
// four connected members over loopback sockets, batch by batch as the room
// commits them, then waits until every member read every frame. ns/event
// is the publishing (render, redact, encode, queue) while the writers and
// the clients run, as they do in production; allocs/event and B/event are
// the whole process's, writers and clients included.
func BenchmarkPublishGame(b *testing.B) {
	cfg := testConfig()
	cfg.QueueSize = 1 << 14 // a whole game's frames, queued faster than written
	env := newHubEnv(b, cfg, fastGame(), nil)
	ctx := context.Background()
	var received atomic.Int64
	for seat := 1; seat <= 4; seat++ {
		player, token := fmt.Sprintf("p%d", seat), fmt.Sprintf("benchtoken%d", seat)
		if err := env.store.CreateIdentity(ctx, player, fmt.Sprintf("Seat %d", seat), token); err != nil {
			b.Fatal(err)
		}
		c := env.dial(nil)
		c.call("hello", map[string]any{"token": token})
		go func() {
			for {
				_, r, err := c.ws.NextReader()
				if err != nil {
					return
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					return
				}
				received.Add(1)
			}
		}()
	}
	batches := seatedBatches(matchCommits(b, 1))
	events := countEvents(batches)
	publish := func() {
		for _, batch := range batches {
			env.hub.Publish(matchRoomID, batch, batch[len(batch)-1].State)
		}
	}
	drained := func(want int64) {
		waitFor(b, 30*time.Second, "the members to read the game", func() bool { return received.Load() >= want })
	}
	publish() // warm up: connections, queues and buffers
	drained(int64(4 * events))
	b.ResetTimer()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range b.N {
		publish()
		b.StopTimer()
		drained(int64(4 * events * (i + 2)))
		b.StartTimer()
	}
	runtime.ReadMemStats(&after)
	per := float64(b.N * events)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/event")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/event")
	b.ReportMetric(float64(events), "events/game")
}

// seatedBatches drops the batches before all four seats are taken, so that
// every member receives every published event, game after game.
func seatedBatches(batches [][]room.Committed) [][]room.Committed {
	for i, b := range batches {
		if len(membersOf(b[0].State)) == 4 {
			return batches[i:]
		}
	}
	return nil
}

// BenchmarkEventFrames encodes the frames of one full fast game for its four
// members, each event once per member: "whole" renders and encodes every
// member's event and view from scratch, "spliced" is what Publish does.
func BenchmarkEventFrames(b *testing.B) {
	const now = 1_764_000_000_123
	batches := seatedBatches(matchCommits(b, 1))
	var commits []room.Committed
	var stored []StoredEvent
	for _, batch := range batches {
		for _, c := range batch {
			commits, stored = append(commits, c), append(stored, storedOf(b, c))
		}
	}
	run := func(b *testing.B, encode func(i int) int) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			for i := range commits {
				size += encode(i)
			}
		}
		per := float64(b.N * len(commits))
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/event")
		b.ReportMetric(float64(size)/per, "frameB/event")
	}
	b.Run("whole", func(b *testing.B) {
		run(b, func(i int) int {
			n := 0
			for seat := 1; seat <= 4; seat++ {
				n += len(referenceFrame(b, matchRoomID, stored[i], commits[i].State, seat, now))
			}
			return n
		})
	})
	b.Run("spliced", func(b *testing.B) {
		run(b, func(i int) int {
			f, err := newEventFrames(matchRoomID, stored[i], &commits[i].State, now)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for seat := 1; seat <= 4; seat++ {
				frame, err := f.frame(seat)
				if err != nil {
					b.Fatal(err)
				}
				n += len(frame)
			}
			return n
		})
	})
}
