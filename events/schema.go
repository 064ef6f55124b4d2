package events

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// migrations is the ordered schema history; migrations[i] brings a file from
// user_version i to i+1 (observability §6.9).
var migrations = []string{
	`CREATE TABLE events (
		id             INTEGER PRIMARY KEY AUTOINCREMENT,
		room_id        TEXT    NOT NULL,
		seq            INTEGER NOT NULL CHECK (seq >= 1),
		type           TEXT    NOT NULL,
		schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
		payload        TEXT    NOT NULL CHECK (json_valid(payload)),
		actor          TEXT    NOT NULL DEFAULT '',
		correlation_id TEXT    NOT NULL DEFAULT '',
		at             INTEGER NOT NULL,
		UNIQUE (room_id, seq)
	);
	CREATE INDEX idx_events_at ON events (at);
	CREATE TABLE streams (
		room_id     TEXT    PRIMARY KEY,
		kind        TEXT    NOT NULL CHECK (kind IN ('room', 'system', 'canary')),
		status      TEXT    NOT NULL CHECK (status IN ('live', 'finished', 'closed')),
		head_seq    INTEGER NOT NULL,
		first_seq   INTEGER NOT NULL,
		incarnation INTEGER NOT NULL DEFAULT 1,
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		finished_at INTEGER
	);
	CREATE INDEX idx_streams_status_finished ON streams (status, finished_at);
	CREATE TABLE snapshots (
		room_id        TEXT    NOT NULL,
		seq            INTEGER NOT NULL,
		schema_version INTEGER NOT NULL,
		state          TEXT    NOT NULL,
		created_at     INTEGER NOT NULL,
		PRIMARY KEY (room_id, seq)
	);
	CREATE TABLE identities (
		player_id    TEXT    PRIMARY KEY,
		token_sha256 BLOB    NOT NULL UNIQUE,
		name         TEXT    NOT NULL,
		created_at   INTEGER NOT NULL,
		last_seen_at INTEGER NOT NULL
	);`,
}

// SchemaVersion is the schema this binary writes.
var SchemaVersion = len(migrations)

// migrate brings the file to SchemaVersion. An existing file is first copied
// with VACUUM INTO beside itself; a newer file is refused, never downgraded.
func migrate(ctx context.Context, db *sql.DB, path string, now time.Time) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > SchemaVersion {
		return fmt.Errorf("%s has schema version %d, newer than this binary's %d: refusing to open it", path, version, SchemaVersion)
	}
	if version == SchemaVersion {
		return nil
	}
	if version > 0 {
		backup := fmt.Sprintf("%s.v%d-%d.bak", path, version, now.Unix())
		if _, err := db.ExecContext(ctx, "VACUUM INTO ?", backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", err)
		}
		if _, err := os.Stat(backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", err)
		}
	}
	for v := version; v < SchemaVersion; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}
