package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
)

// streamHead is the writer's cached view of one stream.
type streamHead struct {
	exists      bool
	seq         int64
	incarnation int64
	status      string
	kind        string
	finishedAt  int64 // set when this batch ends the stream
}

// writer owns the only write connection, the head cache and the next event
// id. Appends are checked against the heads in Go before any SQL runs, so a
// request that conflicts, is fenced or targets a closed stream fails alone
// and the rest of its batch commits; what reaches SQL is one multi-row
// INSERT of the batch's events and one upsert of its streams.
type writer struct {
	s        *Store
	heads    map[string]streamHead
	nextID   int64             // 0: reload from sqlite_sequence
	inserts  map[int]*sql.Stmt // by row count
	updates  map[int]*sql.Stmt // streams head updates by row count
	ready    bool              // statements prepared on the current connection
	failures int               // consecutive failed batches
	commits  int
}

func newWriter(s *Store) *writer {
	return &writer{s: s, heads: map[string]streamHead{}, inserts: map[int]*sql.Stmt{}, updates: map[int]*sql.Stmt{}}
}

// run serves the queue until stop closes, then drains it. A control
// request (Reopen) runs before the next batch: after the current one, ahead
// of whatever is queued.
func (w *writer) run() {
	defer close(w.s.done)
	defer w.closeStatements()
	for {
		select {
		case f := <-w.s.control:
			f(w)
			continue
		default:
		}
		select {
		case f := <-w.s.control:
			f(w)
		case first := <-w.s.queue:
			w.s.dequeued(first)
			w.handle(first)
		case <-w.s.stop:
			for {
				select {
				case first := <-w.s.queue:
					w.s.dequeued(first)
					w.handle(first)
				default:
					return
				}
			}
		}
		w.s.checkOldest(w.s.clock.Now())
	}
}

// handle serves first and whatever it batches with; a maintenance op runs in
// a transaction of its own, after the appends queued before it.
func (w *writer) handle(first *appendReq) {
	if w.s.headCache.drop.Load() && w.s.headCache.drop.Swap(false) {
		w.heads = map[string]streamHead{}
		w.publishHeads()
	}
	if first.op != nil {
		w.runOp(first)
		return
	}
	batch, op := w.collect(first)
	w.commit(batch)
	if op != nil {
		w.runOp(op)
	}
}

// collect takes queued appends without waiting until a cap is reached or the
// queue is empty; with a linger it then waits that long for more. An op ends
// the batch and is returned to run after it.
func (w *writer) collect(first *appendReq) (batch []*appendReq, op *appendReq) {
	o := &w.s.opts
	batch = []*appendReq{first}
	events, bytes := len(first.events), first.bytes
	full := func() bool { return events >= o.BatchMaxEvents || bytes >= o.BatchMaxBytes }
	add := func(r *appendReq) bool {
		if r.op != nil {
			op = r
			return false
		}
		batch = append(batch, r)
		events += len(r.events)
		bytes += r.bytes
		return true
	}
	// Producers woken by the previous commit are runnable but may not have
	// run yet: yielding once lets them queue before the batch closes. This
	// is not a wait for the batch to fill; an idle queue closes it at once.
	for yielded := false; !full(); {
		select {
		case r := <-w.s.queue:
			w.s.dequeued(r)
			if !add(r) {
				return batch, op
			}
			continue
		default:
		}
		if yielded {
			break
		}
		runtime.Gosched()
		yielded = true
	}
	if o.Linger > 0 && !full() {
		timer := w.s.clock.NewTimer(o.Linger)
		defer timer.Stop()
		for !full() {
			select {
			case r := <-w.s.queue:
				w.s.dequeued(r)
				if !add(r) {
					return batch, op
				}
			case <-timer.C():
				return batch, op
			}
		}
	}
	return batch, op
}

// commit writes a batch of appends in one transaction.
func (w *writer) commit(batch []*appendReq) {
	defer func() {
		for _, req := range batch {
			close(req.done)
		}
	}()
	if !w.ready { // a failed Reopen left no usable connection
		for _, req := range batch {
			req.err = fmt.Errorf("%w: the writer has no connection", ErrUnavailable)
		}
		return
	}
	ctx := context.Background()
	pending := map[string]streamHead{}
	var accepted []*appendReq
	start := w.s.clock.Now()
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		if err := w.loadNextID(ctx, tx); err != nil {
			return err
		}
		now := w.s.nowMs()
		for _, req := range batch {
			if req.err = w.plan(ctx, tx, req, pending, now); req.err == nil {
				accepted = append(accepted, req)
			}
		}
		if err := w.insertEvents(ctx, tx, accepted); err != nil {
			return err
		}
		return w.writeStreams(ctx, tx, pending, now)
	})
	end := w.s.clock.Now()
	for _, req := range batch {
		w.s.observeAppend(end.Sub(req.enqueuedAt))
	}
	if err != nil {
		w.failures++
		w.nextID = 0
		// Requests refused by their own check keep that error; every other
		// one, planned or not reached before the failure, gets the commit's.
		for _, req := range batch {
			if req.err == nil {
				delete(w.heads, req.stream)
				req.err, req.stored = fmt.Errorf("event store commit: %w", err), nil
			}
		}
		w.publishHeads()
		w.s.commitFailed(err, end, w.failures)
		return
	}
	w.failures = 0
	if w.commits++; w.commits%checkpointEvery == 0 {
		w.s.ckpt.request()
	}
	for stream, h := range pending {
		h.exists, h.finishedAt = true, 0
		w.heads[stream] = h
	}
	w.publishHeads()
	events := 0
	for _, req := range accepted {
		events += len(req.stored)
		w.s.counters.appended(req.kind, len(req.stored))
		for _, st := range req.stored {
			w.s.typeCount.add(st.Type, 1)
		}
	}
	w.s.metrics.committed(events, end)
	if w.s.opts.OnCommit != nil {
		w.s.opts.OnCommit(end.Sub(start), events)
	}
}

// plan checks a request against its stream's head and assigns its seqs and
// ids; the stream's new head goes to pending.
func (w *writer) plan(ctx context.Context, tx *sql.Tx, req *appendReq, pending map[string]streamHead, now int64) error {
	h, err := w.head(ctx, tx, req.stream, pending)
	if err != nil {
		return err
	}
	switch {
	case req.kind == KindRoom && req.incarnation != h.incarnation:
		return fmt.Errorf("%w: %s is at incarnation %d, the append carries %d", ErrFenced, req.stream, h.incarnation, req.incarnation)
	case req.expected != AnyHead && req.expected != h.seq:
		return fmt.Errorf("%w: %s head is %d, the append expected %d", ErrConflict, req.stream, h.seq, req.expected)
	case h.status == StatusClosed:
		return fmt.Errorf("%w: stream %s is closed", ErrInvalid, req.stream)
	}
	if !h.exists {
		h.status, h.kind = StatusLive, req.kind
	}
	req.stored = make([]Stored, len(req.events))
	for i, ev := range req.events {
		at := ev.At
		if at == 0 {
			at = now
		}
		h.seq++
		req.stored[i] = Stored{ID: w.nextID, Stream: req.stream, Seq: h.seq, Type: ev.Type,
			SchemaVersion: ev.SchemaVersion, At: at, Payload: ev.Payload, Actor: ev.Actor, CorrelationID: req.correlation}
		w.nextID++
		if st := types[ev.Type].status; st != "" {
			h.status, h.finishedAt = st, at
		}
	}
	pending[req.stream] = h
	return nil
}

// head is the stream's head as the batch sees it: its own earlier requests,
// then the cache, then the streams table.
func (w *writer) head(ctx context.Context, tx *sql.Tx, stream string, pending map[string]streamHead) (streamHead, error) {
	if h, ok := pending[stream]; ok {
		return h, nil
	}
	if h, ok := w.heads[stream]; ok {
		return h, nil
	}
	h := streamHead{incarnation: 1}
	err := tx.QueryRowContext(ctx, "SELECT head_seq, incarnation, status, kind FROM streams WHERE room_id = ?", stream).
		Scan(&h.seq, &h.incarnation, &h.status, &h.kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return h, nil
	case err != nil:
		return h, err
	}
	h.exists = true
	return h, nil
}

func (w *writer) loadNextID(ctx context.Context, tx *sql.Tx) error {
	if w.nextID != 0 {
		return nil
	}
	return tx.QueryRowContext(ctx,
		"SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1").Scan(&w.nextID)
}

// runOp runs a maintenance operation in its own transaction, or outside
// any for the statements SQLite refuses inside one (checkpoints).
func (w *writer) runOp(req *appendReq) {
	ctx := context.Background()
	var err error
	if req.outsideTx {
		err = req.op(nil, w)
	} else {
		err = w.inTx(ctx, func(tx *sql.Tx) error { return req.op(tx, w) })
	}
	if req.err = err; err == nil && req.onCommit != nil {
		req.onCommit()
	}
	if err != nil {
		w.heads, w.nextID = map[string]streamHead{}, 0
	}
	w.publishHeads()
	close(req.done)
}

// publishHeads tells DropCaches how many heads the cache holds.
func (w *writer) publishHeads() { w.s.headCache.size.Store(int64(len(w.heads))) }

func (w *writer) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := w.s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
