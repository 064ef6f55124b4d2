package events

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"liaptui/monitor"
)

// Retention runs Cleanup on a schedule (observability §6.8): first after
// FirstDelay, then every Interval, deleting what ended more than Days ago.
type Retention struct {
	Store      *Store
	Clock      monitor.Clock
	Interval   time.Duration // store.cleanup_interval, 1 h
	FirstDelay time.Duration // 5 min
	Days       int           // store.retention_days, 7
	HasActor   func(stream string) bool
	Log        *slog.Logger

	mu   sync.Mutex
	next time.Time
}

// Run cleans on schedule until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	delay := r.FirstDelay
	for {
		r.mu.Lock()
		r.next = r.Clock.Now().Add(delay)
		r.mu.Unlock()
		timer := r.Clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
		cutoff := r.Clock.Now().Add(-time.Duration(r.Days) * 24 * time.Hour)
		res, err := r.Store.Cleanup(ctx, CleanupRequest{Cutoff: cutoff, Trigger: TriggerSchedule, HasActor: r.HasActor})
		log := r.Log
		if log == nil {
			log = slog.Default()
		}
		if err != nil {
			log.WarnContext(ctx, "scheduled retention cleanup failed", "error", err)
		} else {
			log.InfoContext(ctx, "retention cleanup", "rooms", res.DeletedRooms, "events", res.DeletedEvents,
				"system_events", res.DeletedSystemEvents, "duration_ms", res.DurationMs)
		}
		delay = r.Interval
	}
}

// NextRun is when the next scheduled cleanup runs (zero before Run starts).
func (r *Retention) NextRun() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}
