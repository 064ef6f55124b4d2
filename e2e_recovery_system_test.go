package main

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The recovery procedures the machine's readings trigger (observability
// §5.1, §5.5, §10): memory_pressure and system_overload, against the
// settable system source of recStart.

// liveRooms lists the ids GET /rooms reports.
func (e *recEnv) liveRooms() []string {
	e.t.Helper()
	_, v := e.do("GET", "/rooms", "")
	var ids []string
	for _, r := range v["rooms"].([]any) {
		ids = append(ids, r.(map[string]any)["room_id"].(string))
	}
	return ids
}

// TestRecoveryMemoryPressure: the system source reports 95 % memory; the
// monitor raises memory_pressure, whose steps close at once the finished
// game nobody is connected to (and not the one whose player stays), drop
// the store's caches and free memory; memory falls below 90 % and the
// attempt succeeds.
func TestRecoveryMemoryPressure(t *testing.T) {
	e := recStart(t, map[string]string{
		"LIAP_GAME_MAX_ROUNDS":                       "1",
		"LIAP_RECOVERY_MEMORY_PRESSURE_COOLDOWN":     "5s",
		"LIAP_RECOVERY_MEMORY_PRESSURE_MAX_ATTEMPTS": "1",
	}, faultHooks{})
	over := func(v map[string]any) bool { return v["phase"] == "game_over" }
	left := e2eHumanRoom(t, e.srv.addr, "Mia")
	stays := e2eHumanRoom(t, e.srv.addr, "Max")
	e2eDrive(t, e.srv.addr, left, 500, over)
	e2eDrive(t, e.srv.addr, stays, 500, over)
	idle := left[0].room
	left[0].ws.Close()
	e2eWaitFor(t, 10*time.Second, "Mia's disconnect to be recorded", func() bool {
		return slices.ContainsFunc(e.roomEvents(idle, 0), func(ev e2eEvent) bool { return ev.Type == "player_disconnected" })
	})

	e.sys.set(10, 95)
	e.advanceUntil(10*time.Second, 500*time.Millisecond, "the idle finished room to close", func() bool {
		return !slices.Contains(e.liveRooms(), idle)
	})
	e.sys.set(10, 70) // the memory the closed room held is back
	attempt := e.waitAttempt("memory_pressure", 10*time.Second)
	e.checkRecorded(attempt, "success", "monitor")
	actions := attempt["actions"].(map[string]any)
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	for _, step := range []string{"connections_closed", "frames_removed", "consumers_dropped", "cache_entries_dropped"} {
		if _, ok := actions[step]; !ok {
			t.Fatalf("attempt actions %v lack the %s step", actions, step)
		}
	}
	if actions["rooms_closed"] != 1.0 || before["memory"] != 95.0 || after["memory"] != 70.0 {
		t.Fatalf("attempt: actions %v, before %v, after %v", actions, before, after)
	}
	closedAbandoned := func(ev e2eEvent) bool { return ev.Type == "room_closed" && ev.Payload.Reason == "abandoned" }
	if !slices.ContainsFunc(e.roomEvents(idle, 0), closedAbandoned) {
		t.Fatalf("room %s has no room_closed (abandoned) event", idle)
	}
	if !slices.Contains(e.liveRooms(), stays[0].room) {
		t.Fatalf("the finished room with a connected player was closed too")
	}

	if retry := e.refused("memory_pressure", "", 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}
	e.advance(5*time.Second, time.Second)
	e.refused("memory_pressure", "", 429, "RECOVERY_THROTTLED", "hourly_limit")
}

// TestRecoverySystemOverload: CPU and memory both above 95 % make the
// monitor raise system_overload, which enters emergency protection mode:
// new names and new rooms are refused with UNAVAILABLE while a running game
// and reconnects go on. Once the readings fall, the attempt succeeds and the
// mode ends by the exit rule; new players are welcome again.
func TestRecoverySystemOverload(t *testing.T) {
	e := recStart(t, map[string]string{"LIAP_RECOVERY_SYSTEM_OVERLOAD_COOLDOWN": "5s"}, faultHooks{})
	players := e2eHumanRoom(t, e.srv.addr, "Olga")
	pat := e2eDial(t, e.srv.addr)
	pat.hello("Pat")
	protected := func() bool { return e.status()["protection"].(map[string]any)["active"] == true }

	e.sys.set(97, 97)
	e.advanceUntil(10*time.Second, 500*time.Millisecond, "emergency protection mode", protected)
	e.systemEvent("protection_entered", map[string]any{"reason": "system_overload"})
	newcomer := e2eDial(t, e.srv.addr)
	refusal := newcomer.callErr("hello", map[string]any{"name": "Nia"}, "UNAVAILABLE")
	if refusal.Details["reason"] != "overloaded" || refusal.RetryAfterMs == nil {
		t.Fatalf("hello {name} in protection mode: %+v", refusal)
	}
	if r := pat.callErr("room.create", map[string]any{}, "UNAVAILABLE"); r.Details["reason"] != "overloaded" {
		t.Fatalf("room.create in protection mode: %+v", r)
	}
	back := e2eDial(t, e.srv.addr)
	back.mustAck(back.call("hello", map[string]any{"token": pat.token})) // reconnects are let in
	seq := players[0].lastSeq()
	e2eDrive(t, e.srv.addr, players, 20, func(v map[string]any) bool { return v["seq"].(float64) > float64(seq) })
	if resp, _ := e2eGet(t, "http://"+e.srv.addr+"/readyz", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz in protection mode: %d", resp.StatusCode)
	}

	e.sys.set(20, 50)
	attempt := e.waitAttempt("system_overload", 40*time.Second)
	e.checkRecorded(attempt, "success", "monitor")
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	if attempt["actions"].(map[string]any)["protection_entered"] != 1.0 || before["cpu"] != 97.0 ||
		before["memory"] != 97.0 || after["cpu"] != 20.0 || after["memory"] != 50.0 {
		t.Fatalf("attempt: actions %v, before %v, after %v", attempt["actions"], before, after)
	}
	e.advanceUntil(30*time.Second, time.Second, "protection mode to end", func() bool { return !protected() })
	e.systemEvent("protection_exited", map[string]any{"ended_by": "auto"})
	// The refused newcomer was closed by the hello deadline; names are
	// welcome again.
	var err error
	for range 100 {
		newcomer.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err = newcomer.ws.ReadMessage(); err != nil {
			break
		}
	}
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != 4001 {
		t.Fatalf("the refused newcomer's socket: %v, want close 4001", err)
	}
	e2eDial(t, e.srv.addr).hello("Nia")

	if retry := e.refused("system_overload", "", 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}
	e.advance(5*time.Second, time.Second)
	e.refused("system_overload", "", 429, "RECOVERY_THROTTLED", "hourly_limit")
}
