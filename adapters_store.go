package main

import (
	"context"
	"sync/atomic"
	"time"

	"liaptui/events"
	"liaptui/monitor"
	"liaptui/ws"
)

// storeOps serves the event-store routes (protocol §11.10).
type storeOps struct {
	store     *events.Store
	mon       *monitor.Monitor
	retention *events.Retention
	days      int
	hasActor  func(stream string) bool
	seated    func(playerID string) bool
	clock     monitor.Clock
	cleaning  *atomic.Bool
}

func (s storeOps) StatsBody(ctx context.Context) (any, error) {
	st, err := s.store.Stats(ctx)
	if err != nil {
		return nil, err
	}
	snap := s.mon.Snapshot()
	db, _ := snap.Component("database")
	response, _ := snap.Check("database:response")
	health := map[string]any{"status": "healthy", "database_accessible": response.Raw != monitor.LevelCritical,
		"total_events": st.TotalEvents, "current_sequence": st.CurrentSequence, "last_check": nil, "response_ms": nil}
	if db.Status == monitor.LevelCritical || db.Status == monitor.LevelUnknown {
		health["status"] = "unhealthy"
	}
	if snap.Taken() {
		health["last_check"] = unixSeconds(snap.TakenAt)
		if ms, ok := snap.Value(monitor.SeriesDBResponseMs); ok {
			health["response_ms"] = ms
		}
	}
	var next any
	if t := s.retention.NextRun(); !t.IsZero() {
		next = unixSeconds(t)
	}
	var last any
	if rec := s.store.LastCleanup(); rec != nil {
		last = rec
	}
	return map[string]any{"success": true, "statistics": st, "health": health,
		"retention": map[string]any{"older_than_days": s.days, "last_cleanup": last, "next_cleanup_at": next},
		"writer":    s.store.WriterStats(),
		"features":  map[string]bool{"event_persistence": true, "state_reconstruction": true, "client_recovery": true}}, nil
}

func (s storeOps) Cleanup(ctx context.Context, olderThanDays int, dryRun bool) (any, error) {
	if olderThanDays == 0 {
		olderThanDays = s.days
	}
	if !s.cleaning.CompareAndSwap(false, true) {
		return nil, ws.NewError(ws.CodeInProgress, nil, "a cleanup is running")
	}
	defer s.cleaning.Store(false)
	cutoff := s.clock.Now().Add(-time.Duration(olderThanDays) * 24 * time.Hour)
	res, err := s.store.Cleanup(ctx, events.CleanupRequest{Cutoff: cutoff, DryRun: dryRun, Trigger: events.TriggerManual,
		HasActor: s.hasActor, Seated: s.seated})
	if err != nil {
		return nil, err
	}
	return map[string]any{"success": true, "dry_run": dryRun, "older_than_days": olderThanDays,
		"cutoff": unixSeconds(cutoff), "deleted_rooms": res.DeletedRooms, "deleted_events": res.DeletedEvents,
		"deleted_system_events": res.DeletedSystemEvents, "cleanup_completed": true, "duration_ms": res.DurationMs}, nil
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
