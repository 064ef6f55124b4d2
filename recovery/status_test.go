package recovery

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

// statusGolden is GET /recovery/status for the scenario of TestStatusGolden
// (correlation ids replaced by "X"): field names, types and values of
// protocol.md §11.9.
const statusGolden = `{"success":true,"is_active":true,"total_procedures":7,"recent_attempts":2,"success_rate":50,
"protection":{"active":true,"since":1764248009.7,"reason":"system_overload"},
"procedures":{
"client_desync":{"description":"push a fresh view to lagging members","enabled":true,"max_attempts":3,"cooldown_seconds":30,"severity":"medium","recent_attempts":0,"action":"force_resync","trigger":"client sequence gap above 10","last_attempt_at":null,"next_allowed_at":null},
"database_connection_loss":{"description":"reopen the read pool and the writer connection","enabled":true,"max_attempts":5,"cooldown_seconds":10,"severity":"high","recent_attempts":0,"action":"reconnect_database","trigger":"database response critical, or store I/O, busy, closed or corrupt errors","last_attempt_at":null,"next_allowed_at":null},
"high_pending_messages":{"description":"coalesce superseded queued frames, drop consumers still backed up","enabled":true,"max_attempts":3,"cooldown_seconds":60,"severity":"medium","recent_attempts":1,"action":"disconnect_slow_consumers","trigger":"more than 100 pending outbound frames on 2 consecutive samples","last_attempt_at":1764248002.7,"next_allowed_at":1764248064.7},
"memory_pressure":{"description":"free memory held by dead connections, backlogs, idle rooms, caches","enabled":true,"max_attempts":3,"cooldown_seconds":60,"severity":"high","recent_attempts":1,"action":"release_memory","trigger":"memory usage above 90%","last_attempt_at":1764248004.7,"next_allowed_at":1764248069.7},
"room_state_corruption":{"description":"rebuild a room actor from its stream, or close the room","enabled":true,"max_attempts":2,"cooldown_seconds":120,"severity":"high","recent_attempts":0,"action":"restart_room","trigger":"room invariant failure, stuck room, append conflict or live state differing from replay","last_attempt_at":null,"next_allowed_at":null},
"stale_connections":{"description":"close connections whose heartbeat or writer is dead","enabled":false,"max_attempts":5,"cooldown_seconds":30,"severity":"medium","recent_attempts":0,"action":"close_stale_connections","trigger":"websocket failure rate above 15% or stale connections present","last_attempt_at":null,"next_allowed_at":null},
"system_overload":{"description":"enter emergency protection mode","enabled":true,"max_attempts":1,"cooldown_seconds":300,"severity":"critical","recent_attempts":0,"action":"shed_load","trigger":"CPU above 95% and memory above 95%","last_attempt_at":null,"next_allowed_at":null}},
"recent_history":[
{"id":3,"procedure_name":"memory_pressure","action":"release_memory","target":null,"timestamp":1764248004.7,"timestamp_iso":"2025-11-27T12:53:24.7Z","success":false,"result":"failure","source":"manual","raised_by":"manual","duration_ms":5000,"error_message":"memory 92.0% (target below 90%)","actions":{"cache_entries_dropped":7,"connections_closed":0,"consumers_dropped":1,"frames_removed":88,"rooms_closed":0},"check_before":{"memory":92},"check_after":{"memory":92},"context":null,"correlation_id":"X"},
{"id":2,"procedure_name":"high_pending_messages","action":"disconnect_slow_consumers","target":null,"timestamp":1764248002.7,"timestamp_iso":"2025-11-27T12:53:22.7Z","success":true,"result":"success","source":"auto","raised_by":"monitor","duration_ms":2000,"error_message":null,"actions":{"consumers_dropped":1,"frames_removed":88},"check_before":{"pending":150},"check_after":{"pending":12},"context":{"pending_messages":150},"correlation_id":"X"}]}`

// TestStatusGolden: the status body after attempts inside and outside the
// last hour, with protection on.
func TestStatusGolden(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Procedures[StaleConnections] = ProcedureConfig{Enabled: false, MaxAttempts: 5, Cooldown: 30 * time.Second}
	h := newHarness(t, cfg)
	h.hub.pending, h.hub.pendingAfter = 150, 150
	h.checks.set(checkMemory, "critical", 92)
	h.run()
	ctx := context.Background()
	h.m.Trigger(ctx, HighPendingMessages, "", "monitor", nil) // t0: a failure, out of the hour later
	h.finishPending(1)
	h.clock.Advance(time.Hour)
	h.hub.mu.Lock()
	h.hub.pending, h.hub.pendingAfter, h.hub.removed, h.hub.dropped = 150, 12, 88, 1
	h.hub.mu.Unlock()
	h.m.Trigger(ctx, HighPendingMessages, "", "monitor", map[string]any{"pending_messages": 150})
	h.finishPending(2)
	h.mustAdmit(MemoryPressure, "")
	h.clock.waitTimer(5*time.Second, 1)
	h.clock.Advance(5 * time.Second)
	h.nextEntry()
	h.m.enterProtection(ctx, SystemOverload, map[string]any{"cpu": 97.0, "memory": 96.0})
	h.clock.Advance(time.Second)

	raw, err := json.Marshal(h.m.Status(h.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`"correlation_id":"[0-9a-f]{16}"`).ReplaceAll(raw, []byte(`"correlation_id":"X"`))
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(statusGolden)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("status body\n got %s\nwant %s", got, want.Bytes())
	}
}

// TestStatusAttemptQuery: the attempt query's marker and entry shapes.
func TestStatusAttemptQuery(t *testing.T) {
	raw, _ := json.Marshal(StatusBody{Attempt: RunningAttempt{ID: 4, Status: "running"}, Procedures: map[string]ProcedureStatus{}})
	if !bytes.HasSuffix(raw, []byte(`"attempt":{"id":4,"status":"running"}}`)) {
		t.Fatalf("body %s", raw)
	}
	raw, _ = json.Marshal(StatusBody{})
	if bytes.Contains(raw, []byte(`"attempt"`)) {
		t.Fatalf("body without the query carries attempt: %s", raw)
	}
}

// TestSuccessRateOneDecimal: two successes of three is 66.7.
func TestSuccessRateOneDecimal(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	for i, ok := range []bool{true, false, true} {
		h.m.history.add(Entry{ID: int64(i + 1), ProcedureName: StaleConnections, Success: ok, start: t0})
	}
	st := h.m.Status(t0.Add(time.Minute))
	if st.SuccessRate != 66.7 || st.RecentAttempts != 3 || st.Procedures[StaleConnections].RecentAttempts != 3 || st.IsActive {
		t.Fatalf("status %+v", st)
	}
}

// TestRingWraps: the ring holds the newest entries, newest first.
func TestRingWraps(t *testing.T) {
	r := newRing(2)
	for id := int64(1); id <= 3; id++ {
		r.add(Entry{ID: id})
	}
	if r.len() != 2 || r.newest(0).ID != 3 || r.newest(1).ID != 2 {
		t.Fatalf("ring %d entries, newest %d then %d", r.len(), r.newest(0).ID, r.newest(1).ID)
	}
}
