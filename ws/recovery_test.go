package ws

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/monitor"
)

// gatedListener hands out connections whose writes a test can hold.
type gatedListener struct{ net.Listener }

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	open := make(chan struct{})
	close(open)
	return &gatedConn{Conn: c, gate: open, closed: make(chan struct{})}, nil
}

// gatedConn is a server socket whose writes wait while it is held, as
// they would on a client that stopped reading; Close ends a waiting write.
type gatedConn struct {
	net.Conn
	mu        sync.Mutex
	gate      chan struct{} // closed: writes pass
	closed    chan struct{}
	closeOnce sync.Once
}

func (g *gatedConn) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gatedConn) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gate)
}

func (g *gatedConn) Write(b []byte) (int, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	select {
	case <-gate:
		return g.Conn.Write(b)
	case <-g.closed:
		return 0, net.ErrClosed
	}
}

func (g *gatedConn) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

func gated(l net.Listener) net.Listener { return gatedListener{l} }

// connOf is the server side of a player's connection.
func (e *hubEnv) connOf(player string) *conn {
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	return e.hub.byPlayer[player]
}

// head is a live room's latest seq.
func (e *hubEnv) head(roomID string) int64 {
	r, ok := e.rooms.Room(roomID)
	if !ok {
		e.t.Fatalf("no live room %s", roomID)
	}
	_, head := r.Snapshot()
	return head
}

// blockWriter holds the connection's socket and queues a filler frame: the
// writer then sits inside its write until the returned socket is released.
func blockWriter(t *testing.T, c *conn) *gatedConn {
	t.Helper()
	g := c.batch.Conn.(*gatedConn)
	g.hold()
	c.offer(outFrame{kind: frameOther, data: []byte(`{"type":"filler","data":{}}`)})
	// The filler left the queue and its write started: a writer still
	// finishing an earlier write (the welcome) has not taken it yet.
	waitFor(t, 5*time.Second, "the writer to block", func() bool {
		c.mu.Lock()
		taken := c.out.len() == 0
		c.mu.Unlock()
		return taken && c.writeStartedAt.Load() != 0
	})
	return g
}

// writersIdle waits until no writer is inside a write: a write in flight
// when a test jumps the fake clock would look stuck for the jump.
func (e *hubEnv) writersIdle() {
	e.t.Helper()
	waitFor(e.t, 5*time.Second, "idle writers", func() bool {
		for _, c := range e.hub.connections() {
			if c.writeStartedAt.Load() != 0 {
				return false
			}
		}
		return true
	})
}

// queued counts a connection's queued frames by kind.
func queued(c *conn) map[frameKind]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	frames := make([]outFrame, c.out.len())
	c.out.copyTo(frames)
	n := map[frameKind]int{}
	for _, f := range frames {
		n[f.kind]++
	}
	return n
}

// eventSeq is the seq of an event message.
func eventSeq(t *testing.T, f frame) int64 {
	t.Helper()
	var d struct {
		Event struct {
			Seq int64 `json:"seq"`
		} `json:"event"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d.Event.Seq
}

// maxEventSeq is the newest event seq among frames, 0 when none.
func maxEventSeq(t *testing.T, frames []frame) int64 {
	var seq int64
	for _, f := range frames {
		if f.Type == MsgEvent {
			seq = max(seq, eventSeq(t, f))
		}
	}
	return seq
}

// A client that neither reads nor answers pings becomes stale once nothing
// was read from it for pong timeout + 15 s; SweepStale ends it without a
// close frame and its seat goes through the disconnect path under the
// sweep's correlation id. A client that still talks is left alone.
func TestSweepStale(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	cfg := testConfig()
	env := newHubEnvClock(t, cfg, fastGame(), nil, clock)
	stale := env.dial(nil)
	stale.hello("Stale")
	_, ack := stale.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	live := env.dial(nil)
	live.hello("Live")
	env.writersIdle()
	clock.Advance(cfg.PongTimeout + staleReadGrace - time.Second)
	env.writersIdle() // the pings the jump fired
	if n := env.hub.StaleConnections(); n != 0 {
		t.Fatalf("%d stale connections before pong timeout + 15 s", n)
	}
	clock.Advance(2 * time.Second)
	live.call("ping", map[string]any{}) // a frame read: live is fresh again
	env.writersIdle()
	if n := env.hub.StaleConnections(); n != 1 {
		t.Fatalf("StaleConnections = %d, want 1", n)
	}
	corr := monitor.NewCorrelationID()
	if n := env.hub.SweepStale(monitor.WithCorrelationID(context.Background(), corr)); n != 1 {
		t.Fatalf("SweepStale closed %d, want 1", n)
	}
	if n, open := env.hub.StaleConnections(), env.hub.OpenConnections(); n != 0 || open != 1 {
		t.Errorf("after the sweep: %d stale, %d open; want 0, 1", n, open)
	}
	if n := env.hub.Counters().ConnectionsClosed["stale"]; n != 1 {
		t.Errorf("stale closes = %d, want 1", n)
	}
	if code := stale.readClose(); code != websocket.CloseAbnormalClosure {
		t.Errorf("the swept client saw close %d, want 1006 (no close frame)", code)
	}
	page, err := env.store.Since(context.Background(), roomID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	last := page.Events[len(page.Events)-1]
	if last.Type != "player_disconnected" || last.CorrelationID != corr {
		t.Errorf("last event %s (correlation %q), want player_disconnected caused by the sweep %q",
			last.Type, last.CorrelationID, corr)
	}
	live.call("ping", map[string]any{})
}

// A writer inside one write for over 10 s makes its connection stale; the
// sweep's close fails that frame as write_error.
func TestSweepStaleWriter(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	cfg := testConfig()
	cfg.WriteTimeout = time.Minute // the socket's own deadline stays out of the way
	env := newHubEnvClock(t, cfg, fastGame(), gated, clock)
	c := env.dial(nil)
	player := c.hello("Stuck")
	blockWriter(t, env.connOf(player))
	clock.Advance(staleWriteAfter - time.Second)
	if n := env.hub.StaleConnections(); n != 0 {
		t.Fatalf("%d stale connections after 9 s in a write", n)
	}
	clock.Advance(2 * time.Second)
	if n := env.hub.StaleConnections(); n != 1 {
		t.Fatalf("StaleConnections = %d after 11 s in a write, want 1", n)
	}
	if n := env.hub.SweepStale(context.Background()); n != 1 {
		t.Fatalf("SweepStale closed %d, want 1", n)
	}
	waitFor(t, 5*time.Second, "the blocked frame to fail", func() bool {
		return env.hub.Counters().FramesFailed["write_error"] == 1
	})
	if code := c.readClose(); code != websocket.CloseAbnormalClosure {
		t.Errorf("the swept client saw close %d, want 1006", code)
	}
}

// Coalesce on a member that stopped reading keeps its replies, the newest
// event of its room and the newest lobby list; the client then sees a seq
// gap and repairs it with room.resync.
func TestCoalesceSlowClient(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	cfg := testConfig()
	env := newHubEnvClock(t, cfg, fastGame(), gated, clock)
	c := env.dial(nil)
	player := c.hello("Ana")
	before, ack := c.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	seen := maxEventSeq(t, before)
	c.call("lobby.subscribe", map[string]any{})
	sc := env.connOf(player)
	socket := blockWriter(t, sc)

	ctx := context.Background()
	for i := range 3 {
		// Two room events, then a lobby tick pushes the changed list.
		for _, bot := range []bool{true, false} {
			if _, err := env.rooms.Seat(ctx, player, 2, bot); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 5*time.Second, "a lobby push", func() bool {
			clock.Advance(cfg.LobbyInterval)
			return queued(sc)[frameLobby] == i+1
		})
	}
	for range 5 {
		c.send("ping", map[string]any{})
	}
	waitFor(t, 5*time.Second, "five ping acks queued", func() bool {
		return env.hub.Counters().Commands[CommandOutcome{TypePing, OutcomeAck}] == 5
	})
	kinds := queued(sc)
	if kinds[frameEvent] != 6 || kinds[frameLobby] != 3 || kinds[frameReply] != 5 {
		t.Fatalf("queued %v, want 6 events, 3 lobby lists, 5 replies", kinds)
	}
	removed, dropped := env.hub.Coalesce(8)
	if removed != 7 || dropped != 0 {
		t.Fatalf("Coalesce removed %d, dropped %d; want 7, 0", removed, dropped)
	}
	k := env.hub.Counters()
	if k.FramesCoalesced != 7 || k.FramesFailed["queue_full"]+k.FramesFailed["discarded"]+k.FramesFailed["write_error"] != 0 {
		t.Fatalf("coalesced %d, failed %v; want 7 coalesced, none failed", k.FramesCoalesced, k.FramesFailed)
	}

	head := env.head(roomID)
	socket.release()
	var acks, lists, events int
	for acks < 5 {
		f := c.read()
		switch f.Type {
		case MsgAck:
			acks++
		case MsgLobbyRooms:
			lists++
		case MsgEvent:
			events++
			if seq := eventSeq(t, f); seq != head || seq <= seen+1 {
				t.Errorf("kept event seq %d, want the head %d, past a gap after %d", seq, head, seen)
			}
		}
	}
	if lists != 1 || events != 1 {
		t.Errorf("after coalescing the client got %d lobby lists and %d events, want 1 and 1", lists, events)
	}
	_, d := c.call("room.resync", map[string]any{"room_id": roomID, "last_seq": seen})
	if got := len(d["events"].([]any)); d["mode"] != ResyncEvents || int64(got) != head-seen {
		t.Errorf("resync: mode %v with %d events, want events mode with %d", d["mode"], got, head-seen)
	}
}

// PushView replaces a lagging member's queued events of the room by one
// room.view at head and reports when it was written; a member that has
// everything gets nothing.
func TestPushView(t *testing.T) {
	env := newHubEnv(t, testConfig(), fastGame(), gated)
	host := env.dial(nil)
	hostID := host.hello("Host")
	_, ack := host.call("room.create", map[string]any{})
	roomID := ack["room_id"].(string)
	lag := env.dial(nil)
	lagID := lag.hello("Lag")
	lag.call("room.join", map[string]any{"room_id": roomID})
	lagConn := env.connOf(lagID)
	socket := blockWriter(t, lagConn)
	ctx := context.Background()
	for i := range 4 {
		if _, err := env.rooms.Seat(ctx, hostID, 3, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	head := env.head(roomID)
	for seq := int64(0); seq < head; {
		if f := host.read(); f.Type == MsgEvent {
			seq = eventSeq(t, f)
		}
	}
	hostConn := env.connOf(hostID)
	waitFor(t, 5*time.Second, "the host's head written", func() bool { return !hostConn.lagging(roomID, head) })
	if n := queued(lagConn)[frameEvent]; n != 4 {
		t.Fatalf("%d events queued to the lagging member, want 4", n)
	}

	push := env.hub.PushView(roomID, ViewForcedResync)
	if push.Pushed != 1 {
		t.Fatalf("PushView pushed %d views, want 1", push.Pushed)
	}
	if n := env.hub.Counters().FramesCoalesced; n != 4 {
		t.Errorf("coalesced %d, want the 4 superseded events", n)
	}
	socket.release()
	if f := lag.read(); f.Type != "filler" {
		t.Fatalf("first frame %s, want the filler", f.Type)
	}
	f := lag.read()
	var d struct {
		RoomID string `json:"room_id"`
		Reason string `json:"reason"`
		View   struct {
			Seq int64 `json:"seq"`
		} `json:"view"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil || f.Type != MsgRoomView || d.RoomID != roomID ||
		d.Reason != ViewForcedResync || d.View.Seq != head {
		t.Fatalf("got %s %s, want room.view forced_resync of %s at seq %d", f.Type, f.Data, roomID, head)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if written, err := push.Wait(wctx); written != 1 || err != nil {
		t.Fatalf("Wait = %d, %v; want 1 written", written, err)
	}
	if again := env.hub.PushView(roomID, ViewForcedResync); again.Pushed != 0 {
		t.Errorf("a second PushView pushed %d views to members that are current", again.Pushed)
	}
	if all := env.hub.PushViewAll(ViewForcedResync); all.Pushed != 0 {
		t.Errorf("PushViewAll pushed %d views to members that are current", all.Pushed)
	}
}

// CloseConn closes a player's connection with the given code, or without
// a close frame for code 0; an unknown player has nothing to close.
func TestCloseConn(t *testing.T) {
	env := newHubEnv(t, testConfig(), fastGame(), nil)
	for _, tc := range []struct {
		code, seen int
		reason     string
	}{
		{closeSlowConsumer, closeSlowConsumer, "slow_consumer"},
		{websocket.CloseGoingAway, websocket.CloseGoingAway, "shutdown"},
		{0, websocket.CloseAbnormalClosure, "stale"},
	} {
		c := env.dial(nil)
		player := c.hello("Ana")
		if !env.hub.CloseConn(player, tc.code) {
			t.Fatalf("CloseConn(%d) found no connection", tc.code)
		}
		if got := c.readClose(); got != tc.seen {
			t.Errorf("CloseConn(%d): client saw %d, want %d", tc.code, got, tc.seen)
		}
		waitFor(t, 5*time.Second, "the close counted", func() bool {
			return env.hub.Counters().ConnectionsClosed[tc.reason] == 1
		})
	}
	if env.hub.CloseConn("p_nobody", closeSlowConsumer) {
		t.Error("CloseConn of an unknown player reported a close")
	}
}
