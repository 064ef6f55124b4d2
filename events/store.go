// Package events is the embedded SQLite event store of observability §6: one
// writer goroutine with group commit, a separate read pool, per-stream
// contiguous sequences, replay with the game package, retention and stats.
package events

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// Errors of Append and the reads (observability §6.3); match with errors.Is.
var (
	ErrConflict    = errors.New("expected head does not match the stream")
	ErrFenced      = errors.New("stream incarnation moved on: this writer is fenced")
	ErrInvalid     = errors.New("invalid append")
	ErrOverloaded  = errors.New("event store queue full")
	ErrUnavailable = errors.New("event store degraded")
	ErrClosed      = errors.New("event store closed")
	ErrNotFound    = errors.New("no such stream")
	ErrSeqRange    = errors.New("sequence beyond the stream's head")
	ErrInProgress  = errors.New("a cleanup is running")
)

// AnyHead appends after whatever the head is; system and canary streams only.
const AnyHead = -1

// MaxPayloadBytes bounds one event's payload.
const MaxPayloadBytes = 64 << 10

// NewEvent is an event to append. At 0 means "the writer's clock".
type NewEvent struct {
	Type          string
	SchemaVersion int // 0 means the type's current version
	At            int64
	Payload       json.RawMessage
	Actor         string
}

// Stored is an event as stored.
type Stored struct {
	ID            int64           `json:"id"`
	Stream        string          `json:"-"`
	Seq           int64           `json:"seq"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	At            int64           `json:"at"`
	Payload       json.RawMessage `json:"payload"`
	Actor         string          `json:"-"`
	CorrelationID string          `json:"correlation_id"`
}

// Options configure a store; zero values take the defaults of observability §0.
type Options struct {
	Synchronous    string // "normal" (default) or "full"
	QueueSize      int    // requests; 4096
	BatchMaxEvents int    // 256
	BatchMaxBytes  int    // 1 MiB
	Linger         time.Duration
	ReadPoolSize   int // 4
	Clock          monitor.Clock
	// Log receives the store's own records (failed _system appends); nil
	// means slog.Default(). Records carry category and component.
	Log *slog.Logger

	// The hooks below are optional (nil = off) and must not block.

	// Wake asks the monitor for an early sample (observability §2.2): the
	// store passes "store" on a commit error, when the queue crosses above
	// 80 % of its capacity and when the oldest queued append passes 500 ms.
	Wake func(reason string)
	// Recover raises a recovery trigger (monitor.Recoverer's Trigger): the
	// store raises database_connection_loss on a commit error of class I/O,
	// busy, closed or corrupt, and on 3 consecutive read errors.
	Recover func(ctx context.Context, procedure, target, raisedBy string, observed map[string]any)
	// OnAppend gets each append's submit-to-commit time (on the writer).
	OnAppend func(d time.Duration)
	// OnCommit gets each committed group transaction's time and event count.
	OnCommit func(d time.Duration, events int)
	// OnRead gets each read-pool query's time by op (the Read* constants).
	OnRead func(op string, d time.Duration)
	// WrapConnector, when set, wraps the connector of every pool the store
	// opens, at Open and at each Reopen (ConnFault.Wrap in tests).
	WrapConnector func(driver.Connector) driver.Connector
}

func (o *Options) fill() error {
	switch o.Synchronous {
	case "":
		o.Synchronous = "normal"
	case "normal", "full":
	default:
		return fmt.Errorf("store.synchronous must be normal or full, not %q", o.Synchronous)
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.BatchMaxEvents <= 0 {
		o.BatchMaxEvents = 256
	}
	if o.BatchMaxBytes <= 0 {
		o.BatchMaxBytes = 1 << 20
	}
	if o.Linger == 0 && o.Synchronous == "full" {
		o.Linger = 2 * time.Millisecond
	}
	if o.ReadPoolSize <= 0 {
		o.ReadPoolSize = 4
	}
	if o.Clock == nil {
		o.Clock = monitor.WallClock{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return nil
}

// Store is an open event store.
type Store struct {
	path     string
	opts     Options
	clock    monitor.Clock
	write    *sql.DB // the writer goroutine's only connection; Reopen swaps it on that goroutine
	ckpt     *checkpointer
	readPool atomic.Pointer[sql.DB] // query_only pool; Reopen swaps it

	queue   chan *appendReq
	control chan func(*writer) // runs on the writer between batches, before queued appends
	system  systemAppender
	stop    chan struct{}
	done    chan struct{}
	// closing stops the _system appender, then stopping stops the writer.
	closing, stopping sync.Once
	closeFiles        sync.Once
	closeErr          error
	reopenMu          sync.Mutex // one Reopen at a time, never during Close's file closing

	metrics   writerMetrics
	queueMark queueMarks
	headCache headCacheMarks
	reads     readFailures
	counters  storeCounters
	typeCount typeCounter
	stats     statsCache

	cleanupMu sync.Mutex
	retention retentionRecord
}

// reader is the current read pool.
func (s *Store) reader() *sql.DB { return s.readPool.Load() }

// Open opens (creating if needed) the store file at path, migrates it and
// starts the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	write, err := openPool(path, opts, roleWrite)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := migrate(ctx, write, path, opts.Clock.Now()); err != nil {
		write.Close()
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	read, err := openPool(path, opts, roleRead)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	s := &Store{path: path, opts: opts, clock: opts.Clock, write: write,
		queue: make(chan *appendReq, opts.QueueSize), control: make(chan func(*writer), 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	s.readPool.Store(read)
	s.metrics.init(opts.Clock)
	if err := s.typeCount.seed(ctx, read); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	w := newWriter(s)
	if err := w.prepareStatements(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if s.ckpt, err = newCheckpointer(path, opts); err != nil {
		w.closeStatements()
		s.closeDBs()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	go s.ckpt.run(s.stop)
	go w.run()
	s.system.start(s)
	return s, nil
}

// OpenReadOnly opens an existing store file for reads only (the replay
// subcommand): no writer, no migration; a schema other than this binary's is
// refused. Append on it returns ErrClosed.
func OpenReadOnly(ctx context.Context, path string, clock monitor.Clock) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	opts := Options{Clock: clock}
	if err := opts.fill(); err != nil {
		return nil, err
	}
	read, err := openPool(path, opts, roleRead)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	var version int
	if err := read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != SchemaVersion {
		read.Close()
		return nil, fmt.Errorf("open event store %s: schema version %d, want %d (%v)", path, version, SchemaVersion, err)
	}
	s := &Store{path: path, opts: opts, clock: opts.Clock, stop: make(chan struct{}), done: make(chan struct{})}
	s.readPool.Store(read)
	s.metrics.init(opts.Clock)
	s.system.stopped()
	s.closing.Do(func() {}) // the appender never ran
	s.stopping.Do(func() { close(s.stop) })
	close(s.done)
	return s, nil
}

// FinishSystem stores the queued _system events and refuses later ones, so
// that an event appended after it with Append (server_stopped, the clean-stop
// marker) is the stream's last. Close does the same first.
func (s *Store) FinishSystem(ctx context.Context) error {
	s.closing.Do(s.system.stop)
	if err := s.system.wait(ctx); err != nil {
		return fmt.Errorf("finish _system events: %w", err)
	}
	return nil
}

// Close stops taking appends, stores the queued _system events, commits
// what is queued, checkpoints the WAL and closes the files. It returns when
// done or when ctx ends; once it has succeeded, later calls return nil.
func (s *Store) Close(ctx context.Context) error {
	s.closing.Do(s.system.stop)
	// Appends stop even when ctx ends before the _system queue drained;
	// what it still holds is then refused and logged.
	sysErr := s.system.wait(ctx)
	s.stopping.Do(func() { close(s.stop) })
	if sysErr != nil {
		return fmt.Errorf("close event store: %w", sysErr)
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("close event store: %w", ctx.Err())
	}
	s.closeFiles.Do(func() {
		s.reopenMu.Lock()
		defer s.reopenMu.Unlock()
		if s.write == nil {
			s.closeErr = s.reader().Close()
			return
		}
		ckErr := s.ckpt.close()
		_, cpErr := s.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		s.closeErr = errors.Join(ckErr, cpErr, s.closeDBs())
	})
	return s.closeErr
}

func (s *Store) closeDBs() error { return errors.Join(s.reader().Close(), s.write.Close()) }

// Path is the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) nowMs() int64 { return s.clock.Now().UnixMilli() }
