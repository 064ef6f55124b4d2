package recovery

import (
	"context"
	"sync"
	"time"
)

var t0 = time.Date(2025, 11, 27, 11, 53, 20, 700_000_000, time.UTC)

type fakeHub struct {
	mu               sync.Mutex
	stale            []string
	staleAfterSweep  []string // connections turning stale right after a sweep
	registered       map[string]bool
	pending          int64
	pendingAfter     int64 // pending once Coalesce ran
	removed, dropped int
	pushed           map[string]int   // room -> views pushed
	writeErr         map[string]error // room -> error of written
	blockWrites      bool             // written waits for its ctx
	sweeps, coalesce int
}

func newFakeHub() *fakeHub {
	return &fakeHub{registered: map[string]bool{}, pushed: map[string]int{}, writeErr: map[string]error{}}
}

func (h *fakeHub) StaleConnections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.stale)
}

func (h *fakeHub) SweepStale(context.Context) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweeps++
	closed := len(h.stale)
	h.stale = h.staleAfterSweep
	return closed
}

func (h *fakeHub) Coalesce() (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.coalesce++
	h.pending = h.pendingAfter
	return h.removed, h.dropped
}

func (h *fakeHub) PendingFrames() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pending
}

func (h *fakeHub) PushView(roomID, reason string) (int, func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	err, block := h.writeErr[roomID], h.blockWrites
	return h.pushed[roomID], func(ctx context.Context) error {
		if block {
			<-ctx.Done()
			return ctx.Err()
		}
		return err
	}
}

type fakeRooms struct {
	mu         sync.Mutex
	rooms      map[string]RoomHealth
	rebuild    func(ctx context.Context, id string) (int64, bool, error)
	closedIdle int
	rebuilds   int
}

func newFakeRooms(ids ...string) *fakeRooms {
	r := &fakeRooms{rooms: map[string]RoomHealth{}}
	for _, id := range ids {
		r.rooms[id] = RoomHealth{Live: true, Incarnation: 1}
	}
	r.rebuild = func(_ context.Context, id string) (int64, bool, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		h := r.rooms[id]
		h.Incarnation++
		h.Stuck, h.InvariantErr = false, nil
		r.rooms[id] = h
		return h.Incarnation, false, nil
	}
	return r
}

func (r *fakeRooms) RoomExists(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rooms[id].Live
}

func (r *fakeRooms) LiveRoomIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, h := range r.rooms {
		if h.Live {
			ids = append(ids, id)
		}
	}
	return ids
}

func (r *fakeRooms) Inspect(id string, _ time.Time) RoomHealth {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rooms[id]
}

func (r *fakeRooms) set(id string, h RoomHealth) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rooms[id] = h
}

func (r *fakeRooms) Rebuild(ctx context.Context, id, reason string) (int64, bool, error) {
	r.mu.Lock()
	r.rebuilds++
	rebuild := r.rebuild
	r.mu.Unlock()
	return rebuild(ctx, id)
}

func (r *fakeRooms) CloseIdleFinished(context.Context) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closedIdle
}

type fakeStore struct {
	mu                 sync.Mutex
	reopenBlocks       bool
	reopenErr, pingErr error
	pingTakes          time.Duration // advanced on the clock by Ping
	clock              *testClock
	reopens, drops     int
}

func (s *fakeStore) Reopen(ctx context.Context) error {
	s.mu.Lock()
	s.reopens++
	block, err := s.reopenBlocks, s.reopenErr
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (s *fakeStore) Ping(context.Context) error {
	s.mu.Lock()
	takes, err := s.pingTakes, s.pingErr
	s.mu.Unlock()
	if takes > 0 {
		s.clock.Advance(takes)
	}
	return err
}

func (s *fakeStore) DropCaches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops++
	return 7
}

type fakeChecks struct {
	mu       sync.Mutex
	readings map[string]Reading
}

func (c *fakeChecks) set(id string, raw string, v float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readings[id] = Reading{Raw: raw, Value: v}
}

func (c *fakeChecks) Recheck(_ context.Context, ids []string) map[string]Reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]Reading{}
	for _, id := range ids {
		if r, ok := c.readings[id]; ok {
			out[id] = r
		}
	}
	return out
}

type systemEvent struct {
	typ     string
	payload any
}

// fakeEvents hands every _system event to the test in order.
type fakeEvents struct{ ch chan systemEvent }

func (e *fakeEvents) AppendSystem(_ context.Context, typ string, payload any) {
	e.ch <- systemEvent{typ, payload}
}

type alert struct {
	kind, severity, subject, from, to, observed, message, correlationID string
}

type fakeAlerts struct {
	mu   sync.Mutex
	sent []alert
}

func (a *fakeAlerts) Notify(kind, severity, subject, from, to, observed, message, correlationID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, alert{kind, severity, subject, from, to, observed, message, correlationID})
}

func (a *fakeAlerts) all() []alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]alert(nil), a.sent...)
}

// fakeMetrics reports rejections on a channel; blockReason makes the
// rejection of that reason wait for release (to hold the Run loop).
type fakeMetrics struct {
	rejected    chan RejectionKey
	blockReason string
	blocked     chan struct{} // receives when a rejection starts waiting
	release     chan struct{}
}

func (f *fakeMetrics) Rejected(procedure, reason string) {
	if reason == f.blockReason {
		f.blocked <- struct{}{}
		<-f.release
	}
	f.rejected <- RejectionKey{procedure, reason}
}

func (f *fakeMetrics) Attempted(string, string, time.Duration) {}
