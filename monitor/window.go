package monitor

import (
	"math"
	"sync/atomic"
	"time"
)

// Both windows are rings of 12 buckets of 5 s (observability §1.3). A
// writer finding a bucket of an older epoch resets it first; a reader sums
// the buckets whose epoch lies within the last 12 epochs.
const (
	windowBuckets = 12
	windowSpan    = 5 * time.Second
)

func epochOf(t time.Time) int64 { return t.UnixNano() / int64(windowSpan) }

// DeliveryCounts are the fates of outbound frames in a window.
type DeliveryCounts struct {
	Delivered, Late, Failed int64
}

// Resolved is delivered plus failed.
func (c DeliveryCounts) Resolved() int64 { return c.Delivered + c.Failed }

// DeliveryRate is (delivered - late) / resolved in percent.
func (c DeliveryCounts) DeliveryRate() float64 {
	if c.Resolved() == 0 {
		return 100
	}
	return float64(c.Delivered-c.Late) / float64(c.Resolved()) * 100
}

// FailureRate is failed / resolved in percent.
func (c DeliveryCounts) FailureRate() float64 {
	if c.Resolved() == 0 {
		return 0
	}
	return float64(c.Failed) / float64(c.Resolved()) * 100
}

type deliveryBucket struct {
	epoch                   atomic.Int64
	delivered, late, failed atomic.Int64
}

// DeliveryWindow counts frame fates over the last 60 s.
type DeliveryWindow struct {
	clock   Clock
	buckets [windowBuckets]deliveryBucket
}

// NewDeliveryWindow makes an empty window on clock.
func NewDeliveryWindow(clock Clock) *DeliveryWindow { return &DeliveryWindow{clock: clock} }

func (w *DeliveryWindow) current() *deliveryBucket {
	e := epochOf(w.clock.Now())
	b := &w.buckets[e%windowBuckets]
	if old := b.epoch.Load(); old != e && b.epoch.CompareAndSwap(old, e) {
		b.delivered.Store(0)
		b.late.Store(0)
		b.failed.Store(0)
	}
	return b
}

// Delivered records a frame written to its socket; late when it took longer
// than the delivery deadline.
func (w *DeliveryWindow) Delivered(late bool) {
	b := w.current()
	b.delivered.Add(1)
	if late {
		b.late.Add(1)
	}
}

// Failed records a frame that will never be written.
func (w *DeliveryWindow) Failed() { w.current().failed.Add(1) }

// Sum adds the buckets of the last 60 s, the current partial one included.
func (w *DeliveryWindow) Sum() DeliveryCounts {
	now := epochOf(w.clock.Now())
	var c DeliveryCounts
	for i := range w.buckets {
		b := &w.buckets[i]
		if e := b.epoch.Load(); e > now-windowBuckets && e <= now {
			c.Delivered += b.delivered.Load()
			c.Late += b.late.Load()
			c.Failed += b.failed.Load()
		}
	}
	return c
}

// Current is the current 5 s bucket alone (the hub's `failures` wake-up).
func (w *DeliveryWindow) Current() DeliveryCounts {
	b := w.current()
	return DeliveryCounts{Delivered: b.delivered.Load(), Late: b.late.Load(), Failed: b.failed.Load()}
}

// LatencyBoundsMs are the fixed upper bounds of the latency window's
// buckets; a last, unbounded bucket follows them.
var LatencyBoundsMs = [...]float64{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000}

const latencySlots = len(LatencyBoundsMs) + 1

type latencyBucket struct {
	epoch  atomic.Int64
	counts [latencySlots]atomic.Int64
}

// LatencyWindow counts durations over the last 60 s in fixed buckets.
type LatencyWindow struct {
	clock   Clock
	buckets [windowBuckets]latencyBucket
}

// NewLatencyWindow makes an empty window on clock.
func NewLatencyWindow(clock Clock) *LatencyWindow { return &LatencyWindow{clock: clock} }

// Observe records one duration.
func (w *LatencyWindow) Observe(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	slot := len(LatencyBoundsMs)
	for i, bound := range LatencyBoundsMs {
		if ms <= bound {
			slot = i
			break
		}
	}
	e := epochOf(w.clock.Now())
	b := &w.buckets[e%windowBuckets]
	if old := b.epoch.Load(); old != e && b.epoch.CompareAndSwap(old, e) {
		for i := range b.counts {
			b.counts[i].Store(0)
		}
	}
	b.counts[slot].Add(1)
}

// LatencySummary is the window's content at one moment.
type LatencySummary struct {
	Count int64
	// P99Ms is the upper bound of the first bucket whose cumulative count
	// reaches 99 %; +Inf when that is the unbounded bucket, 0 when empty.
	P99Ms  float64
	Counts [latencySlots]int64
}

// Summary sums the buckets of the last 60 s.
func (w *LatencyWindow) Summary() LatencySummary {
	now := epochOf(w.clock.Now())
	var s LatencySummary
	for i := range w.buckets {
		b := &w.buckets[i]
		if e := b.epoch.Load(); e > now-windowBuckets && e <= now {
			for j := range b.counts {
				n := b.counts[j].Load()
				s.Counts[j] += n
				s.Count += n
			}
		}
	}
	if s.Count == 0 {
		return s
	}
	var cumulative int64
	for j, n := range s.Counts {
		cumulative += n
		if cumulative*100 >= s.Count*99 {
			if j == len(LatencyBoundsMs) {
				s.P99Ms = math.Inf(1)
			} else {
				s.P99Ms = LatencyBoundsMs[j]
			}
			break
		}
	}
	return s
}

// FiniteOrNil is v, or nil when v is infinite or NaN, for JSON bodies.
func FiniteOrNil(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}
