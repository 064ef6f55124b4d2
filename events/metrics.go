package events

import (
	"context"
	"database/sql"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// writerMetrics are the writer's own counters (observability §0 principle 1:
// the store owns them; the monitor and /metrics read them through
// WriterStats).
type writerMetrics struct {
	appendLatency  latencyHistogram
	batches        atomic.Int64
	batchEvents    atomic.Int64
	commitErrors   atomic.Int64
	queueFullWaits atomic.Int64
	degraded       atomic.Bool

	mu          sync.Mutex
	lastCommit  time.Time
	lastError   string
	lastErrorAt time.Time
}

func (m *writerMetrics) observeAppend(d time.Duration) { m.appendLatency.observe(d) }

func (m *writerMetrics) committed(requests, events int, at time.Time) {
	m.batches.Add(1)
	m.batchEvents.Add(int64(events))
	m.mu.Lock()
	m.lastCommit = at
	m.mu.Unlock()
}

func (m *writerMetrics) commitFailed(err error, at time.Time, degrade bool) {
	m.commitErrors.Add(1)
	if degrade {
		m.degraded.Store(true)
	}
	m.mu.Lock()
	m.lastError, m.lastErrorAt = err.Error(), at
	m.mu.Unlock()
}

// WriterStats is the read-only picture of the writer for the monitor, the
// metrics endpoint and /event-store/stats (the `writer` object).
type WriterStats struct {
	QueueDepth     int           `json:"queue_depth"`
	QueueCapacity  int           `json:"queue_capacity"`
	QueueFullWaits int64         `json:"-"`
	BatchesTotal   int64         `json:"batches_total"`
	EventsTotal    int64         `json:"-"`
	AvgBatchEvents float64       `json:"avg_batch_events"`
	AppendP50Ms    float64       `json:"append_p50_ms"`
	AppendP99Ms    float64       `json:"append_p99_ms"`
	AppendCount    int64         `json:"-"`
	AppendBuckets  []BucketCount `json:"-"`
	CommitErrors   int64         `json:"-"`
	LastCommitAt   *float64      `json:"last_commit_at"`
	LastError      *string       `json:"last_error"`
	LastErrorAt    *float64      `json:"last_error_at"`
	Degraded       bool          `json:"degraded"`
	Synchronous    string        `json:"synchronous"`
	SchemaVersion  int           `json:"schema_version"`
}

// WriterStats reads the writer's counters; it does no I/O.
func (s *Store) WriterStats() WriterStats {
	m := &s.metrics
	ws := WriterStats{
		QueueDepth: len(s.queue), QueueCapacity: cap(s.queue), QueueFullWaits: m.queueFullWaits.Load(),
		BatchesTotal: m.batches.Load(), EventsTotal: m.batchEvents.Load(), CommitErrors: m.commitErrors.Load(),
		Degraded: m.degraded.Load(), Synchronous: s.opts.Synchronous, SchemaVersion: SchemaVersion,
		AppendP50Ms: m.appendLatency.quantile(0.50) * 1000, AppendP99Ms: m.appendLatency.quantile(0.99) * 1000,
		AppendCount: m.appendLatency.count.Load(), AppendBuckets: m.appendLatency.buckets(),
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

func ptr[T any](v T) *T { return &v }

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// latencyHistogram counts durations in exponential buckets (each 25% wider
// than the last, from 10 µs); quantiles are read as bucket upper bounds.
type latencyHistogram struct {
	counts [latencyBuckets]atomic.Int64
	count  atomic.Int64
}

const (
	latencyBuckets = 64
	latencyBase    = 10 * time.Microsecond
	latencyGrowth  = 1.25
)

// latencyBound is the upper bound of bucket i.
func latencyBound(i int) time.Duration {
	return time.Duration(float64(latencyBase) * math.Pow(latencyGrowth, float64(i)))
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	if d > latencyBase {
		i = int(math.Ceil(math.Log(float64(d)/float64(latencyBase)) / math.Log(latencyGrowth)))
	}
	h.counts[min(i, latencyBuckets-1)].Add(1)
	h.count.Add(1)
}

// quantile in seconds; 0 with no observations.
func (h *latencyHistogram) quantile(q float64) float64 {
	total := h.count.Load()
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(total)))
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return latencyBound(i).Seconds()
		}
	}
	return latencyBound(latencyBuckets - 1).Seconds()
}

// BucketCount is one cumulative histogram bucket, for a Prometheus export.
type BucketCount struct {
	UpperSeconds float64
	Cumulative   int64
}

func (h *latencyHistogram) buckets() []BucketCount {
	out := make([]BucketCount, latencyBuckets)
	var cum int64
	for i := range h.counts {
		cum += h.counts[i].Load()
		out[i] = BucketCount{UpperSeconds: latencyBound(i).Seconds(), Cumulative: cum}
	}
	return out
}

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
