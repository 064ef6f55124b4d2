package ws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"liaptui/monitor"
)

// Close codes of protocol §1.6.
const (
	closeReplaced     = 4000
	closeNoHello      = 4001
	closeSlowConsumer = 4002
)

// conn is one WebSocket connection: a reader goroutine that handles its
// commands one at a time, a writer goroutine that owns all writes, and a
// bounded outbound queue between them (the gorilla chat example's pumps).
type conn struct {
	hub     *Hub
	ws      *websocket.Conn
	limiter *rate.Limiter
	ready   chan struct{} // one slot: the queue holds frames for the writer
	done    chan struct{} // closed when the connection starts closing

	// Readings of the stale rule (observability §5.1), hub clock unix nanos.
	lastReadAt     atomic.Int64
	writeStartedAt atomic.Int64 // 0 outside a write
	readerDone     atomic.Bool
	writerDone     atomic.Bool
	ended          atomic.Bool // connEnded ran

	mu       sync.Mutex
	playerID string // set by hello
	name     string
	out      outQueue
	written  map[string]int64 // room id -> newest seq written to the socket
	closing  bool
	reason   endReason
	quiet    bool   // replaced or shut down: its end appends no disconnect
	closeMsg []byte // close frame the writer sends before it stops
}

// queue offers a message about no room.
func (c *conn) queue(m Message) { c.queueFor("", 0, m) }

// queueFor offers a message about a room; seq is the event's seq, or the
// head a view or resync ack brings the client to.
func (c *conn) queueFor(roomID string, seq int64, m Message) {
	b, err := m.Encode()
	if err != nil {
		c.hub.log.Error("encode message", "type", m.Type, "error", err)
		return
	}
	c.offer(outFrame{kind: frameKindOf(m.Type), roomID: roomID, seq: seq, data: b})
}

// offer queues f. A frame for a closing connection is not offered: it gets
// no fate (observability §1.3). A full queue makes the connection a slow
// consumer: f fails (queue_full), the queue is discarded and the connection
// closed with 4002 (protocol §1.5).
func (c *conn) offer(f outFrame) {
	h := c.hub
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	f.queuedAt = h.clock.Now().UnixNano()
	if !c.out.push(f, h.cfg.QueueSize) {
		h.frameFailed(failQueueFull, &f)
		c.closeLocked(endSlowConsumer, closeSlowConsumer, "slow consumer")
		return
	}
	h.pendingAdded()
	c.signal()
}

// signal tells the writer that frames are queued.
func (c *conn) signal() {
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// close starts ending the connection; code 0 sends no close frame.
func (c *conn) close(reason endReason, code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(reason, code, text)
}

// closeLocked records the first reason only: later ones are consequences.
func (c *conn) closeLocked(reason endReason, code int, text string) {
	if c.closing {
		return
	}
	c.closing, c.reason = true, reason
	if code != 0 {
		c.closeMsg = websocket.FormatCloseMessage(code, text)
	}
	if reason.discardsQueue() {
		c.hub.framesDiscarded(c.out.takeAll())
	}
	close(c.done)
}

// abort ends the connection at once: no close frame, the TCP connection is
// closed under its pumps (heartbeat-like, protocol §1.6).
func (c *conn) abort(reason endReason) {
	c.close(reason, 0, "")
	c.ws.Close()
}

// discard fails whatever is still queued.
func (c *conn) discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hub.framesDiscarded(c.out.takeAll())
}

func (c *conn) player() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.playerID
}

// touched records a read (frame or pong) for the stale rule.
func (c *conn) touched() { c.lastReadAt.Store(c.hub.clock.Now().UnixNano()) }

// stale is the rule of stale_connections (observability §5.1) at now.
func (c *conn) stale(now int64) bool {
	if now-c.lastReadAt.Load() > int64(c.hub.cfg.PongTimeout+staleReadGrace) {
		return true
	}
	if w := c.writeStartedAt.Load(); w != 0 && now-w > int64(staleWriteAfter) {
		return true
	}
	return c.readerDone.Load() && c.writerDone.Load()
}

// netDeadline is a socket deadline d from now. Sockets time out on the wall
// clock, which the injected clock cannot drive.
func netDeadline(d time.Duration) time.Time { return monitor.WallClock{}.Now().Add(d) }

// newConn wraps an upgraded socket; nothing runs yet.
func (h *Hub) newConn(ws *websocket.Conn) *conn {
	c := &conn{hub: h, ws: ws, limiter: rate.NewLimiter(rate.Limit(h.cfg.Rate), h.cfg.Burst),
		ready: make(chan struct{}, 1), done: make(chan struct{})}
	c.touched() // the pong timeout runs from the upgrade
	return c
}

// ServeWS upgrades a request and runs the connection until it ends. The
// headers already set on w (request id, Cache-Control) go out with the 101.
func (h *Hub) ServeWS(ctx context.Context, w http.ResponseWriter, r *http.Request, up *websocket.Upgrader) {
	ws, err := up.Upgrade(w, r, w.Header())
	if err != nil {
		return // the upgrader answered already
	}
	c := h.newConn(ws)
	h.mu.Lock()
	if h.stopping {
		h.mu.Unlock()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"),
			netDeadline(time.Second))
		ws.Close()
		return
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	h.mu.Unlock()
	h.connOpened()
	hello := h.clock.AfterFunc(h.cfg.HelloTimeout, func() {
		if c.player() == "" {
			c.close(endHelloTimeout, closeNoHello, "no hello")
		}
	})
	go func() { defer h.wg.Done(); c.writePump() }()
	go func() {
		defer h.wg.Done()
		c.readPump(ctx)
		c.readerDone.Store(true)
		hello.Stop()
		h.connEnded(ctx, c)
	}()
}

// readPump reads frames until the connection ends; each frame is handled
// before the next is read, so replies keep the commands' order.
func (c *conn) readPump(ctx context.Context) {
	h := c.hub
	c.ws.SetReadLimit(int64(h.cfg.MaxFrameBytes))
	c.ws.SetReadDeadline(netDeadline(h.cfg.PongTimeout))
	c.ws.SetPongHandler(func(string) error {
		c.touched()
		return c.ws.SetReadDeadline(netDeadline(h.cfg.PongTimeout))
	})
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.close(readEnd(err), 0, "")
			return
		}
		c.touched()
		h.counters.received.Add(1)
		select {
		case <-c.done:
			return
		default:
		}
		switch {
		case kind == websocket.BinaryMessage:
			c.close(endBadFrame, websocket.CloseUnsupportedData, "binary frames are not accepted")
			return
		case !utf8.Valid(data):
			c.close(endBadFrame, websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		c.handleFrame(ctx, data)
	}
}

// readEnd names the end of a read loop that the server did not decide.
func readEnd(err error) endReason {
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit): // gorilla sent 1009
		return endBadFrame
	case errors.As(err, &ne) && ne.Timeout(): // no pong within the pong timeout
		return endHeartbeatTimeout
	}
	return endNormal // the client closed or went away
}

// writePump owns every write: queued frames, pings and the close frame.
func (c *conn) writePump() {
	h := c.hub
	ping := h.clock.NewTimer(h.cfg.PingInterval)
	defer func() {
		ping.Stop()
		c.ws.Close()
		c.writerDone.Store(true)
	}()
	for {
		select {
		case <-c.ready:
			if !c.writeNext() {
				return
			}
		case <-ping.C():
			c.writeStartedAt.Store(h.clock.Now().UnixNano())
			err := c.ws.WriteControl(websocket.PingMessage, nil, netDeadline(h.cfg.WriteTimeout))
			c.writeStartedAt.Store(0)
			if err != nil {
				c.close(endWriteError, 0, "")
				c.discard()
				return
			}
			ping = h.clock.NewTimer(h.cfg.PingInterval)
		case <-c.done:
			c.flush()
			return
		}
	}
}

// writeNext writes the oldest queued frame, one per loop turn so pings and
// the close are not starved; false when the write failed.
func (c *conn) writeNext() bool {
	c.mu.Lock()
	f, ok := c.out.pop()
	if c.out.len() > 0 {
		c.signal()
	}
	c.mu.Unlock()
	if !ok {
		return true
	}
	c.hub.pendingRemoved(1)
	if c.write(&f) {
		return true
	}
	c.close(endWriteError, 0, "")
	c.discard() // the connection may have been closing already, with a flush pending
	return false
}

// flush writes what was queued before a graceful close, then the close
// frame; after a failed write the rest is discarded and no close is sent.
// Ends that discard the queue left nothing to flush.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		f, ok := c.out.pop()
		msg := c.closeMsg
		c.mu.Unlock()
		if !ok {
			if msg != nil {
				c.ws.WriteControl(websocket.CloseMessage, msg, netDeadline(time.Second))
			}
			return
		}
		c.hub.pendingRemoved(1)
		if !c.write(&f) {
			c.discard()
			return
		}
	}
}

// write sends one frame and records its fate.
func (c *conn) write(f *outFrame) bool {
	h := c.hub
	c.writeStartedAt.Store(h.clock.Now().UnixNano())
	c.ws.SetWriteDeadline(netDeadline(h.cfg.WriteTimeout))
	err := c.ws.WriteMessage(websocket.TextMessage, f.data)
	c.writeStartedAt.Store(0)
	if err != nil {
		h.frameFailed(failWriteError, f)
		return false
	}
	h.frameDelivered(f)
	if f.roomID != "" {
		c.noteWritten(f)
	}
	return true
}

// noteWritten keeps the newest seq the client holds per room (PushView).
func (c *conn) noteWritten(f *outFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.kind == frameClosed {
		delete(c.written, f.roomID) // membership ended
		return
	}
	if f.seq > c.written[f.roomID] {
		if c.written == nil {
			c.written = map[string]int64{}
		}
		c.written[f.roomID] = f.seq
	}
}

// connEnded forgets the connection, once; a member's end that is no
// replacement is a disconnect (protocol §3.4). ctx's correlation id, when
// it has one (a recovery sweep), is the disconnect's cause.
func (h *Hub) connEnded(ctx context.Context, c *conn) {
	if c.ended.CompareAndSwap(false, true) {
		h.unregister(ctx, c)
	}
}

// unregister is connEnded's work, for the caller that set c.ended.
func (h *Hub) unregister(ctx context.Context, c *conn) {
	c.mu.Lock()
	player, quiet, reason := c.playerID, c.quiet, c.reason
	c.mu.Unlock()
	h.open.Add(-1)
	h.counters.closed[reason].Add(1)
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.lobby, c)
	current := player != "" && h.byPlayer[player] == c
	if current {
		delete(h.byPlayer, player)
	}
	h.mu.Unlock()
	if !current || quiet {
		return
	}
	if _, member := h.rooms.MemberRoom(player); member {
		corr := monitor.CorrelationID(ctx)
		if corr == "" {
			corr = monitor.NewCorrelationID()
		}
		cctx := monitor.WithCorrelationID(context.WithoutCancel(ctx), corr)
		if _, err := h.rooms.Disconnect(cctx, player); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Warn("disconnect", "player_id", player, "error", err)
		}
	}
}
