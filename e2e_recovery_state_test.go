package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/events"
	"liaptui/game"
	"liaptui/room"
)

// The recovery procedures that act on rooms and the store (observability
// §5.1, §5.3, §10): room_state_corruption and database_connection_loss.

// recOwing is the client whose seat owes the latest view's decision, and
// that decision's action.
func recOwing(t *testing.T, cs []*e2eClient) (*e2eClient, string) {
	t.Helper()
	action, seats := e2eActor(cs[0].last)
	for _, c := range cs {
		if slices.Contains(seats, c.seat) {
			return c, action
		}
	}
	t.Fatalf("no human owes the decision (%s by seats %v)", action, seats)
	return nil, ""
}

// recRoomView reads frames until a room.view and returns its data.
func recRoomView(c *e2eClient) (reason string, view map[string]any) {
	c.t.Helper()
	return recViewData(c, recReadUntil(c, "room.view"))
}

// recReplyAndView reads the reply to id and the next room.view in whichever
// order they come: a rebuilt room's new actor may queue its view before the
// old actor's reply to the command that failed reaches the connection.
func recReplyAndView(c *e2eClient, id string) (reply e2eFrame, reason string, view map[string]any) {
	c.t.Helper()
	var viewFrame e2eFrame
	for range 5000 {
		switch f := c.read(); {
		case f.ReplyTo == id:
			reply = f
		case f.Type == "room.view" && viewFrame.Type == "":
			viewFrame = f
		}
		if reply.Type != "" && viewFrame.Type != "" {
			reason, view = recViewData(c, viewFrame)
			return reply, reason, view
		}
	}
	c.t.Fatalf("no reply to %s and room.view in 5000 frames", id)
	return reply, "", nil
}

// recViewData is the reason and view of a room.view frame of c's room.
func recViewData(c *e2eClient, f e2eFrame) (reason string, view map[string]any) {
	c.t.Helper()
	var d struct {
		RoomID string         `json:"room_id"`
		Reason string         `json:"reason"`
		View   map[string]any `json:"view"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil || d.RoomID != c.room {
		c.t.Fatalf("room.view %s", f.Data)
	}
	return d.Reason, d.View
}

// TestRecoveryRoomStateCorruption: a test hook corrupts a running room's
// live state; the next step fails the invariant check, the room raises
// room_state_corruption, and the rebuild starts a new actor with a higher
// incarnation from the stream, sends every member room.view "rebuilt", and
// the room plays on. A room whose stored stream is damaged is closed as
// failed instead. Gating: in progress, cooldown, then the cap of 2.
func TestRecoveryRoomStateCorruption(t *testing.T) {
	var corrupt atomic.Value // the room whose next step finds its live state corrupted
	corrupt.Store("")
	faults := &room.Faults{BeforeDecide: func(roomID string, _ game.Command, live *game.State) {
		if corrupt.CompareAndSwap(roomID, "") {
			live.HostSeat = 9 // not a seat: the step's invariant check fails
		}
	}}
	e := recStart(t, map[string]string{"LIAP_RECOVERY_ROOM_STATE_CORRUPTION_COOLDOWN": "5s"}, faultHooks{rooms: faults})
	cs := e2eHumanRoom(t, e.srv.addr, "Ann", "Ben")
	roomID, head := cs[0].room, cs[0].lastSeq()
	for _, c := range cs {
		c.readUntil(head)
	}
	actor, action := recOwing(t, cs)
	typ, data := e2eMove(actor.last, action)

	corrupt.Store(roomID)
	reply, actorReason, actorView := recReplyAndView(actor, actor.send(typ, data))
	actor.wantError(reply, "INTERNAL")
	for _, c := range cs {
		reason, view := actorReason, actorView
		if c != actor {
			reason, view = recRoomView(c)
		}
		if reason != "rebuilt" || view["seq"] != float64(head) ||
			view["my_seat"] != float64(c.seat) {
			t.Fatalf("seat %d got room.view %s at seq %v, want rebuilt at %d", c.seat, reason, view["seq"], head)
		}
	}
	body := fmt.Sprintf(`{"room_id":%q}`, roomID)
	e.refused("room_state_corruption", body, 409, "IN_PROGRESS", "in_progress") // still settling

	attempt := e.waitAttempt("room_state_corruption", 20*time.Second)
	e.checkRecorded(attempt, "success", "room")
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	if attempt["target"] != roomID || attempt["actions"].(map[string]any)["rooms_rebuilt"] != 1.0 ||
		after["incarnation"].(float64) <= before["incarnation"].(float64) || after["invariants"] != "ok" ||
		attempt["context"].(map[string]any)["cause"] != "invariant_failure" {
		t.Fatalf("attempt: %v", attempt)
	}
	e.systemEvent("room_rebuilt", map[string]any{"room_id": roomID, "reason": "corruption",
		"incarnation": after["incarnation"]})

	// The condition cleared: the rebuilt actor takes the same move, and its
	// live state matches a replay of the stream.
	actor.mustAck(actor.call(typ, data))
	resp, state := e.do("GET", "/rooms/"+roomID+"/state", "")
	if resp.StatusCode != http.StatusOK || state["live"] != true || state["live_matches_replay"] != true {
		t.Fatalf("GET /rooms/%s/state after the rebuild: %d %v", roomID, resp.StatusCode, state)
	}

	// Gating is per room: cooldown, then a second (manual) run, then the cap.
	if retry := e.refused("room_state_corruption", body, 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}
	e.advance(5*time.Second, time.Second)
	if code, ans := e.triggerAdvancing("room_state_corruption", body); code != http.StatusOK || ans["success"] != true {
		t.Fatalf("second, manual rebuild: %d %v", code, ans)
	}
	e.advance(5*time.Second, time.Second)
	e.refused("room_state_corruption", body, 429, "RECOVERY_THROTTLED", "hourly_limit")

	// A room whose stored stream no longer folds cannot be rebuilt: it is
	// closed as failed and its members are told.
	cid := e2eDial(t, e.srv.addr)
	cid.hello("Cid")
	cid.room = cid.mustAck(cid.call("room.create", map[string]any{}))["room_id"].(string)
	cid.mustAck(cid.call("room.seat", map[string]any{"seat": 2, "occupant": "bot"}))
	db, err := sql.Open("sqlite", filepath.Join(e.dataDir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE events SET payload = '{"seat":9,"name":"Bot"}' WHERE room_id = ? AND seq = 2`,
		cid.room); err != nil {
		t.Fatal(err)
	}
	code, ans := e.triggerAdvancing("room_state_corruption", fmt.Sprintf(`{"room_id":%q}`, cid.room))
	failed, _ := ans["attempt"].(map[string]any)
	if code != http.StatusOK || ans["success"] != false || failed == nil ||
		failed["actions"].(map[string]any)["rooms_closed"] != 1.0 {
		t.Fatalf("rebuild of a room with a damaged stream: %d %v", code, ans)
	}
	e.checkRecorded(failed, "failure", "manual")
	var closed struct {
		RoomID string `json:"room_id"`
		Reason string `json:"reason"`
	}
	if f := recReadUntil(cid, "room.closed"); json.Unmarshal(f.Data, &closed) != nil || closed.Reason != "failed" {
		t.Fatalf("room.closed to the member: %s", f.Data)
	}
	e.systemEvent("room_unrecoverable", map[string]any{"room_id": cid.room})
	if _, v := e.do("POST", "/recovery/trigger/room_state_corruption?dry_run=true",
		fmt.Sprintf(`{"room_id":%q}`, cid.room)); v["error"].(map[string]any)["code"] != "ROOM_NOT_FOUND" {
		t.Fatalf("the failed room is still live: %v", v)
	}
}

// TestRecoveryDatabaseConnectionLoss: every database connection is broken
// under the store; the next append fails, database_connection_loss reopens
// the read pool and the writer, store_reopened is committed to _system, and
// the room's command goes through when sent again.
func TestRecoveryDatabaseConnectionLoss(t *testing.T) {
	fault := &events.ConnFault{}
	e := recStart(t, map[string]string{"LIAP_RECOVERY_DATABASE_CONNECTION_LOSS_MAX_ATTEMPTS": "1"},
		faultHooks{wrapConnector: fault.Wrap})
	host := e2eDial(t, e.srv.addr)
	host.hello("Dana")
	host.room = host.mustAck(host.call("room.create", map[string]any{}))["room_id"].(string)
	head := e2eHead(t, e.srv.addr, host.room)

	fault.Break()
	seatBot := map[string]any{"seat": 2, "occupant": "bot"}
	if f := host.call("room.seat", seatBot); f.Type != "error" {
		t.Fatalf("room.seat on a lost database: %s %s", f.Type, f.Data)
	}

	attempt := e.waitAttempt("database_connection_loss", 10*time.Second)
	raisedBy, _ := attempt["raised_by"].(string)
	if raisedBy != "store" && raisedBy != "monitor" {
		t.Fatalf("raised_by %q, want store or monitor", raisedBy)
	}
	e.checkRecorded(attempt, "success", raisedBy)
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	if before["database_response"] != "critical" || after["probe_append"] != "committed" ||
		attempt["actions"].(map[string]any)["reopened"] != 1.0 {
		t.Fatalf("attempt: before %v, after %v, actions %v", before, after, attempt["actions"])
	}
	e.systemEvent("store_reopened", nil)

	// The store answers again: the refused command is stored now.
	host.mustAck(host.call("room.seat", seatBot))
	evs := e.roomEvents(host.room, head)
	if len(evs) != 1 || evs[0].Type != "bot_added" || evs[0].Payload.Seat != 2 {
		t.Fatalf("room events after the reopen: %+v", evs)
	}

	if retry := e.refused("database_connection_loss", "", 409, "RECOVERY_THROTTLED", "cooldown"); retry > 10 {
		t.Fatalf("Retry-After %d s, want at most the 10 s cooldown", retry)
	}
	e.advance(10*time.Second, time.Second)
	e.refused("database_connection_loss", "", 429, "RECOVERY_THROTTLED", "hourly_limit")
}
