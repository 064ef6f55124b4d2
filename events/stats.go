package events

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"time"
)

// statsTTL is how long Stats serves its cached answer (observability §6.10).
const statsTTL = 10 * time.Second

// Statistics is the store's part of GET /event-store/stats (protocol §11.10).
type Statistics struct {
	TotalEvents        int64            `json:"total_events"`
	CurrentSequence    int64            `json:"current_sequence"`
	RoomsWithEvents    int64            `json:"rooms_with_events"`
	EventsLast24h      int64            `json:"events_last_24h"`
	RoomStats          map[string]int64 `json:"room_stats"`
	RoomStatsTruncated bool             `json:"room_stats_truncated"`
	EventTypeStats     map[string]int64 `json:"event_type_stats"`
	SystemEvents       int64            `json:"system_events"`
	LiveRooms          int64            `json:"live_rooms"`
	FinishedRooms      int64            `json:"finished_rooms"`
	OldestEventAt      *float64         `json:"oldest_event_at"`
	NewestEventAt      *float64         `json:"newest_event_at"`
	DBSizeBytes        int64            `json:"db_size_bytes"`
	WALSizeBytes       int64            `json:"wal_size_bytes"`
}

type statsCache struct {
	mu    sync.Mutex
	at    time.Time
	value Statistics
}

// invalidate drops the cached answer and reports whether there was one.
func (c *statsCache) invalidate() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	had := !c.at.IsZero()
	c.at, c.value = time.Time{}, Statistics{}
	return had
}

// roomStatsTop is how many rooms room_stats lists.
const roomStatsTop = 50

// Stats answers from a cache refreshed at most every 10 s; a refresh reads
// the streams table and the `at` index, never the events themselves.
func (s *Store) Stats(ctx context.Context) (Statistics, error) {
	c := &s.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.clock.Now()
	if !c.at.IsZero() && now.Sub(c.at) < statsTTL {
		return c.value, nil
	}
	st, err := s.readStats(ctx, now)
	if err != nil {
		return Statistics{}, err
	}
	c.at, c.value = now, st
	return st, nil
}

func (s *Store) readStats(ctx context.Context, now time.Time) (_ Statistics, err error) {
	defer s.observeRead(ctx, ReadStats, s.clock.Now(), &err)
	ctx, cancel := context.WithTimeout(ctx, sinceTimeout)
	defer cancel()
	read := s.reader()
	st := Statistics{RoomStats: map[string]int64{}, EventTypeStats: s.typeCount.snapshot()}
	err = read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(head_seq - first_seq + 1), 0),
		COALESCE(SUM(CASE WHEN kind = 'system' THEN head_seq - first_seq + 1 END), 0),
		COUNT(CASE WHEN kind = 'room' THEN 1 END),
		COUNT(CASE WHEN kind = 'room' AND status = 'live' THEN 1 END),
		COUNT(CASE WHEN kind = 'room' AND status != 'live' THEN 1 END)
		FROM streams`).Scan(&st.TotalEvents, &st.SystemEvents, &st.RoomsWithEvents, &st.LiveRooms, &st.FinishedRooms)
	if err != nil {
		return st, err
	}
	err = read.QueryRowContext(ctx, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)").
		Scan(&st.CurrentSequence)
	if err != nil {
		return st, err
	}
	rows, err := read.QueryContext(ctx, `SELECT room_id, head_seq - first_seq + 1 AS n FROM streams
		WHERE kind = 'room' ORDER BY n DESC, room_id LIMIT ?`, roomStatsTop+1)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return st, err
		}
		if len(st.RoomStats) == roomStatsTop {
			st.RoomStatsTruncated = true
			break
		}
		st.RoomStats[id] = n
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	var oldest, newest sql.NullInt64
	dayAgo := now.Add(-24 * time.Hour).UnixMilli()
	err = read.QueryRowContext(ctx, `SELECT (SELECT MIN(at) FROM events), (SELECT MAX(at) FROM events),
		(SELECT COUNT(*) FROM events WHERE at >= ?)`, dayAgo).Scan(&oldest, &newest, &st.EventsLast24h)
	if err != nil {
		return st, err
	}
	if oldest.Valid {
		st.OldestEventAt = ptr(float64(oldest.Int64) / 1000)
		st.NewestEventAt = ptr(float64(newest.Int64) / 1000)
	}
	st.DBSizeBytes = fileSize(s.path)
	st.WALSizeBytes = fileSize(s.path + "-wal")
	return st, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
