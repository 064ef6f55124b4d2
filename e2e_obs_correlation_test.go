package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// obsAdminEvent is the part of an admin-level event object (protocol §7.1)
// this test reads.
type obsAdminEvent struct {
	Seq           int64   `json:"seq"`
	Type          string  `json:"type"`
	CorrelationID *string `json:"correlation_id"`
	Payload       struct {
		Seat int `json:"seat"`
	} `json:"payload"`
}

var obsCorrelationPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// obsAckCorrelation is the correlation id an ack carries.
func obsAckCorrelation(t *testing.T, c *e2eClient, f e2eFrame) string {
	t.Helper()
	d := c.mustAck(f)
	id, _ := d["correlation_id"].(string)
	if !obsCorrelationPattern.MatchString(id) {
		t.Fatalf("ack %s carries no correlation id of 16 lowercase hex characters", f.Data)
	}
	return id
}

// obsCommandLine checks the one game log line of an accepted command
// (observability §7.4) and that its correlation id is on no other command's
// line.
func obsCommandLine(t *testing.T, srv *e2eServer, corr, command, roomID string) {
	t.Helper()
	var lines []map[string]any
	e2eWaitFor(t, 5*time.Second, "the log line of "+command, func() bool {
		lines = srv.logs.Find(map[string]any{"correlation_id": corr, "category": "game", "msg": "command accepted"})
		return len(lines) > 0
	})
	if len(lines) != 1 {
		t.Fatalf("%s: %d game lines carry its correlation id %s, want 1: %v", command, len(lines), corr, lines)
	}
	if l := lines[0]; l["command"] != command || l["room_id"] != roomID || l["level"] != "INFO" {
		t.Errorf("%s's log line %v, want command %s in room %s at INFO", command, l, command, roomID)
	}
	for _, l := range srv.logs.Find(map[string]any{"correlation_id": corr}) {
		if l["command"] != nil && l["command"] != command {
			t.Errorf("a line of another command carries %s's correlation id: %v", command, l)
		}
	}
}

// TestObsCommandCorrelationReachesAckEventsAndLogs: a WS command's
// correlation id is in its ack, in every stored event it caused (the admin
// view of the room's events) and in its log line, and differs from the
// next command's.
func TestObsCommandCorrelationReachesAckEventsAndLogs(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil), faultHooks{system: newObsSystem(40)})
	c := e2eDial(t, srv.addr)
	c.hello("Ana")

	// room.create in the waiting phase: no timer runs, so the events before
	// the ack are the command's own.
	before := len(c.events)
	f := c.call("room.create", map[string]any{})
	create := obsAckCorrelation(t, c, f)
	var ack struct {
		RoomID string `json:"room_id"`
	}
	json.Unmarshal(f.Data, &ack)
	c.room, c.seat = ack.RoomID, 1
	caused := c.seen[before:]
	if len(caused) == 0 {
		t.Fatal("room.create pushed no event before its ack")
	}
	seat := obsAckCorrelation(t, c, c.call("room.seat", map[string]any{"seat": 2, "occupant": "bot"}))
	if seat == create {
		t.Fatalf("two commands share the correlation id %s", seat)
	}

	raw, _ := e2eAllEvents(t, srv.addr, c.room, srv.token, 0)
	byCorrelation := map[string][]obsAdminEvent{}
	for _, r := range raw {
		var e obsAdminEvent
		if err := json.Unmarshal(r, &e); err != nil || e.CorrelationID == nil {
			t.Fatalf("admin event without correlation_id: %s", r)
		}
		byCorrelation[*e.CorrelationID] = append(byCorrelation[*e.CorrelationID], e)
	}
	var createdSeqs []int64
	for _, e := range byCorrelation[create] {
		createdSeqs = append(createdSeqs, e.Seq)
	}
	if len(createdSeqs) != len(caused) || createdSeqs[0] != caused[0] || createdSeqs[0] != 1 {
		t.Errorf("events with room.create's correlation id: seqs %v, want the %d events pushed before its ack %v",
			createdSeqs, len(caused), caused)
	}
	if evs := byCorrelation[seat]; len(evs) != 1 || evs[0].Type != "bot_added" || evs[0].Payload.Seat != 2 {
		t.Errorf("events with room.seat's correlation id: %+v, want the one bot_added of seat 2", evs)
	}
	obsCommandLine(t, srv, create, "room.create", c.room)
	obsCommandLine(t, srv, seat, "room.seat", c.room)
}

// TestObsGameCommandCorrelation: a game.declare's correlation id is in its
// ack, on the stored declared event of its seat and on its log line.
func TestObsGameCommandCorrelation(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil), faultHooks{system: newObsSystem(40)})
	cs := e2eHumanRoom(t, srv.addr, "Ana")
	c := cs[0]
	e2eDrive(t, srv.addr, cs, 400, func(v map[string]any) bool {
		action, _ := e2eActor(v)
		return action == "declare" && c.myTurn() == "declare"
	})
	typ, data := e2eMove(c.last, "declare")
	corr := obsAckCorrelation(t, c, c.call(typ, data))

	raw, _ := e2eAllEvents(t, srv.addr, c.room, srv.token, 0)
	var mine []obsAdminEvent
	for _, r := range raw {
		var e obsAdminEvent
		json.Unmarshal(r, &e)
		if e.CorrelationID != nil && *e.CorrelationID == corr {
			mine = append(mine, e)
		}
	}
	if len(mine) == 0 || mine[0].Type != "declared" || mine[0].Payload.Seat != c.seat {
		t.Fatalf("events with the declaration's correlation id %s: %+v, want the declared event of seat %d first",
			corr, mine, c.seat)
	}
	obsCommandLine(t, srv, corr, "game.declare", c.room)
}
