package ws

import (
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// Buffer sizes of the connections' sockets. The read buffer lives as long
// as its connection, so it is small: it must hold a frame header or a
// control frame (≤ 125 bytes of payload); larger payloads are read straight
// into the message. A write buffer is taken from a pool for one write
// only, so idle connections hold none.
const (
	readBufferBytes  = 256
	writeBufferBytes = 4096
)

// NewUpgrader is the WebSocket upgrader for ServeWS; checkOrigin decides
// the origin policy (nil: gorilla's same-origin rule).
func NewUpgrader(checkOrigin func(*http.Request) bool) *websocket.Upgrader {
	return &websocket.Upgrader{CheckOrigin: checkOrigin, ReadBufferSize: readBufferBytes,
		WriteBufferSize: writeBufferBytes, WriteBufferPool: &sync.Pool{}}
}
