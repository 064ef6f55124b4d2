package ws

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"

	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
)

// Rooms is what the hub needs from the room registry.
type Rooms interface {
	Create(ctx context.Context, host game.Player, quickPlay bool) (room.Outcome, error)
	Join(ctx context.Context, id string, player game.Player) (room.Outcome, error)
	Leave(ctx context.Context, playerID string) (room.Outcome, error)
	Seat(ctx context.Context, playerID string, seat int, bot bool) (room.Outcome, error)
	Start(ctx context.Context, playerID string) (room.Outcome, error)
	Redeal(ctx context.Context, playerID string, deal int, accept bool) (room.Outcome, error)
	Declare(ctx context.Context, playerID string, value int) (room.Outcome, error)
	Play(ctx context.Context, playerID string, pieces []int) (room.Outcome, error)
	Disconnect(ctx context.Context, playerID string) (room.Outcome, error)
	Reconnect(ctx context.Context, playerID string) (room.Outcome, error)
	MemberRoom(playerID string) (string, bool)
	Room(id string) (*room.Room, bool)
	Summaries() []room.Summary
}

// Identities stores player identities by token.
type Identities interface {
	CreateIdentity(ctx context.Context, playerID, name, token string) error
	// IdentityByToken returns the player id and name; an unknown token is
	// an error for which IsUnknownToken is true.
	IdentityByToken(ctx context.Context, token string) (playerID, name string, err error)
	IsUnknownToken(err error) bool
}

// History reads a room's stored events for resync.
type History interface {
	Since(ctx context.Context, roomID string, afterSeq int64, limit int) ([]StoredEvent, error)
}

// Hub owns the live connections and routes room events to their members.
// Its counters are the ones the monitor reads (observability §1.3).
type Hub struct {
	cfg        Config
	rooms      Rooms
	identities Identities
	history    History
	clock      monitor.Clock
	log        *slog.Logger

	mu       sync.Mutex
	conns    map[*conn]struct{}
	byPlayer map[string]*conn          // authenticated connections
	members  map[string]map[string]int // room id -> player id -> seat
	lobby    map[*conn]struct{}        // lobby subscribers
	stopping bool

	lobbyVersion atomic.Int64
	lobbyDirty   atomic.Bool

	// Observability (§1.3, §2.2): the delivery window and counters are
	// the hub's own; the monitor reads them through monitor.HubStats.
	open          atomic.Int64 // registered connections
	pending       atomic.Int64 // frames in all outbound queues
	pendingArmed  atomic.Bool  // the `pending` wake-up timer runs
	failuresWoken atomic.Int64 // bucket epoch of the last `failures` wake-up
	delivery      *monitor.DeliveryWindow
	counters      *hubCounters

	wg sync.WaitGroup
}

// NewHub builds a hub; Run starts its lobby pusher. Zero observability
// thresholds in cfg take their defaults.
func NewHub(cfg Config, rooms Rooms, identities Identities, history History, clock monitor.Clock, log *slog.Logger) *Hub {
	h := &Hub{cfg: cfg.withDefaults(), rooms: rooms, identities: identities, history: history, clock: clock, log: log,
		conns: map[*conn]struct{}{}, byPlayer: map[string]*conn{}, members: map[string]map[string]int{},
		lobby: map[*conn]struct{}{}, delivery: monitor.NewDeliveryWindow(clock), counters: newHubCounters()}
	h.failuresWoken.Store(-1)
	return h
}

// Publish implements room.Publisher: it queues each committed event, with
// the member's view after it, to every connected member of the room, and to
// a member whose membership this batch ended (it sees the events it caused).
func (h *Hub) Publish(roomID string, events []room.Committed, state game.State) {
	if len(events) == 0 {
		return
	}
	h.lobbyDirty.Store(true)
	now := h.clock.Now().UnixMilli()
	h.mu.Lock()
	before := h.members[roomID]
	after := membersOf(state)
	if state.Closed {
		delete(h.members, roomID)
	} else {
		h.members[roomID] = after
	}
	// Members before and after the events: one who left sees the events
	// it caused, then nothing more. A player's connection is registered only
	// after its hello, so events appended while a hello resumes the player
	// are not pushed (protocol §3.4).
	type target struct {
		c      *conn
		player string
		ends   bool
	}
	var targets []target
	for player := range before {
		if c := h.byPlayer[player]; c != nil {
			_, stays := after[player]
			targets = append(targets, target{c, player, !stays || state.Closed})
		}
	}
	for player := range after {
		if _, known := before[player]; known {
			continue
		}
		if c := h.byPlayer[player]; c != nil {
			targets = append(targets, target{c, player, state.Closed})
		}
	}
	h.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	frames := make([]*eventFrames, len(events))
	for i := range events {
		e := &events[i]
		payload, err := json.Marshal(e.Event.Data)
		if err != nil {
			h.log.Error("encode event", "room_id", roomID, "type", e.Event.Type(), "error", err)
			return
		}
		stored := StoredEvent{Seq: e.Seq, Type: e.Event.Type(), At: int64(e.Event.At), Payload: payload,
			CorrelationID: e.CorrelationID, SchemaVersion: 1}
		if frames[i], err = newEventFrames(roomID, stored, &e.State, now); err != nil {
			h.log.Error("encode event frame", "room_id", roomID, "type", stored.Type, "error", err)
			return
		}
	}
	for _, t := range targets {
		for i := range events {
			e := &events[i]
			// The level follows each event's state: once the player left,
			// it reads the room at the public level (protocol §9).
			b, err := frames[i].frame(seatOf(&e.State, t.player))
			if err != nil {
				h.log.Error("redact event", "room_id", roomID, "error", err)
				continue
			}
			t.c.queueFor(roomID, e.Seq, encodedEvent(e.Seq, b))
		}
		if t.ends && state.Closed {
			last := events[len(events)-1].Seq
			t.c.queueFor(roomID, last, RoomClosed(roomID, state.CloseReason, last))
		}
	}
}

// Rebuilt implements room.Publisher: members get a fresh view.
func (h *Hub) Rebuilt(roomID string, state game.State, head int64) {
	now := h.clock.Now().UnixMilli()
	h.mu.Lock()
	members := membersOf(state)
	h.members[roomID] = members
	var conns []*conn
	var seats []int
	for player, seat := range members {
		if c := h.byPlayer[player]; c != nil {
			conns, seats = append(conns, c), append(seats, seat)
		}
	}
	h.mu.Unlock()
	for i, c := range conns {
		c.queueFor(roomID, head, RoomView(roomID, ViewRebuilt, RenderView(state, Member(seats[i]), head, now)))
	}
}

// membersOf maps the players holding a seat (and not gone) to their seats.
func membersOf(s game.State) map[string]int {
	m := map[string]int{}
	for i, st := range s.Seats {
		if st.Occupant == game.Human && !st.Left {
			m[st.PlayerID] = i + 1
		}
	}
	return m
}
