package events

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/game"
)

// gameEvents is a pool of real event payloads to append.
var gameEvents = sync.OnceValue(func() []NewEvent {
	var out []NewEvent
	for seed := uint64(1); len(out) < 5000; seed++ {
		cfg := game.DefaultConfig()
		cfg.FastMode = true
		_, log, err := game.PlayMatch(game.Match{Seed: seed, Config: cfg})
		if err != nil {
			panic(err)
		}
		for _, e := range log {
			payload, _ := json.Marshal(e.Data)
			out = append(out, NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload})
		}
	}
	return out
})

// commandBatches are the events of real game commands, one batch per
// command, as a room actor appends them: four human seats playing the
// random strategy, so one command rarely runs on into bot moves (1.56 events
// per command on average).
var commandBatches = sync.OnceValue(func() [][]NewEvent {
	var out [][]NewEvent
	random := game.RandomStrategy{}
	cfg := game.DefaultConfig()
	cfg.FastMode = true
	for seed := uint64(1); len(out) < 5000; seed++ {
		_, _, err := game.PlayMatch(game.Match{Seed: seed, Config: cfg, Strategies: [4]game.Strategy{random, random, random, random},
			Step: func(_ game.State, _ game.Command, events []game.Event, _ game.State) {
				batch := make([]NewEvent, len(events))
				for i, e := range events {
					payload, _ := json.Marshal(e.Data)
					batch[i] = NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload}
				}
				out = append(out, batch)
			}})
		if err != nil {
			panic(err)
		}
	}
	return out
})

// benchProducers appends b.N single-event requests from 8 producers that
// each wait for their ack, and reports events/s and p99 latency.
func benchProducers(b *testing.B, s *Store, roomOffset int) {
	pool := gameEvents()
	benchBatches(b, s, roomOffset, func(p, i int) []NewEvent { return []NewEvent{pool[(p*7919+i)%len(pool)]} })
}

// benchBatches is benchProducers with the batch of each append chosen by
// next(producer, i); b.N counts appends.
func benchBatches(b *testing.B, s *Store, roomOffset int, next func(p, i int) []NewEvent) {
	const producers = 8
	perProducer := (b.N + producers - 1) / producers
	latencies := make([][]time.Duration, producers)
	var events atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			room := roomID(roomOffset + p)
			head := int64(0)
			if info, err := s.Stream(ctx, room); err == nil {
				head = info.HeadSeq
			}
			lat := make([]time.Duration, 0, perProducer)
			n := 0
			for i := range perProducer {
				t0 := time.Now()
				stored, err := s.Append(ctx, room, 1, head, next(p, i))
				if err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
				head = stored[len(stored)-1].Seq
				n += len(stored)
			}
			latencies[p] = lat
			events.Add(int64(n))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(events.Load())/elapsed.Seconds(), "events/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
	}
	ws := s.WriterStats()
	if ws.BatchesTotal > 0 {
		b.ReportMetric(ws.AvgBatchEvents, "events/batch")
	}
}

// BenchmarkAppend compares group commit with one transaction per event on a
// fresh file; the ratio of their events/s is the gain of group commit.
func BenchmarkAppend(b *testing.B) {
	b.Run("group_commit", func(b *testing.B) {
		benchProducers(b, openTemp(b, Options{}), 0)
	})
	b.Run("one_tx_per_event", func(b *testing.B) {
		benchProducers(b, openTemp(b, Options{BatchMaxEvents: 1}), 0)
	})
	commands := commandBatches()
	b.Run("command_batches", func(b *testing.B) {
		benchBatches(b, openTemp(b, Options{}), 0, func(p, i int) []NewEvent { return commands[(p*7919+i)%len(commands)] })
	})
}

// bigFile is a store file holding 1M events: 500 rooms of 2,000 events,
// built once per benchmark process.
var bigFile = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "liaptui-bench-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "events.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		return "", err
	}
	pool := gameEvents()
	const rooms, perRoom, chunk = 500, 2000, 250
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := w; r < rooms; r += 4 {
				for head := int64(0); head < perRoom; head += chunk {
					batch := make([]NewEvent, chunk)
					for i := range batch {
						batch[i] = pool[(r*perRoom+int(head)+i)%len(pool)]
					}
					if _, err := s.Append(context.Background(), roomID(1000+r), 1, head, batch); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return "", err
	}
	return path, s.Close(context.Background())
})

func openBig(b *testing.B, opts Options) *Store {
	b.Helper()
	path, err := bigFile()
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// BenchmarkAppend1M is BenchmarkAppend against a file of 1M events.
func BenchmarkAppend1M(b *testing.B) {
	b.Run("group_commit", func(b *testing.B) {
		benchProducers(b, openBig(b, Options{}), 5000)
	})
	b.Run("one_tx_per_event", func(b *testing.B) {
		benchProducers(b, openBig(b, Options{BatchMaxEvents: 1}), 6000)
	})
}

// BenchmarkSince1M reads from a 2,000-event room of the 1M-event file: its
// last 100 events, and the whole room in two pages of 1,000.
func BenchmarkSince1M(b *testing.B) {
	s := openBig(b, Options{})
	ctx := context.Background()
	b.Run("last_100", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			page, err := s.Since(ctx, roomID(1000+i%500), 1900, 100)
			if err != nil || len(page.Events) != 100 {
				b.Fatal(len(page.Events), err)
			}
		}
	})
	b.Run("whole_room_2000", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			n := 0
			for after := int64(0); ; {
				page, err := s.Since(ctx, roomID(1000+i%500), after, 1000)
				if err != nil {
					b.Fatal(err)
				}
				n += len(page.Events)
				if !page.HasMore {
					break
				}
				after = page.Events[len(page.Events)-1].Seq
			}
			if n != 2000 {
				b.Fatal(n)
			}
		}
	})
}

// BenchmarkReplay4000 folds a real 4,000-event game stream.
func BenchmarkReplay4000(b *testing.B) {
	s := openTemp(b, Options{})
	cfg := game.DefaultConfig()
	cfg.FastMode, cfg.WinScore, cfg.MaxRounds = true, 1_000_000, 100
	random := game.RandomStrategy{}
	_, log, err := game.PlayMatch(game.Match{Seed: 1, Config: cfg,
		Strategies: [4]game.Strategy{random, random, random, random}})
	if err != nil || len(log) < 4000 {
		b.Fatalf("%d events, %v", len(log), err)
	}
	batch := make([]NewEvent, 4000)
	for i, e := range log[:4000] {
		payload, _ := json.Marshal(e.Data)
		batch[i] = NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload}
	}
	for i := 0; i < len(batch); i += 250 {
		if _, err := s.Append(context.Background(), "K7MPQ3", 1, int64(i), batch[i:i+250]); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, head, err := s.Replay(context.Background(), "K7MPQ3"); err != nil || head != 4000 {
			b.Fatal(head, err)
		}
	}
}
