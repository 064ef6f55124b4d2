package events

import (
	"context"
	"database/sql"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// writerMetrics are the writer's own counters (observability §0 principle 1:
// the store owns them; the monitor and /metrics read them through
// StoreHealth, WriterStats and Counters).
type writerMetrics struct {
	appendLatency  *monitor.LatencyWindow // submit to commit, last 60 s
	commitErrors   *countWindow           // failed commits, last 60 s
	batches        atomic.Int64
	batchEvents    atomic.Int64
	commitFailures atomic.Int64 // since open
	queueFullWaits atomic.Int64
	degraded       atomic.Bool

	mu          sync.Mutex
	lastCommit  time.Time
	lastError   string
	lastErrorAt time.Time
}

func (m *writerMetrics) init(clock monitor.Clock) {
	m.appendLatency = monitor.NewLatencyWindow(clock)
	m.commitErrors = newCountWindow(clock)
}

// observeAppend records one append's submit-to-commit time. Only the
// writer calls it, so the window's buckets have a single writer.
func (s *Store) observeAppend(d time.Duration) {
	s.metrics.appendLatency.Observe(d)
	if s.opts.OnAppend != nil {
		s.opts.OnAppend(d)
	}
}

func (m *writerMetrics) committed(events int, at time.Time) {
	m.batches.Add(1)
	m.batchEvents.Add(int64(events))
	m.mu.Lock()
	m.lastCommit = at
	m.mu.Unlock()
}

func (m *writerMetrics) commitFailed(err error, at time.Time, degrade bool) {
	m.commitFailures.Add(1)
	m.commitErrors.add()
	if degrade {
		m.degraded.Store(true)
	}
	m.mu.Lock()
	m.lastError, m.lastErrorAt = err.Error(), at
	m.mu.Unlock()
}

// WriterStats is the read-only picture of the writer for /event-store/stats
// (the `writer` object).
type WriterStats struct {
	QueueDepth     int     `json:"queue_depth"`
	QueueCapacity  int     `json:"queue_capacity"`
	QueueFullWaits int64   `json:"-"`
	BatchesTotal   int64   `json:"batches_total"`
	EventsTotal    int64   `json:"-"`
	AvgBatchEvents float64 `json:"avg_batch_events"`
	// The append quantiles cover the last 60 s, as bucket upper bounds of
	// the latency window; null when beyond its last bound (5 s).
	AppendP50Ms   *float64 `json:"append_p50_ms"`
	AppendP99Ms   *float64 `json:"append_p99_ms"`
	CommitErrors  int64    `json:"-"` // since open
	LastCommitAt  *float64 `json:"last_commit_at"`
	LastError     *string  `json:"last_error"`
	LastErrorAt   *float64 `json:"last_error_at"`
	Degraded      bool     `json:"degraded"`
	Synchronous   string   `json:"synchronous"`
	SchemaVersion int      `json:"schema_version"`
}

// WriterStats reads the writer's counters; it does no I/O.
func (s *Store) WriterStats() WriterStats {
	m := &s.metrics
	latency := m.appendLatency.Summary()
	ws := WriterStats{
		QueueDepth: len(s.queue), QueueCapacity: cap(s.queue), QueueFullWaits: m.queueFullWaits.Load(),
		BatchesTotal: m.batches.Load(), EventsTotal: m.batchEvents.Load(), CommitErrors: m.commitFailures.Load(),
		Degraded: m.degraded.Load(), Synchronous: s.opts.Synchronous, SchemaVersion: SchemaVersion,
		AppendP50Ms: monitor.FiniteOrNil(quantileMs(latency, 0.50)), AppendP99Ms: monitor.FiniteOrNil(latency.P99Ms),
	}
	if ws.BatchesTotal > 0 {
		ws.AvgBatchEvents = float64(ws.EventsTotal) / float64(ws.BatchesTotal)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastCommit.IsZero() {
		ws.LastCommitAt = ptr(unixSeconds(m.lastCommit))
	}
	if m.lastError != "" {
		ws.LastError, ws.LastErrorAt = ptr(m.lastError), ptr(unixSeconds(m.lastErrorAt))
	}
	return ws
}

// quantileMs is the upper bound of the first bucket whose cumulative count
// reaches q of the window (the rule of its P99Ms); 0 when empty, +Inf in
// the unbounded bucket.
func quantileMs(w monitor.LatencySummary, q float64) float64 {
	if w.Count == 0 {
		return 0
	}
	var cumulative int64
	for i, n := range w.Counts {
		if cumulative += n; float64(cumulative) >= q*float64(w.Count) {
			if i < len(monitor.LatencyBoundsMs) {
				return monitor.LatencyBoundsMs[i]
			}
			break
		}
	}
	return math.Inf(1)
}

func ptr[T any](v T) *T { return &v }

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// typeCounter counts stored events per type: seeded by one GROUP BY at open,
// raised by commits, lowered by retention.
type typeCounter struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (c *typeCounter) seed(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "SELECT type, COUNT(*) FROM events GROUP BY type")
	if err != nil {
		return err
	}
	defer rows.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = map[string]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return err
		}
		c.counts[t] = n
	}
	return rows.Err()
}

func (c *typeCounter) add(t string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts[t] += n; c.counts[t] <= 0 {
		delete(c.counts, t)
	}
}

func (c *typeCounter) subtract(counts map[string]int64) {
	for t, n := range counts {
		c.add(t, -n)
	}
}

func (c *typeCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for t, n := range c.counts {
		out[t] = n
	}
	return out
}
