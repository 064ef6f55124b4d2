package ws

import (
	"context"
	"errors"
	"net/http"
	"sync"
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
	send    chan []byte
	limiter *rate.Limiter

	mu       sync.Mutex
	playerID string // set by hello
	name     string
	closing  bool
	quiet    bool   // replaced or shut down: its end appends no disconnect
	closeMsg []byte // close frame the writer sends before it stops
	done     chan struct{}
}

// queue adds a message to the outbound queue. A full queue makes the
// connection a slow consumer: the queue is discarded and the connection
// closed with 4002 (protocol §1.5).
func (c *conn) queue(m Message) {
	b, err := m.Encode()
	if err != nil {
		c.hub.log.Error("encode message", "type", m.Type, "error", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	select {
	case c.send <- b:
		c.hub.FramesQueued.Add(1)
	default:
		c.hub.SlowConsumers.Add(1)
		c.drain()
		c.closeLocked(closeSlowConsumer, "slow consumer")
	}
}

// close ends the connection with a close frame.
func (c *conn) close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason)
}

func (c *conn) closeLocked(code int, reason string) {
	if c.closing {
		return
	}
	c.closing = true
	if code != 0 {
		c.closeMsg = websocket.FormatCloseMessage(code, reason)
	}
	close(c.done)
}

// ServeWS upgrades a request and runs the connection until it ends. The
// headers already set on w (request id, Cache-Control) go out with the 101.
func (h *Hub) ServeWS(ctx context.Context, w http.ResponseWriter, r *http.Request, up *websocket.Upgrader) {
	ws, err := up.Upgrade(w, r, w.Header())
	if err != nil {
		return // the upgrader answered already
	}
	c := &conn{hub: h, ws: ws, send: make(chan []byte, h.cfg.QueueSize),
		limiter: rate.NewLimiter(rate.Limit(h.cfg.Rate), h.cfg.Burst), done: make(chan struct{})}
	h.mu.Lock()
	if h.stopping {
		h.mu.Unlock()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"),
			time.Now().Add(time.Second))
		ws.Close()
		return
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	h.mu.Unlock()
	h.Connections.Add(1)
	hello := h.clock.AfterFunc(h.cfg.HelloTimeout, func() {
		if c.player() == "" {
			c.close(closeNoHello, "no hello")
		}
	})
	go func() { defer h.wg.Done(); c.writePump() }()
	go func() {
		defer h.wg.Done()
		c.readPump(ctx)
		hello.Stop()
		h.connEnded(ctx, c)
	}()
}

func (c *conn) player() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.playerID
}

// readPump reads frames until the connection ends; each frame is handled
// before the next is read, so replies keep the commands' order.
func (c *conn) readPump(ctx context.Context) {
	defer c.close(0, "")
	h := c.hub
	c.ws.SetReadLimit(int64(h.cfg.MaxFrameBytes))
	c.ws.SetReadDeadline(time.Now().Add(h.cfg.PongTimeout))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(h.cfg.PongTimeout))
	})
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			return // read limit (1009 sent by gorilla), close, timeout or network error
		}
		select {
		case <-c.done:
			return
		default:
		}
		switch {
		case kind == websocket.BinaryMessage:
			c.close(websocket.CloseUnsupportedData, "binary frames are not accepted")
			return
		case !utf8.Valid(data):
			c.close(websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		c.handleFrame(ctx, data)
	}
}

// writePump owns every write: queued messages, pings and the close frame.
func (c *conn) writePump() {
	h := c.hub
	ping := time.NewTicker(h.cfg.PingInterval)
	defer func() {
		ping.Stop()
		c.ws.Close()
	}()
	write := func(kind int, b []byte) bool {
		c.ws.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
		if err := c.ws.WriteMessage(kind, b); err != nil {
			return false
		}
		return true
	}
	for {
		select {
		case b := <-c.send:
			if !write(websocket.TextMessage, b) {
				h.FramesFailed.Add(1)
				c.close(0, "")
				c.drain()
				return
			}
			h.FramesSent.Add(1)
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.cfg.WriteTimeout)); err != nil {
				c.close(0, "")
				c.drain()
				return
			}
		case <-c.done:
			// flush what was queued before the close, then the close frame
		flush:
			for {
				select {
				case b := <-c.send:
					if write(websocket.TextMessage, b) {
						h.FramesSent.Add(1)
					} else {
						h.FramesFailed.Add(1)
					}
				default:
					break flush
				}
			}
			c.mu.Lock()
			msg := c.closeMsg
			c.mu.Unlock()
			if msg != nil {
				c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			}
			return
		}
	}
}

// drain counts the messages left in the queue of a dead connection, or of a
// slow consumer (its queue is discarded), as failed.
func (c *conn) drain() {
	for {
		select {
		case <-c.send:
			c.hub.FramesFailed.Add(1)
		default:
			return
		}
	}
}

// connEnded forgets the connection; a member's end that is no replacement
// is a disconnect (protocol §3.4).
func (h *Hub) connEnded(ctx context.Context, c *conn) {
	h.Connections.Add(-1)
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.lobby, c)
	c.mu.Lock()
	player, quiet := c.playerID, c.quiet
	c.mu.Unlock()
	current := player != "" && h.byPlayer[player] == c
	if current {
		delete(h.byPlayer, player)
	}
	h.mu.Unlock()
	if !current || quiet {
		return
	}
	if _, member := h.rooms.MemberRoom(player); member {
		cctx := monitor.WithCorrelationID(context.WithoutCancel(ctx), monitor.NewCorrelationID())
		if _, err := h.rooms.Disconnect(cctx, player); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Warn("disconnect", "player_id", player, "error", err)
		}
	}
}
