package monitor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// healthEpoch is where the health tests' fake clocks start.
var healthEpoch = time.Date(2025, 11, 27, 12, 0, 0, 0, time.UTC)

// healthFakeSystem is a SystemSource with settable values that counts calls. A
// non-nil hang makes CPUPercent block until it is closed, announcing its
// entry on entered.
type healthFakeSystem struct {
	mu         sync.Mutex
	cpu        float64
	memory     MemoryReading
	disk       DiskReading
	rss        uint64
	goroutines int
	err        error // returned by every collector when set
	hang       chan struct{}
	entered    chan struct{}

	calls [5]atomic.Int64 // cpu, memory, disk, rss, goroutines
}

func newHealthFakeSystem() *healthFakeSystem {
	return &healthFakeSystem{
		cpu:        23.5,
		memory:     MemoryReading{Percent: 45.2, UsedBytes: 452 << 20, LimitBytes: 1000 << 20, AvailableBytes: 548 << 20, Source: MemorySourceCgroupV2},
		disk:       DiskReading{Percent: 67.8, FreeBytes: 32 << 30},
		rss:        64 << 20,
		goroutines: 42,
	}
}

func (f *healthFakeSystem) set(update func(f *healthFakeSystem)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	update(f)
}

func (f *healthFakeSystem) totalCalls() int64 {
	var n int64
	for i := range f.calls {
		n += f.calls[i].Load()
	}
	return n
}

func (f *healthFakeSystem) CPUPercent(context.Context) (float64, error) {
	f.calls[0].Add(1)
	f.mu.Lock()
	hang, entered := f.hang, f.entered
	f.mu.Unlock()
	if hang != nil {
		entered <- struct{}{}
		<-hang
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cpu, f.err
}

func (f *healthFakeSystem) Memory(context.Context) (MemoryReading, error) {
	f.calls[1].Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.memory, f.err
}

func (f *healthFakeSystem) Disk(context.Context) (DiskReading, error) {
	f.calls[2].Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.disk, f.err
}

func (f *healthFakeSystem) ProcessRSS(context.Context) (uint64, error) {
	f.calls[3].Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rss, f.err
}

func (f *healthFakeSystem) Goroutines(context.Context) (int, error) {
	f.calls[4].Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.goroutines, f.err
}

type healthFakeHub struct {
	mu                   sync.Mutex
	connections, pending int64
	delivery             DeliveryCounts
	calls                atomic.Int64
}

func (h *healthFakeHub) set(update func(h *healthFakeHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	update(h)
}

func (h *healthFakeHub) OpenConnections() int64 {
	h.calls.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connections
}

func (h *healthFakeHub) PendingFrames() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pending
}

func (h *healthFakeHub) Delivery() DeliveryCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.delivery
}

func (h *healthFakeHub) StaleConnections() int { return 0 }

type healthFakeRooms struct {
	mu     sync.Mutex
	counts RoomCounts
	calls  atomic.Int64
}

func (r *healthFakeRooms) RoomCounts(time.Time) RoomCounts {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts
}

// healthFakeStore answers pings after advancing its clock by latency, so the
// monitor measures that round trip.
type healthFakeStore struct {
	mu      sync.Mutex
	health  StoreHealth
	pingErr error
	latency time.Duration
	clock   *FakeClock
	pings   atomic.Int64
	reads   atomic.Int64
}

func (s *healthFakeStore) set(update func(s *healthFakeStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	update(s)
}

func (s *healthFakeStore) StoreHealth() StoreHealth {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

func (s *healthFakeStore) Ping(context.Context) error {
	s.pings.Add(1)
	s.mu.Lock()
	latency, err := s.latency, s.pingErr
	s.mu.Unlock()
	if latency > 0 {
		s.clock.Advance(latency)
	}
	return err
}

// healthFakeCanary reports state; with clock set, its last run started 10 s
// before the current whole second, as if the runner kept passing (whole
// seconds, so a ping moving the clock meanwhile changes nothing).
type healthFakeCanary struct {
	mu    sync.Mutex
	state CanaryState
	clock *FakeClock
	calls atomic.Int64
}

func (c *healthFakeCanary) set(update func(c *healthFakeCanary)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	update(c)
}

func (c *healthFakeCanary) State() CanaryState {
	c.calls.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state
	st.Recent = append([]CanaryResult(nil), c.state.Recent...)
	if c.clock != nil && len(st.Recent) > 0 {
		last := &st.Recent[len(st.Recent)-1]
		last.At = c.clock.Now().Truncate(time.Second).Add(-10 * time.Second)
		st.LastPass = last.At.Add(last.Duration)
	}
	return st
}

// healthRig is a monitor over fakes on a fake clock.
type healthRig struct {
	clock  *FakeClock
	system *healthFakeSystem
	hub    *healthFakeHub
	rooms  *healthFakeRooms
	store  *healthFakeStore
	canary *healthFakeCanary
	mon    *Monitor
}

func newHealthRig(t testing.TB, cfg Config) *healthRig {
	t.Helper()
	clock := NewFakeClock(healthEpoch)
	r := &healthRig{
		clock:  clock,
		system: newHealthFakeSystem(),
		hub:    &healthFakeHub{connections: 42, pending: 3, delivery: DeliveryCounts{Delivered: 999, Failed: 1}},
		rooms:  &healthFakeRooms{counts: RoomCounts{Waiting: 2, Playing: 8, HumansConnected: 20, HumansAway: 1, Bots: 11}},
		store: &healthFakeStore{health: StoreHealth{QueueDepth: 1, QueueCapacity: 4096,
			Append: LatencySummary{Count: 100, P99Ms: 2.5}}, clock: clock},
		canary: &healthFakeCanary{state: CanaryState{Enabled: true, Period: time.Minute, Started: healthEpoch.Add(-time.Minute),
			LastPass: healthEpoch.Add(-10 * time.Second),
			Recent:   []CanaryResult{{Run: 1, Duration: 212 * time.Millisecond, Outcome: "pass"}}}, clock: clock},
	}
	mon, err := New(cfg, Sources{Hub: r.hub, Rooms: r.rooms, Store: r.store, Canary: r.canary, System: r.system}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.mon = mon
	return r
}

// sample takes one sample and fails the test on an error.
func (r *healthRig) sample(t testing.TB, trigger string) *Snapshot {
	t.Helper()
	if _, err := r.mon.Sample(context.Background(), trigger); err != nil {
		t.Fatalf("sample: %v", err)
	}
	return r.mon.Snapshot()
}

func (r *healthRig) collectorCalls() int64 {
	return r.system.totalCalls() + r.hub.calls.Load() + r.rooms.calls.Load() + r.store.reads.Load() + r.canary.calls.Load()
}
