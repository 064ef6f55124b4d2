package ws

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// lobbyMax is how many rooms one lobby.rooms message lists (protocol §5.4).
const lobbyMax = 200

func (h *Hub) lobbyMessage() Message {
	rooms := h.rooms.Summaries()
	d := LobbyRoomsData{Version: h.lobbyVersion.Load(), Total: len(rooms)}
	if len(rooms) > lobbyMax {
		rooms, d.Truncated = rooms[:lobbyMax], true
	}
	d.Rooms = rooms
	return LobbyRooms(d)
}

// subscribe adds c to the lobby and sends it the list (before its ack),
// also in protection mode, where it is the only list c gets.
func (h *Hub) subscribe(c *conn) {
	h.mu.Lock()
	h.lobby[c] = struct{}{}
	h.mu.Unlock()
	c.queue(h.lobbyMessage())
}

// Run pushes the lobby list to subscribers when it changed, at most once per
// lobby interval, until ctx ends. Protection mode suspends the pushes; a
// change made meanwhile is pushed once it ends (observability §5.5).
func (h *Hub) Run(ctx context.Context) {
	for {
		timer := h.clock.NewTimer(h.cfg.LobbyInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
		if h.protected() || !h.lobbyDirty.Swap(false) {
			continue
		}
		h.lobbyVersion.Add(1)
		b, err := h.lobbyMessage().Encode()
		if err != nil {
			h.log.Error("encode lobby list", "error", err)
			continue
		}
		h.mu.Lock()
		subs := make([]*conn, 0, len(h.lobby))
		for c := range h.lobby {
			subs = append(subs, c)
		}
		h.mu.Unlock()
		for _, c := range subs {
			c.offer(outFrame{kind: frameLobby, data: b}) // the bytes are shared, never written to
		}
	}
}

// Shutdown refuses new connections, sends every connection the shutdown
// message and close 1001, and waits for the pumps until ctx ends.
func (h *Hub) Shutdown(ctx context.Context, retryAfter time.Duration) error {
	h.mu.Lock()
	h.stopping = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.quiet = true // nothing is appended at shutdown (observability §9.2)
		c.mu.Unlock()
		c.queue(Shutdown(int(retryAfter.Milliseconds())))
		c.close(endShutdown, websocket.CloseGoingAway, "server shutdown")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
