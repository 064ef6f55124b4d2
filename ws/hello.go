package ws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"liaptui/game"
)

// hello authenticates the connection: a new identity for a name, or the
// identity of a token, replacing an older connection and reconnecting a
// member (protocol §3). The store is waited on from a small frame; the
// room snapshots are read afterwards, in welcome's helpers.
func (c *conn) hello(ctx context.Context, d HelloData) (Message, error) {
	playerID, name, token, err := c.hub.identify(ctx, d)
	if err != nil {
		return Message{}, err
	}
	return c.welcome(ctx, playerID, name, token, d.Token != nil)
}

// welcome takes over the identity for this connection and registers it.
func (c *conn) welcome(ctx context.Context, playerID, name, token string, resumed bool) (Message, error) {
	h := c.hub
	h.mu.Lock()
	old := h.byPlayer[playerID]
	h.mu.Unlock()
	if old != nil {
		old.replaced()
	} else if err := h.reconnect(ctx, playerID); err != nil {
		return Message{}, err
	}
	welcome := WelcomeData{PlayerID: playerID, Token: token, Name: name, Resumed: resumed,
		ServerTime: h.clock.Now().UnixMilli(), Limits: h.limits()}
	// Register and queue the welcome under the hub's lock, so every event
	// published after the snapshot reaches this connection after its welcome.
	h.mu.Lock()
	defer h.mu.Unlock()
	welcome.Room = h.welcomeRoom(playerID)
	c.mu.Lock()
	c.playerID, c.name = playerID, name
	c.mu.Unlock()
	c.helloDone()
	h.byPlayer[playerID] = c
	return Welcome("", welcome), nil
}

// identify finds the identity of d's token, or creates one for d's name.
func (h *Hub) identify(ctx context.Context, d HelloData) (playerID, name, token string, err error) {
	if d.Token == nil {
		name, playerID, token = strings.TrimSpace(*d.Name), "p_"+randomHex(6), randomHex(16)
		return playerID, name, token, h.identities.CreateIdentity(ctx, playerID, name, token)
	}
	token = *d.Token
	playerID, name, err = h.identities.IdentityByToken(ctx, token)
	if h.identities.IsUnknownToken(err) {
		return "", "", "", NewError(CodeInvalidToken, nil, "unknown or expired token")
	}
	return playerID, name, token, err
}

// replaced ends an older connection of an identity that said hello again.
func (c *conn) replaced() {
	c.mu.Lock()
	c.quiet = true
	c.mu.Unlock()
	c.queue(Replaced("another connection resumed this identity"))
	c.close(endReplaced, closeReplaced, "replaced")
}

// reconnect gives a member without a connection its seat back.
func (h *Hub) reconnect(ctx context.Context, playerID string) error {
	roomID, member := h.rooms.MemberRoom(playerID)
	if !member {
		return nil
	}
	r, ok := h.rooms.Room(roomID)
	if !ok {
		return nil
	}
	if s, _ := r.Snapshot(); connected(&s, playerID) {
		return nil
	}
	_, err := h.rooms.Reconnect(ctx, playerID)
	return err
}

// welcomeRoom is the welcome's room of a member, nil for others.
func (h *Hub) welcomeRoom(playerID string) *WelcomeRoom {
	roomID, member := h.rooms.MemberRoom(playerID)
	if !member {
		return nil
	}
	r, ok := h.rooms.Room(roomID)
	if !ok {
		return nil
	}
	s, head := r.Snapshot()
	return &WelcomeRoom{RoomID: roomID, Seat: seatOf(&s, playerID), Phase: string(s.Phase), LastSeq: head}
}

func (h *Hub) limits() Limits {
	return Limits{MaxFrameBytes: h.cfg.MaxFrameBytes, RatePerSec: int(h.cfg.Rate), Burst: h.cfg.Burst,
		OutboundQueue: h.cfg.QueueSize, PingIntervalMs: int(h.cfg.PingInterval.Milliseconds()),
		PongTimeoutMs: int(h.cfg.PongTimeout.Milliseconds()), ResyncMaxEvents: h.cfg.ResyncMaxEvents}
}

// connected reports whether the player holds a seat in s and is connected.
func connected(s *game.State, playerID string) bool {
	seat := seatOf(s, playerID)
	return seat != 0 && s.Seats[seat-1].Connected
}

// seatOf is the seat (1-based) the player holds in s, 0 when none.
func seatOf(s *game.State, playerID string) int {
	for i, st := range s.Seats {
		if st.Occupant == game.Human && st.PlayerID == playerID && !st.Left {
			return i + 1
		}
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
