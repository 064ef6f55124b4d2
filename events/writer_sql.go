package events

import (
	"context"
	"database/sql"
	"strings"
)

// The writer's SQL: multi-row statements prepared once per row count.

// insertRows is the most rows one INSERT statement carries.
const insertRows = 64

// insertEvents inserts the planned rows with their ids, in statements of at
// most insertRows rows, each prepared once per row count.
func (w *writer) insertEvents(ctx context.Context, tx *sql.Tx, reqs []*appendReq) error {
	args := make([]any, 0, 8*insertRows)
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		_, err := tx.StmtContext(ctx, w.inserts[rows]).ExecContext(ctx, args...)
		args, rows = args[:0], 0
		return err
	}
	for _, req := range reqs {
		for _, st := range req.stored {
			args = append(args, st.ID, st.Stream, st.Seq, st.Type, st.SchemaVersion, string(st.Payload), st.Actor,
				st.CorrelationID, st.At)
			if rows++; rows == insertRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// prepareStatements prepares the streams writes and the INSERT for every
// row count up to insertRows on the current connection; it runs before the
// writer starts and on the writer at Reopen, while no transaction holds the
// only connection.
func (w *writer) prepareStatements(ctx context.Context) error {
	for rows := 1; rows <= insertRows; rows++ {
		update, err := w.s.write.PrepareContext(ctx, `UPDATE streams SET head_seq = v.head, status = v.status,
			updated_at = ?, finished_at = COALESCE(v.finished, streams.finished_at)
			FROM (SELECT column1 AS id, column2 AS head, column3 AS status, column4 AS finished FROM (VALUES `+
			strings.TrimSuffix(strings.Repeat("(?,?,?,?),", rows), ",")+`)) AS v WHERE streams.room_id = v.id`)
		if err != nil {
			w.closeStatements()
			return err
		}
		w.updates[rows] = update
		q := "INSERT INTO events (id, room_id, seq, type, schema_version, payload, actor, correlation_id, at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", rows), ",")
		stmt, err := w.s.write.PrepareContext(ctx, q)
		if err != nil {
			w.closeStatements()
			return err
		}
		w.inserts[rows] = stmt
	}
	w.ready = true
	return nil
}

func (w *writer) closeStatements() {
	w.ready = false
	for rows, stmt := range w.updates {
		stmt.Close()
		delete(w.updates, rows)
	}
	for rows, stmt := range w.inserts {
		stmt.Close()
		delete(w.inserts, rows)
	}
}

// writeStreams writes the new heads of the streams the batch touched: one
// INSERT for new streams and one UPDATE … FROM (VALUES …) for the others.
func (w *writer) writeStreams(ctx context.Context, tx *sql.Tx, pending map[string]streamHead, now int64) error {
	var newArgs, oldArgs []any
	for stream, h := range pending {
		var finished any
		if h.finishedAt != 0 {
			finished = h.finishedAt
		}
		if h.exists {
			oldArgs = append(oldArgs, stream, h.seq, h.status, finished)
		} else {
			newArgs = append(newArgs, stream, h.kind, h.status, h.seq, h.incarnation, now, now, finished)
		}
	}
	if len(newArgs) > 0 {
		q := `INSERT INTO streams (room_id, kind, status, head_seq, first_seq, incarnation, created_at, updated_at,
			finished_at) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?,1,?,?,?,?),", len(newArgs)/8), ",")
		if _, err := tx.ExecContext(ctx, q, newArgs...); err != nil {
			return err
		}
	}
	for len(oldArgs) > 0 {
		n := min(len(oldArgs)/4, insertRows)
		args := append([]any{now}, oldArgs[:4*n]...)
		if _, err := tx.StmtContext(ctx, w.updates[n]).ExecContext(ctx, args...); err != nil {
			return err
		}
		oldArgs = oldArgs[4*n:]
	}
	return nil
}
