package room

import (
	"slices"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// stuckAfter is the stuck rule's limit (observability §1.2): a message
// waiting longer, or a deadline passed longer ago without being handled.
const stuckAfter = 10 * time.Second

// gauge is a room's contribution to the game gauges, replaced (never
// changed) after every committed change.
type gauge struct {
	phase                                 game.Phase
	humansConnected, humansAway, botSeats int
}

func gaugeOf(s game.State) *gauge {
	g := &gauge{phase: s.Phase}
	for _, st := range s.Seats {
		switch {
		case st.Occupant == game.Bot:
			g.botSeats++
		case st.Occupant == game.Human && st.Connected && !st.Left:
			g.humansConnected++
		case st.Occupant == game.Human: // disconnected, or left a started game
			g.humansAway++
		}
	}
	return g
}

// RoomCounts implements monitor.RoomStats (checks 12-14): O(rooms) atomic
// loads, no actor round trip; canary rooms are excluded.
func (g *Registry) RoomCounts(now time.Time) monitor.RoomCounts {
	var c monitor.RoomCounts
	for _, r := range g.gameRooms() {
		gg := r.gauge.Load()
		switch {
		case gg.phase == game.PhaseWaiting:
			c.Waiting++
		case gg.phase == game.PhaseGameOver:
			c.Finished++
		case inGame(gg.phase):
			c.Playing++
		}
		c.HumansConnected += gg.humansConnected
		c.HumansAway += gg.humansAway
		c.Bots += gg.botSeats
		if r.stuck(now) {
			c.Stuck++
		}
	}
	c.InvariantFailures, c.Panics = g.sig.recent.counts(now)
	return c
}

// Stuck lists, sorted, the rooms meeting the stuck rule at now (the
// monitor's trigger and recovery's success re-check); canary rooms excluded.
func (g *Registry) Stuck(now time.Time) []string {
	var ids []string
	for _, r := range g.gameRooms() {
		if r.stuck(now) {
			ids = append(ids, r.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Incarnation is the incarnation the live room's actor appends with.
func (g *Registry) Incarnation(roomID string) (int64, bool) {
	r, ok := g.Room(roomID)
	if !ok {
		return 0, false
	}
	return r.published.incarnation.Load(), true
}

// gameRooms are the live rooms that are not canary rooms.
func (g *Registry) gameRooms() []*Room {
	g.mu.Lock()
	defer g.mu.Unlock()
	rooms := make([]*Room, 0, len(g.rooms))
	for _, e := range g.rooms {
		if e.room != nil && !e.canary {
			rooms = append(rooms, e.room)
		}
	}
	return rooms
}

// stuck applies the stuck rule to what the actor published.
func (r *Room) stuck(now time.Time) bool {
	nowMs, limit := now.UnixMilli(), stuckAfter.Milliseconds()
	if at := r.published.mailboxOldestAt.Load(); at != 0 && nowMs-at > limit {
		return true
	}
	at := r.published.nextDeadlineAt.Load()
	return at != 0 && nowMs-at > limit
}

// Progress is what a room's actor published for stuck detection; a zero
// time means none.
type Progress struct {
	MailboxOldestAt time.Time // enqueue time of the oldest message not yet handled
	NextDeadlineAt  time.Time // the earliest timer the actor has to handle
	LastProgressAt  time.Time // the end of the latest handled message or timer step
}

// Progress reads the room's published progress (atomic loads only).
func (r *Room) Progress() Progress {
	at := func(ms int64) time.Time {
		if ms == 0 {
			return time.Time{}
		}
		return time.UnixMilli(ms)
	}
	return Progress{MailboxOldestAt: at(r.published.mailboxOldestAt.Load()),
		NextDeadlineAt: at(r.published.nextDeadlineAt.Load()), LastProgressAt: at(r.published.lastProgressAt.Load())}
}
