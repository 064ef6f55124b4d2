package room

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
)

// testStart is the fake clock's start.
var testStart = time.UnixMilli(1_764_000_000_000)

// harness is a registry on a real SQLite store in a temp dir, a recording
// publisher and a fake clock.
type harness struct {
	t       *testing.T
	path    string
	clock   *monitor.FakeClock
	opts    Options
	wrapLog func(events.RoomLog) EventLog // nil: the RoomLog itself
	store   *events.Store
	pub     *recorder
	reg     *Registry
}

func fastConfig() game.Config {
	c := game.DefaultConfig()
	c.FastMode = true
	return c
}

func newHarness(t *testing.T, cfg game.Config, mods ...func(*harness)) *harness {
	t.Helper()
	seed := uint64(1)
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "events.db"), clock: monitor.NewFakeClock(testStart),
		opts: Options{Config: cfg, Seed: &seed}}
	for _, m := range mods {
		m(h)
	}
	h.open()
	t.Cleanup(h.shutdown)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	store, err := events.Open(context.Background(), h.path, events.Options{Clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	h.store, h.pub = store, newRecorder()
	opts := h.opts
	var log EventLog = events.RoomLog{Store: store}
	if h.wrapLog != nil {
		log = h.wrapLog(events.RoomLog{Store: store})
	}
	opts.Log, opts.Publisher, opts.Clock = log, h.pub, h.clock
	h.reg = NewRegistry(opts)
}

// shutdown closes the registry, then the store, as the server does.
func (h *harness) shutdown() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.reg.Close(ctx); err != nil {
		h.t.Errorf("close registry: %v", err)
	}
	if err := h.store.Close(ctx); err != nil {
		h.t.Errorf("close store: %v", err)
	}
}

// restart is a server restart: close everything, reopen the same file.
func (h *harness) restart() {
	h.shutdown()
	h.open()
}

func (h *harness) room(id string) *Room {
	h.t.Helper()
	r, ok := h.reg.Room(id)
	if !ok {
		h.t.Fatalf("room %s is not live", id)
	}
	return r
}

// sync waits until the room has handled everything posted to it so far
// (timer expiries go first) and returns its state.
func (h *harness) sync(r *Room) (game.State, int64) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, head, err := r.State(ctx)
	if err != nil {
		h.t.Fatalf("state of %s: %v", r.ID(), err)
	}
	return s, head
}

// advance moves the clock by d in steps short enough that a timer armed
// during one step never falls due within it, syncing the room after each.
func (h *harness) advance(r *Room, d time.Duration) game.State {
	h.t.Helper()
	const step = 100 * time.Millisecond
	for d > 0 {
		n := min(step, d)
		h.clock.Advance(n)
		d -= n
		h.sync(r)
	}
	s, _ := h.sync(r)
	return s
}

func (h *harness) now() game.Instant { return game.Instant(h.clock.Now().UnixMilli()) }

// stored reads a room's whole stream.
func (h *harness) stored(id string) []events.Stored {
	h.t.Helper()
	var out []events.Stored
	for {
		page, err := h.store.Since(context.Background(), id, int64(len(out)), 1000)
		if err != nil {
			h.t.Fatalf("since %s: %v", id, err)
		}
		out = append(out, page.Events...)
		if !page.HasMore {
			return out
		}
	}
}

// checkPublishedEqualsStored checks that what the publisher got for a room
// is seqs 1..n without gaps and equal, event by event, to the store.
func (h *harness) checkPublishedEqualsStored(id string) {
	h.t.Helper()
	pub := h.pub.events(id)
	stored := h.stored(id)
	if len(pub) != len(stored) {
		h.t.Fatalf("published %d events, stored %d", len(pub), len(stored))
	}
	for i, c := range pub {
		st := stored[i]
		payload, err := json.Marshal(c.Event.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		if c.Seq != int64(i+1) || st.Seq != c.Seq || st.Type != c.Event.Type() || st.At != int64(c.Event.At) ||
			string(st.Payload) != string(payload) || st.CorrelationID != c.CorrelationID {
			h.t.Fatalf("event %d: published seq %d %s at %d %s corr %s; stored seq %d %s at %d %s corr %s", i+1,
				c.Seq, c.Event.Type(), c.Event.At, payload, c.CorrelationID,
				st.Seq, st.Type, st.At, st.Payload, st.CorrelationID)
		}
	}
}

// recorder is a Publisher that keeps everything it gets.
type recorder struct {
	mu        sync.Mutex
	published map[string][]Committed
	states    map[string]game.State
	rebuilt   []rebuiltCall
}

type rebuiltCall struct {
	room  string
	state game.State
	head  int64
}

func newRecorder() *recorder {
	return &recorder{published: map[string][]Committed{}, states: map[string]game.State{}}
}

func (p *recorder) Publish(room string, evs []Committed, s game.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published[room] = append(p.published[room], evs...)
	p.states[room] = s
}

func (p *recorder) Rebuilt(room string, s game.State, head int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rebuilt = append(p.rebuilt, rebuiltCall{room: room, state: s, head: head})
}

func (p *recorder) events(room string) []Committed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Committed(nil), p.published[room]...)
}

func (p *recorder) rebuilds() []rebuiltCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rebuiltCall(nil), p.rebuilt...)
}

// lastOfType is the latest published event of a type, if any.
func (p *recorder) lastOfType(room, typ string) (Committed, bool) {
	evs := p.events(room)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Event.Type() == typ {
			return evs[i], true
		}
	}
	return Committed{}, false
}

// owes reports whether seat owes a decision in s.
func owes(s game.State, seat int) bool {
	if s.Closed {
		return false
	}
	switch s.Phase {
	case game.PhasePreparation:
		return game.ViewOf(s, seat).AwaitingRedeal
	case game.PhaseDeclaration, game.PhaseTurn:
		return s.Current == seat
	}
	return false
}

// humanMove is the bot logic's decision for a human seat, sent through the
// registry.
func humanMove(ctx context.Context, reg *Registry, s game.State, seat int, player string, r *rand.Rand) (Outcome, error) {
	var bot game.BotStrategy
	v := game.ViewOf(s, seat)
	switch s.Phase {
	case game.PhasePreparation:
		return reg.Redeal(ctx, player, v.Deal, bot.Redeal(v, r))
	case game.PhaseDeclaration:
		return reg.Declare(ctx, player, bot.Declare(v, r))
	}
	return reg.Play(ctx, player, bot.Play(v, r).IDs())
}

// playToEnd makes player (seat 1) play every decision it owes until game
// over; bots act within the steps (fast mode), so the clock never moves.
func playToEnd(t *testing.T, reg *Registry, s game.State, player string) game.State {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	for moves := 0; s.Phase != game.PhaseGameOver; moves++ {
		if moves > 2000 || !owes(s, 1) {
			t.Fatalf("after %d moves: phase %s, seat 1 owes nothing", moves, s.Phase)
		}
		out, err := humanMove(t.Context(), reg, s, 1, player, r)
		if err != nil {
			t.Fatalf("move %d in %s: %v", moves, s.Phase, err)
		}
		s = out.State
	}
	return s
}

func wantCode(t *testing.T, err error, code game.Code) {
	t.Helper()
	if got := game.CodeOf(err); got != string(code) {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func player(id string) game.Player { return game.Player{PlayerID: id, Name: "N" + id} }
