package events

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrInjectedFault is what connections broken by a ConnFault return. It
// wraps driver.ErrBadConn, so database/sql discards the connection and the
// store classes the failure as a lost ("closed") connection.
var ErrInjectedFault = fmt.Errorf("injected connection fault: %w", driver.ErrBadConn)

// ConnFault simulates a lost database connection, for tests of this and
// other packages (observability §10: database_connection_loss "reopens
// after an injected connector fault"). Pass its Wrap as
// Options.WrapConnector; a store opened without a wrapper goes straight to
// the driver, so production pays nothing for this type's existence.
//
// Break fails every connection and connector wrapped so far: queries,
// transactions and new connections on them all return ErrInjectedFault, so
// database/sql cannot heal the pool by reconnecting. Reopen wraps fresh
// connectors, which work again, unless Refuse(true) makes new connectors
// start broken (a reopen that fails).
type ConnFault struct {
	mu         sync.Mutex
	connectors []*faultConnector
	refuse     bool
}

// Wrap is the Options.WrapConnector function.
func (f *ConnFault) Wrap(c driver.Connector) driver.Connector {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := &faultConnector{Connector: c}
	fc.broken.Store(f.refuse)
	f.connectors = append(f.connectors, fc)
	return fc
}

// Break fails every connector wrapped so far and its connections.
func (f *ConnFault) Break() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.connectors {
		c.broken.Store(true)
	}
}

// Refuse makes connectors wrapped from now on start broken (on) or work (off).
func (f *ConnFault) Refuse(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = on
}

type faultConnector struct {
	driver.Connector
	broken atomic.Bool
}

func (c *faultConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.broken.Load() {
		return nil, ErrInjectedFault
	}
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("fault injection: the driver's connection lacks the interfaces of modernc.org/sqlite's")
	}
	return &faultConn{conn: full, broken: &c.broken}, nil
}

// sqliteConn is the set of optional interfaces every modernc.org/sqlite
// connection implements; the wrapper forwards them all, so database/sql
// treats a wrapped connection exactly as the bare one.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// faultConn fails every operation once its connector is broken.
type faultConn struct {
	conn   sqliteConn
	broken *atomic.Bool
}

func (c *faultConn) check() error {
	if c.broken.Load() {
		return ErrInjectedFault
	}
	return nil
}

func (c *faultConn) Unwrap() driver.Conn { return c.conn }

func (c *faultConn) Close() error { return c.conn.Close() }

func (c *faultConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *faultConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	tx, err := c.conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, conn: c}, nil
}

func (c *faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.conn.PrepareContext(ctx, query)
}

func (c *faultConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.conn.ExecContext(ctx, query, args)
}

func (c *faultConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.conn.QueryContext(ctx, query, args)
}

func (c *faultConn) Ping(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.conn.Ping(ctx)
}

func (c *faultConn) ResetSession(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.conn.ResetSession(ctx)
}

func (c *faultConn) IsValid() bool { return !c.broken.Load() && c.conn.IsValid() }

// faultTx fails a commit begun before the break, as a lost connection would.
type faultTx struct {
	driver.Tx
	conn *faultConn
}

func (t *faultTx) Commit() error {
	if err := t.conn.check(); err != nil {
		t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}
