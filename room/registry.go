package room

import (
	"context"
	crand "crypto/rand"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// Options configure a Registry.
type Options struct {
	Log       EventLog
	Publisher Publisher
	Clock     monitor.Clock // nil: the wall clock
	// Config is the game configuration of new rooms; the zero value means
	// game.DefaultConfig().
	Config game.Config
	// Seed, when set, makes the rooms' random sources reproducible: the
	// n-th room this registry starts (1-based, created or restored) uses
	// PCG(*Seed, n). Nil seeds each room from crypto/rand.
	Seed *uint64
	// InboxSize bounds each room's queue of waiting commands (default 64).
	InboxSize int

	// The hooks below reach the rest of the server; nil leaves each off.

	// Wake is the monitor's wake-up, called with WakeRoomFault on an
	// invariant failure or an actor panic (observability §2.2).
	Wake func(reason string)
	// Recover raises a recovery trigger without blocking (monitor.Recoverer's
	// Trigger): room_state_corruption when a step's invariant check fails or
	// an append of the room's current actor fails with a conflict or a
	// constraint error. Without it the room rebuilds itself at once.
	Recover func(ctx context.Context, procedure, target, raisedBy string, observed map[string]any)
	// System appends room_rebuilt and room_unrecoverable to _system.
	System monitor.SystemEvents
	// OnReplay gets the duration of every fold of a stream, by reason
	// (ReplayStartup, ReplayRebuild, ReplayCanary).
	OnReplay func(reason string, d time.Duration)
	// Logger gets the room's log lines; nil means slog.Default().
	Logger *slog.Logger
	// Faults break rooms on purpose, for tests only.
	Faults *Faults
}

// Registry holds the live rooms and the player memberships: a player holds a
// seat in at most one live room. Memberships follow the rooms' states (a
// human seat not left, in a room not closed); the registry learns every
// state change from the actors, timer-driven ones included.
type Registry struct {
	opts   Options
	sig    *signals
	ctx    context.Context // the actors' lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closing bool
	rooms   map[string]*entry
	members map[string]string // player id -> room id
	pending map[string]string // player id -> room id of a create or join in flight
	started uint64            // rooms started, for Seed
}

type entry struct {
	room       *Room // nil while its id is only reserved
	created    *Room // a room whose first step runs before its actor starts (listed once created)
	members    []string
	canary     bool
	rebuilding bool // a Rebuild runs for it
}

// NewRegistry makes an empty registry; Restore fills it from the store.
func NewRegistry(opts Options) *Registry {
	if opts.Clock == nil {
		opts.Clock = monitor.WallClock{}
	}
	if opts.Config == (game.Config{}) {
		opts.Config = game.DefaultConfig()
	}
	if opts.InboxSize <= 0 {
		opts.InboxSize = DefaultInboxSize
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Registry{opts: opts, sig: newSignals(opts), ctx: ctx, cancel: cancel, rooms: map[string]*entry{},
		members: map[string]string{}, pending: map[string]string{}}
}

// Room is the live room with this id.
func (g *Registry) Room(id string) (*Room, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.rooms[id]; e != nil && e.room != nil {
		return e.room, true
	}
	return nil, false
}

// MemberRoom is the id of the live room where the player holds a seat.
func (g *Registry) MemberRoom(playerID string) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.members[playerID]
	return id, ok
}

// HasActor reports whether a live room runs for this stream (retention keeps
// its events, events.CleanupRequest.HasActor).
func (g *Registry) HasActor(stream string) bool {
	_, ok := g.Room(stream)
	return ok
}

// Seated reports whether the player holds a seat in a live room (retention
// keeps the identity, events.CleanupRequest.Seated).
func (g *Registry) Seated(playerID string) bool {
	_, ok := g.MemberRoom(playerID)
	return ok
}

// newRoom builds a room whose changes reach the registry.
func (g *Registry) newRoom(id string, s game.State, head, incarnation int64, createdAt game.Instant, rng *rand.Rand) *Room {
	return newRoom(g.roomConfig(id, s, head, incarnation, createdAt, rng))
}

func (g *Registry) roomConfig(id string, s game.State, head, incarnation int64, createdAt game.Instant, rng *rand.Rand) roomConfig {
	return roomConfig{id: id, log: g.opts.Log, pub: g.opts.Publisher, clock: g.opts.Clock, rng: rng,
		inboxSize: g.opts.InboxSize, sig: g.sig, onChange: g.roomChanged, ctx: g.ctx, state: s,
		head: head, incarnation: incarnation, createdAt: createdAt}
}

// start registers r under its reserved id (or in place of the room it
// rebuilds) and runs its actor. A registry that is closing does not start it
// and start reports false.
func (g *Registry) start(r *Room) bool {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		r.stop(unavailable(ReasonShutdown, "the server is shutting down"))
		r.exit()
		return false
	}
	e := g.rooms[r.id]
	if e == nil {
		e = &entry{canary: r.canary}
		g.rooms[r.id] = e
	}
	r.ctx, r.cancel = context.WithCancel(g.ctx)
	e.room, e.created = r, nil
	g.wg.Add(1) // under mu: Close sets closing under mu before it waits
	g.mu.Unlock()
	g.roomChanged(r, r.state)
	go func() {
		defer g.wg.Done()
		r.run()
	}()
	return true
}

// roomChanged follows a room's state (on its actor): memberships, and the
// room's end when it closed (a canary room also at game over).
func (g *Registry) roomChanged(r *Room, s game.State) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.rooms[r.id]
	if e == nil || e.room != r {
		return // not started yet (start syncs it) or gone
	}
	now := membersOf(s)
	for _, p := range e.members {
		if g.members[p] == r.id {
			delete(g.members, p)
		}
	}
	for _, p := range now {
		g.members[p] = r.id
	}
	e.members = now
	if s.Closed || (e.canary && s.Phase == game.PhaseGameOver) {
		delete(g.rooms, r.id)
		r.stop(roomError(game.CodeRoomNotFound, nil, "room %s is closed", r.id))
	}
}

// membersOf are the players holding a seat in s: humans who have not left,
// in a room not closed.
func membersOf(s game.State) []string {
	if s.Closed || !s.Created {
		return nil
	}
	var ids []string
	for _, st := range s.Seats {
		if st.Occupant == game.Human && !st.Left && st.PlayerID != "" {
			ids = append(ids, st.PlayerID)
		}
	}
	return ids
}

// Close stops taking commands (they get UNAVAILABLE), lets every actor
// finish its step in progress, stops the timers and waits for the actors
// until ctx ends; then it cancels whatever still runs.
func (g *Registry) Close(ctx context.Context) error {
	g.mu.Lock()
	g.closing = true
	var rooms []*Room
	for _, e := range g.rooms {
		if e.room != nil {
			rooms = append(rooms, e.room)
		}
	}
	g.mu.Unlock()
	for _, r := range rooms {
		r.stop(unavailable(ReasonShutdown, "the server is shutting down"))
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	defer g.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("room registry: actors still running"), ctx.Err())
	}
}

// nextRand is the random source of the next room started.
func (g *Registry) nextRand() *rand.Rand {
	if g.opts.Seed != nil {
		g.mu.Lock()
		g.started++
		n := g.started
		g.mu.Unlock()
		return rand.New(rand.NewPCG(*g.opts.Seed, n))
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails (Go 1.24+)
	return rand.New(rand.NewChaCha8(seed))
}
