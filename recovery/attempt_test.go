package recovery

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaptui/monitor"
)

// TestSuccessJudgedByRecheck: each procedure's verdict comes from the
// re-check of its §5.1 criterion after the settle time, not from the action.
func TestSuccessJudgedByRecheck(t *testing.T) {
	settle := func(d time.Duration) func(h *harness) {
		return func(h *harness) {
			h.clock.waitTimer(d, 1)
			h.clock.Advance(d)
		}
	}
	memoryAfterSettle := func(v float64) func(h *harness) {
		return func(h *harness) {
			h.clock.waitTimer(5*time.Second, 1)
			h.checks.set(checkMemory, "healthy", v)
			h.clock.Advance(5 * time.Second)
		}
	}
	tests := []struct {
		name, proc, target string
		setup              func(h *harness)
		drive              func(h *harness)
		success            bool
		why                string // part of error_message
		after              map[string]any
	}{
		{"stale: all closed", StaleConnections, "", func(h *harness) {
			h.hub.stale = []string{"c1", "c2"}
		}, settle(2 * time.Second), true, "", map[string]any{"stale": 0}},
		{"stale: another turned stale", StaleConnections, "", func(h *harness) {
			h.hub.stale, h.hub.staleAfterSweep = []string{"c1"}, []string{"c9"}
		}, settle(2 * time.Second), false, "1 stale connections", nil},
		{"pending: 100 is enough", HighPendingMessages, "", func(h *harness) {
			h.hub.pending, h.hub.pendingAfter = 150, 100
		}, settle(2 * time.Second), true, "", map[string]any{"pending": int64(100)}},
		{"pending: 101 is not", HighPendingMessages, "", func(h *harness) {
			h.hub.pending, h.hub.pendingAfter = 150, 101
		}, settle(2 * time.Second), false, "101 frames still pending", nil},
		{"room: rebuilt", RoomStateCorruption, "K7MPQ3", func(h *harness) {
			h.rooms.set("K7MPQ3", RoomHealth{Live: true, Incarnation: 4, Stuck: true})
		}, settle(5 * time.Second), true, "", map[string]any{"live": true, "incarnation": int64(5), "stuck": false, "invariants": "ok"}},
		{"room: invariants still fail", RoomStateCorruption, "K7MPQ3", func(h *harness) {
			h.rooms.rebuild = func(context.Context, string) (int64, bool, error) {
				h.rooms.set("K7MPQ3", RoomHealth{Live: true, Incarnation: 2, InvariantErr: errors.New("piece 3 in two hands")})
				return 2, false, nil
			}
		}, settle(5 * time.Second), false, "invariants fail: piece 3 in two hands", nil},
		{"room: closed as failed", RoomStateCorruption, "K7MPQ3", func(h *harness) {
			h.rooms.rebuild = func(context.Context, string) (int64, bool, error) { return 0, true, nil }
		}, settle(5 * time.Second), false, "room closed as failed", nil},
		{"room: rebuild error skips the settle", RoomStateCorruption, "K7MPQ3", func(h *harness) {
			h.rooms.rebuild = func(context.Context, string) (int64, bool, error) { return 0, false, errors.New("fence refused") }
		}, func(*harness) {}, false, "rebuild room K7MPQ3: fence refused", nil},
		{"desync: views written", ClientDesync, "K7MPQ3", func(h *harness) {
			h.hub.pushed["K7MPQ3"] = 2
		}, func(*harness) {}, true, "", map[string]any{"views_pushed": 2, "rooms_unconfirmed": 0}},
		{"desync: a view not written within 5 s", ClientDesync, "K7MPQ3", func(h *harness) {
			h.hub.pushed["K7MPQ3"], h.hub.blockWrites = 2, true
		}, func(h *harness) {
			h.clock.waitAfterFunc(5*time.Second, 2) // the action timeout, then the re-check's 5 s
			h.clock.Advance(5 * time.Second)
		}, false, "views of 1 rooms not written within 5s", nil},
		{"desync: a view will never be written", ClientDesync, "", func(h *harness) {
			h.hub.pushed["K7MPQ3"], h.hub.pushed["ABCDEF"] = 1, 3
			h.hub.writeErr["ABCDEF"] = errors.New("connection closed")
		}, func(*harness) {}, false, "views of 1 rooms not written within 5s: connection closed", nil},
		{"database: reopened", DatabaseConnectionLoss, "", func(h *harness) {
			h.store.pingTakes = 499 * time.Millisecond
		}, func(*harness) {}, true, "", map[string]any{"ping_ms": int64(499), "probe_append": "committed"}},
		{"database: ping of 500 ms is too slow", DatabaseConnectionLoss, "", func(h *harness) {
			h.store.pingTakes = 500 * time.Millisecond
		}, func(*harness) {}, false, "ping took 500 ms", nil},
		{"database: probe append fails inside reopen", DatabaseConnectionLoss, "", func(h *harness) {
			h.store.reopenErr = errors.New("probe append: disk I/O error")
		}, func(*harness) {}, false, "reopen store: probe append: disk I/O error", nil},
		{"database: reopen fails", DatabaseConnectionLoss, "", func(h *harness) {
			h.store.reopenErr = errors.New("unable to open database file")
		}, func(*harness) {}, false, "reopen store: unable to open database file", nil},
		{"memory: below 90", MemoryPressure, "", func(h *harness) {
			h.checks.set(checkMemory, "critical", 92)
		}, memoryAfterSettle(89.9), true, "", map[string]any{"memory": 89.9}},
		{"memory: 90 is not below 90", MemoryPressure, "", func(h *harness) {
			h.checks.set(checkMemory, "critical", 92)
		}, memoryAfterSettle(90), false, "memory 90.0%", nil},
		{"memory: unknown", MemoryPressure, "", func(*harness) {}, settle(5 * time.Second), false, "memory unknown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, DefaultConfig())
			tt.setup(h)
			h.run()
			h.m.Trigger(context.Background(), tt.proc, tt.target, "monitor", map[string]any{"why": "test"})
			tt.drive(h)
			e := h.nextEntry()
			if e.Success != tt.success || (e.Result == ResultSuccess) != tt.success {
				t.Fatalf("result %s, error %v; want success=%v", e.Result, deref(e.ErrorMessage), tt.success)
			}
			if tt.why != "" && !strings.Contains(deref(e.ErrorMessage), tt.why) {
				t.Fatalf("error_message %q, want it to contain %q", deref(e.ErrorMessage), tt.why)
			}
			for k, v := range tt.after {
				if e.CheckAfter[k] != v {
					t.Fatalf("check_after %v, want %s = %v", e.CheckAfter, k, v)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestMemoryPressureSteps: every step of release_memory runs once and is
// counted in actions.
func TestMemoryPressureSteps(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.hub.stale, h.hub.removed, h.hub.dropped, h.rooms.closedIdle = []string{"c1"}, 40, 2, 3
	h.checks.set(checkMemory, "critical", 80)
	h.run()
	h.m.Trigger(context.Background(), MemoryPressure, "", "monitor", nil)
	h.clock.waitTimer(5*time.Second, 1)
	h.clock.Advance(5 * time.Second)
	e := h.nextEntry()
	want := map[string]int64{"connections_closed": 1, "frames_removed": 40, "consumers_dropped": 2,
		"rooms_closed": 3, "cache_entries_dropped": 7}
	for k, v := range want {
		if e.Actions[k] != v {
			t.Fatalf("actions %v, want %s = %d", e.Actions, k, v)
		}
	}
	if len(h.freed) != 1 || h.hub.sweeps != 1 || h.hub.coalesce != 1 || h.store.drops != 1 {
		t.Fatalf("freed %d, sweeps %d, coalesce %d, drops %d; want 1 each", len(h.freed), h.hub.sweeps, h.hub.coalesce, h.store.drops)
	}
}

// TestAttemptReporting: one log line at the level of §5.2, one
// recovery_attempted event carrying the entry, a webhook only for
// high/critical or failures, then Wake("recovery").
func TestAttemptReporting(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.hub.pending, h.hub.pendingAfter = 150, 10
	h.run()
	ctx := monitor.WithCorrelationID(context.Background(), "feedfacefeedface")
	h.m.Trigger(ctx, HighPendingMessages, "", "monitor", map[string]any{"pending_messages": 150})
	e := h.finishPending(1)
	if e.Source != "auto" || e.RaisedBy != "monitor" || e.Context["pending_messages"] != 150 ||
		e.Action != "disconnect_slow_consumers" || e.Target != nil || e.ID != 1 ||
		e.CheckBefore["pending"] != int64(150) || e.Actions["frames_removed"] != 0 {
		t.Fatalf("entry %+v", e)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(e.CorrelationID) || e.CorrelationID == "feedfacefeedface" {
		t.Fatalf("correlation id %q, want a new one", e.CorrelationID)
	}
	if e.TimestampISO != "2025-11-27T11:53:20.7Z" || e.Timestamp != 1764244400.7 {
		t.Fatalf("timestamp %v %s", e.Timestamp, e.TimestampISO)
	}
	if w := <-h.wakes; w != "recovery" {
		t.Fatalf("wake %q", w)
	}
	if n := len(h.alerts.all()); n != 0 {
		t.Fatalf("%d alerts for a medium success, want 0", n)
	}
	h.m.Trigger(context.Background(), DatabaseConnectionLoss, "", "store", nil)
	if e := h.nextEntry(); !e.Success {
		t.Fatalf("database attempt %+v", e)
	}
	<-h.wakes // the alert precedes the wake
	logs := h.logsWith("recovery attempt")
	if len(logs) != 2 || logs[0].level.String() != "INFO" || logs[1].level.String() != "WARN" {
		t.Fatalf("attempt logs %+v", logs)
	}
	if logs[0].attrs["category"] != "system" || logs[0].attrs["component"] != "recovery" || logs[0].attrs["result"] != "success" {
		t.Fatalf("log attrs %v", logs[0].attrs)
	}
	alerts := h.alerts.all()
	if len(alerts) != 1 || alerts[0].subject != DatabaseConnectionLoss || alerts[0].to != "success" || alerts[0].kind != "recovery" {
		t.Fatalf("alerts %+v, want one for the high-severity success", alerts)
	}
	h.m.Trigger(context.Background(), "no_such_procedure", "", "monitor", nil)
	if logs := h.logsWith("unknown recovery procedure"); len(logs) != 1 || logs[0].level.String() != "ERROR" {
		t.Fatalf("unknown procedure logs %+v", logs)
	}
	c := h.m.Counters()
	if c.Attempts[AttemptKey{HighPendingMessages, ResultSuccess}] != (AttemptCount{Count: 1, Duration: 2 * time.Second}) ||
		c.Attempts[AttemptKey{DatabaseConnectionLoss, ResultSuccess}].Count != 1 {
		t.Fatalf("attempt counters %v", c.Attempts)
	}
}

// TestFailureReporting: a failure logs ERROR (alert_suppress, since the
// manager alerts itself) and alerts critical even for a medium procedure.
func TestFailureReporting(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.hub.pending, h.hub.pendingAfter = 150, 140
	h.run()
	h.m.Trigger(context.Background(), HighPendingMessages, "", "monitor", nil)
	e := h.finishPending(1)
	<-h.wakes
	logs := h.logsWith("recovery attempt")
	if e.Result != ResultFailure || len(logs) != 1 || logs[0].level.String() != "ERROR" || logs[0].attrs["alert_suppress"] != true {
		t.Fatalf("entry %+v, logs %+v", e, logs)
	}
	alerts := h.alerts.all()
	if len(alerts) != 1 || alerts[0].severity != "critical" || alerts[0].to != ResultFailure || alerts[0].correlationID != e.CorrelationID {
		t.Fatalf("alerts %+v", alerts)
	}
}

// TestHistoryRingBound: the ring keeps recovery.history.size entries.
func TestHistoryRingBound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HistorySize = 3
	cfg.Procedures[HighPendingMessages] = ProcedureConfig{Enabled: true, MaxAttempts: 100}
	h := newHarness(t, cfg)
	h.run()
	for i := 1; i <= 5; i++ {
		h.mustAdmit(HighPendingMessages, "")
		h.finishPending(i)
	}
	for id := int64(1); id <= 5; id++ {
		_, running, ok := h.m.Attempt(id)
		if running || ok != (id >= 3) {
			t.Fatalf("attempt %d: running %v, found %v", id, running, ok)
		}
	}
	var ids []int64
	for _, e := range h.m.Status(h.clock.Now()).RecentHistory {
		ids = append(ids, e.ID)
	}
	if len(ids) != 3 || ids[0] != 5 || ids[2] != 3 {
		t.Fatalf("recent history ids %v, want [5 4 3]", ids)
	}
}
