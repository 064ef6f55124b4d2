// Package events is the embedded SQLite event store of observability §6: one
// writer goroutine with group commit, a separate read pool, per-stream
// contiguous sequences, replay with the game package, retention and stats.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"liaptui/monitor"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"
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
	return nil
}

// Store is an open event store.
type Store struct {
	path  string
	opts  Options
	clock monitor.Clock
	write *sql.DB // the writer goroutine's only connection
	ckpt  *checkpointer
	read  *sql.DB // query_only pool

	queue      chan *appendReq
	stop       chan struct{}
	done       chan struct{}
	closing    sync.Once
	closeFiles sync.Once
	closeErr   error

	metrics   writerMetrics
	typeCount typeCounter
	stats     statsCache

	cleanupMu sync.Mutex
	retention retentionRecord
}

func dsn(path string, o Options, readOnly bool) string {
	sync := "NORMAL"
	if o.Synchronous == "full" {
		sync = "FULL"
	}
	q := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync +
		")&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_pragma=journal_size_limit(67108864)"
	if readOnly {
		return q + "&_pragma=query_only(1)"
	}
	return q + "&_auto_vacuum=INCREMENTAL&_txlock=immediate&_pragma=wal_autocheckpoint(0)"
}

// Open opens (creating if needed) the store file at path, migrates it and
// starts the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	write, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := migrate(ctx, write, path, opts.Clock.Now()); err != nil {
		write.Close()
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	read.SetMaxOpenConns(opts.ReadPoolSize)
	read.SetMaxIdleConns(opts.ReadPoolSize)
	s := &Store{path: path, opts: opts, clock: opts.Clock, write: write, read: read,
		queue: make(chan *appendReq, opts.QueueSize), stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.typeCount.seed(ctx, read); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	w := &writer{s: s, heads: map[string]streamHead{}, inserts: map[int]*sql.Stmt{}, updates: map[int]*sql.Stmt{}}
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
	read, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	var version int
	if err := read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != SchemaVersion {
		read.Close()
		return nil, fmt.Errorf("open event store %s: schema version %d, want %d (%v)", path, version, SchemaVersion, err)
	}
	s := &Store{path: path, opts: opts, clock: opts.Clock, read: read, stop: make(chan struct{}), done: make(chan struct{})}
	s.closing.Do(func() { close(s.stop) })
	close(s.done)
	return s, nil
}

// Close stops taking appends, commits what is queued, checkpoints the WAL
// and closes the files. It returns when done or when ctx ends; once it has
// succeeded, later calls return nil.
func (s *Store) Close(ctx context.Context) error {
	s.closing.Do(func() { close(s.stop) })
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("close event store: %w", ctx.Err())
	}
	s.closeFiles.Do(func() {
		if s.write == nil {
			s.closeErr = s.read.Close()
			return
		}
		ckErr := s.ckpt.close()
		_, cpErr := s.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		s.closeErr = errors.Join(ckErr, cpErr, s.closeDBs())
	})
	return s.closeErr
}

func (s *Store) closeDBs() error { return errors.Join(s.read.Close(), s.write.Close()) }

// Path is the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) nowMs() int64 { return s.clock.Now().UnixMilli() }
