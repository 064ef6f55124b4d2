package room

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// DefaultInboxSize bounds a room's queue of commands waiting for its actor.
const DefaultInboxSize = 64

// appendTimeout bounds one append (observability §6.3: room actors use 5 s).
const appendTimeout = 5 * time.Second

// Outcome is what a command did.
type Outcome struct {
	RoomID string
	Seat   int        // the command's player's seat after it; 0 when none
	State  game.State // the state after the command
	Head   int64      // the stream's head seq after the command
	Events []Committed
}

// Room is one live room. A single goroutine (the actor) owns its state, head
// and incarnation; everything else reaches it through a bounded inbox (Do) or
// the timer channels, so commands and timer expiries are processed one at a
// time.
type Room struct {
	id        string
	log       EventLog
	pub       Publisher
	clock     monitor.Clock
	rng       *rand.Rand // the actor's alone (not safe for concurrent use)
	sig       *signals
	canary    bool
	onChange  func(*Room, game.State) // on the actor, after every committed change
	createdAt game.Instant            // set before the actor starts
	announce  bool                    // a rebuilt room: the actor's first act is Publisher.Rebuilt

	// ctx ends the actor and aborts its store calls: the registry's until the
	// actor starts, then its own, which a rebuild cancels.
	ctx    context.Context
	cancel context.CancelFunc
	inbox  chan message
	tickC  chan struct{} // 1 slot: a posted tick is never lost and never blocks the clock
	botC   chan struct{} // 1 slot, like tickC; botFired says which bot timer fired
	quit   chan struct{}
	done   chan struct{}

	inboxMu  sync.Mutex
	queuedAt []int64 // enqueue instants (Unix ms) of the messages not yet handled, in inbox order

	quitOnce   sync.Once
	botFired   atomic.Uint64
	rebuilding atomic.Bool
	retired    atomic.Bool // replaced by a rebuild: publishes and reports nothing more
	published  published
	gauge      atomic.Pointer[gauge]

	// owned by the actor (before it starts: by whoever builds the room)
	state       game.State
	head        int64
	storedHead  int64 // the highest seq known stored; passes head only after a failed step
	incarnation int64
	timers      timers
	failures    []time.Time // actor panics within panicWindow

	mu       sync.Mutex // guards the fields below
	snap     game.State
	snapHead int64
	stopErr  error // what commands get once the room stops taking them
}

// published is what the actor tells the registry without a round trip
// (observability §1.2): Unix ms, 0 for none.
type published struct {
	mailboxOldestAt atomic.Int64 // enqueue time of the oldest message not yet handled
	nextDeadlineAt  atomic.Int64 // the earliest timer the actor has to handle
	lastProgressAt  atomic.Int64 // the end of the latest handled message or timer step
	incarnation     atomic.Int64
}

type message struct {
	ctx   context.Context // the caller's: a message whose caller gave up is skipped
	cmd   game.Command    // nil only asks for the state
	actor string
	corr  string
	reply chan result // 1 slot, so the actor never blocks on it
}

type result struct {
	out Outcome
	err error
}

// roomConfig is what a new Room needs; the registry fills it.
type roomConfig struct {
	id          string
	log         EventLog
	pub         Publisher
	clock       monitor.Clock
	rng         *rand.Rand
	inboxSize   int
	sig         *signals
	canary      bool
	onChange    func(*Room, game.State)
	ctx         context.Context
	state       game.State
	head        int64
	incarnation int64
	createdAt   game.Instant
}

func newRoom(c roomConfig) *Room {
	r := &Room{id: c.id, log: c.log, pub: c.pub, clock: c.clock, rng: c.rng, sig: c.sig, canary: c.canary,
		onChange: c.onChange, createdAt: c.createdAt, ctx: c.ctx,
		inbox: make(chan message, c.inboxSize), tickC: make(chan struct{}, 1), botC: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}),
		state: c.state, head: c.head, storedHead: c.head, incarnation: c.incarnation}
	r.publishState()
	r.published.incarnation.Store(c.incarnation)
	return r
}

// ID is the room id.
func (r *Room) ID() string { return r.id }

// CreatedAt is the instant of room_created (for a restored room without
// RoomInfoReader: the instant it was restored).
func (r *Room) CreatedAt() game.Instant { return r.createdAt }

// Snapshot is the state and head after the latest committed step, read
// without waiting for the actor.
func (r *Room) Snapshot() (game.State, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snap, r.snapHead
}

// Done is closed once the actor has exited.
func (r *Room) Done() <-chan struct{} { return r.done }

// Do sends cmd to the room and waits for its outcome or for ctx. The
// correlation id of ctx (a new one when it has none) goes with the stored
// events. A full inbox fails at once with UNAVAILABLE (queue_full); a room
// that stopped answers UNAVAILABLE (shutdown) or ROOM_NOT_FOUND (closed). A
// rejection is the game's *game.Error, unchanged.
func (r *Room) Do(ctx context.Context, cmd game.Command) (Outcome, error) {
	if cmd == nil {
		return Outcome{}, roomError(game.CodeInternal, nil, "no command")
	}
	return r.send(ctx, cmd)
}

// State returns the actor's state and head, ordered with the commands: it
// answers after everything queued before it.
func (r *Room) State(ctx context.Context) (game.State, int64, error) {
	out, err := r.send(ctx, nil)
	return out.State, out.Head, err
}

func (r *Room) send(ctx context.Context, cmd game.Command) (Outcome, error) {
	m := message{ctx: ctx, cmd: cmd, actor: actorOf(cmd), corr: correlation(ctx), reply: make(chan result, 1)}
	if err := r.enqueue(m); err != nil {
		r.sig.logCommand(monitor.WithCorrelationID(ctx, m.corr), r.id, cmd, 0, 0, err)
		return Outcome{RoomID: r.id}, err
	}
	select {
	case res := <-m.reply:
		return res.out, res.err
	case <-r.done:
		select { // the actor may have answered just before it exited
		case res := <-m.reply:
			return res.out, res.err
		default:
			return Outcome{RoomID: r.id}, r.stopError()
		}
	case <-ctx.Done():
		return Outcome{RoomID: r.id}, ctx.Err()
	}
}

func (r *Room) enqueue(m message) error {
	select {
	case <-r.quit:
		return r.stopError()
	default:
	}
	if r.rebuilding.Load() {
		return rebuildingError(r.id)
	}
	// The instant is recorded before the message can reach the actor.
	r.inboxMu.Lock()
	defer r.inboxMu.Unlock()
	r.queuedAt = append(r.queuedAt, r.clock.Now().UnixMilli())
	if len(r.queuedAt) == 1 {
		r.published.mailboxOldestAt.Store(r.queuedAt[0])
	}
	select {
	case r.inbox <- m:
		return nil
	default:
		r.queuedAt = r.queuedAt[:len(r.queuedAt)-1]
		if len(r.queuedAt) == 0 {
			r.published.mailboxOldestAt.Store(0)
		}
		return unavailable(ReasonQueueFull, "room %s has too many commands queued", r.id)
	}
}

// dequeued forgets the oldest message's enqueue instant once the actor has
// handled it: the message in progress still counts as waiting. Messages
// enter under inboxMu, so the instants are in inbox order.
func (r *Room) dequeued() {
	r.inboxMu.Lock()
	defer r.inboxMu.Unlock()
	r.queuedAt = r.queuedAt[1:]
	var oldest int64
	if len(r.queuedAt) > 0 {
		oldest = r.queuedAt[0]
	}
	r.published.mailboxOldestAt.Store(oldest)
}

// stop makes the room refuse commands with err and its actor exit after the
// step in progress. The first error wins.
func (r *Room) stop(err error) {
	r.mu.Lock()
	if r.stopErr == nil {
		r.stopErr = err
	}
	r.mu.Unlock()
	r.quitOnce.Do(func() { close(r.quit) })
}

func (r *Room) stopError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr == nil {
		return unavailable(ReasonShutdown, "room %s stopped", r.id)
	}
	return r.stopErr
}

func (r *Room) stopped() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

// run is the actor. Timer expiries already posted go before the inbox: they
// fell due before any command still waiting there was sent.
func (r *Room) run() {
	defer r.exit()
	if r.announce && !r.retired.Load() {
		r.pub.Rebuilt(r.id, r.state, r.head)
	}
	r.arm(false)
	r.progressed()
	for !r.stopped() {
		select {
		case <-r.tickC:
			r.timerStep(game.Tick{})
			r.progressed()
			continue
		case <-r.botC:
			r.botStep()
			r.progressed()
			continue
		default:
		}
		select {
		case <-r.quit:
		case <-r.ctx.Done():
			r.stop(unavailable(ReasonShutdown, "room %s is shutting down", r.id))
		case m := <-r.inbox:
			r.handle(m)
			r.dequeued()
		case <-r.tickC:
			r.timerStep(game.Tick{})
		case <-r.botC:
			r.botStep()
		}
		r.progressed()
	}
}

func (r *Room) progressed() { r.published.lastProgressAt.Store(r.clock.Now().UnixMilli()) }

// exit stops the timers, answers whatever is still queued and releases the
// actor's context.
func (r *Room) exit() {
	r.timers.stopAll()
	if r.cancel != nil {
		r.cancel()
	}
	err := r.stopError()
	for {
		select {
		case m := <-r.inbox:
			m.reply <- result{out: Outcome{RoomID: r.id}, err: err}
			r.dequeued()
		default:
			close(r.done)
			return
		}
	}
}

func (r *Room) handle(m message) {
	if m.ctx.Err() != nil {
		return // nobody waits for the answer
	}
	if m.cmd == nil {
		m.reply <- result{out: r.outcome(m.cmd, nil)}
		return
	}
	out, err := r.safeStep(m.corr, m.cmd, m.actor)
	m.reply <- result{out: out, err: err}
}

func (r *Room) outcome(cmd game.Command, evs []Committed) Outcome {
	out := Outcome{RoomID: r.id, State: r.state, Head: r.head, Events: evs}
	if p := playerOf(cmd); p != "" {
		out.Seat = seatOf(r.state, p)
	}
	return out
}

func (r *Room) now() game.Instant { return game.Instant(r.clock.Now().UnixMilli()) }

// playerOf is the player a command acts for, "" for server commands.
func playerOf(cmd game.Command) string {
	switch c := cmd.(type) {
	case game.CreateRoom:
		if c.Host != nil {
			return c.Host.PlayerID
		}
	case game.Join:
		return c.Player.PlayerID
	case game.SetSeat:
		return c.PlayerID
	case game.Start:
		return c.PlayerID
	case game.Redeal:
		return c.PlayerID
	case game.Declare:
		return c.PlayerID
	case game.Play:
		return c.PlayerID
	case game.Disconnect:
		return c.PlayerID
	case game.Reconnect:
		return c.PlayerID
	case game.Leave:
		return c.PlayerID
	}
	return ""
}

// actorOf is who the stored events name as their actor.
func actorOf(cmd game.Command) string {
	if p := playerOf(cmd); p != "" {
		return p
	}
	return ActorSystem
}

// seatOf is the seat a player holds in s (left or not), 0 when none.
func seatOf(s game.State, playerID string) int {
	for i := range s.Seats {
		if s.Seats[i].Occupant == game.Human && s.Seats[i].PlayerID == playerID {
			return i + 1
		}
	}
	return 0
}
