package events

import (
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// The store is the monitor's source for checks 10 and 11 (observability
// §1.1) and a source of its wake-ups (§2.2).
var (
	_ monitor.StoreStats   = (*Store)(nil)
	_ monitor.SystemEvents = (*Store)(nil)
)

// Wake-up thresholds (observability §2.2, §6.3).
const (
	wakeQueuePercent = 80
	wakeOldestAge    = 500 * time.Millisecond
)

// queueMarks follow the writer queue without a lock.
//
// head is the oldest request known to be queued: a producer whose request
// entered the queue installs it when head is empty or already taken by the
// writer. After the writer takes the head, head keeps it until the next
// producer arrives; with requests still queued behind it, the reported age
// then errs high by at most the gap between two enqueues (the writer takes
// everything queued unless a batch cap stops it, so this is rare).
type queueMarks struct {
	head  atomic.Pointer[appendReq]
	high  atomic.Bool // the queue is above 80 % and that was reported
	stale atomic.Bool // the oldest queued request is above 500 ms and that was reported
}

// headCacheMarks let DropCaches ask the writer to drop its head cache.
type headCacheMarks struct {
	drop atomic.Bool  // the writer drops its head cache before its next request
	size atomic.Int64 // entries after the writer's last request
}

// enqueued runs once req is in the queue.
func (s *Store) enqueued(req *appendReq) {
	m := &s.queueMark
	for {
		h := m.head.Load()
		if (h != nil && !h.taken.Load()) || m.head.CompareAndSwap(h, req) {
			break
		}
	}
	if len(s.queue)*100 > cap(s.queue)*wakeQueuePercent && !m.high.Load() && m.high.CompareAndSwap(false, true) {
		s.wake()
	}
	// A producer only raises the edge: one delayed between its send and
	// this call could otherwise see a younger head and re-arm a crossing
	// still in progress, so only the writer re-arms it.
	if s.oldestQueued(s.clock.Now()) > wakeOldestAge {
		s.reportStale()
	}
}

// dequeued runs on the writer for each request it takes from the queue.
func (s *Store) dequeued(req *appendReq) {
	req.taken.Store(true)
	if m := &s.queueMark; m.high.Load() && len(s.queue)*100 <= cap(s.queue)*wakeQueuePercent {
		m.high.Store(false)
	}
}

// oldestQueued is the age of the oldest request still queued, 0 when none.
func (s *Store) oldestQueued(now time.Time) time.Duration {
	h := s.queueMark.head.Load()
	if h == nil || len(s.queue) == 0 {
		return 0
	}
	return max(now.Sub(h.enqueuedAt), 0)
}

// checkOldest runs on the writer after each batch: it wakes the monitor
// when the oldest queued request passes 500 ms, once per crossing, and
// re-arms the edge once it is back under. Producers raise the edge too
// (enqueued), so no goroutine of its own watches the queue.
func (s *Store) checkOldest(now time.Time) {
	if s.oldestQueued(now) > wakeOldestAge {
		s.reportStale()
	} else if m := &s.queueMark; m.stale.Load() {
		m.stale.Store(false)
	}
}

func (s *Store) reportStale() {
	if m := &s.queueMark; !m.stale.Load() && m.stale.CompareAndSwap(false, true) {
		s.wake()
	}
}

func (s *Store) wake() {
	if s.opts.Wake != nil {
		s.opts.Wake("store")
	}
}

// StoreHealth reads the writer's state for check 11; it does no I/O.
func (s *Store) StoreHealth() monitor.StoreHealth {
	now := s.clock.Now()
	return monitor.StoreHealth{
		QueueDepth: len(s.queue), QueueCapacity: cap(s.queue), OldestQueued: s.oldestQueued(now),
		Append: s.metrics.appendLatency.Summary(), CommitErrors: s.metrics.commitErrors.sum(),
		Degraded: s.Degraded(), Stopped: s.writerStopped(),
	}
}

// Degraded reports whether appends fail fast with ErrUnavailable: after 3
// consecutive failed batches or a failed Reopen, until a Reopen succeeds.
func (s *Store) Degraded() bool { return s.metrics.degraded.Load() }

// writerStopped reports whether the writer goroutine has exited (after
// Close, or always for a read-only store).
func (s *Store) writerStopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// DropCaches frees what the store caches (memory_pressure, observability
// §5.1): the stats answer, the writer's head cache (it reloads heads from
// the streams table on next use) and the idle read connections with their
// page caches. It returns how many entries and connections it dropped.
func (s *Store) DropCaches() (dropped int) {
	if s.stats.invalidate() {
		dropped++
	}
	if s.queue != nil && !s.headCache.drop.Swap(true) {
		dropped += int(s.headCache.size.Load())
	}
	read := s.reader()
	dropped += read.Stats().Idle
	read.SetMaxIdleConns(0) // closes the idle connections
	read.SetMaxIdleConns(s.opts.ReadPoolSize)
	return dropped
}

// countWindow counts occurrences over the last 60 s in the 12 × 5 s ring of
// observability §1.3.
type countWindow struct {
	clock   monitor.Clock
	buckets [countBuckets]struct{ epoch, n atomic.Int64 }
}

const (
	countBuckets = 12
	countSpan    = 5 * time.Second
)

func newCountWindow(clock monitor.Clock) *countWindow { return &countWindow{clock: clock} }

func (w *countWindow) add() {
	e := w.clock.Now().UnixNano() / int64(countSpan)
	b := &w.buckets[e%countBuckets]
	if old := b.epoch.Load(); old != e && b.epoch.CompareAndSwap(old, e) {
		b.n.Store(0)
	}
	b.n.Add(1)
}

func (w *countWindow) sum() int64 {
	now := w.clock.Now().UnixNano() / int64(countSpan)
	var n int64
	for i := range w.buckets {
		b := &w.buckets[i]
		if e := b.epoch.Load(); e > now-countBuckets && e <= now {
			n += b.n.Load()
		}
	}
	return n
}
