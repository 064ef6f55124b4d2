package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Read timeouts (observability §6.4).
const (
	sinceTimeout = 5 * time.Second
	loadTimeout  = 30 * time.Second
)

// Page is one answer of Since.
type Page struct {
	Events  []Stored
	HeadSeq int64 // the stream's latest seq
	HasMore bool  // events follow the last one returned
}

// StreamInfo is one row of the streams table.
type StreamInfo struct {
	Stream      string
	Kind        string
	Status      string
	HeadSeq     int64
	FirstSeq    int64
	Incarnation int64
	CreatedAt   int64
	FinishedAt  int64 // 0 while live
}

// Stream reads one stream's row; ErrNotFound when there is none.
func (s *Store) Stream(ctx context.Context, stream string) (info StreamInfo, err error) {
	defer s.observeRead(ctx, ReadSince, s.clock.Now(), &err)
	qctx, cancel := context.WithTimeout(ctx, sinceTimeout)
	defer cancel()
	return scanStream(s.reader().QueryRowContext(qctx, streamColumns+" WHERE room_id = ?", stream))
}

const streamColumns = `SELECT room_id, kind, status, head_seq, first_seq, incarnation, created_at,
	COALESCE(finished_at, 0) FROM streams`

type scanner interface{ Scan(...any) error }

func scanStream(row scanner) (StreamInfo, error) {
	var si StreamInfo
	err := row.Scan(&si.Stream, &si.Kind, &si.Status, &si.HeadSeq, &si.FirstSeq, &si.Incarnation, &si.CreatedAt, &si.FinishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return si, ErrNotFound
	}
	return si, err
}

// Since returns the events of stream with seq > afterSeq, ascending, at most
// limit (1..1000; 0 means 100). afterSeq beyond the head is ErrSeqRange.
func (s *Store) Since(ctx context.Context, stream string, afterSeq int64, limit int) (_ Page, err error) {
	switch {
	case afterSeq < 0:
		return Page{}, fmt.Errorf("%w: since %d is negative", ErrInvalid, afterSeq)
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 1000:
		return Page{}, fmt.Errorf("%w: limit %d outside 1..1000", ErrInvalid, limit)
	}
	defer s.observeRead(ctx, ReadSince, s.clock.Now(), &err)
	qctx, cancel := context.WithTimeout(ctx, sinceTimeout)
	defer cancel()
	// One read transaction: the head and the rows come from one snapshot.
	tx, err := s.reader().BeginTx(qctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Page{}, err
	}
	defer tx.Rollback()
	info, err := scanStream(tx.QueryRowContext(qctx, streamColumns+" WHERE room_id = ?", stream))
	if err != nil {
		return Page{}, fmt.Errorf("since %s: %w", stream, err)
	}
	if afterSeq > info.HeadSeq {
		return Page{HeadSeq: info.HeadSeq}, fmt.Errorf("%w: %s head is %d, asked after %d", ErrSeqRange, stream, info.HeadSeq, afterSeq)
	}
	rows, err := tx.QueryContext(qctx, eventColumns+" WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?", stream, afterSeq, limit+1)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{HeadSeq: info.HeadSeq, Events: make([]Stored, 0, min(limit, int(info.HeadSeq-afterSeq)))}
	for rows.Next() {
		if len(page.Events) == limit {
			page.HasMore = true
			break
		}
		ev, err := scanEvent(rows)
		if err != nil {
			return Page{}, err
		}
		page.Events = append(page.Events, ev)
	}
	return page, rows.Err()
}

const eventColumns = `SELECT id, room_id, seq, type, schema_version, payload, actor, correlation_id, at FROM events`

func scanEvent(row scanner) (Stored, error) {
	var ev Stored
	var payload string
	err := row.Scan(&ev.ID, &ev.Stream, &ev.Seq, &ev.Type, &ev.SchemaVersion, &payload, &ev.Actor, &ev.CorrelationID, &ev.At)
	ev.Payload = []byte(payload)
	return ev, err
}

// Load passes the events of stream with seq ≥ fromSeq to fn in seq order
// without holding them all; fn's error stops the load and is returned.
func (s *Store) Load(ctx context.Context, stream string, fromSeq int64, fn func(Stored) error) error {
	start := s.clock.Now()
	var fnErr error
	err := s.load(ctx, stream, fromSeq, func(ev Stored) error {
		fnErr = fn(ev)
		return fnErr
	})
	readErr := err
	if fnErr != nil { // the caller's error, not the store's
		readErr = nil
	}
	s.observeRead(ctx, ReadLoad, start, &readErr)
	return err
}

func (s *Store) load(ctx context.Context, stream string, fromSeq int64, fn func(Stored) error) error {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	rows, err := s.reader().QueryContext(ctx, eventColumns+" WHERE room_id = ? AND seq >= ? ORDER BY seq", stream, fromSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Streams lists streams of a kind ("" for all) with a status ("" for all).
func (s *Store) Streams(ctx context.Context, kind, status string) (_ []StreamInfo, err error) {
	defer s.observeRead(ctx, ReadLoad, s.clock.Now(), &err)
	qctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	rows, err := s.reader().QueryContext(qctx, streamColumns+" WHERE (? = '' OR kind = ?) AND (? = '' OR status = ?) ORDER BY created_at, room_id",
		kind, kind, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StreamInfo
	for rows.Next() {
		si, err := scanStream(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, si)
	}
	return out, rows.Err()
}

// LiveRooms lists the room streams still live: the rooms crash recovery
// rebuilds (observability §6.7).
func (s *Store) LiveRooms(ctx context.Context) ([]StreamInfo, error) {
	return s.Streams(ctx, KindRoom, StatusLive)
}

// Ping runs SELECT 1 on the read pool under the caller's ctx (check 10).
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observeRead(ctx, ReadPing, s.clock.Now(), &err)
	var one int
	return s.reader().QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// QuickCheck runs PRAGMA quick_check on the read pool after an unclean
// stop (observability §6.7 step 1); "ok" means the file is consistent.
func (s *Store) QuickCheck(ctx context.Context) (string, error) {
	rows, err := s.reader().QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return "", fmt.Errorf("quick_check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", fmt.Errorf("quick_check: %w", err)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "; "), rows.Err()
}
