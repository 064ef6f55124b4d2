package ws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strings"

	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
)

// handleFrame runs one inbound frame to its single reply (protocol §1.7).
func (c *conn) handleFrame(ctx context.Context, data []byte) {
	h := c.hub
	corr := monitor.NewCorrelationID()
	ctx = monitor.WithCorrelationID(ctx, corr)
	// The rate limit comes before anything else is checked (§1.4).
	if r := c.limiter.ReserveN(h.clock.Now(), 1); r.DelayFrom(h.clock.Now()) > 0 {
		delay := r.DelayFrom(h.clock.Now())
		r.CancelAt(h.clock.Now())
		env, _ := DecodeEnvelope(data)
		c.queue(ErrorReply(env.ID, RateLimited(int(math.Ceil(float64(delay.Microseconds())/1000))), corr))
		return
	}
	env, bad := DecodeEnvelope(data)
	if bad != nil {
		c.queue(ErrorReply(env.ID, bad, corr))
		return
	}
	if !KnownCommand(env.Type) {
		c.queue(ErrorReply(env.ID, UnknownType(env.Type), corr))
		return
	}
	player := c.player()
	switch {
	case env.Type == TypeHello && player != "":
		c.queue(ErrorReply(env.ID, NewError(CodeAlreadyAuthenticated, nil, "already authenticated"), corr))
		return
	case env.Type != TypeHello && player == "":
		c.queue(ErrorReply(env.ID, NewError(CodeNotAuthenticated, nil, "send hello first"), corr))
		return
	}
	cmd, bad := DecodeData(env)
	if bad != nil {
		c.queue(ErrorReply(env.ID, bad, corr))
		return
	}
	reply, err := c.run(ctx, player, cmd)
	if err != nil {
		c.queue(ErrorReply(env.ID, err, corr))
		return
	}
	reply.ReplyTo = env.ID
	c.queue(reply)
}

// run executes a decoded command for the connection's player.
func (c *conn) run(ctx context.Context, player string, cmd Command) (Message, error) {
	h := c.hub
	rooms := h.rooms
	ack := func(out room.Outcome, err error, data any) (Message, error) {
		if err != nil {
			return Message{}, err
		}
		if data == nil {
			data = struct{}{}
		}
		return Ack("", data), nil
	}
	switch d := cmd.(type) {
	case HelloData:
		return c.hello(ctx, d)
	case PingData:
		return Ack("", PingAck{ServerTime: h.clock.Now().UnixMilli(), ClientTime: d.ClientTime}), nil
	case LobbySubscribeData:
		h.subscribe(c)
		return Ack("", nil), nil
	case LobbyUnsubscribeData:
		h.mu.Lock()
		delete(h.lobby, c)
		h.mu.Unlock()
		return Ack("", nil), nil
	case CreateData:
		out, err := rooms.Create(ctx, game.Player{PlayerID: player, Name: c.name}, d.QuickPlay)
		return ack(out, err, SeatAck{RoomID: out.RoomID, Seat: out.Seat})
	case JoinData:
		out, err := rooms.Join(ctx, d.RoomID, game.Player{PlayerID: player, Name: c.name})
		return ack(out, err, SeatAck{RoomID: out.RoomID, Seat: out.Seat})
	case LeaveData:
		out, err := rooms.Leave(ctx, player)
		return ack(out, err, LeaveAck{RoomID: out.RoomID})
	case SeatData:
		out, err := rooms.Seat(ctx, player, d.Seat, d.Occupant == "bot")
		return ack(out, err, nil)
	case StartData:
		out, err := rooms.Start(ctx, player)
		return ack(out, err, nil)
	case RedealData:
		out, err := rooms.Redeal(ctx, player, d.GameDeal(), d.Accept)
		return ack(out, err, nil)
	case DeclareData:
		out, err := rooms.Declare(ctx, player, d.Value)
		return ack(out, err, nil)
	case PlayData:
		out, err := rooms.Play(ctx, player, d.Pieces)
		return ack(out, err, nil)
	case ResyncData:
		return c.resync(ctx, player, d)
	}
	return Message{}, NewError(CodeInternal, nil, "command %s has no handler", cmd.CommandType())
}

// hello authenticates the connection: a new identity for a name, or the
// identity of a token, replacing an older connection and reconnecting a
// member (protocol §3).
func (c *conn) hello(ctx context.Context, d HelloData) (Message, error) {
	h := c.hub
	var playerID, name, token string
	resumed := d.Token != nil
	if resumed {
		token = *d.Token
		var err error
		playerID, name, err = h.identities.IdentityByToken(ctx, token)
		if h.identities.IsUnknownToken(err) {
			return Message{}, NewError(CodeInvalidToken, nil, "unknown or expired token")
		}
		if err != nil {
			return Message{}, err
		}
	} else {
		name, playerID, token = strings.TrimSpace(*d.Name), "p_"+randomHex(6), randomHex(16)
		if err := h.identities.CreateIdentity(ctx, playerID, name, token); err != nil {
			return Message{}, err
		}
	}
	h.mu.Lock()
	old := h.byPlayer[playerID]
	h.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		old.quiet = true
		old.mu.Unlock()
		old.queue(Replaced("another connection resumed this identity"))
		old.close(closeReplaced, "replaced")
	} else if roomID, member := h.rooms.MemberRoom(playerID); member {
		if r, ok := h.rooms.Room(roomID); ok {
			if s, _ := r.Snapshot(); !connected(s, playerID) {
				if _, err := h.rooms.Reconnect(ctx, playerID); err != nil {
					return Message{}, err
				}
			}
		}
	}
	welcome := WelcomeData{PlayerID: playerID, Token: token, Name: name, Resumed: resumed,
		ServerTime: h.clock.Now().UnixMilli(), Limits: h.limits()}
	// Register and queue the welcome under the hub's lock, so every event
	// published after the snapshot reaches this connection after its welcome.
	h.mu.Lock()
	defer h.mu.Unlock()
	if roomID, member := h.rooms.MemberRoom(playerID); member {
		if r, ok := h.rooms.Room(roomID); ok {
			s, head := r.Snapshot()
			welcome.Room = &WelcomeRoom{RoomID: roomID, Seat: seatOf(s, playerID), Phase: string(s.Phase), LastSeq: head}
		}
	}
	c.mu.Lock()
	c.playerID, c.name = playerID, name
	c.mu.Unlock()
	h.byPlayer[playerID] = c
	return Welcome("", welcome), nil
}

func (h *Hub) limits() Limits {
	return Limits{MaxFrameBytes: h.cfg.MaxFrameBytes, RatePerSec: int(h.cfg.Rate), Burst: h.cfg.Burst,
		OutboundQueue: h.cfg.QueueSize, PingIntervalMs: int(h.cfg.PingInterval.Milliseconds()),
		PongTimeoutMs: int(h.cfg.PongTimeout.Milliseconds()), ResyncMaxEvents: h.cfg.ResyncMaxEvents}
}

func connected(s game.State, playerID string) bool {
	seat := seatOf(s, playerID)
	return seat != 0 && s.Seats[seat-1].Connected
}

func seatOf(s game.State, playerID string) int {
	for i, st := range s.Seats {
		if st.Occupant == game.Human && st.PlayerID == playerID && !st.Left {
			return i + 1
		}
	}
	return 0
}

// resync answers room.resync (protocol §8).
func (c *conn) resync(ctx context.Context, player string, d ResyncData) (Message, error) {
	h := c.hub
	r, ok := h.rooms.Room(d.RoomID)
	if !ok {
		return Message{}, NewError(Code(game.CodeRoomNotFound), nil, "no live room %s", d.RoomID)
	}
	if roomID, member := h.rooms.MemberRoom(player); !member || roomID != d.RoomID {
		return Message{}, NewError(Code(game.CodeNotSeated), nil, "you hold no seat in room %s", d.RoomID)
	}
	s, head := r.Snapshot()
	if d.LastSeq > head {
		return Message{}, SeqOutOfRange(head)
	}
	level := Member(seatOf(s, player))
	mode := ResyncMode(head, d.LastSeq, h.cfg.ResyncMaxEvents)
	events := []ClientEvent{}
	if mode == ResyncEvents && head > d.LastSeq {
		stored, err := h.history.Since(ctx, d.RoomID, d.LastSeq, int(head-d.LastSeq))
		if err != nil {
			return Message{}, err
		}
		for _, ev := range stored {
			if ev.Seq > head {
				break
			}
			ce, err := Redact(ev, level)
			if err != nil {
				return Message{}, err
			}
			events = append(events, ce)
		}
	}
	view := RenderView(s, level, head, h.clock.Now().UnixMilli())
	return Ack("", NewResyncAck(d.RoomID, head, mode, events, view)), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
