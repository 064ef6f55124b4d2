package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// appendReq is one request to the writer: an append, or a maintenance
// operation (fence, cleanup) that must be ordered with the appends.
type appendReq struct {
	stream      string
	kind        string
	incarnation int64
	expected    int64
	events      []NewEvent
	correlation string
	bytes       int
	op          func(tx *sql.Tx, w *writer) error
	onCommit    func() // set by op; runs once its transaction committed
	outsideTx   bool   // op runs on the write connection outside a transaction
	enqueuedAt  time.Time
	taken       atomic.Bool // the writer took it from the queue

	stored []Stored
	err    error
	done   chan struct{}
}

// Append stores events at the end of stream and returns them with their
// sequence numbers once committed (observability §6.3). expectedHead is the
// caller's known head (0 for a new stream) or AnyHead for system and canary
// streams; incarnation fences room streams (rebuilds bump it). The
// correlation id comes from ctx.
func (s *Store) Append(ctx context.Context, stream string, incarnation, expectedHead int64, evs []NewEvent) ([]Stored, error) {
	stored, err := s.appendEvents(ctx, stream, incarnation, expectedHead, evs)
	if err != nil {
		s.counters.appendFailed(err)
	}
	return stored, err
}

func (s *Store) appendEvents(ctx context.Context, stream string, incarnation, expectedHead int64, evs []NewEvent) ([]Stored, error) {
	req, err := s.newAppend(stream, incarnation, expectedHead, evs)
	if err != nil {
		return nil, err
	}
	req.correlation = monitor.CorrelationID(ctx)
	if err := s.submit(ctx, req); err != nil {
		return nil, err
	}
	return req.stored, req.err
}

func (s *Store) newAppend(stream string, incarnation, expectedHead int64, evs []NewEvent) (*appendReq, error) {
	kind, ok := StreamKind(stream)
	if !ok {
		return nil, fmt.Errorf("%w: stream id %q is not a room id, %s or _canary:<run>", ErrInvalid, stream, SystemStream)
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%w: no events", ErrInvalid)
	}
	if expectedHead < AnyHead || (expectedHead == AnyHead && kind == KindRoom) {
		return nil, fmt.Errorf("%w: expected head %d for a %s stream", ErrInvalid, expectedHead, kind)
	}
	req := &appendReq{stream: stream, kind: kind, incarnation: incarnation, expected: expectedHead,
		events: make([]NewEvent, len(evs)), done: make(chan struct{})}
	for i, ev := range evs {
		t, ok := types[ev.Type]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: unregistered event type %q", ErrInvalid, ev.Type)
		case t.system != (kind == KindSystem):
			return nil, fmt.Errorf("%w: event type %q does not belong in a %s stream", ErrInvalid, ev.Type, kind)
		case len(ev.Payload) > MaxPayloadBytes:
			return nil, fmt.Errorf("%w: %s payload of %d bytes exceeds %d", ErrInvalid, ev.Type, len(ev.Payload), MaxPayloadBytes)
		case !isJSONObject(ev.Payload):
			return nil, fmt.Errorf("%w: %s payload is not a JSON object", ErrInvalid, ev.Type)
		case ev.SchemaVersion < 0 || ev.SchemaVersion > t.version:
			return nil, fmt.Errorf("%w: %s has no payload version %d", ErrInvalid, ev.Type, ev.SchemaVersion)
		}
		if ev.SchemaVersion == 0 {
			ev.SchemaVersion = t.version
		}
		req.events[i] = ev
		req.bytes += len(ev.Payload)
	}
	return req, nil
}

func isJSONObject(b json.RawMessage) bool {
	trimmed := strings.TrimSpace(string(b))
	return strings.HasPrefix(trimmed, "{") && json.Valid(b)
}

// submit queues req and waits for the writer's answer. A full queue blocks
// until space frees or ctx ends (back-pressure). req.enqueuedAt is the
// submission time, back-pressure included.
func (s *Store) submit(ctx context.Context, req *appendReq) error {
	if s.metrics.degraded.Load() && req.op == nil {
		return ErrUnavailable
	}
	select {
	case <-s.stop:
		return ErrClosed
	default:
	}
	req.enqueuedAt = s.clock.Now()
	select {
	case s.queue <- req:
		s.enqueued(req)
	default:
		s.metrics.queueFullWaits.Add(1)
		select {
		case s.queue <- req:
			s.enqueued(req)
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrOverloaded, ctx.Err())
		case <-s.stop:
			return ErrClosed
		}
	}
	select {
	case <-req.done:
		return nil
	case <-s.done: // the writer stopped before it reached this request
		select {
		case <-req.done:
			return nil
		default:
			return ErrClosed
		}
	}
}

// Fence bumps a room stream's incarnation, ordered with the appends, so a
// stalled old actor can never append again (observability §5.3).
func (s *Store) Fence(ctx context.Context, stream string) (int64, error) {
	var next int64
	req := &appendReq{stream: stream, done: make(chan struct{})}
	req.op = func(tx *sql.Tx, w *writer) error {
		err := tx.QueryRowContext(ctx, `UPDATE streams SET incarnation = incarnation + 1 WHERE room_id = ?
			RETURNING incarnation`, stream).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, stream)
		}
		delete(w.heads, stream)
		return err
	}
	if err := s.submit(ctx, req); err != nil {
		return 0, err
	}
	return next, req.err
}
