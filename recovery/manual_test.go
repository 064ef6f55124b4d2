package recovery

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestManualCheckOrder: checks 3-7 of §5.4 answer in order; the first
// failing one wins.
func TestManualCheckOrder(t *testing.T) {
	tests := []struct {
		name, proc, body string
		query            []string
		status           int
		code, field      string
	}{
		{"unknown procedure", "reboot", "", nil, 404, CodeNotFound, ""},
		{"unknown procedure before a bad body", "reboot", "[", nil, 404, CodeNotFound, ""},
		{"array body", StaleConnections, "[1]", nil, 400, CodeBadRequest, ""},
		{"null body", StaleConnections, "null", nil, 400, CodeBadRequest, ""},
		{"trailing data", StaleConnections, `{"a":1} {}`, nil, 400, CodeBadRequest, ""},
		{"bad body before a bad wait", StaleConnections, "{", []string{"wait", "99"}, 400, CodeBadRequest, ""},
		{"wait above 30", StaleConnections, "", []string{"wait", "31"}, 400, CodeInvalidField, "wait"},
		{"wait negative", StaleConnections, "", []string{"wait", "-1"}, 400, CodeInvalidField, "wait"},
		{"wait empty", StaleConnections, "", []string{"wait", ""}, 400, CodeInvalidField, "wait"},
		{"wait fraction", StaleConnections, "", []string{"wait", "1.5"}, 400, CodeInvalidField, "wait"},
		{"dry_run not a bool", StaleConnections, "", []string{"dry_run", "1"}, 400, CodeInvalidField, "dry_run"},
		{"corruption without room_id", RoomStateCorruption, `{"why":"x"}`, nil, 400, CodeInvalidField, "room_id"},
		{"room_id not a string", RoomStateCorruption, `{"room_id":5}`, nil, 400, CodeInvalidField, "room_id"},
		{"bad wait before an unknown room", RoomStateCorruption, `{"room_id":"ZZZZZZ"}`, []string{"wait", "31"}, 400, CodeInvalidField, "wait"},
		{"unknown room", RoomStateCorruption, `{"room_id":"ZZZZZZ"}`, nil, 404, CodeRoomNotFound, ""},
		{"unknown room before disabled", ClientDesync, `{"room_id":"zzzzzz"}`, nil, 404, CodeRoomNotFound, ""},
		{"disabled", MemoryPressure, "", nil, 409, CodeRecoveryThrottled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Procedures[MemoryPressure] = ProcedureConfig{Enabled: false, MaxAttempts: 3}
			cfg.Procedures[ClientDesync] = ProcedureConfig{Enabled: false, MaxAttempts: 3}
			h := newHarness(t, cfg)
			h.run()
			_, err := h.manual(tt.proc, tt.body, tt.query...)
			e := refusal(t, err, tt.status, tt.code, "")
			if tt.field != "" && e.Details["field"] != tt.field {
				t.Fatalf("details %v, want field %s", e.Details, tt.field)
			}
			if tt.code == CodeRecoveryThrottled {
				if e.Details["reason"] != ReasonDisabled || e.RetryAfterSeconds() != 0 {
					t.Fatalf("disabled answer %+v, want reason disabled and no Retry-After", e)
				}
				if v, ok := e.Details["retry_after_ms"]; !ok || v != nil {
					t.Fatalf("details %v, want retry_after_ms null", e.Details)
				}
			}
			if n := len(h.m.Counters().Rejections); n != 0 && tt.code != CodeRecoveryThrottled {
				t.Fatalf("validation failure counted as a rejection")
			}
		})
	}
}

// TestDryRun: targets after checks 1-6; nothing acts, counts or gates.
func TestDryRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Procedures[StaleConnections] = ProcedureConfig{Enabled: false, MaxAttempts: 5, Cooldown: 30 * time.Second}
	h := newHarness(t, cfg)
	h.hub.stale = []string{"c1", "c2"}
	h.run()
	res, err := h.manual(StaleConnections, "", "dry_run", "true")
	if err != nil {
		t.Fatal(err)
	}
	status, body, location := res.Response()
	raw, _ := json.Marshal(body)
	if status != 200 || location != "" || string(raw) != `{"success":true,"procedure":"stale_connections","dry_run":true,"targets":["2 stale connections"]}` {
		t.Fatalf("dry run answer %d %s %q", status, raw, location)
	}
	res, err = h.manual(ClientDesync, "", "dry_run", "true", "wait", "0")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.Targets)
	if !slices.Equal(res.Targets, []string{"ABCDEF", "K7MPQ3"}) {
		t.Fatalf("desync targets %v, want every live room", res.Targets)
	}
	if _, err := h.manual(RoomStateCorruption, `{"room_id":"ZZZZZZ"}`, "dry_run", "true"); err == nil {
		t.Fatal("dry run for an unknown room answered 200")
	}
	if res, err := h.manual(DatabaseConnectionLoss, "", "dry_run", "true"); err != nil || !slices.Equal(res.Targets, []string{"store"}) {
		t.Fatalf("database dry run %v %v", res, err)
	}
	st := h.m.Status(h.clock.Now())
	if h.hub.sweeps != 0 || h.store.reopens != 0 || len(h.m.Counters().Rejections) != 0 || len(h.m.Counters().Attempts) != 0 ||
		st.RecentAttempts != 0 || st.Procedures[StaleConnections].LastAttemptAt != nil {
		t.Fatalf("dry run acted or counted: sweeps %d reopens %d counters %+v", h.hub.sweeps, h.store.reopens, h.m.Counters())
	}
	h.mustAdmit(DatabaseConnectionLoss, "") // no cooldown or attempt left behind by the dry run
}

// TestManualWait: 200 with the finished attempt within wait; 202 with the
// running marker and Location after it; the timeout outcome.
func TestManualWait(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.hub.pending, h.hub.pendingAfter = 150, 10
	h.run()

	done := make(chan ManualResult, 1)
	go func() {
		res, err := h.manual(HighPendingMessages, `{"note":"by hand","n":7}`, "wait", "10")
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	h.clock.waitTimer(10*time.Second, 1) // the handler waits...
	h.clock.waitTimer(2*time.Second, 1)  // ...while the attempt settles
	h.clock.Advance(2 * time.Second)
	res := <-done
	status, body, _ := res.Response()
	raw, _ := json.Marshal(body)
	if status != 200 || !strings.HasPrefix(string(raw), `{"success":true,"procedure":"high_pending_messages","context":{"n":7,"note":"by hand"},"triggered":true,"attempt":{"id":1,`) {
		t.Fatalf("answer %d %s", status, raw)
	}
	if a := res.Attempt; a.Source != "manual" || a.RaisedBy != "manual" || a.DurationMs != 2000 {
		t.Fatalf("attempt %+v", a)
	}
	if e := h.nextEntry(); e.ID != 1 || e.CorrelationID != res.Attempt.CorrelationID {
		t.Fatalf("event entry %+v, want the answered attempt", e)
	}

	h.store.reopenBlocks = true
	go func() {
		res, err := h.manual(DatabaseConnectionLoss, "", "wait", "3")
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	h.clock.waitTimer(3*time.Second, 1)
	h.clock.waitAfterFunc(30*time.Second, 1) // the action is running
	h.clock.Advance(3 * time.Second)
	res = <-done
	status, body, location := res.Response()
	raw, _ = json.Marshal(body)
	if status != 202 || string(raw) != `{"attempt_id":2,"status":"running"}` || location != "/recovery/status?attempt=2" {
		t.Fatalf("answer %d %s %q", status, raw, location)
	}
	if _, running, ok := h.m.Attempt(2); !running || !ok {
		t.Fatalf("attempt 2 not running")
	}
	_, err := h.manual(DatabaseConnectionLoss, "")
	refusal(t, err, http.StatusConflict, CodeInProgress, ReasonInProgress)

	h.clock.Advance(27 * time.Second) // the 30 s action timeout
	e := h.nextEntry()
	if e.Result != ResultTimeout || e.Success || deref(e.ErrorMessage) != "action timed out after 30s" || e.DurationMs != 30000 {
		t.Fatalf("entry %+v", e)
	}
	if got, running, ok := h.m.Attempt(2); running || !ok || got.Result != ResultTimeout {
		t.Fatalf("attempt 2 after the timeout: %+v running %v found %v", got, running, ok)
	}
	if _, _, ok := h.m.Attempt(99); ok {
		t.Fatal("attempt 99 found")
	}
}
