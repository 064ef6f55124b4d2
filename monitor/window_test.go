package monitor

import (
	"math"
	"testing"
	"time"
)

func TestDeliveryWindowRotatesAndExpires(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_000_000, 0))
	w := NewDeliveryWindow(clock)
	w.Delivered(false)
	w.Delivered(true)
	w.Failed()
	if got := w.Sum(); got != (DeliveryCounts{Delivered: 2, Late: 1, Failed: 1}) {
		t.Fatalf("sum = %+v", got)
	}
	clock.Advance(5 * time.Second)
	w.Failed()
	if got := w.Current(); got != (DeliveryCounts{Failed: 1}) {
		t.Fatalf("new bucket = %+v, want only its own fate", got)
	}
	if got := w.Sum(); got.Failed != 2 || got.Delivered != 2 {
		t.Fatalf("sum over two buckets = %+v", got)
	}
	clock.Advance(55 * time.Second) // the first bucket is now 12 epochs old
	if got := w.Sum(); got != (DeliveryCounts{Failed: 1}) {
		t.Fatalf("after 60 s = %+v, want the first bucket expired", got)
	}
	clock.Advance(5 * time.Second)
	if got := w.Sum(); got != (DeliveryCounts{}) {
		t.Fatalf("after 65 s = %+v, want empty", got)
	}
	// The same ring slot, twelve epochs later, starts from zero.
	w.Delivered(false)
	if got := w.Sum(); got != (DeliveryCounts{Delivered: 1}) {
		t.Fatalf("reused slot = %+v", got)
	}
}

func TestDeliveryRates(t *testing.T) {
	c := DeliveryCounts{Delivered: 90, Late: 5, Failed: 10}
	if c.DeliveryRate() != 85 || c.FailureRate() != 10 {
		t.Fatalf("rates = %v %v", c.DeliveryRate(), c.FailureRate())
	}
	if (DeliveryCounts{}).DeliveryRate() != 100 || (DeliveryCounts{}).FailureRate() != 0 {
		t.Fatal("empty window rates")
	}
}

func TestLatencyWindowP99(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_000_000, 0))
	w := NewLatencyWindow(clock)
	if s := w.Summary(); s.Count != 0 || s.P99Ms != 0 {
		t.Fatalf("empty = %+v", s)
	}
	for range 99 {
		w.Observe(800 * time.Microsecond) // bucket ≤ 1 ms
	}
	w.Observe(30 * time.Millisecond) // bucket ≤ 50 ms
	if s := w.Summary(); s.Count != 100 || s.P99Ms != 1 {
		t.Fatalf("99 fast + 1 slow = %+v, want p99 1 ms", s)
	}
	w.Observe(30 * time.Millisecond)
	if s := w.Summary(); s.P99Ms != 50 {
		t.Fatalf("p99 = %v, want 50", s.P99Ms)
	}
	w.Observe(2 * time.Millisecond) // exactly on no bound: ≤ 2.5
	w.Observe(500 * time.Millisecond)
	if s := w.Summary(); s.Counts[2] != 1 || s.Counts[9] != 1 {
		t.Fatalf("bounds are inclusive upper bounds: %+v", s.Counts)
	}
	clock.Advance(time.Minute)
	for range 10 {
		w.Observe(time.Minute)
	}
	if s := w.Summary(); s.Count != 10 || !math.IsInf(s.P99Ms, 1) || FiniteOrNil(s.P99Ms) != nil {
		t.Fatalf("overflow = %+v", s)
	}
}
