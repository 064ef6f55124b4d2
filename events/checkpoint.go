package events

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// checkpointEvery is how many commits pass between checkpoint requests. A
// commit writes about ten WAL pages, so this keeps SQLite's 1,000-page
// automatic checkpoint cadence while moving the work off the writer.
const checkpointEvery = 100

// checkpointer runs passive WAL checkpoints on a connection of its own.
// The writer's connection has wal_autocheckpoint off: an automatic
// checkpoint would copy pages and fsync inside a commit, stalling every
// producer waiting on that batch (p99 append latency 5 ms instead of 1 ms).
type checkpointer struct {
	path string
	opts Options
	db   atomic.Pointer[sql.DB] // Reopen swaps it
	wake chan struct{}
	done chan struct{}
}

func newCheckpointer(path string, o Options) (*checkpointer, error) {
	db, err := openPool(path, o, roleCheckpoint)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{path: path, opts: o, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.db.Store(db)
	return c, nil
}

// request asks for a checkpoint without waiting.
func (c *checkpointer) request() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// run checkpoints on request until stop closes.
func (c *checkpointer) run(stop <-chan struct{}) {
	defer close(c.done)
	for {
		select {
		case <-stop:
			return
		case <-c.wake:
			// A failed passive checkpoint leaves the WAL to the next one.
			c.db.Load().ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// reopen replaces the connection; a checkpoint running on the old one
// finishes or fails there. The old pool's close error is not reported: it
// is the connection being given up.
func (c *checkpointer) reopen() error {
	db, err := openPool(c.path, c.opts, roleCheckpoint)
	if err != nil {
		return err
	}
	c.db.Swap(db).Close()
	return nil
}

func (c *checkpointer) close() error {
	<-c.done
	return c.db.Load().Close()
}
