package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// End-to-end tests of disconnects, reconnection, resync, grace expiry and
// replacement (protocol §3.3, §3.4, §8; rules §17.2).

// e2eWelcomeRoom is welcome.data.room (protocol §5.2).
type e2eWelcomeRoom struct {
	RoomID  string `json:"room_id"`
	Seat    int    `json:"seat"`
	Phase   string `json:"phase"`
	LastSeq int64  `json:"last_seq"`
}

// e2eResume dials again and says hello with old's token; the new client takes
// over old's room, seat and history. It returns welcome.data.room.
func e2eResume(t *testing.T, addr string, old *e2eClient) (*e2eClient, e2eWelcomeRoom) {
	t.Helper()
	c := e2eDial(t, addr)
	f := c.call("hello", map[string]any{"token": old.token})
	if f.Type != "welcome" {
		t.Fatalf("hello {token}: %s %s", f.Type, f.Data)
	}
	var w struct {
		Token   string          `json:"token"`
		Resumed bool            `json:"resumed"`
		Room    *e2eWelcomeRoom `json:"room"`
	}
	json.Unmarshal(f.Data, &w)
	if !w.Resumed || w.Token != old.token || w.Room == nil {
		t.Fatalf("welcome after hello {token}: %s (want resumed true, the same token and a room)", f.Data)
	}
	if w.Room.RoomID != old.room || w.Room.Seat != old.seat {
		t.Fatalf("welcome.room %+v, want room %s seat %d", *w.Room, old.room, old.seat)
	}
	c.token, c.room, c.seat = old.token, old.room, old.seat
	c.events, c.seen, c.last = old.events, old.seen, old.last
	return c, *w.Room
}

// e2eDropTCP ends the client's connection without a close frame.
func e2eDropTCP(t *testing.T, c *e2eClient) {
	t.Helper()
	if err := c.ws.NetConn().Close(); err != nil {
		t.Fatal(err)
	}
}

// e2ePayload decodes an event's payload as a map.
func e2ePayload(raw json.RawMessage) map[string]any {
	var e struct {
		Payload map[string]any `json:"payload"`
	}
	json.Unmarshal(raw, &e)
	return e.Payload
}

// e2eFindEvent finds in evs an event of type typ whose payload has
// every field of want (numbers as float64).
func e2eFindEvent(evs []json.RawMessage, typ string, want map[string]any) (json.RawMessage, bool) {
	for _, raw := range evs {
		var e struct {
			Type string `json:"type"`
		}
		json.Unmarshal(raw, &e)
		if e.Type != typ {
			continue
		}
		p, match := e2ePayload(raw), true
		for k, v := range want {
			if p[k] != v {
				match = false
			}
		}
		if match {
			return raw, true
		}
	}
	return nil, false
}

func TestE2EReconnectResync(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), e2eEnv(map[string]string{
		"LIAP_GAME_DISCONNECT_GRACE_MS": "60000",
		"LIAP_GAME_MAX_ROUNDS":          "4",
	}))
	cs := e2eHumanRoom(t, addr, "Ana", "Ben")
	a, b := cs[0], cs[1]
	// Mid-game, at a moment when Ben owes a play and Ana has seen everything.
	e2eDrive(t, addr, cs, 500, func(v map[string]any) bool {
		_, seats := e2eActor(v)
		return v["round"].(float64) >= 2 && v["phase"] == "turn" && slices.Equal(seats, []int{b.seat})
	})
	lastA := e2eCatchUp(cs)
	e2eDropTCP(t, a)
	var pubSince []json.RawMessage
	e2eWaitFor(t, 10*time.Second, "player_disconnected of seat 1", func() bool {
		pubSince, _ = e2eAllEvents(t, addr, a.room, "", lastA)
		_, ok := e2eFindEvent(pubSince, "player_disconnected", map[string]any{"seat": float64(a.seat)})
		return ok
	})
	if p := e2ePayload(pubSince[0]); p["grace_deadline"] == nil || p["abandon_deadline"] != nil {
		t.Fatalf("player_disconnected with Ben still connected: %v (want a grace deadline, no abandon deadline)", p)
	}
	// Ben and the bots play on until Ana's seat owes a decision.
	e2eDrive(t, addr, []*e2eClient{b}, 100, func(v map[string]any) bool {
		_, seats := e2eActor(v)
		return slices.Contains(seats, a.seat)
	})
	missed := b.lastSeq() - lastA
	if missed < 3 {
		t.Fatalf("only %d events passed while Ana was away", missed)
	}
	if v := b.last["seats"].([]any)[a.seat-1].(map[string]any); v["connected"] != false || v["controlled_by"] != "human" {
		t.Fatalf("Ana's seat during grace: %v", v)
	}

	// Back with the token: player_reconnected is appended but not pushed.
	head := e2eHead(t, addr, a.room)
	a2, wr := e2eResume(t, addr, a)
	if wr.LastSeq != head+1 {
		t.Fatalf("welcome.room.last_seq %d, want %d (the head plus player_reconnected)", wr.LastSeq, head+1)
	}
	res := a2.resync(lastA)
	if res.Mode != "events" || res.LastSeq != wr.LastSeq || res.RoomID != a.room {
		t.Fatalf("resync from %d: mode %s last_seq %d room %s; want events, %d, %s", lastA, res.Mode, res.LastSeq, res.RoomID, wr.LastSeq, a.room)
	}
	var seqs []int64
	for _, ev := range res.Events {
		seqs = append(seqs, e2eSeq(ev))
	}
	if int64(len(seqs)) != wr.LastSeq-lastA || seqs[0] != lastA+1 || seqs[len(seqs)-1] != wr.LastSeq {
		t.Fatalf("resync events %v, want exactly %d..%d", seqs, lastA+1, wr.LastSeq)
	}
	if e := e2eParseEvent(t, res.Events[0]); e.Type != "player_disconnected" || e.Payload.Seat != a.seat {
		t.Fatalf("first missed event %s, want Ana's player_disconnected", res.Events[0])
	}
	if e := e2eParseEvent(t, res.Events[len(res.Events)-1]); e.Type != "player_reconnected" || e.Payload.Seat != a.seat {
		t.Fatalf("last missed event %s, want Ana's player_reconnected", res.Events[len(res.Events)-1])
	}
	if _, ok := e2eFindEvent(res.Events, "seat_control_changed", nil); ok {
		t.Fatal("control changed within the grace period")
	}
	// §8: the events equal GET events-since with the same token.
	rest := e2eEventsSince(t, addr, a.room, a.token, lastA, 100)
	if len(rest.Events) != len(res.Events) {
		t.Fatalf("REST has %d events since %d, the resync %d", len(rest.Events), lastA, len(res.Events))
	}
	for i := range rest.Events {
		if !e2eJSONEqual(rest.Events[i], res.Events[i]) {
			t.Fatalf("resync event differs from REST:\nREST   %s\nresync %s", rest.Events[i], res.Events[i])
		}
	}
	if v := res.View["seats"].([]any)[a.seat-1].(map[string]any); v["connected"] != true || res.View["my_seat"] != float64(a.seat) {
		t.Fatalf("resync view: my_seat %v, seat %v", res.View["my_seat"], v)
	}
	// The game goes on to its end with Ana back.
	e2eDrive(t, addr, []*e2eClient{a2, b}, 3000, func(v map[string]any) bool { return v["phase"] == "game_over" })
	end := e2eCatchUp([]*e2eClient{a2, b})
	// A client without history gets the view when more than 100 events are missing.
	if f := b.call("room.resync", map[string]any{"room_id": b.room, "last_seq": 0}); end > 100 {
		var r e2eResync
		json.Unmarshal(f.Data, &r)
		if f.Type != "ack" || r.Mode != "view" || len(r.Events) != 0 || r.LastSeq != end || r.View["phase"] != "game_over" {
			t.Fatalf("resync from 0 at head %d: %s %.300s", end, f.Type, f.Data)
		}
	}
	e2eContiguous(t, "Ana's events (before, resync, after)", a2.seen, 1)
	e2eContiguous(t, "Ben's events (from his player_joined)", b.seen, 2)
	all, _ := e2eAllEvents(t, addr, a.room, a.token, 0)
	if len(all) != len(a2.events) {
		t.Fatalf("REST has %d events, Ana holds %d", len(all), len(a2.events))
	}
	for i := range all {
		if !e2eJSONEqual(all[i], a2.events[i]) {
			t.Fatalf("event %d differs:\nREST %s\nAna  %s", i+1, all[i], a2.events[i])
		}
	}
}

func TestE2EReconnectGraceExpiry(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), e2eEnv(map[string]string{
		"LIAP_GAME_DISCONNECT_GRACE_MS": "200",
	}))
	cs := e2eHumanRoom(t, addr, "Ana", "Ben")
	a, b := cs[0], cs[1]
	// Ana drops while she owes a decision.
	e2eDrive(t, addr, cs, 500, func(v map[string]any) bool {
		_, seats := e2eActor(v)
		return v["phase"] == "turn" && slices.Equal(seats, []int{a.seat})
	})
	lastA := e2eCatchUp(cs)
	e2eDropTCP(t, a)

	// The grace expires: the bot takes the seat and plays the owed play at once.
	var evs []json.RawMessage
	e2eWaitFor(t, 10*time.Second, "seat_control_changed to bot", func() bool {
		evs, _ = e2eAllEvents(t, addr, a.room, "", lastA)
		_, ok := e2eFindEvent(evs, "seat_control_changed",
			map[string]any{"seat": float64(a.seat), "controller": "bot", "reason": "grace_expired"})
		return ok
	})
	if _, ok := e2eFindEvent(evs, "played", map[string]any{"seat": float64(a.seat), "by": "bot"}); !ok {
		t.Fatalf("the owed play was not made by the bot at grace expiry: %s", evs)
	}
	if _, ok := e2eFindEvent(evs, "host_changed",
		map[string]any{"from_seat": float64(a.seat), "to_seat": float64(b.seat), "reason": "grace_expired"}); !ok {
		t.Fatalf("the host role did not pass to Ben at grace expiry: %s", evs)
	}
	// The bot keeps playing for the seat while Ben plays.
	botPlays := func() int {
		n := 0
		for _, e := range e2eSeatEvents(t, b.events, a.seat, "played", "declared", "redeal_decided") {
			if e.Seq > lastA && (e.Payload.By == "bot" || e.Payload.By == "timeout") {
				n++
			}
		}
		return n
	}
	e2eDrive(t, addr, []*e2eClient{b}, 200, func(map[string]any) bool { return botPlays() >= 3 })
	for _, e := range e2eSeatEvents(t, b.events, a.seat, "played", "declared", "redeal_decided") {
		if e.Seq > lastA && e.Payload.By == "player" {
			t.Fatalf("seq %d: a %s for the absent Ana by player", e.Seq, e.Type)
		}
	}

	// Back with the token: control returns at once.
	head := e2eHead(t, addr, a.room)
	a2, wr := e2eResume(t, addr, a)
	appended, _ := e2eAllEvents(t, addr, a.room, "", head)
	if wr.LastSeq != head+2 || len(appended) != 2 {
		t.Fatalf("the hello appended %s; welcome.last_seq %d (head before %d)", appended, wr.LastSeq, head)
	}
	if e := e2eParseEvent(t, appended[0]); e.Type != "player_reconnected" || e.Payload.Seat != a.seat {
		t.Fatalf("first event of the hello: %s", appended[0])
	}
	if e := e2eParseEvent(t, appended[1]); e.Type != "seat_control_changed" || e.Payload.Seat != a.seat ||
		e.Payload.Controller != "human" || e.Payload.Reason != "reconnected" {
		t.Fatalf("second event of the hello: %s, want seat_control_changed human reconnected", appended[1])
	}
	res := a2.resync(lastA)
	if res.LastSeq != wr.LastSeq {
		t.Fatalf("resync last_seq %d, welcome %d", res.LastSeq, wr.LastSeq)
	}
	if res.Mode == "events" {
		e2eContiguous(t, "Ana's events", a2.seen, 1)
	}
	if v := res.View["seats"].([]any)[a.seat-1].(map[string]any); v["controlled_by"] != "human" || v["connected"] != true {
		t.Fatalf("Ana's seat after the reconnection: %v", v)
	}
	// Ana plays again; the host role stays with Ben.
	mine := func() int {
		n := 0
		for _, e := range e2eSeatEvents(t, a2.events, a.seat, "played", "declared", "redeal_decided") {
			if e.Seq > wr.LastSeq && e.Payload.By == "player" {
				n++
			}
		}
		return n
	}
	e2eDrive(t, addr, []*e2eClient{a2, b}, 200, func(map[string]any) bool { return mine() >= 2 })
	if hs := a2.last["host_seat"]; hs != float64(b.seat) {
		t.Fatalf("host_seat %v after Ana's return, want %d (host rights do not move back)", hs, b.seat)
	}
}

func TestE2EReconnectReplaced(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil))
	a := e2eDial(t, addr)
	a.hello("Ana")
	ack := a.mustAck(a.call("room.create", map[string]any{"quick_play": true}))
	a.room, a.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	head := a.lastSeq()
	if a.myTurn() == "" {
		t.Fatalf("the game does not wait for Ana (phase %v)", a.last["phase"])
	}
	if h := e2eHead(t, addr, a.room); h != head {
		t.Fatalf("REST head %d, socket %d", h, head)
	}

	a2, wr := e2eResume(t, addr, a)
	if wr.LastSeq != head {
		t.Fatalf("replacement: welcome.room.last_seq %d, want %d (no event)", wr.LastSeq, head)
	}
	// The old connection gets replaced, then close 4000.
	a.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := a.ws.ReadMessage()
	if err != nil {
		t.Fatalf("old connection: %v, want a replaced message", err)
	}
	var f struct {
		Type string `json:"type"`
		Data struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"data"`
	}
	if json.Unmarshal(msg, &f); f.Type != "replaced" || f.Data.Reason != "replaced" {
		t.Fatalf("old connection got %s, want replaced", msg)
	}
	if code := e2eCloseCode(t, a.ws); code != 4000 {
		t.Fatalf("old connection closed with %d, want 4000", code)
	}
	// Replacement is no disconnect: no event, now or once the old
	// connection's end has been handled.
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if h := e2eHead(t, addr, a.room); h != head {
			evs, _ := e2eAllEvents(t, addr, a.room, "", head)
			t.Fatalf("the replacement appended events: %s", evs)
		}
	}
	// The new connection holds the membership and plays.
	res := a2.resync(head)
	if res.Mode != "events" || len(res.Events) != 0 || res.View["my_seat"] != float64(a.seat) {
		t.Fatalf("resync on the new connection: mode %s, %d events, my_seat %v", res.Mode, len(res.Events), res.View["my_seat"])
	}
	typ, data := e2eMove(a2.last, a2.myTurn())
	if f := a2.call(typ, data); f.Type != "ack" {
		t.Fatalf("%s on the new connection: %s %s", typ, f.Type, f.Data)
	}
	if e := e2eParseEvent(t, a2.events[len(a2.events)-1]); e.Seq <= head {
		t.Fatalf("no event after the new connection's %s", typ)
	}
	mine := e2eSeatEvents(t, a2.events[head:], a.seat, "played", "declared", "redeal_decided")
	if len(mine) != 1 || mine[0].Payload.By != "player" {
		t.Fatalf("the new connection's %s made %d events for Ana's seat: %v", typ, len(mine), mine)
	}
	// A third connection replaces the second the same way.
	a3, _ := e2eResume(t, addr, a2)
	a2.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; ; i++ {
		_, msg, err := a2.ws.ReadMessage()
		if err != nil {
			t.Fatalf("second connection ended without replaced: %v", err)
		}
		if json.Unmarshal(msg, &f); f.Type == "replaced" {
			break
		}
		if i > 1000 {
			t.Fatal("no replaced message")
		}
	}
	if code := e2eCloseCode(t, a2.ws); code != 4000 {
		t.Fatalf("second connection closed with %d, want 4000", code)
	}
	a3.mustAck(a3.call("ping", map[string]any{}))
}
