package events

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liaptui/monitor"
)

// Tests of database_connection_loss (observability §5.1, §6.3): the
// failures that raise it, degraded, and Reopen after an injected fault.

func TestCommitFailuresDegradeAndReopenRecovers(t *testing.T) {
	fault := &ConnFault{}
	hooks := &hookRecorder{}
	s := openTemp(t, Options{Clock: monitor.NewFakeClock(t0), WrapConnector: fault.Wrap, Wake: hooks.wake, Recover: hooks.recover})
	ctx := context.Background()
	appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{}`), ev("bot_added", `{}`))

	fault.Break()
	if err := s.Ping(ctx); !errors.Is(err, ErrInjectedFault) {
		t.Fatalf("ping on a lost connection: %v", err)
	}
	for i := 1; i <= degradeAfterFailures; i++ {
		if s.Degraded() {
			t.Fatalf("degraded after %d failed batches", i-1)
		}
		_, err := s.Append(ctx, "K7MPQ3", 1, 2, []NewEvent{ev("bot_added", `{}`)})
		if !errors.Is(err, ErrInjectedFault) {
			t.Fatalf("append %d on a lost connection: %v", i, err)
		}
	}
	if !s.Degraded() {
		t.Fatal("not degraded after 3 failed batches")
	}
	if _, err := s.Append(ctx, "K7MPQ3", 1, 2, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append while degraded: %v, want ErrUnavailable", err)
	}
	h := s.StoreHealth()
	if h.CommitErrors != 3 || !h.Degraded || h.Stopped {
		t.Fatalf("health after 3 failed batches: %+v", h)
	}
	if n := hooks.wakeCount(); n != 3 {
		t.Fatalf("%d wakes for 3 commit errors", n)
	}
	triggers := hooks.recorded()
	if len(triggers) != 3 {
		t.Fatalf("%d triggers for 3 commit errors of a lost connection: %+v", len(triggers), triggers)
	}
	for i, tr := range triggers {
		if tr.procedure != "database_connection_loss" || tr.target != "" || tr.raisedBy != "store" ||
			tr.observed["class"] != "closed" || tr.observed["consecutive_failures"] != i+1 {
			t.Fatalf("trigger %d: %+v", i, tr)
		}
	}
	if c := s.Counters().AppendErrors; c["io"] != 3 || c["unavailable"] != 1 {
		t.Fatalf("append errors %v", c)
	}

	rctx := monitor.WithCorrelationID(ctx, "feedc0de00000001")
	if err := s.Reopen(rctx); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping after reopen: %v", err)
	}
	if s.Degraded() {
		t.Fatal("degraded after a successful reopen")
	}
	page, err := s.Since(ctx, SystemStream, 0, 10)
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("_system after reopen: %+v %v", page, err)
	}
	if probe := page.Events[0]; probe.Type != "store_reopened" || probe.CorrelationID != "feedc0de00000001" ||
		string(probe.Payload) != `{"duration_ms":0}` {
		t.Fatalf("probe %+v payload %s", probe, probe.Payload)
	}
	// The head cache reloads from the streams table: the stream goes on
	// from its stored head, and a stale head still conflicts.
	if stored := appendOK(t, s, "K7MPQ3", 1, 2, ev("bot_added", `{}`)); stored[0].Seq != 3 {
		t.Fatalf("first append after reopen got seq %d, want 3", stored[0].Seq)
	}
	if _, err := s.Append(ctx, "K7MPQ3", 1, 2, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale head after reopen: %v", err)
	}
}

func TestReopenFailureStaysDegraded(t *testing.T) {
	fault := &ConnFault{}
	s := openTemp(t, Options{WrapConnector: fault.Wrap})
	ctx := context.Background()
	fault.Refuse(true)
	fault.Break()
	if err := s.Reopen(ctx); !errors.Is(err, ErrInjectedFault) {
		t.Fatalf("reopen with no database reachable: %v", err)
	}
	if !s.Degraded() || !s.StoreHealth().Degraded {
		t.Fatal("not degraded after a failed reopen")
	}
	if _, err := s.Append(ctx, "K7MPQ3", 1, 0, []NewEvent{ev("room_created", `{}`)}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append after a failed reopen: %v, want ErrUnavailable", err)
	}
	// Writes outside appends reach the connection-less writer and fail.
	if err := s.CreateIdentity(ctx, "p1", "Ann", "token-1"); err == nil {
		t.Fatal("identity stored without a connection")
	}

	fault.Refuse(false)
	if err := s.Reopen(ctx); err != nil {
		t.Fatalf("reopen once the database is back: %v", err)
	}
	appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{}`))
}

// TestReopenRunsBeforeQueuedAppends: the writer reopens after its current
// request and before the appends queued behind it, which then commit on the
// new connection.
func TestReopenRunsBeforeQueuedAppends(t *testing.T) {
	fault := &ConnFault{}
	s := openTemp(t, Options{WrapConnector: fault.Wrap})
	release := blockWriter(t, s)
	queued := goAppend(s, "K7MPQ3", 1, 0, ev("room_created", `{}`))
	waitQueued(t, s, 1)
	fault.Break()
	reopened := make(chan error, 1)
	go func() { reopened <- s.Reopen(context.Background()) }()
	waitFor(t, func() bool { return len(s.control) == 1 })
	release()
	if err := receive(t, reopened, "reopen"); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if r := receive(t, queued, "queued append"); r.err != nil || r.stored[0].Seq != 1 {
		t.Fatalf("append queued during the reopen: %+v %v", r.stored, r.err)
	}
}

func TestReadErrorsRaiseConnectionLoss(t *testing.T) {
	fault := &ConnFault{}
	hooks := &hookRecorder{}
	s := openTemp(t, Options{WrapConnector: fault.Wrap, Recover: hooks.recover})
	ctx := context.Background()

	// Answers are not failures.
	for range 3 {
		if _, err := s.Since(ctx, "K7MPQ3", 0, 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("since on no stream: %v", err)
		}
	}
	fault.Break()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for range 3 { // the caller's ended context is not the store's failure
		if _, err := s.Stream(cancelled, "K7MPQ3"); err == nil {
			t.Fatal("read with an ended context succeeded")
		}
	}
	reads := []func() error{
		func() error { _, err := s.Since(ctx, "K7MPQ3", 0, 0); return err },
		func() error { return s.Ping(ctx) },
		func() error { return s.Load(ctx, "K7MPQ3", 1, func(Stored) error { return nil }) },
	}
	for i, read := range reads {
		if err := read(); !errors.Is(err, ErrInjectedFault) {
			t.Fatalf("read %d on a lost connection: %v", i, err)
		}
		if got, want := len(hooks.recorded()), (i+1)/readFailuresToRecover; got != want {
			t.Fatalf("after %d read errors: %d triggers, want %d", i+1, got, want)
		}
	}
	tr := hooks.recorded()[0]
	if tr.procedure != "database_connection_loss" || tr.raisedBy != "store" || tr.observed["op"] != ReadLoad ||
		tr.observed["consecutive_read_errors"] != int64(3) {
		t.Fatalf("trigger %+v", tr)
	}
	if err := s.Reopen(ctx); err != nil {
		t.Fatalf("reopen: %v", err)
	}
}

func TestFaultClass(t *testing.T) {
	dir := t.TempDir()
	busy := busyError(t, filepath.Join(dir, "busy.db"))
	notADB := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("not a database ", 600)), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := inspect(t, notADB)
	_, corrupt := garbage.Exec("SELECT * FROM sqlite_master")
	closedDB := inspect(t, filepath.Join(dir, "closed.db"))
	closedDB.Close()
	_, closedErr := closedDB.Exec("SELECT 1")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), ""},
		{"conflict", ErrConflict, ""},
		{"bad connection", driver.ErrBadConn, faultClosed},
		{"injected, wrapped", fmt.Errorf("commit: %w", ErrInjectedFault), faultClosed},
		{"connection done", sql.ErrConnDone, faultClosed},
		{"closed pool", closedErr, faultClosed},
		{"busy", busy, faultBusy},
		{"not a database", corrupt, faultCorrupt},
	} {
		if got := faultClass(c.err); got != c.want {
			t.Errorf("%s (%v): class %q, want %q", c.name, c.err, got, c.want)
		}
	}
}

// busyError is SQLITE_BUSY: a second writer without a busy timeout.
func busyError(t *testing.T, path string) error {
	t.Helper()
	holder := inspect(t, path)
	if _, err := holder.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.Exec("INSERT INTO t VALUES (2)")
	if err == nil {
		t.Fatal("a second writer was not refused")
	}
	return err
}
