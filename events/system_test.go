package events

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"liaptui/monitor"
)

// Tests of the _system stream's asynchronous appends (observability §4,
// §6.2; rules §20.3).

func TestSystemTypesOfRules20_3AreRegistered(t *testing.T) {
	for _, name := range []string{"server_started", "server_stopping", "server_stopped", "store_recovered",
		"store_reopened", "room_unrecoverable", "room_rebuilt", "retention_cleanup", "health_status_changed",
		"recovery_attempted", "protection_entered", "protection_exited", "canary_failed"} {
		if typ, ok := types[name]; !ok || !typ.system || typ.version != 1 || typ.status != "" {
			t.Errorf("%s: registered %v as %+v", name, ok, typ)
		}
	}
}

func TestAppendSystemDoesNotBlockAndCommits(t *testing.T) {
	logs := newLogCapture()
	path := filepath.Join(t.TempDir(), "events.db")
	s := openFile(t, path, Options{Clock: monitor.NewFakeClock(t0), Log: slog.New(logs)})
	release := blockWriter(t, s)

	// The writer is held: every call below returns although nothing can
	// commit. The first is taken by the appender and waits in the writer's
	// queue; the next systemQueueSize wait in the appender's; the rest are
	// refused and logged.
	ctx := monitor.WithCorrelationID(context.Background(), "0123456789abcdef")
	s.AppendSystem(ctx, "health_status_changed", map[string]any{"check": "overall", "n": 0})
	waitQueued(t, s, 1)
	for i := 1; i <= systemQueueSize; i++ {
		s.AppendSystem(ctx, "health_status_changed", map[string]any{"check": "overall", "n": i})
	}
	for range 2 {
		s.AppendSystem(ctx, "canary_failed", map[string]any{"run": 1})
		rec, attrs := logs.next(t)
		if rec.Level != slog.LevelWarn || attrs["event_type"] != "canary_failed" || attrs["component"] != "store" ||
			attrs["category"] != "system" || attrs["error"] == "" {
			t.Fatalf("log of a refused event: %v %v", rec.Message, attrs)
		}
	}
	for _, bad := range []struct {
		typ     string
		payload any
	}{{"played", map[string]any{}}, {"no_such_type", map[string]any{}}, {"server_started", []int{1}},
		{"server_started", func() {}}} {
		s.AppendSystem(ctx, bad.typ, bad.payload)
		if _, attrs := logs.next(t); attrs["event_type"] != bad.typ {
			t.Fatalf("log of invalid %s: %v", bad.typ, attrs)
		}
	}
	release()

	// Close stores what the appender still holds.
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs.none(t)
	s.AppendSystem(ctx, "server_stopped", map[string]any{"duration_ms": 1})
	if _, attrs := logs.next(t); attrs["error"] != ErrClosed.Error() {
		t.Fatalf("append after close: %v", attrs)
	}

	s = openFile(t, path, Options{})
	page, err := s.Since(context.Background(), SystemStream, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != systemQueueSize+1 {
		t.Fatalf("%d _system events stored, want %d", len(page.Events), systemQueueSize+1)
	}
	for i, e := range page.Events {
		want := fmt.Sprintf(`{"check":"overall","n":%d}`, i)
		if e.Seq != int64(i+1) || e.Type != "health_status_changed" || string(e.Payload) != want ||
			e.CorrelationID != "0123456789abcdef" || e.Actor != actorSystem {
			t.Fatalf("event %d: %+v %s, want payload %s", i, e, e.Payload, want)
		}
	}
}

func TestAppendSystemFailureIsLogged(t *testing.T) {
	logs := newLogCapture()
	fault := &ConnFault{}
	s := openTemp(t, Options{Log: slog.New(logs), WrapConnector: fault.Wrap})
	fault.Break()
	s.AppendSystem(context.Background(), "server_started", map[string]any{"version": "test"})
	if _, attrs := logs.next(t); attrs["event_type"] != "server_started" || attrs["error"] == "" {
		t.Fatalf("log of a failed commit: %v", attrs)
	}
	logs.none(t) // never retried
	if c := s.Counters().AppendErrors; c["io"] != 1 {
		t.Fatalf("append errors %v", c)
	}
	if err := s.Reopen(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := s.Since(context.Background(), SystemStream, 0, 10)
	if err != nil || len(page.Events) != 1 || page.Events[0].Type != "store_reopened" {
		t.Fatalf("_system holds %+v (%v): the failed event was retried", page.Events, err)
	}
}
