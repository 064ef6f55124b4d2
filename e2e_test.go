package main

import (
	"path/filepath"
	"testing"
)

// TestEndToEndQuickPlayGame: a human plays a whole fast-mode quick-play game
// through the protocol only; its sequences are contiguous from 1, no frame
// shows another seat's hand (checked by every read), and GET events-since
// from 0 with its token equals what the socket delivered.
func TestEndToEndQuickPlayGame(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil))
	c := e2eDial(t, addr)
	welcome := c.mustAck(c.call("hello", map[string]any{"name": "Ana"}))
	c.token = welcome["token"].(string)
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	for steps := 0; c.last["phase"] != "game_over"; steps++ {
		if steps > 2000 {
			t.Fatal("no game over after 2000 commands")
		}
		action := c.myTurn()
		if action == "" {
			c.read()
			continue
		}
		typ, data := e2eMove(c.last, action)
		if f := c.call(typ, data); f.Type != "ack" {
			t.Fatalf("%s %v: %s", typ, data, f.Data)
		}
	}
	e2eContiguous(t, "socket", c.seen, 1)
	got, _ := e2eAllEvents(t, addr, c.room, c.token, 0)
	if len(got) != len(c.events) {
		t.Fatalf("REST has %d events, the socket delivered %d", len(got), len(c.events))
	}
	for i := range got {
		if !e2eJSONEqual(got[i], c.events[i]) {
			t.Fatalf("event %d differs:\nREST %s\nWS   %s", i+1, got[i], c.events[i])
		}
	}
}
