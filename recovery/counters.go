package recovery

import (
	"maps"
	"sync"
	"time"
)

// RejectionKey labels liaptui_recovery_rejections_total.
type RejectionKey struct{ Procedure, Reason string }

// AttemptKey labels liaptui_recovery_attempts_total.
type AttemptKey struct{ Procedure, Result string }

// AttemptCount is the number of executed attempts and their summed duration.
type AttemptCount struct {
	Count    int64
	Duration time.Duration
}

// Counters is a copy of the manager's totals since New.
type Counters struct {
	Rejections map[RejectionKey]int64
	Attempts   map[AttemptKey]AttemptCount
}

type counters struct {
	mu         sync.Mutex
	rejections map[RejectionKey]int64
	attempts   map[AttemptKey]AttemptCount
}

func (c *counters) rejected(procedure, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rejections[RejectionKey{procedure, reason}]++
}

func (c *counters) attempted(procedure, result string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := AttemptKey{procedure, result}
	n := c.attempts[k]
	n.Count++
	n.Duration += d
	c.attempts[k] = n
}

// Counters copies the rejection and attempt totals.
func (m *Manager) Counters() Counters {
	c := &m.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counters{Rejections: maps.Clone(c.rejections), Attempts: maps.Clone(c.attempts)}
}
