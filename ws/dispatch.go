package ws

import (
	"context"
	"math"
	"runtime/debug"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
)

// inbound is a frame the reader decoded, on its way to the goroutine that
// runs its command (reader.go).
type inbound struct {
	start  time.Time // receipt, for OnCommand
	corr   string    // the frame's correlation id
	id     string    // the envelope's id, which the reply refers to
	label  string    // the command's counter label
	cmd    Command
	player string
	err    error // answers the frame instead of cmd
}

// decode admits a frame: the command its player may run now, or the error
// that answers it instead.
func (c *conn) decode(data []byte) *inbound {
	h := c.hub
	in := &inbound{start: h.clock.Now(), corr: monitor.NewCorrelationID(), label: CommandUnknown}
	env, bad := DecodeEnvelope(data)
	in.id = env.ID
	if KnownCommand(env.Type) {
		in.label = env.Type
	}
	// The rate limit comes before anything else is checked (§1.4).
	now := h.clock.Now()
	if r := c.limiter.ReserveN(now, 1); r.DelayFrom(now) > 0 {
		delay := r.DelayFrom(now)
		r.CancelAt(now)
		in.err = RateLimited(int(math.Ceil(float64(delay.Microseconds()) / 1000)))
		return in
	}
	if bad != nil {
		in.err = bad
		return in
	}
	if !KnownCommand(env.Type) {
		in.err = UnknownType(env.Type)
		return in
	}
	in.player = c.player()
	switch {
	case env.Type == TypeHello && in.player != "":
		in.err = NewError(CodeAlreadyAuthenticated, nil, "already authenticated")
	case env.Type != TypeHello && in.player == "":
		in.err = NewError(CodeNotAuthenticated, nil, "send hello first")
	default:
		if in.cmd, bad = DecodeData(env); bad != nil {
			in.err = bad
		}
	}
	return in
}

// respond runs a decoded frame to its single reply (protocol §1.7). The
// frames between it and a command waiting on the store or a room are kept
// small (replied, roomCommand and hello's helpers hold the large values), so
// the waiting goroutine fits the smallest stacks.
func (c *conn) respond(ctx context.Context, in *inbound) {
	ctx = monitor.WithCorrelationID(ctx, in.corr)
	var reply Message
	broken := false
	err := in.err
	if err == nil {
		reply, err = c.runSafe(ctx, in.player, in.cmd, &broken)
	}
	if err != nil {
		reply = ErrorReply(in.id, err, in.corr)
	} else {
		reply.ReplyTo = in.id
	}
	if reply.Type == MsgAck || reply.Type == MsgWelcome {
		reply.CorrelationID = in.corr // errors carry it in their data already
	}
	c.replied(ctx, in, reply, broken)
}

// replied queues the reply to in and counts it; broken closes the
// connection after it.
func (c *conn) replied(ctx context.Context, in *inbound, reply Message, broken bool) {
	h := c.hub
	ack, resynced := reply.Data.(ResyncAck)
	if resynced {
		c.queueFor(ack.RoomID, ack.LastSeq, reply)
		h.counters.resyncs[ack.Mode].Add(1)
	} else {
		c.queue(reply)
	}
	h.counters.command(in.label, reply)
	if broken {
		c.close(endInternal, websocket.CloseInternalServerErr, "internal error")
	}
	if h.cfg.OnCommand != nil {
		h.cfg.OnCommand(in.label, h.clock.Now().Sub(in.start))
	}
	if resynced {
		h.resynced(ctx, ack, in.cmd.(ResyncData))
	}
}

// resynced raises client_desync for a gap over 10 (observability §5.1),
// after the reply that repairs the client was queued.
func (h *Hub) resynced(ctx context.Context, ack ResyncAck, d ResyncData) {
	if gap := ack.LastSeq - d.LastSeq; gap > desyncGap && h.cfg.Recover != nil {
		h.cfg.Recover(ctx, "client_desync", ack.RoomID, "client", map[string]any{"gap": gap})
	}
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

// run executes a decoded command for the connection's player. Its frame
// stays small: the registry's large outcomes live in roomCommand's.
func (c *conn) run(ctx context.Context, player string, cmd Command) (Message, error) {
	h := c.hub
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
	case ResyncData:
		return c.resync(ctx, player, d)
	case CreateData, StartData:
		if h.protected() {
			return h.refuse(cmd.CommandType())
		}
	case JoinData:
		if h.protected() && h.waitingRoom(d.RoomID) {
			return h.refuse(TypeRoomJoin)
		}
	}
	return c.roomCommand(ctx, player, cmd)
}

// roomCommand runs a command of the room registry and acks it.
func (c *conn) roomCommand(ctx context.Context, player string, cmd Command) (Message, error) {
	rooms := c.hub.rooms
	var out room.Outcome
	var err error
	var data any = struct{}{}
	switch d := cmd.(type) {
	case CreateData:
		out, err = rooms.Create(ctx, game.Player{PlayerID: player, Name: c.name}, d.QuickPlay)
		data = SeatAck{RoomID: out.RoomID, Seat: out.Seat}
	case JoinData:
		out, err = rooms.Join(ctx, d.RoomID, game.Player{PlayerID: player, Name: c.name})
		data = SeatAck{RoomID: out.RoomID, Seat: out.Seat}
	case LeaveData:
		out, err = rooms.Leave(ctx, player)
		data = LeaveAck{RoomID: out.RoomID}
	case SeatData:
		_, err = rooms.Seat(ctx, player, d.Seat, d.Occupant == OccupantBot)
	case StartData:
		_, err = rooms.Start(ctx, player)
	case RedealData:
		_, err = rooms.Redeal(ctx, player, d.GameDeal(), d.Accept)
	case DeclareData:
		_, err = rooms.Declare(ctx, player, d.Value)
	case PlayData:
		_, err = rooms.Play(ctx, player, d.Pieces)
	default:
		return Message{}, NewError(CodeInternal, nil, "command %s has no handler", cmd.CommandType())
	}
	if err != nil {
		return Message{}, err
	}
	return Ack("", data), nil
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
	level := Member(seatOf(&s, player))
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
