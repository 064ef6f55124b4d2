package ws

import (
	"time"

	"liaptui/monitor"
)

// deliveryBucketSpan is the span of one bucket of monitor.DeliveryWindow
// (observability §1.3); the `failures` wake-up fires at most once per bucket.
const deliveryBucketSpan = 5 * time.Second

var _ monitor.HubStats = (*Hub)(nil)

// OpenConnections is the number of registered connections.
func (h *Hub) OpenConnections() int64 { return h.open.Load() }

// PendingFrames is the number of frames waiting in all outbound queues.
func (h *Hub) PendingFrames() int64 { return h.pending.Load() }

// Delivery sums the delivery window over its last 60 s.
func (h *Hub) Delivery() monitor.DeliveryCounts { return h.delivery.Sum() }

// StaleConnections counts the connections that meet the stale rule of
// stale_connections (observability §5.1).
func (h *Hub) StaleConnections() int {
	now := h.clock.Now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns {
		if c.stale(now) {
			n++
		}
	}
	return n
}

// connOpened counts a registered connection and wakes the monitor when the
// count reaches a threshold of check 6.
func (h *Hub) connOpened() {
	h.counters.opened.Add(1)
	n := h.open.Add(1)
	if n == h.cfg.ConnectionsWarn || n == h.cfg.ConnectionsCrit {
		h.wake("connections")
	}
}

// pendingAdded counts a queued frame. Crossing above PendingWarn arms a
// timer; the monitor is woken if the count is still above it then.
func (h *Hub) pendingAdded() {
	if h.pending.Add(1) != h.cfg.PendingWarn+1 || h.cfg.Wake == nil {
		return
	}
	if !h.pendingArmed.CompareAndSwap(false, true) {
		return
	}
	h.clock.AfterFunc(PendingWakeAfter, func() {
		h.pendingArmed.Store(false)
		if h.pending.Load() > h.cfg.PendingWarn {
			h.wake("pending")
		}
	})
}

func (h *Hub) pendingRemoved(n int) {
	if n > 0 {
		h.pending.Add(-int64(n))
	}
}

// frameDelivered records a frame whose socket write returned nil.
func (h *Hub) frameDelivered(f *outFrame) {
	took := time.Duration(h.clock.Now().UnixNano() - f.queuedAt)
	late := took > h.cfg.DeliveryDeadline
	h.delivery.Delivered(late)
	h.counters.delivered.Add(1)
	if late {
		h.counters.late.Add(1)
	}
	if h.cfg.OnSendLatency != nil {
		h.cfg.OnSendLatency(took)
	}
	f.resolve(true)
}

// frameFailed records a frame that will never be written, and wakes the
// monitor the first time in a bucket that failures pass the §2.2 bar.
func (h *Hub) frameFailed(why failReason, f *outFrame) {
	h.delivery.Failed()
	h.counters.failed[why].Add(1)
	f.resolve(false)
	if h.cfg.Wake == nil {
		return
	}
	c := h.delivery.Current()
	if c.Failed < failureWakeMinFailed || c.Failed*100 <= c.Resolved()*failureWakePercent {
		return
	}
	epoch := h.clock.Now().UnixNano() / int64(deliveryBucketSpan)
	if h.failuresWoken.Swap(epoch) != epoch {
		h.wake("failures")
	}
}

// framesDiscarded fails every frame of a dropped queue.
func (h *Hub) framesDiscarded(frames []outFrame) {
	h.pendingRemoved(len(frames))
	for i := range frames {
		h.frameFailed(failDiscarded, &frames[i])
	}
}

func (h *Hub) wake(reason string) {
	if h.cfg.Wake != nil {
		h.cfg.Wake(reason)
	}
}
