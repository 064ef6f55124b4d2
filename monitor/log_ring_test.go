package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"
)

func ringMessages(t *testing.T, entries []json.RawMessage) []string {
	t.Helper()
	msgs := make([]string, len(entries))
	for i, e := range entries {
		msgs[i] = decodeLine(t, string(e))["msg"].(string)
	}
	return msgs
}

func TestLogRingBoundedByCount(t *testing.T) {
	f := newLogFixture(t, LogConfig{RingSize: 3})
	lg := f.logging.For(ComponentMain)
	for i := range 5 {
		lg.Info(context.Background(), CategorySystem, fmt.Sprintf("m%d", i))
	}
	entries, truncated := f.logging.Ring().Query(LogQuery{})
	if got := ringMessages(t, entries); !slices.Equal(got, []string{"m4", "m3", "m2"}) || truncated {
		t.Fatalf("ring holds %v (truncated %v), want the newest three, newest first", got, truncated)
	}
	if f.logging.Ring().Capacity() != 3 {
		t.Fatalf("capacity %d", f.logging.Ring().Capacity())
	}
	if len(f.stdout.lines()) != 5 {
		t.Fatal("stdout lost lines the ring dropped")
	}
}

func TestLogRingBoundedByBytes(t *testing.T) {
	probe := newLogFixture(t, LogConfig{})
	probe.logging.For(ComponentMain).Info(context.Background(), CategorySystem, "m0")
	lineLen := len(ringLines(probe.logging)[0])

	f := newLogFixture(t, LogConfig{RingBytes: lineLen*5/2 + 1})
	lg := f.logging.For(ComponentMain)
	for i := range 5 {
		lg.Info(context.Background(), CategorySystem, fmt.Sprintf("m%d", i))
	}
	entries, _ := f.logging.Ring().Query(LogQuery{})
	if got := ringMessages(t, entries); !slices.Equal(got, []string{"m4", "m3"}) {
		t.Fatalf("ring holds %v, want the two newest that fit in %d bytes", got, lineLen*5/2+1)
	}
	lg.Info(context.Background(), CategorySystem, "a line far longer than the whole ring may hold",
		slog.String("padding", string(make([]byte, 3*lineLen))))
	entries, _ = f.logging.Ring().Query(LogQuery{})
	if got := ringMessages(t, entries); !slices.Equal(got, []string{"m4", "m3"}) {
		t.Fatalf("an oversized line displaced the ring: %v", got)
	}
}

func TestLogRingQueryFilters(t *testing.T) {
	f := newLogFixture(t, LogConfig{RingLevel: slog.LevelDebug})
	lg := f.logging.For(ComponentRoom)
	a := WithCorrelationID(context.Background(), "000000000000000a")
	b := WithCorrelationID(context.Background(), "000000000000000b")
	step := func() { f.clock.Advance(time.Second) }

	lg.Debug(a, CategoryGame, "d1") // t+0
	step()
	lg.Info(a, CategoryGame, "i1") // t+1
	step()
	lg.Warn(b, CategorySecurity, "w1") // t+2
	step()
	lg.Error(b, "e1", nil) // t+3
	step()
	lg.Info(b, CategorySystem, "i2") // t+4

	tests := []struct {
		name      string
		q         LogQuery
		want      []string
		truncated bool
	}{
		{"default is INFO and above", LogQuery{}, []string{"i2", "e1", "w1", "i1"}, false},
		{"DEBUG", LogQuery{MinLevel: slog.LevelDebug}, []string{"i2", "e1", "w1", "i1", "d1"}, false},
		{"WARN", LogQuery{MinLevel: slog.LevelWarn}, []string{"e1", "w1"}, false},
		{"since is inclusive", LogQuery{MinLevel: slog.LevelDebug, Since: logTestStart.Add(2 * time.Second)}, []string{"i2", "e1", "w1"}, false},
		{"correlation id", LogQuery{MinLevel: slog.LevelDebug, CorrelationID: "000000000000000a"}, []string{"i1", "d1"}, false},
		{"category", LogQuery{Category: CategorySecurity}, []string{"w1"}, false},
		{"category error", LogQuery{Category: CategoryError}, []string{"e1"}, false},
		{"limit truncates", LogQuery{Limit: 2}, []string{"i2", "e1"}, true},
		{"limit exactly met", LogQuery{MinLevel: slog.LevelWarn, Limit: 2}, []string{"e1", "w1"}, false},
		{"no match", LogQuery{CorrelationID: "ffffffffffffffff"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, truncated := f.logging.Ring().Query(tc.q)
			if got := ringMessages(t, entries); !slices.Equal(got, tc.want) || truncated != tc.truncated {
				t.Fatalf("got %v truncated=%v, want %v truncated=%v", got, truncated, tc.want, tc.truncated)
			}
		})
	}
}

func TestLogRingQueryReturnsCopies(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	f.logging.For(ComponentMain).Lifecycle(context.Background(), "ready")
	entries, _ := f.logging.Ring().Query(LogQuery{})
	entries[0][0] = 'X'
	if again, _ := f.logging.Ring().Query(LogQuery{}); again[0][0] != '{' {
		t.Fatal("a caller's change reached the ring")
	}
}

func TestLogRingConcurrentWritersAndReaders(t *testing.T) {
	f := newLogFixture(t, LogConfig{RingSize: 50})
	lg := f.logging.For(ComponentHub)
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				lg.Info(context.Background(), CategoryWebSocket, "frame", slog.Int("writer", w), slog.Int("i", i))
				f.logging.Ring().Query(LogQuery{Limit: 10})
			}
		}()
	}
	for range 4 {
		<-done
	}
	entries, truncated := f.logging.Ring().Query(LogQuery{Limit: 1000})
	if len(entries) != 50 || truncated {
		t.Fatalf("ring holds %d entries", len(entries))
	}
	for _, e := range entries {
		decodeLine(t, string(e))
	}
}
