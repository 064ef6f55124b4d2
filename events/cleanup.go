package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Cleanup triggers (retention_cleanup.trigger).
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// CleanupRequest asks for a retention run (observability §6.8).
type CleanupRequest struct {
	Cutoff  time.Time // delete what ended before this instant
	DryRun  bool
	Trigger string
	// HasActor reports whether the room registry still holds an actor for
	// a stream; such streams are never deleted, whatever their status.
	HasActor func(stream string) bool
	// Seated reports whether a player holds a seat in a live room; such
	// identities are kept however long they were unseen.
	Seated func(playerID string) bool
}

// CleanupResult is what a run deleted, or in a dry run would delete.
type CleanupResult struct {
	At                  float64 `json:"at"`
	DryRun              bool    `json:"dry_run"`
	Trigger             string  `json:"-"`
	Cutoff              float64 `json:"-"`
	DeletedRooms        int64   `json:"deleted_rooms"`
	DeletedEvents       int64   `json:"deleted_events"`
	DeletedSystemEvents int64   `json:"deleted_system_events"`
	DeletedIdentities   int64   `json:"-"`
	DurationMs          float64 `json:"-"`
}

// retentionRecord keeps the latest run for the stats body.
type retentionRecord struct {
	mu   sync.Mutex
	last *CleanupResult
}

// cleanupChunk is how many streams one writer request deletes.
const cleanupChunk = 100

// Cleanup deletes finished or closed room streams that ended before the
// cutoff and have no actor, and _system events older than the cutoff. Live
// rooms are never touched. A run already going gives ErrInProgress.
func (s *Store) Cleanup(ctx context.Context, req CleanupRequest) (CleanupResult, error) {
	if !s.cleanupMu.TryLock() {
		return CleanupResult{}, ErrInProgress
	}
	defer s.cleanupMu.Unlock()
	start := s.clock.Now()
	cutoff := req.Cutoff.UnixMilli()
	res := CleanupResult{At: unixSeconds(start), DryRun: req.DryRun, Trigger: req.Trigger,
		Cutoff: float64(cutoff) / 1000}
	doomed, players, err := s.cleanupTargets(ctx, cutoff, req, &res)
	if err != nil {
		return res, fmt.Errorf("cleanup: %w", err)
	}
	if req.DryRun {
		return res, nil
	}
	s.counters.cleanupStarted(req.Trigger)
	for i := 0; i < len(players); i += cleanupChunk {
		chunk := players[i:min(i+cleanupChunk, len(players))]
		err := s.writeOp(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM identities WHERE last_seen_at < ? AND player_id IN (?"+
				strings.Repeat(",?", len(chunk)-1)+")", append([]any{cutoff}, anySlice(chunk)...)...)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("cleanup identities: %w", err)
		}
	}
	for i := 0; i < len(doomed); i += cleanupChunk {
		if err := s.deleteStreams(ctx, doomed[i:min(i+cleanupChunk, len(doomed))]); err != nil {
			return res, fmt.Errorf("cleanup: %w", err)
		}
	}
	if err := s.trimSystem(ctx, cutoff); err != nil {
		return res, fmt.Errorf("cleanup: %w", err)
	}
	if res.DeletedEvents+res.DeletedSystemEvents >= 1000 {
		if err := s.compact(ctx); err != nil {
			return res, fmt.Errorf("cleanup: %w", err)
		}
	}
	res.DurationMs = float64(s.clock.Now().Sub(start).Microseconds()) / 1000
	payload, _ := json.Marshal(map[string]any{"trigger": req.Trigger, "cutoff": cutoff, "rooms": res.DeletedRooms,
		"events": res.DeletedEvents, "system_events": res.DeletedSystemEvents, "duration_ms": res.DurationMs})
	if _, err := s.Append(ctx, SystemStream, 0, AnyHead, []NewEvent{{Type: "retention_cleanup", Payload: payload}}); err != nil {
		return res, fmt.Errorf("cleanup record: %w", err)
	}
	s.stats.invalidate()
	s.retention.mu.Lock()
	s.retention.last = &res
	s.retention.mu.Unlock()
	return res, nil
}

// LastCleanup is the latest completed run, nil before the first.
func (s *Store) LastCleanup() *CleanupResult {
	s.retention.mu.Lock()
	defer s.retention.mu.Unlock()
	return s.retention.last
}

// cleanupTargets reads what a run deletes: the streams, the _system rows
// (counted into res) and the identities.
func (s *Store) cleanupTargets(ctx context.Context, cutoff int64, req CleanupRequest, res *CleanupResult) (
	doomed, players []string, err error) {
	defer s.observeRead(ctx, ReadCleanup, s.clock.Now(), &err)
	doomed, res.DeletedEvents, err = s.expiredStreams(ctx, cutoff, req.HasActor)
	if err != nil {
		return nil, nil, err
	}
	res.DeletedRooms = int64(len(doomed))
	err = s.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE room_id = ? AND at < ?", SystemStream, cutoff).
		Scan(&res.DeletedSystemEvents)
	if err != nil {
		return nil, nil, err
	}
	if players, err = s.expiredIdentities(ctx, cutoff, req.Seated); err != nil {
		return nil, nil, err
	}
	res.DeletedIdentities = int64(len(players))
	return doomed, players, nil
}

func (s *Store) expiredStreams(ctx context.Context, cutoff int64, hasActor func(string) bool) ([]string, int64, error) {
	rows, err := s.reader().QueryContext(ctx, `SELECT room_id, head_seq - first_seq + 1 FROM streams
		WHERE kind IN ('room', 'canary') AND status IN ('finished', 'closed') AND finished_at < ?`, cutoff)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var doomed []string
	var events int64
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, 0, err
		}
		if hasActor != nil && hasActor(id) {
			continue
		}
		doomed = append(doomed, id)
		events += n
	}
	return doomed, events, rows.Err()
}

// expiredIdentities lists players unseen since the cutoff and not seated.
func (s *Store) expiredIdentities(ctx context.Context, cutoff int64, seated func(string) bool) ([]string, error) {
	rows, err := s.reader().QueryContext(ctx, "SELECT player_id FROM identities WHERE last_seen_at < ?", cutoff)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if seated == nil || !seated(id) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

func anySlice(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// deleteStreams removes streams in one writer request; a stream that became
// live again in between is kept.
func (s *Store) deleteStreams(ctx context.Context, streams []string) error {
	req := &appendReq{done: make(chan struct{})}
	req.op = func(tx *sql.Tx, w *writer) error {
		in := "(?" + strings.Repeat(",?", len(streams)-1) + ")"
		args := make([]any, len(streams))
		for i, id := range streams {
			args[i] = id
			delete(w.heads, id)
		}
		filter := " WHERE room_id IN " + in + " AND room_id IN (SELECT room_id FROM streams WHERE status != 'live')"
		counts, err := countTypes(ctx, tx, "SELECT type, COUNT(*) FROM events"+filter+" GROUP BY type", args)
		if err != nil {
			return err
		}
		for _, stmt := range []string{"DELETE FROM events" + filter, "DELETE FROM snapshots" + filter,
			"DELETE FROM streams WHERE room_id IN " + in + " AND status != 'live'"} {
			if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
				return err
			}
		}
		req.onCommit = func() { w.s.deletedByRetention(counts) }
		return nil
	}
	if err := s.submit(ctx, req); err != nil {
		return err
	}
	return req.err
}

// trimSystem deletes _system events older than the cutoff; seq numbers are
// never reused, first_seq moves on.
func (s *Store) trimSystem(ctx context.Context, cutoff int64) error {
	req := &appendReq{stream: SystemStream, done: make(chan struct{})}
	req.op = func(tx *sql.Tx, w *writer) error {
		counts, err := countTypes(ctx, tx, "SELECT type, COUNT(*) FROM events WHERE room_id = ? AND at < ? GROUP BY type",
			[]any{SystemStream, cutoff})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM events WHERE room_id = ? AND at < ?", SystemStream, cutoff); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE streams SET first_seq = COALESCE(
			(SELECT MIN(seq) FROM events WHERE room_id = ?), head_seq + 1) WHERE room_id = ?`, SystemStream, SystemStream)
		if err != nil {
			return err
		}
		req.onCommit = func() { w.s.deletedByRetention(counts) }
		return nil
	}
	if err := s.submit(ctx, req); err != nil {
		return err
	}
	return req.err
}

// compact returns freed pages to the file system and checkpoints, on the
// writer's connection and goroutine.
func (s *Store) compact(ctx context.Context) error {
	req := &appendReq{done: make(chan struct{}), outsideTx: true}
	req.op = func(_ *sql.Tx, w *writer) error {
		if _, err := w.s.write.ExecContext(ctx, "PRAGMA incremental_vacuum(2000)"); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		_, err := w.s.write.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		return err
	}
	if err := s.submit(ctx, req); err != nil {
		return err
	}
	return req.err
}

// deletedByRetention takes deleted events off the per-type counts and adds
// them to the cleanup counter.
func (s *Store) deletedByRetention(counts map[string]int64) {
	s.typeCount.subtract(counts)
	var n int64
	for _, c := range counts {
		n += c
	}
	s.counters.cleanupDeleted.Add(n)
}

func countTypes(ctx context.Context, tx *sql.Tx, query string, args []any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, rows.Err()
}

// DeleteCanary removes a finished canary stream right after its passing run
// (observability §6.8); a failing run's stream is kept for retention.
func (s *Store) DeleteCanary(ctx context.Context, stream string) error {
	if kind, ok := StreamKind(stream); !ok || kind != KindCanary {
		return fmt.Errorf("%w: %q is not a canary stream", ErrInvalid, stream)
	}
	return s.deleteStreams(ctx, []string{stream})
}
