package monitor

import (
	"context"
	"time"
)

// The monitor reads the live objects only through these interfaces
// (observability §0, §1.1). Each owner keeps its own counters; nothing here
// copies them.

// HubStats is what the WebSocket hub reports.
type HubStats interface {
	OpenConnections() int64
	// PendingFrames is the sum of the outbound queue lengths.
	PendingFrames() int64
	// Delivery sums the delivery window (§1.3) over its last 60 s.
	Delivery() DeliveryCounts
	// StaleConnections counts connections that meet the stale rule of
	// stale_connections (§5.1).
	StaleConnections() int
}

// RoomStats is what the room registry reports; canary rooms are excluded.
type RoomStats interface {
	RoomCounts(now time.Time) RoomCounts
}

// RoomCounts is one reading of the registry (checks 12-14).
type RoomCounts struct {
	Waiting, Playing, Finished        int
	HumansConnected, HumansAway, Bots int
	// Stuck counts rooms meeting the stuck rule of §1.2 at now.
	Stuck int
	// InvariantFailures and Panics happened in the last 5 minutes.
	InvariantFailures, Panics int
}

// StoreStats is what the event store reports.
type StoreStats interface {
	StoreHealth() StoreHealth
	// Ping runs SELECT 1 on the read pool.
	Ping(ctx context.Context) error
}

// StoreHealth is one reading of the store's writer (check 11).
type StoreHealth struct {
	QueueDepth, QueueCapacity int
	// OldestQueued is the age of the oldest append still queued (0 when none).
	OldestQueued time.Duration
	// Append summarises submit-to-commit latency over the last 60 s.
	Append LatencySummary
	// CommitErrors counts failed commits over the last 60 s.
	CommitErrors int64
	Degraded     bool
	Stopped      bool
}

// SystemEvents appends events to the _system stream. The append is
// asynchronous; a failure is logged by the implementation, never retried by
// the caller (§4).
type SystemEvents interface {
	AppendSystem(ctx context.Context, eventType string, payload any)
}

// Recoverer raises recovery triggers (§5.2); it never blocks.
type Recoverer interface {
	Trigger(ctx context.Context, procedure, target, raisedBy string, observed map[string]any)
}

// CanaryHost plays one internal canary game through the real room and store
// path (§9.3) and returns an error describing the first rule violation.
type CanaryHost interface {
	RunCanary(ctx context.Context, run int64) error
}
