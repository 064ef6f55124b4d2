package ws

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// Write batching. gorilla writes each message to the socket as it is
// encoded, one syscall per frame. A writer that finds several frames queued
// holds the socket instead: gorilla's writes collect in memory and go out in
// one write when the batch is flushed.

// Bounds of one batch; a batch buffer above maxPooledBatch is not kept.
const (
	maxBatchFrames = 32
	maxBatchBytes  = 64 << 10
	maxPooledBatch = 256 << 10
)

var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// batchConn is the socket under a connection's gorilla Conn.
type batchConn struct {
	net.Conn
	mu      sync.Mutex // gorilla's own pong replies write from the reader goroutine
	holding bool
	buf     *[]byte // while holding
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.holding {
		return b.Conn.Write(p)
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

// hold starts collecting writes; flush must follow.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.holding, b.buf = true, batchBuffers.Get().(*[]byte)
	b.mu.Unlock()
}

// flush writes what the batch collected in one write, with the deadline
// gorilla last set, and ends the batch.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	buf := b.buf
	b.holding, b.buf = false, nil
	var err error
	if len(*buf) > 0 {
		_, err = b.Conn.Write(*buf)
	}
	if cap(*buf) <= maxPooledBatch {
		*buf = (*buf)[:0]
		batchBuffers.Put(buf)
	}
	return err
}

// batchHijacker hands the upgrader a batchConn in place of the hijacked
// socket.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("ws: the response writer cannot hijack its connection")
	}
	c, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, rw, nil
}
