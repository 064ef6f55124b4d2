package ws

import (
	"context"
	"errors"
	"net"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// startReader sets the socket's read rules and starts the first reader.
func (c *conn) startReader(ctx context.Context) {
	h := c.hub
	c.ws.SetReadLimit(int64(h.cfg.MaxFrameBytes))
	c.ws.SetReadDeadline(netDeadline(h.cfg.PongTimeout))
	c.ws.SetPongHandler(func(string) error {
		c.touched()
		return c.ws.SetReadDeadline(netDeadline(h.cfg.PongTimeout))
	})
	go c.read(ctx)
}

// read reads and decodes one frame; a fresh goroutine runs its command and
// then reads the next frame. Go grows a goroutine's stack to the deepest call
// it made and gives the memory back only at a later GC, so the deep calls
// are split among short-lived goroutines: decoding (JSON) ends with this
// one, a command waits on the store or a room from a fresh, small stack, and
// the reader an idle connection keeps has only ever read. Frames are still
// handled one at a time, in order: the next read starts after the reply to
// this one was queued.
func (c *conn) read(ctx context.Context) {
	data, ok := c.readFrame()
	if !ok {
		c.readerDone.Store(true)
		c.helloDone()
		c.hub.connEnded(ctx, c)
		c.hub.wg.Done()
		return
	}
	go c.respondThenRead(ctx, c.decode(data))
}

// respondThenRead runs a decoded frame's command, then starts the next
// reader: encoding the reply and reading room snapshots grew this stack too.
func (c *conn) respondThenRead(ctx context.Context, in *inbound) {
	c.respond(ctx, in)
	go c.read(ctx)
}

// readFrame reads one text frame; false when the connection ends.
func (c *conn) readFrame() ([]byte, bool) {
	kind, data, err := c.ws.ReadMessage()
	if err != nil {
		c.close(readEnd(err), 0, "")
		return nil, false
	}
	c.touched()
	c.hub.counters.received.Add(1)
	if c.isClosing() {
		return nil, false
	}
	switch {
	case kind == websocket.BinaryMessage:
		c.close(endBadFrame, websocket.CloseUnsupportedData, "binary frames are not accepted")
		return nil, false
	case !utf8.Valid(data):
		c.close(endBadFrame, websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
		return nil, false
	}
	return data, true
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
