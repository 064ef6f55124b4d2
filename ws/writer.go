package ws

import (
	"time"

	"github.com/gorilla/websocket"
)

// The write side: a writer goroutine runs only while frames are queued, a
// ping is due or the connection is closing, and exits when nothing is left.
// At most one runs per connection (c.writing), so writes stay in queue
// order and gorilla sees one writer at a time. The writer that finds the
// connection closing flushes, sends the close frame last, and ends the
// write side for good.

// wakeWriterLocked starts a writer unless one runs; c.mu is held.
func (c *conn) wakeWriterLocked() {
	if !c.started || c.writing {
		return
	}
	c.writing = true
	go c.writeLoop()
}

// pingTimerFired runs on the ping timer: the next writer sends a ping.
func (c *conn) pingTimerFired() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.pingDue = true
	c.wakeWriterLocked()
}

// writeLoop writes until nothing is left to write. Closing comes first (the
// flush writes what a graceful close kept), then a due ping, then a
// batch of the oldest frames per turn, so a long queue does not delay pings.
func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		closing, ping := c.closing, c.pingDue && !c.closing
		if ping {
			c.pingDue = false
		}
		if !closing && !ping && c.out.len() == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		switch {
		case closing:
			c.flush()
			c.endWrites()
			return
		case ping:
			if !c.ping() {
				c.endWrites()
				return
			}
		default:
			if !c.writeBatch(maxBatchFrames) {
				c.endWrites()
				return
			}
		}
	}
}

// endWrites ends the write side: no ping is armed, the socket is closed
// (which also ends the reader) and c.writing stays set, so no writer starts
// again.
func (c *conn) endWrites() {
	c.mu.Lock()
	c.pinger.Stop()
	c.mu.Unlock()
	c.ws.Close()
	c.writerDone.Store(true)
	c.hub.wg.Done()
}

// ping sends a ping and arms the next one; false when the write failed.
func (c *conn) ping() bool {
	h := c.hub
	c.writeStartedAt.Store(h.clock.Now().UnixNano())
	err := c.ws.WriteControl(websocket.PingMessage, nil, netDeadline(h.cfg.WriteTimeout))
	c.writeStartedAt.Store(0)
	if err != nil {
		c.close(endWriteError, 0, "")
		c.discard()
		return false
	}
	c.mu.Lock()
	c.pinger = h.clock.AfterFunc(h.cfg.PingInterval, c.pingTimerFired)
	c.mu.Unlock()
	return true
}

// writeBatch writes up to limit of the oldest queued frames (and at most
// maxBatchBytes past the first) with one socket write; false when the write
// failed, and then every frame of the batch failed with it.
func (c *conn) writeBatch(limit int) bool {
	var space [maxBatchFrames]outFrame
	batch := space[:0]
	size := 0
	c.mu.Lock()
	for len(batch) < min(limit, maxBatchFrames) && (len(batch) == 0 || size < maxBatchBytes) {
		f, ok := c.out.pop()
		if !ok {
			break
		}
		batch, size = append(batch, f), size+len(f.data)
	}
	c.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	h := c.hub
	h.pendingRemoved(len(batch))
	c.writeStartedAt.Store(h.clock.Now().UnixNano())
	c.ws.SetWriteDeadline(netDeadline(h.cfg.WriteTimeout))
	c.batch.hold()
	var err error
	for i := range batch {
		if err = c.ws.WriteMessage(websocket.TextMessage, batch[i].data); err != nil {
			break
		}
	}
	if ferr := c.batch.flush(); err == nil {
		err = ferr
	}
	c.writeStartedAt.Store(0)
	if err != nil {
		for i := range batch {
			h.frameFailed(failWriteError, &batch[i])
		}
		c.close(endWriteError, 0, "")
		c.discard() // the connection may have been closing already, with a flush pending
		return false
	}
	for i := range batch {
		// The newest seq written is recorded before the frame's receipt is
		// resolved: whoever waits on it (PushView) then finds the member
		// current.
		if batch[i].roomID != "" {
			c.noteWritten(&batch[i])
		}
		h.frameDelivered(&batch[i])
	}
	return true
}

// flush writes what was queued before a graceful close, then the close
// frame; after a failed write the rest is discarded and no close is sent.
// Ends that discard the queue left nothing to flush.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		empty, msg := c.out.len() == 0, c.closeMsg
		c.mu.Unlock()
		if empty {
			if msg != nil {
				c.ws.WriteControl(websocket.CloseMessage, msg, netDeadline(time.Second))
			}
			return
		}
		if !c.writeBatch(maxBatchFrames) {
			return
		}
	}
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
