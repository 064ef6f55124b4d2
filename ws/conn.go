package ws

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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

// conn is one WebSocket connection. An idle connection runs one goroutine:
// a reader blocked on the socket (reader.go). Writes go through a bounded
// outbound queue to a writer goroutine that runs only while something is
// to be written (writer.go), so idle connections hold no writer stack.
type conn struct {
	hub      *Hub
	ws       *websocket.Conn
	batch    *batchConn // the socket under ws
	limiter  *rate.Limiter
	id       string    // conn_id of the log lines (observability §7.4)
	openedAt time.Time // for the disconnect line's lifetime

	// Readings of the stale rule (observability §5.1), hub clock unix nanos.
	lastReadAt     atomic.Int64
	writeStartedAt atomic.Int64 // 0 outside a write
	readerDone     atomic.Bool
	writerDone     atomic.Bool // the write side ended for good
	ended          atomic.Bool // connEnded ran

	mu sync.Mutex
	// started: ServeWS runs the connection, so work for the writer starts
	// one; until then (and in tests driving a conn by hand) none starts.
	started      bool
	writing      bool // a writer runs (gorilla allows one concurrent writer); stays set once the write side ended
	pingDue      bool // the ping timer fired: the writer sends a ping
	pinger       monitor.Timer
	helloTimeout monitor.Timer // the hello timeout, until hello succeeds or the reader ends
	playerID     string        // set by hello
	name         string
	out          outQueue
	written      map[string]int64 // room id -> newest seq written to the socket
	closing      bool
	reason       endReason
	quiet        bool   // replaced or shut down: its end appends no disconnect
	closeMsg     []byte // close frame the last writer sends
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
	c.wakeWriterLocked()
}

// close starts ending the connection; code 0 sends no close frame.
func (c *conn) close(reason endReason, code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(reason, code, text)
}

// closeCode is the code of the close frame the server sent or will send,
// 1006 (abnormal) when it ends without one.
func (c *conn) closeCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.closeMsg) >= 2 {
		return int(c.closeMsg[0])<<8 | int(c.closeMsg[1])
	}
	return websocket.CloseAbnormalClosure
}

// closeLocked records the first reason only: later ones are consequences.
// The writer that runs next sends what remains and ends the write side.
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
	c.wakeWriterLocked()
}

// abort ends the connection at once: no close frame, the TCP connection is
// closed under its reader and writer (heartbeat-like, protocol §1.6).
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

// isClosing reports whether the connection started closing.
func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
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

// newConn wraps an upgraded socket and the batchConn under it; nothing runs
// yet.
func (h *Hub) newConn(ws *websocket.Conn, batch *batchConn) *conn {
	c := &conn{hub: h, ws: ws, batch: batch, limiter: rate.NewLimiter(rate.Limit(h.cfg.Rate), h.cfg.Burst),
		id: monitor.NewCorrelationID(), openedAt: h.clock.Now()}
	c.touched() // the pong timeout runs from the upgrade
	return c
}

// ServeWS upgrades a request and starts the connection's reader; it returns
// at once. The headers already set on w (request id, Cache-Control) go out
// with the 101.
func (h *Hub) ServeWS(ctx context.Context, w http.ResponseWriter, r *http.Request, up *websocket.Upgrader) {
	hj := &batchHijacker{ResponseWriter: w}
	ws, err := up.Upgrade(hj, r, w.Header())
	if err != nil {
		return // the upgrader answered already
	}
	c := h.newConn(ws, hj.conn)
	h.mu.Lock()
	if h.stopping {
		h.mu.Unlock()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"),
			netDeadline(time.Second))
		ws.Close()
		return
	}
	// Started before it is registered: a close from the hub must find it
	// able to start its last writer.
	c.started = true
	c.helloTimeout = h.clock.AfterFunc(h.cfg.HelloTimeout, c.helloTimedOut)
	c.pinger = h.clock.AfterFunc(h.cfg.PingInterval, c.pingTimerFired)
	h.conns[c] = struct{}{}
	h.wg.Add(2) // the reader and the write side, each ending once
	h.mu.Unlock()
	h.connOpened()
	if l := h.cfg.Events; l != nil {
		// The upgrade request's context: its line carries the request id
		// and the new conn_id together.
		l.Connected(monitor.WithConnID(r.Context(), c.id), r.RemoteAddr)
	}
	c.startReader(monitor.WithConnID(ctx, c.id))
}

func (c *conn) helloTimedOut() {
	if c.player() == "" {
		c.close(endHelloTimeout, closeNoHello, "no hello")
	}
}

// helloDone stops the hello timeout: the connection said hello, or its
// reader ended.
func (c *conn) helloDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.helloTimeout != nil {
		c.helloTimeout.Stop()
		c.helloTimeout = nil
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
	if l := h.cfg.Events; l != nil {
		lctx := monitor.WithConnID(ctx, c.id)
		if player != "" {
			lctx = monitor.WithPlayerID(lctx, player)
		}
		l.Disconnected(lctx, c.closeCode(), endReasonNames[reason], h.clock.Now().Sub(c.openedAt))
		if reason == endSlowConsumer {
			l.SlowConsumer(lctx)
		}
	}
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
