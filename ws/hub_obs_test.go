package ws

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// callError sends a command whose reply must be an error and returns it.
func (c *testClient) callError(typ string, data any) ErrorData {
	c.t.Helper()
	id := c.send(typ, data)
	for {
		f := c.read()
		if f.ReplyTo != id {
			continue
		}
		var d ErrorData
		if err := json.Unmarshal(f.Data, &d); err != nil || f.Type != MsgError {
			c.t.Fatalf("%s: got %s %s, want an error", typ, f.Type, f.Data)
		}
		return d
	}
}

// Protection mode refuses new identities and new games with UNAVAILABLE
// (overloaded), lets tokens and other commands through, and suspends lobby
// pushes (observability §5.5).
func TestProtectionMode(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	var on atomic.Bool
	var checks atomic.Int64
	cfg := testConfig()
	cfg.Protection = func() bool { checks.Add(1); return on.Load() }
	env := newHubEnvClock(t, cfg, fastGame(), nil, clock)
	host := env.dial(nil)
	host.hello("Host")
	_, ack := host.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	joiner := env.dial(nil)
	_, welcome := joiner.call("hello", map[string]any{"name": "Joe"})
	token := welcome["token"].(string)
	sub := env.dial(nil)
	sub.hello("Sub")
	on.Store(true)

	overloaded := func(what string, d ErrorData) {
		t.Helper()
		if d.Code != string(CodeUnavailable) || d.Details["reason"] != "overloaded" || d.RetryAfterMs == nil ||
			*d.RetryAfterMs != protectionRetryAfterMs {
			t.Errorf("%s: %+v, want UNAVAILABLE overloaded with retry_after_ms %d", what, d, protectionRetryAfterMs)
		}
	}
	for _, tc := range []struct {
		c    *testClient
		typ  string
		data map[string]any
	}{
		{joiner, TypeRoomCreate, map[string]any{}},
		{joiner, TypeRoomCreate, map[string]any{"quick_play": true}},
		{joiner, TypeRoomJoin, map[string]any{"room_id": roomID}},
		{host, TypeRoomStart, map[string]any{}},
	} {
		overloaded(tc.typ, tc.c.callError(tc.typ, tc.data))
	}
	if d := joiner.callError(TypeRoomJoin, map[string]any{"room_id": "ZZZZZZ"}); d.Code != string(game.CodeRoomNotFound) {
		t.Errorf("join of an unknown room: %s, want ROOM_NOT_FOUND (not a protection refusal)", d.Code)
	}
	fresh := env.dial(nil)
	overloaded("hello {name}", fresh.callError(TypeHello, map[string]any{"name": "New"}))
	clock.Advance(cfg.HelloTimeout)
	if code := fresh.readClose(); code != closeNoHello {
		t.Errorf("refused hello: close %d, want %d at the hello deadline", code, closeNoHello)
	}
	back := env.dial(nil)
	if _, w := back.call("hello", map[string]any{"token": token}); w["resumed"] != true {
		t.Errorf("hello {token} in protection mode: %v, want resumed", w)
	}
	k := env.hub.Counters().ProtectionRefusals
	if k[TypeHello] != 1 || k[TypeRoomCreate] != 2 || k[TypeRoomJoin] != 1 || k[TypeRoomStart] != 1 {
		t.Errorf("protection refusals %v", k)
	}

	// One list on subscribe, then nothing while the mode lasts.
	before, _ := sub.call("lobby.subscribe", map[string]any{})
	if len(before) != 1 || before[0].Type != MsgLobbyRooms {
		t.Fatalf("before the subscribe ack: %v, want one lobby.rooms", before)
	}
	if _, err := env.rooms.Create(context.Background(), game.Player{PlayerID: "p_other", Name: "Other"}, false); err != nil {
		t.Fatal(err)
	}
	lobbyTick := func() { // advances until the pusher has looked at the mode
		n := checks.Load()
		waitFor(t, 5*time.Second, "a lobby tick", func() bool {
			clock.Advance(cfg.LobbyInterval)
			return checks.Load() > n
		})
	}
	lobbyTick()
	if before, _ := sub.call("ping", map[string]any{}); len(before) != 0 {
		t.Fatalf("lobby pushed %s in protection mode", before[0].Type)
	}
	on.Store(false)
	lobbyTick()
	f := sub.read()
	var d lobbyList
	if err := json.Unmarshal(f.Data, &d); err != nil || f.Type != MsgLobbyRooms || d.Total != 2 {
		t.Fatalf("after protection: %s %s, want lobby.rooms with 2 rooms", f.Type, f.Data)
	}
}

// desyncCall is one Config.Recover call.
type desyncCall struct {
	procedure, target, raisedBy, correlationID string
	gap                                        any
}

// A resync whose gap exceeds 10 is answered, then raises client_desync
// with the gap; a gap of 10 raises nothing.
func TestClientDesyncTrigger(t *testing.T) {
	var mu sync.Mutex
	var calls []desyncCall
	cfg := testConfig()
	cfg.Recover = func(ctx context.Context, procedure, target, raisedBy string, observed map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, desyncCall{procedure, target, raisedBy, monitor.CorrelationID(ctx), observed["gap"]})
	}
	env := newHubEnv(t, cfg, fastGame(), nil)
	c := env.dial(nil)
	c.hello("Ana")
	_, ack := c.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	for i := range 12 { // a bot in seat 2 and out again: 12 events
		occupant := OccupantBot
		if i%2 == 1 {
			occupant = OccupantOpen
		}
		c.call("room.seat", map[string]any{"seat": 2, "occupant": occupant})
	}
	head := env.head(roomID)
	_, d := c.call("room.resync", map[string]any{"room_id": roomID, "last_seq": head - 10})
	mu.Lock()
	early := len(calls)
	mu.Unlock()
	if d["mode"] != ResyncEvents || early != 0 {
		t.Fatalf("gap 10: mode %v, %d recover calls; want events and no call", d["mode"], early)
	}
	c.call("room.resync", map[string]any{"room_id": roomID, "last_seq": 0})
	// The trigger follows the reply.
	waitFor(t, 5*time.Second, "the client_desync trigger", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("recover calls %v, want one", calls)
	}
	got := calls[0]
	if got.procedure != "client_desync" || got.target != roomID || got.raisedBy != "client" ||
		got.gap != head || got.correlationID == "" {
		t.Errorf("recover call %+v, want client_desync of %s by client with gap %d and a correlation id",
			got, roomID, head)
	}
	if n := env.hub.Counters().Resyncs[ResyncEvents]; n != 2 {
		t.Errorf("events resyncs = %d, want 2", n)
	}
}

// `connections` wakes the monitor each time open connections cross above
// the warning or the critical threshold.
func TestWakeConnections(t *testing.T) {
	var wakes wakeLog
	cfg := testConfig()
	cfg.ConnectionsWarn, cfg.ConnectionsCrit, cfg.Wake = 2, 3, wakes.wake
	env := newHubEnv(t, cfg, fastGame(), nil)
	var clients []*testClient
	open := func(wantWakes int) {
		t.Helper()
		clients = append(clients, env.dial(nil))
		waitFor(t, 5*time.Second, "the connection registered", func() bool {
			return env.hub.OpenConnections() == int64(len(clients))
		})
		if got := wakes.reasons(); len(got) != wantWakes {
			t.Fatalf("at %d connections: wakes %v, want %d", len(clients), got, wantWakes)
		}
	}
	closeLast := func() {
		clients[len(clients)-1].ws.Close()
		clients = clients[:len(clients)-1]
		waitFor(t, 5*time.Second, "the connection gone", func() bool {
			return env.hub.OpenConnections() == int64(len(clients))
		})
	}
	open(0)
	open(1)
	open(2)
	open(2)
	closeLast()
	open(2) // 3 → 4: no crossing
	closeLast()
	closeLast()
	open(3) // 2 → 3 crosses the critical threshold again
	for _, r := range wakes.reasons() {
		if r != "connections" {
			t.Errorf("wake reason %q", r)
		}
	}
}
