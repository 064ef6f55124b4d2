package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
)

// hubEnv is a hub over a real room registry and SQLite store, served on a
// loopback httptest server, as serve.go wires them.
type hubEnv struct {
	t     testing.TB
	hub   *Hub
	rooms *room.Registry
	store *events.Store
	url   string // ws://127.0.0.1:port/ws
}

// latePublisher forwards the registry's events to the hub, built after the
// registry because the two need each other.
type latePublisher struct{ hub **Hub }

func (p latePublisher) Publish(roomID string, evs []room.Committed, s game.State) {
	(*p.hub).Publish(roomID, evs, s)
}

func (p latePublisher) Rebuilt(roomID string, s game.State, head int64) {
	(*p.hub).Rebuilt(roomID, s, head)
}

// storeIdentities adapts the store's identities to the hub (serve.go's identities).
type storeIdentities struct{ store *events.Store }

func (i storeIdentities) CreateIdentity(ctx context.Context, playerID, name, token string) error {
	return i.store.CreateIdentity(ctx, playerID, name, token)
}

func (i storeIdentities) IdentityByToken(ctx context.Context, token string) (string, string, error) {
	id, err := i.store.IdentityByToken(ctx, token)
	return id.PlayerID, id.Name, err
}

func (i storeIdentities) IsUnknownToken(err error) bool { return errors.Is(err, events.ErrNotFound) }

// storeHistory adapts the store's reads to resync (serve.go's history).
type storeHistory struct{ store *events.Store }

func (h storeHistory) Since(ctx context.Context, roomID string, afterSeq int64, limit int) ([]StoredEvent, error) {
	page, err := h.store.Since(ctx, roomID, afterSeq, min(limit, 1000))
	out := make([]StoredEvent, len(page.Events))
	for i, ev := range page.Events {
		out[i] = StoredEvent{ID: ev.ID, Seq: ev.Seq, Type: ev.Type, At: ev.At, Payload: ev.Payload,
			CorrelationID: ev.CorrelationID, SchemaVersion: ev.SchemaVersion}
	}
	return out, err
}

// testConfig is DefaultConfig with a fast lobby.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.LobbyInterval = 20 * time.Millisecond
	return cfg
}

// fastGame is the default game in fast mode.
func fastGame() game.Config {
	c := game.DefaultConfig()
	c.FastMode = true
	return c
}

// newHubEnv starts the store, the registry, the hub (with its lobby pusher)
// and the HTTP server; wrap, when not nil, wraps the server's listener.
// Everything stops when the test ends, in serve.go's order.
func newHubEnv(t testing.TB, cfg Config, gcfg game.Config, wrap func(net.Listener) net.Listener) *hubEnv {
	t.Helper()
	return newHubEnvClock(t, cfg, gcfg, wrap, monitor.WallClock{})
}

// newHubEnvClock is newHubEnv with the hub on hubClock; the rooms and the
// store keep the wall clock.
func newHubEnvClock(t testing.TB, cfg Config, gcfg game.Config, wrap func(net.Listener) net.Listener,
	hubClock monitor.Clock) *hubEnv {
	t.Helper()
	ctx := context.Background()
	clock := monitor.WallClock{}
	store, err := events.Open(ctx, filepath.Join(t.TempDir(), "events.db"), events.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var hub *Hub
	rooms := room.NewRegistry(room.Options{Log: events.RoomLog{Store: store}, Publisher: latePublisher{&hub},
		Clock: clock, Config: gcfg})
	hub = NewHub(cfg, rooms, storeIdentities{store}, storeHistory{store}, hubClock, slog.New(slog.DiscardHandler))
	runCtx, stopRun := context.WithCancel(ctx)
	go hub.Run(runCtx)
	up := NewUpgrader(nil)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.ServeWS(ctx, w, r, up)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		stopRun()
		srv.Close()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := rooms.Close(sctx); err != nil {
			t.Errorf("close registry: %v", err)
		}
		if err := hub.Shutdown(sctx, time.Second); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		if err := store.Close(sctx); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return &hubEnv{t: t, hub: hub, rooms: rooms, store: store, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"}
}

// eventTypes lists the types of a room's stored events.
func (e *hubEnv) eventTypes(roomID string) []string {
	e.t.Helper()
	page, err := e.store.Since(context.Background(), roomID, 0, 1000)
	if err != nil {
		e.t.Fatalf("events of %s: %v", roomID, err)
	}
	var types []string
	for _, ev := range page.Events {
		types = append(types, ev.Type)
	}
	return types
}

// waitFor polls cond every 5 ms until it holds or bound passes.
func waitFor(t testing.TB, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", bound, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testClient is one protocol client.
type testClient struct {
	t    testing.TB
	ws   *websocket.Conn
	next int
}

// frame is a server message.
type frame struct {
	Type    string          `json:"type"`
	ReplyTo string          `json:"reply_to"`
	Data    json.RawMessage `json:"data"`
}

func (e *hubEnv) dial(d *websocket.Dialer) *testClient {
	e.t.Helper()
	if d == nil {
		d = websocket.DefaultDialer
	}
	c, _, err := d.Dial(e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &testClient{t: e.t, ws: c}
}

func (c *testClient) send(typ string, data any) string {
	c.t.Helper()
	c.next++
	id := fmt.Sprintf("c%d", c.next)
	b, _ := json.Marshal(map[string]any{"type": typ, "id": id, "data": data})
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// read returns the next message (5 s at most).
func (c *testClient) read() frame {
	c.t.Helper()
	f, err := c.tryRead(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *testClient) tryRead(bound time.Duration) (frame, error) {
	c.ws.SetReadDeadline(time.Now().Add(bound))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("bad message %s: %v", b, err)
	}
	return f, nil
}

// call sends a command and reads up to its reply, which must be a success;
// it returns the messages read before the reply and the reply's data.
func (c *testClient) call(typ string, data any) ([]frame, map[string]any) {
	c.t.Helper()
	id := c.send(typ, data)
	var before []frame
	for {
		f := c.read()
		if f.ReplyTo != id {
			before = append(before, f)
			continue
		}
		if f.Type != "ack" && f.Type != "welcome" {
			c.t.Fatalf("%s: %s %s", typ, f.Type, f.Data)
		}
		var d map[string]any
		json.Unmarshal(f.Data, &d)
		return before, d
	}
}

// hello authenticates with a new name and returns the player id.
func (c *testClient) hello(name string) string {
	c.t.Helper()
	_, w := c.call("hello", map[string]any{"name": name})
	return w["player_id"].(string)
}

// readClose reads (5 s at most) until the connection ends and returns the
// close code, or 1006 when it ended without a close frame.
func (c *testClient) readClose() int {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("connection still open after 5 s")
		}
		return websocket.CloseAbnormalClosure
	}
}

// smallBuffers shrinks the send buffer of accepted connections: loopback
// buffers hold megabytes, a small one makes a client that stops reading block
// the server's writes after some tens of KB.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A member subscribed to the lobby stops reading while the lobby list keeps
// growing, a room at a time: its queue fills, it is closed with 4002, the
// queue is discarded and its seat is disconnected (protocol §1.5).
func TestHubSlowConsumer(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 4
	env := newHubEnv(t, cfg, fastGame(), func(l net.Listener) net.Listener { return smallBuffers{l} })
	c := env.dial(nil)
	player := c.hello("Slow")
	_, ack := c.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	c.call("lobby.subscribe", map[string]any{})
	// The client reads nothing more until the hub gave up on it; other
	// players keep creating rooms, each a lobby change.
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; env.hub.Counters().FramesFailed["queue_full"] == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no slow consumer after %d rooms", i)
		}
		if _, err := env.rooms.Create(ctx, game.Player{PlayerID: fmt.Sprintf("p_host%d", i), Name: "Host"}, false); err != nil {
			t.Fatal(err)
		}
	}
	if code := c.readClose(); code != closeSlowConsumer {
		t.Fatalf("close code %d, want %d", code, closeSlowConsumer)
	}
	waitFor(t, 5*time.Second, "player_disconnected", func() bool {
		return slices.Contains(env.eventTypes(roomID), "player_disconnected")
	})
	if r, _ := env.rooms.MemberRoom(player); r != roomID {
		t.Errorf("after the close the player is in room %q, want %s (seat kept for the grace)", r, roomID)
	}
	waitFor(t, 5*time.Second, "the queue to be accounted", func() bool { return env.hub.PendingFrames() == 0 })
	failed := env.hub.Counters().FramesFailed
	if failed["queue_full"] != 1 || failed["discarded"] == 0 {
		t.Errorf("failed frames %v: want one queue_full and the full queue discarded, not flushed", failed)
	}
	if n := env.hub.OpenConnections(); n != 0 {
		t.Errorf("OpenConnections = %d after the close", n)
	}
	if n := env.hub.Counters().ConnectionsClosed["slow_consumer"]; n != 1 {
		t.Errorf("slow_consumer closes = %d, want 1", n)
	}
}

// readAll reads c in a goroutine until the connection ends (the reads also
// answer pings); the error that ended it arrives on the returned channel.
func (c *testClient) readAll() <-chan error {
	done := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.ws.ReadMessage(); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// A client that answers no ping is dropped once the pong timeout passed,
// without a close frame, and its seat is disconnected; a client that
// answers stays (protocol §1.3).
func TestHubHeartbeat(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PongTimeout = 50*time.Millisecond, 200*time.Millisecond
	env := newHubEnv(t, cfg, fastGame(), nil)
	live := env.dial(nil)
	live.hello("Live")
	live.ws.SetReadDeadline(time.Time{})
	liveEnd := live.readAll()
	dead := env.dial(nil)
	dead.hello("Dead")
	_, ack := dead.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	dead.ws.SetPingHandler(func(string) error { return nil }) // no pong
	dead.ws.SetReadDeadline(time.Time{})
	start := time.Now()
	deadEnd := dead.readAll()
	select {
	case err := <-deadEnd:
		if took := time.Since(start); took < cfg.PongTimeout/4 {
			t.Errorf("dropped after %v, before the pong timeout %v", took, cfg.PongTimeout)
		}
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseAbnormalClosure {
			t.Errorf("the dead client's read ended with %v, want 1006 (no close frame)", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a client without pongs is still connected after 3 s")
	}
	waitFor(t, 5*time.Second, "player_disconnected", func() bool {
		return slices.Contains(env.eventTypes(roomID), "player_disconnected")
	})
	// The live client outlives a few more pong timeouts.
	select {
	case err := <-liveEnd:
		t.Fatalf("a client that answers pings was dropped: %v", err)
	case <-time.After(3 * cfg.PongTimeout):
	}
	if n := env.hub.OpenConnections(); n != 1 {
		t.Errorf("OpenConnections = %d, want 1", n)
	}
	if n := env.hub.Counters().ConnectionsClosed["heartbeat_timeout"]; n != 1 {
		t.Errorf("heartbeat_timeout closes = %d, want 1", n)
	}
}

// lobbyList is the part of lobby.rooms the tests read.
type lobbyList struct {
	Version int64 `json:"version"`
	Rooms   []struct {
		RoomID string `json:"room_id"`
	} `json:"rooms"`
	Total int `json:"total"`
}

// lobby.subscribe queues the list before its ack; a room created by another
// client reaches the subscriber in a newer list (protocol §5.4).
func TestHubLobby(t *testing.T) {
	env := newHubEnv(t, testConfig(), fastGame(), nil)
	sub, host := env.dial(nil), env.dial(nil)
	sub.hello("Sub")
	host.hello("Host")
	before, _ := sub.call("lobby.subscribe", map[string]any{})
	if len(before) != 1 || before[0].Type != "lobby.rooms" {
		t.Fatalf("before the subscribe ack: %v, want one lobby.rooms", before)
	}
	var first lobbyList
	if err := json.Unmarshal(before[0].Data, &first); err != nil {
		t.Fatal(err)
	}
	if first.Total != 0 || len(first.Rooms) != 0 {
		t.Fatalf("initial list %s, want no room", before[0].Data)
	}
	_, ack := host.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := sub.tryRead(time.Until(deadline))
		if err != nil {
			t.Fatalf("no lobby.rooms listing room %s: %v", roomID, err)
		}
		if f.Type != "lobby.rooms" {
			t.Fatalf("subscriber got %s %s", f.Type, f.Data)
		}
		var d lobbyList
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Version <= first.Version {
			t.Fatalf("list version %d after %d", d.Version, first.Version)
		}
		if d.Total == 1 && len(d.Rooms) == 1 && d.Rooms[0].RoomID == roomID {
			break
		}
	}
}

// Shutdown sends shutdown, then close 1001, and appends nothing; later
// upgrades are closed with 1001 at once.
func TestHubShutdown(t *testing.T) {
	env := newHubEnv(t, testConfig(), fastGame(), nil)
	c := env.dial(nil)
	c.hello("Ana")
	_, ack := c.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	stored := env.eventTypes(roomID)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := env.hub.Shutdown(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	f := c.read()
	var d struct {
		Reason       string `json:"reason"`
		RetryAfterMs int    `json:"retry_after_ms"`
	}
	if json.Unmarshal(f.Data, &d); f.Type != "shutdown" || d.Reason != "shutdown" || d.RetryAfterMs != 2000 {
		t.Fatalf("got %s %s, want shutdown with retry_after_ms 2000", f.Type, f.Data)
	}
	if code := c.readClose(); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want 1001", code)
	}
	if got := env.eventTypes(roomID); !slices.Equal(got, stored) {
		t.Errorf("shutdown appended events: %v after %v", got[len(stored):], stored)
	}
	if code := env.dial(nil).readClose(); code != websocket.CloseGoingAway {
		t.Errorf("an upgrade after shutdown: close code %d, want 1001", code)
	}
}

// Every queued message is sent to a client that reads; nothing stays pending.
func TestHubCounters(t *testing.T) {
	cfg := testConfig()
	var mu sync.Mutex
	var commands []string
	cfg.OnCommand = func(command string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		commands = append(commands, command)
	}
	env := newHubEnv(t, cfg, fastGame(), nil)
	c := env.dial(nil)
	c.hello("Ana")
	for range 5 {
		c.call("ping", map[string]any{})
	}
	h := env.hub
	waitFor(t, 5*time.Second, "every reply delivered", func() bool {
		return h.PendingFrames() == 0 && h.Counters().FramesDelivered == 6
	})
	k := h.Counters()
	if k.FramesDelivered != 6 || k.FramesReceived != 6 || k.Commands[CommandOutcome{"ping", OutcomeAck}] != 5 ||
		k.Commands[CommandOutcome{"hello", OutcomeAck}] != 1 {
		t.Errorf("counters %+v: want 6 frames received and delivered, 1 hello and 5 pings acked", k)
	}
	for reason, n := range k.FramesFailed {
		if n != 0 {
			t.Errorf("%d frames failed %s", n, reason)
		}
	}
	if d := h.Delivery(); d.Delivered != 6 || d.Failed != 0 {
		t.Errorf("delivery window %+v, want 6 delivered", d)
	}
	if n := h.OpenConnections(); n != 1 || k.ConnectionsOpened != 1 {
		t.Errorf("OpenConnections = %d, opened %d; want 1", n, k.ConnectionsOpened)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"hello", "ping", "ping", "ping", "ping", "ping"}; !slices.Equal(commands, want) {
		t.Errorf("OnCommand saw %v, want %v", commands, want)
	}
}
