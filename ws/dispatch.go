package ws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"runtime/debug"
	"strings"

	"github.com/gorilla/websocket"

	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
)

// handleFrame runs one inbound frame to its single reply (protocol §1.7)
// and counts it.
func (c *conn) handleFrame(ctx context.Context, data []byte) {
	h := c.hub
	start := h.clock.Now()
	corr := monitor.NewCorrelationID()
	ctx = monitor.WithCorrelationID(ctx, corr)
	label, cmd, reply, broken := c.answer(ctx, corr, data)
	if reply.Type == MsgAck || reply.Type == MsgWelcome {
		reply.CorrelationID = corr // errors carry it in their data already
	}
	ack, resynced := reply.Data.(ResyncAck)
	if resynced {
		c.queueFor(ack.RoomID, ack.LastSeq, reply)
		h.counters.resyncs[ack.Mode].Add(1)
	} else {
		c.queue(reply)
	}
	h.counters.command(label, reply)
	if broken {
		c.close(endInternal, websocket.CloseInternalServerErr, "internal error")
	}
	if h.cfg.OnCommand != nil {
		h.cfg.OnCommand(label, h.clock.Now().Sub(start))
	}
	if resynced {
		h.resynced(ctx, ack, cmd.(ResyncData))
	}
}

// resynced raises client_desync for a gap over 10 (observability §5.1),
// after the reply that repairs the client was queued.
func (h *Hub) resynced(ctx context.Context, ack ResyncAck, d ResyncData) {
	if gap := ack.LastSeq - d.LastSeq; gap > desyncGap && h.cfg.Recover != nil {
		h.cfg.Recover(ctx, "client_desync", ack.RoomID, "client", map[string]any{"gap": gap})
	}
}

// answer decides the reply to one frame; label names its command for the
// counters, broken says the handler panicked.
func (c *conn) answer(ctx context.Context, corr string, data []byte) (label string, cmd Command, reply Message, broken bool) {
	h := c.hub
	env, bad := DecodeEnvelope(data)
	label = CommandUnknown
	if KnownCommand(env.Type) {
		label = env.Type
	}
	fail := func(err error) (string, Command, Message, bool) {
		return label, cmd, ErrorReply(env.ID, err, corr), broken
	}
	// The rate limit comes before anything else is checked (§1.4).
	now := h.clock.Now()
	if r := c.limiter.ReserveN(now, 1); r.DelayFrom(now) > 0 {
		delay := r.DelayFrom(now)
		r.CancelAt(now)
		return fail(RateLimited(int(math.Ceil(float64(delay.Microseconds()) / 1000))))
	}
	if bad != nil {
		return fail(bad)
	}
	if !KnownCommand(env.Type) {
		return fail(UnknownType(env.Type))
	}
	player := c.player()
	switch {
	case env.Type == TypeHello && player != "":
		return fail(NewError(CodeAlreadyAuthenticated, nil, "already authenticated"))
	case env.Type != TypeHello && player == "":
		return fail(NewError(CodeNotAuthenticated, nil, "send hello first"))
	}
	cmd, bad = DecodeData(env)
	if bad != nil {
		return fail(bad)
	}
	reply, err := c.runSafe(ctx, player, cmd, &broken)
	if err != nil {
		return fail(err)
	}
	reply.ReplyTo = env.ID
	return label, cmd, reply, false
}

// runSafe is run with a panic turned into INTERNAL: the connection is then
// closed with 1011 after its reply (protocol §1.6).
func (c *conn) runSafe(ctx context.Context, player string, cmd Command, broken *bool) (reply Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.hub.log.Error("command handler panicked", "command", cmd.CommandType(), "player_id", player,
				"correlation_id", monitor.CorrelationID(ctx), "panic", p, "stack", string(debug.Stack()))
			*broken = true
			reply, err = Message{}, NewError(CodeInternal, nil, internalMessage)
		}
	}()
	return c.run(ctx, player, cmd)
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
		if d.Name != nil && h.protected() {
			return h.refuse(TypeHello)
		}
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
		if h.protected() {
			return h.refuse(TypeRoomCreate)
		}
		out, err := rooms.Create(ctx, game.Player{PlayerID: player, Name: c.name}, d.QuickPlay)
		return ack(out, err, SeatAck{RoomID: out.RoomID, Seat: out.Seat})
	case JoinData:
		if h.protected() && h.waitingRoom(d.RoomID) {
			return h.refuse(TypeRoomJoin)
		}
		out, err := rooms.Join(ctx, d.RoomID, game.Player{PlayerID: player, Name: c.name})
		return ack(out, err, SeatAck{RoomID: out.RoomID, Seat: out.Seat})
	case LeaveData:
		out, err := rooms.Leave(ctx, player)
		return ack(out, err, LeaveAck{RoomID: out.RoomID})
	case SeatData:
		out, err := rooms.Seat(ctx, player, d.Seat, d.Occupant == "bot")
		return ack(out, err, nil)
	case StartData:
		if h.protected() {
			return h.refuse(TypeRoomStart)
		}
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
		old.close(endReplaced, closeReplaced, "replaced")
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
