package recovery

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestGateOrder: disabled, then cooldown, then the hourly attempts, then
// a running attempt of the same scope (§5.2), each with its Retry-After.
func TestGateOrder(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	full := []time.Time{now.Add(-50 * time.Minute), now.Add(-40 * time.Minute), now.Add(-30 * time.Minute)}
	tests := []struct {
		name        string
		global, own bool // recovery.enabled, recovery.high_pending_messages.enabled
		scope       scope
		reason      string
		retry       time.Duration
	}{
		{"disabled globally beats everything", false, true,
			scope{lastEnd: now.Add(-time.Second), starts: full, running: 9}, ReasonDisabled, 0},
		{"procedure disabled", true, false, scope{}, ReasonDisabled, 0},
		{"cooldown beats attempts and running", true, true,
			scope{lastEnd: now.Add(-10 * time.Second), starts: full, running: 9}, ReasonCooldown, 50 * time.Second},
		{"attempts beat running", true, true,
			scope{lastEnd: now.Add(-61 * time.Second), starts: full, running: 9}, ReasonHourlyLimit, 10 * time.Minute},
		{"running", true, true,
			scope{starts: full[:1], running: 9}, ReasonInProgress, 0},
		{"cooldown over exactly at 60 s, oldest start out at exactly 3600 s", true, true,
			scope{lastEnd: now.Add(-60 * time.Second), starts: append([]time.Time{now.Add(-time.Hour)}, full[1:]...)}, "", 0},
		{"nothing recorded", true, true, scope{}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Enabled = tt.global
			pc := cfg.Procedures[HighPendingMessages]
			pc.Enabled = tt.own
			cfg.Procedures[HighPendingMessages] = pc
			h := newHarness(t, cfg)
			p, _ := lookupProcedure(HighPendingMessages)
			s := tt.scope
			s.proc = p
			h.m.scopes[HighPendingMessages] = &s
			got := h.m.gateLocked(now, p, HighPendingMessages)
			switch {
			case tt.reason == "" && got != nil:
				t.Fatalf("refused %+v, want admitted", *got)
			case tt.reason != "" && (got == nil || got.reason != tt.reason || got.retry != tt.retry):
				t.Fatalf("got %+v, want %s retry %s", got, tt.reason, tt.retry)
			}
		})
	}
}

// finishPending runs one admitted high_pending_messages attempt (settle 2 s)
// to its end; n counts its 2 s settle timers so far, this one included.
func (h *harness) finishPending(n int) Entry {
	h.clock.waitTimer(2*time.Second, n)
	h.clock.Advance(2 * time.Second)
	return h.nextEntry()
}

// TestCooldownFromEnd: the cooldown runs from the end of the attempt, not
// its start; the refusal carries Retry-After; manual refusals log at INFO.
func TestCooldownFromEnd(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.hub.pending, h.hub.pendingAfter = 150, 10
	h.run()
	h.mustAdmit(HighPendingMessages, "")
	if e := h.finishPending(1); e.DurationMs != 2000 || !e.Success {
		t.Fatalf("attempt %+v, want a 2 s success", e)
	}
	h.clock.Advance(59 * time.Second) // 61 s after the start, 59 s after the end
	_, err := h.manual(HighPendingMessages, "")
	e := refusal(t, err, http.StatusConflict, CodeRecoveryThrottled, ReasonCooldown)
	if e.RetryAfterSeconds() != 1 || e.Details["retry_after_ms"] != 1000 {
		t.Fatalf("retry after %d s, details %v; want 1 s, 1000 ms", e.RetryAfterSeconds(), e.Details)
	}
	if logs := h.logsWith("recovery trigger rejected"); len(logs) != 1 || logs[0].attrs["reason"] != ReasonCooldown ||
		logs[0].level.String() != "INFO" {
		t.Fatalf("rejection logs %+v, want one INFO cooldown line", logs)
	}
	h.clock.Advance(time.Second)
	h.mustAdmit(HighPendingMessages, "")
	h.finishPending(2)
	if got := h.m.Counters().Rejections; len(got) != 1 || got[RejectionKey{HighPendingMessages, ReasonCooldown}] != 1 {
		t.Fatalf("rejections %v", got)
	}
}

// TestHourlyLimitAndExhaustedAlert: max attempts started in the rolling hour,
// 429 with Retry-After until the oldest leaves; the first refusal of an
// hour logs ERROR and alerts once.
func TestHourlyLimitAndExhaustedAlert(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Procedures[HighPendingMessages] = ProcedureConfig{Enabled: true, MaxAttempts: 3}
	h := newHarness(t, cfg)
	h.hub.pending, h.hub.pendingAfter = 150, 10
	h.run()
	for i := range 3 { // starts at t0, t0+10m, t0+20m
		h.mustAdmit(HighPendingMessages, "")
		h.finishPending(i + 1)
		h.clock.Advance(10*time.Minute - 2*time.Second)
	}
	exhausted := func() int {
		n := 0
		for _, a := range h.alerts.all() {
			if a.kind == "recovery" && a.to == "exhausted" && a.subject == HighPendingMessages && a.severity == "critical" {
				n++
			}
		}
		return n
	}
	_, err := h.manual(HighPendingMessages, "") // t0+30m
	e := refusal(t, err, http.StatusTooManyRequests, CodeRecoveryThrottled, ReasonHourlyLimit)
	if e.RetryAfterSeconds() != 1800 || e.Details["retry_after_ms"] != 1800_000 {
		t.Fatalf("retry after %d s %v, want 1800 s", e.RetryAfterSeconds(), e.Details)
	}
	if exhausted() != 1 || len(h.logsWith("recovery exhausted")) != 1 {
		t.Fatalf("exhausted alerts %d, logs %d; want 1 and 1", exhausted(), len(h.logsWith("recovery exhausted")))
	}
	h.clock.Advance(29*time.Minute + 59*time.Second) // 1 s before t0 leaves the window
	_, err = h.manual(HighPendingMessages, "")
	if e := refusal(t, err, http.StatusTooManyRequests, CodeRecoveryThrottled, ReasonHourlyLimit); e.RetryAfterSeconds() != 1 {
		t.Fatalf("retry after %d s, want 1", e.RetryAfterSeconds())
	}
	if exhausted() != 1 {
		t.Fatalf("second refusal within the hour alerted again")
	}
	h.clock.Advance(time.Second) // t0+60m: the first start leaves
	h.mustAdmit(HighPendingMessages, "")
	h.finishPending(4)
	h.clock.Advance(time.Minute - 2*time.Second) // t0+61m: exhausted again, 31 min after the alert
	h.drainRejected()
	h.m.Trigger(context.Background(), HighPendingMessages, "", "monitor", nil)
	if k := <-h.metrics.rejected; k.Reason != ReasonHourlyLimit {
		t.Fatalf("automatic trigger refused with %s", k.Reason)
	}
	if exhausted() != 1 {
		t.Fatalf("automatic refusal 31 min after the alert alerted again")
	}
	h.clock.Advance(9 * time.Minute) // t0+70m, then t0+80m: the starts of t0+10m and t0+20m leave
	for i := 5; i <= 6; i++ {
		h.mustAdmit(HighPendingMessages, "")
		h.finishPending(i)
		h.clock.Advance(10*time.Minute - 2*time.Second)
	}
	_, err = h.manual(HighPendingMessages, "") // t0+90m: an hour after the first alert
	refusal(t, err, http.StatusTooManyRequests, CodeRecoveryThrottled, ReasonHourlyLimit)
	if exhausted() != 2 {
		t.Fatalf("exhausted alerts %d, want a second one an hour after the first", exhausted())
	}
	if n := h.m.Counters().Rejections[RejectionKey{HighPendingMessages, ReasonHourlyLimit}]; n != 4 {
		t.Fatalf("hourly_limit rejections %d, want 4", n)
	}
}

// TestInProgressAndPerRoomScopes: a running attempt refuses its own scope
// only; per-room cooldowns are independent.
func TestInProgressAndPerRoomScopes(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.rooms.set("QRSTUV", RoomHealth{Live: true, Incarnation: 1})
	release := make(chan struct{})
	rebuild := h.rooms.rebuild
	h.rooms.rebuild = func(ctx context.Context, id string) (int64, bool, error) {
		<-release
		return rebuild(ctx, id)
	}
	h.run()
	a := h.mustAdmit(RoomStateCorruption, `{"room_id":"k7mpq3"}`)
	_, err := h.manual(RoomStateCorruption, `{"room_id":"K7MPQ3"}`)
	refusal(t, err, http.StatusConflict, CodeInProgress, ReasonInProgress)
	b := h.mustAdmit(RoomStateCorruption, `{"room_id":"ABCDEF"}`)
	if _, running, ok := h.m.Attempt(a); !running || !ok {
		t.Fatalf("attempt %d not running", a)
	}
	close(release)
	h.clock.waitTimer(5*time.Second, 2)
	h.clock.Advance(5 * time.Second)
	got := map[int64]Entry{}
	for range 2 {
		e := h.nextEntry()
		got[e.ID] = e
	}
	if got[a].Target == nil || *got[a].Target != "K7MPQ3" || !got[a].Success || got[b].Target == nil || *got[b].Target != "ABCDEF" {
		t.Fatalf("entries %+v", got)
	}
	_, err = h.manual(RoomStateCorruption, `{"room_id":"K7MPQ3"}`)
	refusal(t, err, http.StatusConflict, CodeRecoveryThrottled, ReasonCooldown)
	h.mustAdmit(RoomStateCorruption, `{"room_id":"QRSTUV"}`)
}

// TestQueueFull: the 65th automatic trigger waiting in the inbox is
// refused; a manual trigger meeting a full inbox gets 503 queue_full.
func TestQueueFull(t *testing.T) {
	t.Run("automatic", func(t *testing.T) {
		h := newHarness(t, DefaultConfig()) // not running: nothing drains
		for range inboxSize + 1 {
			h.m.Trigger(context.Background(), StaleConnections, "", "monitor", nil)
		}
		if k := <-h.metrics.rejected; k != (RejectionKey{StaleConnections, ReasonQueueFull}) {
			t.Fatalf("rejected %+v", k)
		}
		if n := len(h.m.Counters().Rejections); n != 1 {
			t.Fatalf("%d rejection kinds, want 1", n)
		}
	})
	t.Run("manual", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Procedures[MemoryPressure] = ProcedureConfig{Enabled: false, MaxAttempts: 3}
		h := newHarness(t, cfg)
		h.metrics.blockReason = ReasonDisabled // holds the Run loop inside its refusal
		h.run()
		h.m.Trigger(context.Background(), MemoryPressure, "", "monitor", nil)
		<-h.metrics.blocked
		for range inboxSize {
			h.m.Trigger(context.Background(), StaleConnections, "", "monitor", nil)
		}
		_, err := h.manual(HighPendingMessages, "")
		if e := refusal(t, err, http.StatusServiceUnavailable, CodeUnavailable, ReasonQueueFull); e.RetryAfterSeconds() != 1 {
			t.Fatalf("retry after %d", e.RetryAfterSeconds())
		}
		close(h.metrics.release)
	})
}

// TestNotRunning: a manual trigger while Run is not running is 503.
func TestNotRunning(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	_, err := h.manual(StaleConnections, "")
	refusal(t, err, http.StatusServiceUnavailable, CodeUnavailable, reasonNotRunning)
}

// TestRunLifecycle: one Run at a time; stopping cancels the running
// attempt, which is still recorded, and manual triggers then get 503.
func TestRunLifecycle(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	h.m.Trigger(context.Background(), HighPendingMessages, "", "monitor", nil) // waits in the inbox until Run admits it
	h.clock.waitTimer(2*time.Second, 1)
	if err := h.m.Run(ctx); err != ErrAlreadyRunning {
		t.Fatalf("second Run: %v", err)
	}
	if st := h.m.Status(h.clock.Now()); !st.IsActive {
		t.Fatal("is_active false while running")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if e := h.nextEntry(); e.Result != ResultFailure || deref(e.ErrorMessage) != "recovery manager stopped" {
		t.Fatalf("entry %+v", e)
	}
	if st := h.m.Status(h.clock.Now()); st.IsActive {
		t.Fatal("is_active true after Run returned")
	}
	_, err := h.manual(HighPendingMessages, "") // the cancelled attempt counts: gates come first
	refusal(t, err, http.StatusConflict, CodeRecoveryThrottled, ReasonCooldown)
	_, err = h.manual(DatabaseConnectionLoss, "")
	refusal(t, err, http.StatusServiceUnavailable, CodeUnavailable, reasonNotRunning)
}
