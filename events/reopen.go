package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Recovery triggers the store raises (observability §5.1, §6.3).
const (
	procedureConnectionLoss = "database_connection_loss"
	raisedByStore           = "store"
	// degradeAfterFailures consecutive failed batches set degraded.
	degradeAfterFailures = 3
	// readFailuresToRecover consecutive read errors raise a trigger.
	readFailuresToRecover = 3
)

// Reopen reconnects the store (database_connection_loss, observability
// §5.1): it closes and reopens the read pool with the same DSN, then pauses
// the writer after its current batch, closes and reopens its connection with
// the same pragmas, verifies PRAGMA user_version, drops the head cache (it
// reloads from the streams table on next use) and resumes; appends wait in
// the queue meanwhile. The checkpointer's connection is reopened too.
// Success clears degraded and is proven by appending store_reopened to
// _system; on any failure the store stays (or becomes) degraded, so appends
// fail fast with ErrUnavailable until a later Reopen succeeds.
func (s *Store) Reopen(ctx context.Context) error {
	if s.queue == nil {
		return fmt.Errorf("reopen event store: read-only: %w", ErrClosed)
	}
	s.reopenMu.Lock()
	defer s.reopenMu.Unlock()
	select {
	case <-s.stop:
		return fmt.Errorf("reopen event store: %w", ErrClosed)
	default:
	}
	start := s.clock.Now()
	if err := errors.Join(s.reopenReadPool(ctx), s.reopenWriter(ctx), s.ckpt.reopen()); err != nil {
		s.metrics.degraded.Store(true)
		return fmt.Errorf("reopen event store: %w", err)
	}
	s.reads.consecutive.Store(0)
	s.metrics.degraded.Store(false)
	payload := map[string]any{"duration_ms": durationMs(s.clock.Now().Sub(start))}
	if err := s.appendSystemNow(ctx, "store_reopened", payload); err != nil {
		s.metrics.degraded.Store(true)
		return fmt.Errorf("reopen event store: probe append: %w", err)
	}
	return nil
}

func (s *Store) reopenReadPool(ctx context.Context) error {
	read, err := openPool(s.path, s.opts, roleRead)
	if err != nil {
		return err
	}
	s.readPool.Swap(read).Close() // the pool given up; queries still on it fail there
	return verifySchema(ctx, read)
}

// reopenWriter runs the reopen on the writer goroutine, ahead of the
// queued appends, and waits for it.
func (s *Store) reopenWriter(ctx context.Context) error {
	result := make(chan error, 1)
	select {
	case s.control <- func(w *writer) { result <- w.reopen(ctx) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrClosed
	}
	select {
	case err := <-result:
		return err
	case <-s.done: // the writer stopped; it may have reopened first
		select {
		case err := <-result:
			return err
		default:
			return ErrClosed
		}
	}
}

// reopen replaces the write connection; it runs on the writer goroutine.
// Until it has prepared the statements again, batches fail with
// ErrUnavailable.
func (w *writer) reopen(ctx context.Context) error {
	if err := ctx.Err(); err != nil { // the caller gave up before its turn
		return err
	}
	w.closeStatements()
	db, err := openPool(w.s.path, w.s.opts, roleWrite)
	if err != nil {
		return err
	}
	w.s.write.Close() // the connection given up
	w.s.write = db
	w.heads, w.nextID, w.failures = map[string]streamHead{}, 0, 0
	w.publishHeads()
	if err := verifySchema(ctx, db); err != nil {
		return err
	}
	return w.prepareStatements(ctx)
}

func verifySchema(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version != SchemaVersion {
		return fmt.Errorf("schema version %d, want %d", version, SchemaVersion)
	}
	return nil
}

// commitFailed records a failed batch (observability §6.3): it counts,
// degrades after 3 in a row, wakes the monitor and, for a failure a
// reconnect may cure, raises database_connection_loss.
func (s *Store) commitFailed(err error, at time.Time, consecutive int) {
	s.metrics.commitFailed(err, at, consecutive >= degradeAfterFailures)
	s.wake()
	if class := faultClass(err); class != "" {
		s.raiseConnectionLoss(context.Background(), map[string]any{
			"error": err.Error(), "class": class, "consecutive_failures": consecutive})
	}
}

func (s *Store) raiseConnectionLoss(ctx context.Context, observed map[string]any) {
	if s.opts.Recover != nil {
		s.opts.Recover(ctx, procedureConnectionLoss, "", raisedByStore, observed)
	}
}

// readFailures counts read-pool failures in a row.
type readFailures struct{ consecutive atomic.Int64 }

// observeRead reports a read's duration to OnRead and counts its failure;
// every third failure in a row raises database_connection_loss. Answers
// such as "no such stream" prove the pool works and end the run; a read
// whose caller's context ended proves nothing either way.
func (s *Store) observeRead(ctx context.Context, op string, start time.Time, errp *error) {
	if s.opts.OnRead != nil {
		s.opts.OnRead(op, s.clock.Now().Sub(start))
	}
	r := &s.reads
	switch {
	case *errp != nil && ctx.Err() != nil:
	case isAnswer(*errp):
		if r.consecutive.Load() != 0 {
			r.consecutive.Store(0)
		}
	default:
		if n := r.consecutive.Add(1); n%readFailuresToRecover == 0 {
			s.raiseConnectionLoss(context.WithoutCancel(ctx), map[string]any{
				"error": (*errp).Error(), "op": op, "consecutive_read_errors": n})
		}
	}
}

// isAnswer: success, or an error the database answered with.
func isAnswer(err error) bool {
	if err == nil {
		return true
	}
	for _, answer := range []error{sql.ErrNoRows, ErrNotFound, ErrSeqRange, ErrInvalid} {
		if errors.Is(err, answer) {
			return true
		}
	}
	return false
}

func durationMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
