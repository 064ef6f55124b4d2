package ws

import (
	"context"
	"liaptui/monitor"
	"time"
)

// Config holds the hub's limits (protocol §0.3) and its observability hooks
// (observability §1.3, §2.2, §5). A zero DeliveryDeadline, ConnectionsWarn,
// ConnectionsCrit or PendingWarn takes its DefaultConfig value; nil hooks
// are off.
type Config struct {
	// Events receives the websocket-category lines (connected,
	// disconnected, slow consumer); nil = off.
	Events *monitor.Log

	MaxFrameBytes   int
	HelloTimeout    time.Duration
	PingInterval    time.Duration
	PongTimeout     time.Duration
	WriteTimeout    time.Duration
	Rate            float64
	Burst           int
	QueueSize       int
	ResyncMaxEvents int
	LobbyInterval   time.Duration

	// DeliveryDeadline is monitor.ws.delivery_deadline: a frame written
	// later than this after its enqueue counts as late.
	DeliveryDeadline time.Duration
	// ConnectionsWarn and ConnectionsCrit are the thresholds of check 6;
	// crossing one wakes the monitor ("connections").
	ConnectionsWarn, ConnectionsCrit int64
	// PendingWarn is check 7's warning threshold; pending frames above it
	// for PendingWakeAfter wake the monitor ("pending").
	PendingWarn int64

	// Wake asks the monitor for an early sample (monitor.Wake). It runs
	// under a connection's lock: it must not block nor call the hub.
	Wake func(reason string)
	// Recover raises a recovery trigger (monitor.Recoverer.Trigger) from
	// the connection's reader; it must not block.
	Recover func(ctx context.Context, procedure, target, raisedBy string, observed map[string]any)
	// Protection reports whether emergency protection mode is on (§5.5).
	Protection func() bool
	// OnSendLatency observes enqueue → write-complete of each delivered
	// frame (liaptui_ws_send_latency_seconds).
	OnSendLatency func(time.Duration)
	// OnCommand observes receipt → reply queued of each inbound frame, by
	// command label (liaptui_ws_command_duration_seconds).
	OnCommand func(command string, d time.Duration)
}

// Fixed rules of observability §2.2 and §5.1.
const (
	// PendingWakeAfter is how long pending frames must stay above
	// PendingWarn after crossing it before the hub wakes the monitor.
	PendingWakeAfter = 2 * time.Second
	// failureWakeMinFailed and failureWakePercent: the current 5 s bucket
	// holds at least that many failed frames, over that share of resolved.
	failureWakeMinFailed = 20
	failureWakePercent   = 15
	// staleReadGrace is added to the pong timeout: nothing read for longer
	// makes a connection stale.
	staleReadGrace = 15 * time.Second
	// staleWriteAfter: a writer inside one write for longer is stale.
	staleWriteAfter = 10 * time.Second
	// CoalesceThreshold is the queue length above which the
	// high_pending_messages action coalesces a connection's queue.
	CoalesceThreshold = 64
	// desyncGap: a resync whose gap exceeds it raises client_desync.
	desyncGap = 10
	// protectionRetryAfterMs is retry_after_ms of protection refusals.
	protectionRetryAfterMs = 30_000
)

// DefaultConfig is protocol §0.3 and the observability defaults.
func DefaultConfig() Config {
	return Config{MaxFrameBytes: 4096, HelloTimeout: 10 * time.Second, PingInterval: 20 * time.Second,
		PongTimeout: 45 * time.Second, WriteTimeout: 10 * time.Second, Rate: 20, Burst: 40, QueueSize: 256,
		ResyncMaxEvents: 100, LobbyInterval: 500 * time.Millisecond,
		DeliveryDeadline: time.Second, ConnectionsWarn: 1000, ConnectionsCrit: 1500, PendingWarn: 100}
}

// withDefaults fills the observability thresholds a caller left at zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.DeliveryDeadline <= 0 {
		c.DeliveryDeadline = d.DeliveryDeadline
	}
	if c.ConnectionsWarn <= 0 {
		c.ConnectionsWarn = d.ConnectionsWarn
	}
	if c.ConnectionsCrit <= 0 {
		c.ConnectionsCrit = d.ConnectionsCrit
	}
	if c.PendingWarn <= 0 {
		c.PendingWarn = d.PendingWarn
	}
	return c
}
