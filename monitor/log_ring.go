package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// DefaultLogQueryLimit is the number of entries a query without a limit returns.
const DefaultLogQueryLimit = 100

// LogRing holds the latest encoded, already redacted log lines, bounded by
// count and by bytes, oldest dropped first; GET /logs reads it.
type LogRing struct {
	mu       sync.Mutex
	entries  []ringEntry // circular; the oldest is at head
	head, n  int
	bytes    int
	maxBytes int
}

type ringEntry struct {
	at            time.Time // the injected clock when stored; Since compares to it
	level         slog.Level
	category      string
	correlationID string
	line          []byte // one JSON object, no newline
}

// LogQuery selects ring entries (protocol §11.11). The zero value asks for
// INFO and above, any time, category and correlation id, 100 entries.
type LogQuery struct {
	MinLevel      slog.Level
	Since         time.Time // entries at or after it; zero: no bound
	Limit         int       // ≤ 0: DefaultLogQueryLimit
	CorrelationID string    // exact; empty: any
	Category      string    // exact; empty: any
}

func newLogRing(size, maxBytes int) *LogRing {
	return &LogRing{entries: make([]ringEntry, size), maxBytes: maxBytes}
}

// Capacity is the most records the ring holds (log.ring_size).
func (g *LogRing) Capacity() int { return len(g.entries) }

// Query returns the matching lines, newest first, at most q.Limit of them;
// truncated reports that more matched.
func (g *LogRing) Query(q LogQuery) (entries []json.RawMessage, truncated bool) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLogQueryLimit
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := g.n - 1; i >= 0; i-- {
		e := &g.entries[(g.head+i)%len(g.entries)]
		if !e.matches(q) {
			continue
		}
		if len(entries) == limit {
			return entries, true
		}
		entries = append(entries, json.RawMessage(slices.Clone(e.line)))
	}
	return entries, false
}

func (e *ringEntry) matches(q LogQuery) bool {
	return e.level >= q.MinLevel &&
		(q.Since.IsZero() || !e.at.Before(q.Since)) &&
		(q.CorrelationID == "" || e.correlationID == q.CorrelationID) &&
		(q.Category == "" || e.category == q.Category)
}

// add stores e, dropping the oldest entries until both bounds hold. A line
// larger than the whole byte bound is not kept.
func (g *LogRing) add(e ringEntry) {
	if len(e.line) > g.maxBytes {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.n == len(g.entries) || g.bytes+len(e.line) > g.maxBytes {
		oldest := &g.entries[g.head]
		g.bytes -= len(oldest.line)
		*oldest = ringEntry{}
		g.head = (g.head + 1) % len(g.entries)
		g.n--
	}
	g.entries[(g.head+g.n)%len(g.entries)] = e
	g.n++
	g.bytes += len(e.line)
}

// ringSink is the ring's handler: it encodes records with the same JSON
// options as stdout and stores each line with the fields queries filter on.
type ringSink struct {
	level slog.Level
	clock Clock
	enc   slog.Handler
	w     *ringWriter
	// bound holds category and correlation_id given to WithAttrs before any
	// group was opened; grouped means later attributes are nested.
	bound   ringEntry
	grouped bool
}

// ringWriter receives the encoder's single Write per record; mu makes the
// pending fields and that Write one step.
type ringWriter struct {
	mu      sync.Mutex
	ring    *LogRing
	pending ringEntry
}

func (w *ringWriter) Write(p []byte) (int, error) {
	e := w.pending
	e.line = slices.Clone(bytes.TrimSuffix(p, []byte("\n")))
	w.ring.add(e)
	return len(p), nil
}

func newRingSink(ring *LogRing, level slog.Level, clock Clock) *ringSink {
	w := &ringWriter{ring: ring}
	return &ringSink{level: level, clock: clock, w: w, enc: slog.NewJSONHandler(w, jsonLineOptions(level))}
}

func (s *ringSink) Enabled(_ context.Context, level slog.Level) bool { return level >= s.level }

func (s *ringSink) Handle(ctx context.Context, r slog.Record) error {
	e := s.bound
	e.level = r.Level
	if !s.grouped {
		r.Attrs(func(a slog.Attr) bool {
			e.note(a)
			return true
		})
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	e.at = s.clock.Now()
	s.w.pending = e
	return s.enc.Handle(ctx, r)
}

// note records a top-level attribute queries filter on.
func (e *ringEntry) note(a slog.Attr) {
	switch a.Key {
	case logKeyCategory:
		e.category = a.Value.Resolve().String()
	case logKeyCorrelationID:
		e.correlationID = a.Value.Resolve().String()
	}
}

func (s *ringSink) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *s
	c.enc = s.enc.WithAttrs(attrs)
	if !c.grouped {
		for _, a := range attrs {
			c.bound.note(a)
		}
	}
	return &c
}

func (s *ringSink) WithGroup(name string) slog.Handler {
	if name == "" {
		return s
	}
	c := *s
	c.enc = s.enc.WithGroup(name)
	c.grouped = true
	return &c
}
