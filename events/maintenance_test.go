package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"liaptui/monitor"
)

// Tests on real SQLite files of schema versioning, fencing, reads, stream
// statuses, stats, retention and Close (observability §6.1–§6.10).

// t0 is the fake clock's start.
var t0 = time.Date(2025, 11, 27, 12, 0, 0, 0, time.UTC)

const (
	hourMs = int64(time.Hour / time.Millisecond)
	dayMs  = 24 * hourMs
)

// waitLimit bounds every wait for another goroutine.
const waitLimit = 10 * time.Second

// openFile opens the store at path; the test's cleanup closes it unless the
// test closed it itself.
func openFile(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(t, s) })
	return s
}

// closeStore closes s unless Close was already called.
func closeStore(t testing.TB, s *Store) {
	t.Helper()
	select {
	case <-s.stop:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
}

// inspect opens a separate connection pool on a database file.
func inspect(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryInt(t testing.TB, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func appendOK(t testing.TB, s *Store, stream string, incarnation, head int64, evs ...NewEvent) []Stored {
	t.Helper()
	stored, err := s.Append(context.Background(), stream, incarnation, head, evs)
	if err != nil {
		t.Fatalf("append %d events to %s after %d: %v", len(evs), stream, head, err)
	}
	if len(stored) != len(evs) {
		t.Fatalf("append to %s stored %d of %d events", stream, len(stored), len(evs))
	}
	return stored
}

func evAt(typ string, at int64) NewEvent {
	return NewEvent{Type: typ, At: at, Payload: json.RawMessage(fmt.Sprintf(`{"t":%q}`, typ))}
}

// blockWriter makes the writer goroutine run a maintenance op that waits for
// the returned release, so that requests queue behind it in a known order.
// The op runs outside a transaction: it holds the writer, not the database.
func blockWriter(t testing.TB, s *Store) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	req := &appendReq{done: make(chan struct{}), outsideTx: true}
	req.op = func(*sql.Tx, *writer) error {
		close(started)
		<-unblock
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- s.submit(context.Background(), req) }()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("blocking op did not start: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the writer did not start the blocking op")
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if err := <-errc; err != nil {
				t.Errorf("blocking op: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// waitQueued waits until n requests wait in the writer's queue.
func waitQueued(t testing.TB, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for len(s.queue) != n {
		if time.Now().After(deadline) {
			t.Fatalf("queue depth %d, want %d", len(s.queue), n)
		}
		runtime.Gosched()
	}
}

type appendResult struct {
	stored []Stored
	err    error
}

// goAppend runs Append in a goroutine; the result arrives on the channel.
func goAppend(s *Store, stream string, incarnation, head int64, evs ...NewEvent) <-chan appendResult {
	c := make(chan appendResult, 1)
	go func() {
		stored, err := s.Append(context.Background(), stream, incarnation, head, evs)
		c <- appendResult{stored, err}
	}()
	return c
}

func receive[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("%s did not return", what)
		panic("unreachable")
	}
}

// ---------------------------------------------------------------- schema §6.1, §6.9

func TestSchemaNewFile(t *testing.T) {
	if SchemaVersion != 1 {
		t.Fatalf("SchemaVersion %d, the specification's schema is version 1", SchemaVersion)
	}
	for _, mode := range []string{"normal", "full"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "events.db") // Open creates the directory
			s := openFile(t, path, Options{Synchronous: mode})
			db := inspect(t, path)
			if v := queryInt(t, db, "PRAGMA user_version"); v != int64(SchemaVersion) {
				t.Fatalf("user_version %d, want %d", v, SchemaVersion)
			}
			rows, err := db.Query("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
			if err != nil {
				t.Fatal(err)
			}
			found := map[string]string{}
			for rows.Next() {
				var typ, name string
				if err := rows.Scan(&typ, &name); err != nil {
					t.Fatal(err)
				}
				found[name] = typ
			}
			rows.Close()
			for name, typ := range map[string]string{"events": "table", "streams": "table", "snapshots": "table",
				"identities": "table", "idx_events_at": "index", "idx_streams_status_finished": "index"} {
				if found[name] != typ {
					t.Errorf("%s %s missing (schema has %v)", typ, name, found)
				}
			}
			if jm := queryString(t, db, "PRAGMA journal_mode"); jm != "wal" {
				t.Errorf("journal_mode %q, want wal", jm)
			}
			if v := queryInt(t, db, "PRAGMA auto_vacuum"); v != 2 {
				t.Errorf("auto_vacuum %d, want 2 (INCREMENTAL) on a new file", v)
			}
			wantSync := map[string]int64{"normal": 1, "full": 2}[mode]
			if v := queryInt(t, s.write, "PRAGMA synchronous"); v != wantSync {
				t.Errorf("writer synchronous %d, want %d", v, wantSync)
			}
			if v := queryInt(t, s.reader(), "PRAGMA synchronous"); v != wantSync {
				t.Errorf("read pool synchronous %d, want %d", v, wantSync)
			}
			if v := queryInt(t, s.reader(), "PRAGMA query_only"); v != 1 {
				t.Errorf("read pool query_only %d, want 1", v)
			}
			if v := queryInt(t, s.write, "PRAGMA busy_timeout"); v != 5000 {
				t.Errorf("busy_timeout %d, want 5000", v)
			}

			// The table constraints of §6.1 hold for any writer.
			appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{}`))
			for name, stmt := range map[string]string{
				"seq 0":          `INSERT INTO events (room_id, seq, type, schema_version, payload, at) VALUES ('K7MPQ4', 0, 'played', 1, '{}', 1)`,
				"schema 0":       `INSERT INTO events (room_id, seq, type, schema_version, payload, at) VALUES ('K7MPQ4', 1, 'played', 0, '{}', 1)`,
				"invalid json":   `INSERT INTO events (room_id, seq, type, schema_version, payload, at) VALUES ('K7MPQ4', 1, 'played', 1, '{', 1)`,
				"duplicate seq":  `INSERT INTO events (room_id, seq, type, schema_version, payload, at) VALUES ('K7MPQ3', 1, 'played', 1, '{}', 1)`,
				"bad kind":       `INSERT INTO streams (room_id, kind, status, head_seq, first_seq, created_at, updated_at) VALUES ('K7MPQ4', 'user', 'live', 1, 1, 1, 1)`,
				"bad status":     `INSERT INTO streams (room_id, kind, status, head_seq, first_seq, created_at, updated_at) VALUES ('K7MPQ4', 'room', 'dead', 1, 1, 1, 1)`,
				"stream twice":   `INSERT INTO streams (room_id, kind, status, head_seq, first_seq, created_at, updated_at) VALUES ('K7MPQ3', 'room', 'live', 1, 1, 1, 1)`,
				"token not uniq": `INSERT INTO identities VALUES ('p1', x'01', 'a', 1, 1), ('p2', x'01', 'b', 1, 1)`,
			} {
				if _, err := db.Exec(stmt); err == nil {
					t.Errorf("%s: the schema accepted %s", name, stmt)
				}
			}
			if n := queryInt(t, db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'"); n != 1 {
				t.Errorf("sqlite_sequence for events %d, want 1 (AUTOINCREMENT)", n)
			}
		})
	}
}

func queryString(t testing.TB, db *sql.DB, query string) string {
	t.Helper()
	var s string
	if err := db.QueryRow(query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

func TestSchemaRefusesNewerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	newer := SchemaVersion + 1
	for _, stmt := range []string{"CREATE TABLE future (x INTEGER)", "INSERT INTO future VALUES (42)",
		fmt.Sprintf("PRAGMA user_version = %d", newer)} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(context.Background(), path, Options{})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open accepted a file with a newer schema")
	}
	msg := err.Error()
	for _, want := range []string{path, fmt.Sprintf("schema version %d", newer), "newer", "refus"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	// Never downgraded, never touched.
	db = inspect(t, path)
	if v := queryInt(t, db, "PRAGMA user_version"); v != int64(newer) {
		t.Errorf("user_version became %d", v)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('events', 'streams')"); n != 0 {
		t.Errorf("Open created %d of its tables in the refused file", n)
	}
	if n := queryInt(t, db, "SELECT x FROM future"); n != 42 {
		t.Errorf("the refused file's data changed: %d", n)
	}
}

func TestSchemaReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	ctx := monitor.WithCorrelationID(context.Background(), "00000000000000aa")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	room, ended := "K7MPQ3", "K7MPQ4"
	first, err := s.Append(ctx, room, 1, 0, []NewEvent{
		{Type: "room_created", At: 1000, Payload: json.RawMessage(`{"host":"p1"}`), Actor: "p1"},
		{Type: "bot_added", At: 1001, Payload: json.RawMessage(`{"seat":2}`), Actor: "bot:2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	appendOK(t, s, ended, 1, 0, evAt("room_created", 2000), evAt("game_over", 2500))
	appendOK(t, s, SystemStream, 0, AnyHead, evAt("server_started", 3000))
	if inc, err := s.Fence(ctx, room); err != nil || inc != 2 {
		t.Fatalf("fence: %d %v", inc, err)
	}
	want := map[string]StreamInfo{}
	for _, id := range []string{room, ended, SystemStream} {
		if want[id], err = s.Stream(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	for round := range 2 { // close and reopen, twice in a row
		s := openFile(t, path, Options{})
		for id, w := range want {
			if got, err := s.Stream(ctx, id); err != nil || got != w {
				t.Fatalf("round %d: stream %s: %+v %v, want %+v", round, id, got, err, w)
			}
		}
		var loaded []Stored
		if err := s.Load(ctx, room, 1, func(e Stored) error { loaded = append(loaded, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(loaded) < 2 || !reflect.DeepEqual(loaded[:2], first) {
			t.Fatalf("round %d: room reads back as %+v, stored %+v", round, loaded, first)
		}
		// The writer's head cache and id counter are rebuilt from the file.
		head := int64(len(loaded))
		if _, err := s.Append(ctx, room, 1, head, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrFenced) {
			t.Fatalf("round %d: the fence did not survive a reopen: %v", round, err)
		}
		if _, err := s.Append(ctx, room, 2, head-1, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrConflict) {
			t.Fatalf("round %d: stale head after reopen: %v", round, err)
		}
		next := appendOK(t, s, room, 2, head, ev("bot_added", `{}`))
		if next[0].Seq != head+1 || next[0].ID != int64(6+round) { // ids 1-5 were taken before the first close
			t.Fatalf("round %d: append after reopen stored %+v, want seq %d id %d", round, next[0], head+1, 6+round)
		}
		w := want[room]
		w.HeadSeq++
		want[room] = w
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]int64{"room_created": 2, "bot_added": int64(2 + round), "game_over": 1, "server_started": 1}
		if !maps.Equal(st.EventTypeStats, types) {
			t.Fatalf("round %d: event_type_stats %v, want %v (seeded from the file)", round, st.EventTypeStats, types)
		}
		if backups, _ := filepath.Glob(path + ".v*.bak"); len(backups) != 0 {
			t.Fatalf("reopening a current file made backups %v", backups)
		}
		closeStore(t, s)
	}
}

func TestSchemaUpgradeFromEmptyFile(t *testing.T) {
	for name, stmts := range map[string][]string{
		"zero-byte file":   nil,
		"v0 file, no data": {"CREATE TABLE scratch (x INTEGER)", "DROP TABLE scratch"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range stmts {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			if v := queryInt(t, db, "PRAGMA user_version"); v != 0 {
				t.Fatalf("fixture user_version %d", v)
			}
			db.Close()
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("fixture file: %v", err)
			}

			s := openFile(t, path, Options{})
			check := inspect(t, path)
			if v := queryInt(t, check, "PRAGMA user_version"); v != int64(SchemaVersion) {
				t.Fatalf("user_version %d after migrating, want %d", v, SchemaVersion)
			}
			if n := queryInt(t, check, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
				AND name IN ('events', 'streams', 'snapshots', 'identities')`); n != 4 {
				t.Fatalf("%d of the 4 tables after migrating", n)
			}
			stored := appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{}`), ev("bot_added", `{}`))
			page, err := s.Since(context.Background(), "K7MPQ3", 0, 0)
			if err != nil || len(page.Events) != 2 || page.Events[1].ID != stored[1].ID || page.HeadSeq != 2 {
				t.Fatalf("since after migrating: %+v %v", page, err)
			}
			closeStore(t, s)
			s = openFile(t, path, Options{})
			if info, err := s.Stream(context.Background(), "K7MPQ3"); err != nil || info.HeadSeq != 2 {
				t.Fatalf("reopened migrated file: %+v %v", info, err)
			}
		})
	}
}

// withMigration adds a migration to the compiled-in list for one test.
func withMigration(t *testing.T, stmt string) {
	saved, savedVersion := migrations, SchemaVersion
	migrations = append(slices.Clip(migrations), stmt)
	SchemaVersion = len(migrations)
	t.Cleanup(func() { migrations, SchemaVersion = saved, savedVersion })
}

func TestSchemaMigrationBacksUpAndIsTransactional(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	clock := monitor.NewFakeClock(t0)
	s := openFile(t, path, Options{Clock: clock})
	appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{"v":1}`))
	closeStore(t, s)

	t.Run("failing migration", func(t *testing.T) {
		withMigration(t, "CREATE TABLE extra (x INTEGER); CREATE TABLE events (x INTEGER)")
		if s, err := Open(context.Background(), path, Options{Clock: clock}); err == nil {
			s.Close(context.Background())
			t.Fatal("a failing migration opened the store")
		}
		db := inspect(t, path)
		if v := queryInt(t, db, "PRAGMA user_version"); v != 1 {
			t.Fatalf("user_version %d after a failed migration", v)
		}
		if n := queryInt(t, db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'extra'"); n != 0 {
			t.Fatal("a failed migration left part of its work")
		}
	})
	t.Run("migration", func(t *testing.T) {
		withMigration(t, "CREATE TABLE extra (x INTEGER)")
		clock.Advance(time.Hour)
		s := openFile(t, path, Options{Clock: clock})
		db := inspect(t, path)
		if v := queryInt(t, db, "PRAGMA user_version"); v != 2 {
			t.Fatalf("user_version %d, want 2", v)
		}
		if n := queryInt(t, db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'extra'"); n != 1 {
			t.Fatal("migration 2 did not run")
		}
		backup := fmt.Sprintf("%s.v1-%d.bak", path, clock.Now().Unix())
		bak := inspect(t, backup)
		if v := queryInt(t, bak, "PRAGMA user_version"); v != 1 {
			t.Fatalf("backup %s user_version %d, want 1", backup, v)
		}
		if n := queryInt(t, bak, "SELECT COUNT(*) FROM events WHERE room_id = 'K7MPQ3'"); n != 1 {
			t.Fatalf("backup holds %d events", n)
		}
		if ws := s.WriterStats(); ws.SchemaVersion != 2 {
			t.Fatalf("writer schema_version %d", ws.SchemaVersion)
		}
		appendOK(t, s, "K7MPQ3", 1, 1, ev("bot_added", `{}`))
	})
}

// ---------------------------------------------------------------- fencing §5.3

func TestFenceRejectsOldIncarnation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := openFile(t, path, Options{})
	ctx := context.Background()
	room := "K7MPQ3"
	appendOK(t, s, room, 1, 0, ev("room_created", `{}`), ev("bot_added", `{}`))
	inc, err := s.Fence(ctx, room)
	if err != nil || inc != 2 {
		t.Fatalf("fence: %d %v", inc, err)
	}
	if info, _ := s.Stream(ctx, room); info.Incarnation != 2 {
		t.Fatalf("streams.incarnation %d after the fence", info.Incarnation)
	}
	for _, old := range []int64{1, 3} {
		if _, err := s.Append(ctx, room, old, 2, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrFenced) {
			t.Fatalf("append with incarnation %d after the fence: %v", old, err)
		}
	}
	if st := appendOK(t, s, room, 2, 2, ev("bot_added", `{}`)); st[0].Seq != 3 {
		t.Fatalf("append with the new incarnation stored seq %d, want 3", st[0].Seq)
	}
	if _, err := s.Fence(ctx, "K7MPQ4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fence of an unknown stream: %v", err)
	}
	if _, err := s.Stream(ctx, "K7MPQ4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fencing an unknown stream created it: %v", err)
	}

	t.Run("ordered with the queue", func(t *testing.T) {
		other := "K7MPQ5"
		release := blockWriter(t, s)
		before := goAppend(s, room, 2, 3, ev("bot_added", `{"n":4}`)) // queued before the fence: commits
		waitQueued(t, s, 1)
		fenced := make(chan appendResult, 1)
		go func() {
			inc, err := s.Fence(ctx, room)
			fenced <- appendResult{[]Stored{{Seq: inc}}, err}
		}()
		waitQueued(t, s, 2)
		after := goAppend(s, room, 2, 4, ev("bot_added", `{"n":5}`)) // queued after it: fenced
		waitQueued(t, s, 3)
		renewed := goAppend(s, room, 3, 4, ev("bot_added", `{"n":5}`))
		waitQueued(t, s, 4)
		bystander := goAppend(s, other, 1, 0, ev("room_created", `{}`))
		waitQueued(t, s, 5)
		release()

		if r := receive(t, before, "append before the fence"); r.err != nil || r.stored[0].Seq != 4 {
			t.Fatalf("append queued before the fence: %+v %v", r.stored, r.err)
		}
		if r := receive(t, fenced, "fence"); r.err != nil || r.stored[0].Seq != 3 {
			t.Fatalf("fence: incarnation %d %v, want 3", r.stored[0].Seq, r.err)
		}
		if r := receive(t, after, "append after the fence"); !errors.Is(r.err, ErrFenced) {
			t.Fatalf("append with incarnation 2 queued after the fence: %+v %v", r.stored, r.err)
		}
		if r := receive(t, renewed, "append with the new incarnation"); r.err != nil || r.stored[0].Seq != 5 {
			t.Fatalf("append with incarnation 3: %+v %v", r.stored, r.err)
		}
		if r := receive(t, bystander, "other stream"); r.err != nil || r.stored[0].Seq != 1 {
			t.Fatalf("a fenced request failed its batch neighbour: %+v %v", r.stored, r.err)
		}
	})

	t.Run("survives reopen", func(t *testing.T) {
		closeStore(t, s)
		s := openFile(t, path, Options{})
		if _, err := s.Append(ctx, room, 2, 5, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrFenced) {
			t.Fatalf("old incarnation after reopen: %v", err)
		}
		appendOK(t, s, room, 3, 5, ev("bot_added", `{}`))
	})
}

// ---------------------------------------------------------------- reads §6.5

func TestSinceLimitsAndLoad(t *testing.T) {
	s := openTemp(t, Options{})
	ctx := context.Background()
	room := "K7MPQ3"
	const n = 250
	for head := int64(0); head < n; {
		size := min(37, n-head)
		batch := make([]NewEvent, size)
		for i := range batch {
			batch[i] = ev("played", fmt.Sprintf(`{"n":%d}`, head+int64(i)+1))
		}
		head = appendOK(t, s, room, 1, head, batch...)[size-1].Seq
	}
	appendOK(t, s, "K7MPQ4", 1, 0, ev("room_created", `{}`)) // a neighbour never leaks in

	checkPage := func(name string, p Page, from, count int64, hasMore bool) {
		t.Helper()
		if p.HeadSeq != n || p.HasMore != hasMore || int64(len(p.Events)) != count {
			t.Fatalf("%s: head %d has_more %v with %d events, want %d %v %d", name, p.HeadSeq, p.HasMore, len(p.Events), n, hasMore, count)
		}
		for i, e := range p.Events {
			want := fmt.Sprintf(`{"n":%d}`, from+int64(i))
			if e.Seq != from+int64(i) || e.Stream != room || string(e.Payload) != want {
				t.Fatalf("%s: event %d is %+v, want seq %d", name, i, e, from+int64(i))
			}
		}
	}
	for _, c := range []struct {
		after   int64
		limit   int
		from    int64
		count   int64
		hasMore bool
	}{
		{0, 0, 1, 100, true},   // default limit 100
		{0, 1, 1, 1, true},     // lower bound
		{0, 1000, 1, n, false}, // upper bound
		{149, 100, 150, 100, true},
		{150, 100, 151, 100, false}, // the page ends exactly at the head
		{151, 100, 152, 99, false},
		{249, 0, 250, 1, false},
		{n, 0, 0, 0, false}, // after the head: empty, nothing more
		{n, 5, 0, 0, false},
	} {
		p, err := s.Since(ctx, room, c.after, c.limit)
		if err != nil {
			t.Fatalf("since %d limit %d: %v", c.after, c.limit, err)
		}
		checkPage(fmt.Sprintf("since %d limit %d", c.after, c.limit), p, c.from, c.count, c.hasMore)
	}
	for _, limit := range []int{-1, 1001} {
		if _, err := s.Since(ctx, room, 0, limit); !errors.Is(err, ErrInvalid) {
			t.Fatalf("limit %d: %v, want ErrInvalid", limit, err)
		}
	}
	for _, after := range []int64{n + 1, n + 1000} {
		p, err := s.Since(ctx, room, after, 0)
		if !errors.Is(err, ErrSeqRange) || p.HeadSeq != n || len(p.Events) != 0 {
			t.Fatalf("since %d beyond head %d: %+v %v", after, n, p, err)
		}
	}
	if _, err := s.Since(ctx, "K7MPQ5", 0, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("since of an unknown stream: %v", err)
	}

	// Load from a middle seq, in order, to the end.
	var seqs []int64
	if err := s.Load(ctx, room, 120, func(e Stored) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != n-119 || seqs[0] != 120 || seqs[len(seqs)-1] != n || !slices.IsSorted(seqs) {
		t.Fatalf("load from 120: %d events %v…", len(seqs), seqs[:min(3, len(seqs))])
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("load from 120 skipped from %d to %d", seqs[i-1], seqs[i])
		}
	}
	// fn's error stops the load and is returned.
	stopErr := errors.New("enough")
	calls := 0
	err := s.Load(ctx, room, 1, func(Stored) error {
		if calls++; calls == 5 {
			return stopErr
		}
		return nil
	})
	if !errors.Is(err, stopErr) || calls != 5 {
		t.Fatalf("load stopped by fn: %d calls, %v", calls, err)
	}
	calls = 0
	if err := s.Load(ctx, room, n+1, func(Stored) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("load after the head: %d calls, %v", calls, err)
	}
}

// ---------------------------------------------------------------- statuses §6.1, §6.2

func TestStatusFinishedClosedLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := openFile(t, path, Options{})
	ctx := context.Background()
	finished, closed, closedAfterFinish, live := "K7MPQ3", "K7MPQ4", "K7MPQ5", "K7MPQ6"

	appendOK(t, s, finished, 1, 0, evAt("room_created", 1000), evAt("played", 1100))
	if info, _ := s.Stream(ctx, finished); info.Status != StatusLive || info.FinishedAt != 0 {
		t.Fatalf("new room stream: %+v", info)
	}
	appendOK(t, s, finished, 1, 2, evAt("game_over", 1500))
	appendOK(t, s, closed, 1, 0, evAt("room_created", 2000), evAt("room_closed", 2600))
	appendOK(t, s, closedAfterFinish, 1, 0, evAt("room_created", 3000), evAt("game_over", 3100))
	appendOK(t, s, closedAfterFinish, 1, 2, evAt("room_closed", 3700))
	appendOK(t, s, live, 1, 0, evAt("room_created", 4000))
	appendOK(t, s, "_canary:17", 0, AnyHead, evAt("room_created", 4000))
	appendOK(t, s, SystemStream, 0, AnyHead, evAt("server_started", 4000))

	check := func(s *Store, when string) {
		t.Helper()
		for stream, want := range map[string]StreamInfo{
			finished:          {Kind: KindRoom, Status: StatusFinished, HeadSeq: 3, FinishedAt: 1500},
			closed:            {Kind: KindRoom, Status: StatusClosed, HeadSeq: 2, FinishedAt: 2600},
			closedAfterFinish: {Kind: KindRoom, Status: StatusClosed, HeadSeq: 3, FinishedAt: 3700},
			live:              {Kind: KindRoom, Status: StatusLive, HeadSeq: 1, FinishedAt: 0},
		} {
			got, err := s.Stream(ctx, stream)
			if err != nil || got.Kind != want.Kind || got.Status != want.Status || got.HeadSeq != want.HeadSeq ||
				got.FinishedAt != want.FinishedAt || got.FirstSeq != 1 {
				t.Fatalf("%s: stream %s is %+v (%v), want %+v", when, stream, got, err, want)
			}
		}
		for stream, head := range map[string]int64{closed: 2, closedAfterFinish: 3} {
			_, err := s.Append(ctx, stream, 1, head, []NewEvent{evAt("player_left", 9000)})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: append after room_closed on %s: %v, want ErrInvalid", when, stream, err)
			}
		}
		rooms, err := s.LiveRooms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rooms) != 1 || rooms[0].Stream != live || rooms[0].Kind != KindRoom {
			t.Fatalf("%s: live rooms %+v, want only %s", when, rooms, live)
		}
	}
	check(s, "running")
	// A rejected append changed nothing.
	if info, _ := s.Stream(ctx, closed); info.HeadSeq != 2 {
		t.Fatalf("a rejected append moved the head to %d", info.HeadSeq)
	}
	closeStore(t, s)
	check(openFile(t, path, Options{}), "after reopen") // statuses come back from the streams table
}

func TestStatusSystemStreamAnyHead(t *testing.T) {
	s := openTemp(t, Options{})
	ctx := context.Background()
	const producers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, producers*each)
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				// Incarnation is ignored for system streams.
				_, err := s.Append(ctx, SystemStream, int64(p*7), AnyHead,
					[]NewEvent{ev("health_status_changed", fmt.Sprintf(`{"p":%d,"i":%d}`, p, i))})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	page, err := s.Since(ctx, SystemStream, 0, 1000)
	if err != nil || len(page.Events) != producers*each || page.HeadSeq != producers*each {
		t.Fatalf("system stream: %d events head %d %v", len(page.Events), page.HeadSeq, err)
	}
	seen := map[string]bool{}
	for i, e := range page.Events {
		if e.Seq != int64(i+1) || seen[string(e.Payload)] {
			t.Fatalf("system event %d: seq %d payload %s (duplicate %v)", i, e.Seq, e.Payload, seen[string(e.Payload)])
		}
		seen[string(e.Payload)] = true
	}
	info, err := s.Stream(ctx, SystemStream)
	if err != nil || info.Kind != KindSystem || info.Status != StatusLive {
		t.Fatalf("system stream row %+v %v", info, err)
	}
	// An explicit head is still checked.
	if _, err := s.Append(ctx, SystemStream, 0, 3, []NewEvent{ev("server_started", `{}`)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("system append with a stale head: %v", err)
	}
	if st := appendOK(t, s, SystemStream, 0, producers*each, ev("server_started", `{}`)); st[0].Seq != producers*each+1 {
		t.Fatalf("system append with the right head: seq %d", st[0].Seq)
	}
	if rooms, _ := s.LiveRooms(ctx); len(rooms) != 0 {
		t.Fatalf("live rooms %+v with only the system stream", rooms)
	}
}

// ---------------------------------------------------------------- stats §6.10

// statsModel is what the stats should say about what a test appended.
type statsModel struct {
	types       map[string]int64
	ats         []int64
	rooms       map[string]int64
	ended       map[string]bool
	system, ids int64
}

func (m *statsModel) add(stream string, stored []Stored) {
	for _, e := range stored {
		m.types[e.Type]++
		m.ats = append(m.ats, e.At)
		m.ids = max(m.ids, e.ID)
		if stream == SystemStream {
			m.system++
			continue
		}
		m.rooms[stream]++
		if e.Type == "game_over" || e.Type == "room_closed" {
			m.ended[stream] = true
		}
	}
}

func (m *statsModel) check(t *testing.T, st Statistics, now time.Time) {
	t.Helper()
	var total int64
	for _, n := range m.rooms {
		total += n
	}
	var last24 int64
	for _, at := range m.ats {
		if at >= now.UnixMilli()-dayMs {
			last24++
		}
	}
	ids := slices.Sorted(maps.Keys(m.rooms))
	sort.SliceStable(ids, func(i, j int) bool { return m.rooms[ids[i]] > m.rooms[ids[j]] })
	top := map[string]int64{}
	for _, id := range ids[:min(50, len(ids))] {
		top[id] = m.rooms[id]
	}
	want := Statistics{
		TotalEvents: total + m.system, SystemEvents: m.system, CurrentSequence: m.ids,
		RoomsWithEvents: int64(len(m.rooms)), LiveRooms: int64(len(m.rooms) - len(m.ended)), FinishedRooms: int64(len(m.ended)),
		EventsLast24h: last24, RoomStats: top, RoomStatsTruncated: len(m.rooms) > 50, EventTypeStats: m.types,
		OldestEventAt: ptr(float64(slices.Min(m.ats)) / 1000), NewestEventAt: ptr(float64(slices.Max(m.ats)) / 1000),
		DBSizeBytes: st.DBSizeBytes, WALSizeBytes: st.WALSizeBytes,
	}
	if !reflect.DeepEqual(st, want) {
		got, _ := json.Marshal(st)
		exp, _ := json.Marshal(want)
		t.Fatalf("stats\n got %s\nwant %s", got, exp)
	}
	if st.DBSizeBytes <= 0 || st.WALSizeBytes < 0 {
		t.Fatalf("file sizes %d / %d", st.DBSizeBytes, st.WALSizeBytes)
	}
}

func TestStatsFromStreamsAndCache(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	now := t0.UnixMilli()
	m := &statsModel{types: map[string]int64{}, rooms: map[string]int64{}, ended: map[string]bool{}}
	addRoom := func(i int) {
		count := i + 1 // distinct counts: room_stats has one right answer
		evs := make([]NewEvent, count)
		for k := range evs {
			typ := "played"
			switch {
			case k == 0:
				typ = "room_created"
			case k == count-1 && i%5 == 0:
				typ = "game_over"
			case k == count-1 && i%5 == 1:
				typ = "room_closed"
			}
			var at int64 // 0: the writer's (fake) clock
			switch {
			case i%3 == 0:
				at = now - 48*hourMs // outside the last 24 h
			case i == 2:
				at = now - dayMs + 60_000 // just inside
			case i == 4:
				at = now + 5000 // the producer's clock runs ahead
			}
			evs[k] = NewEvent{Type: typ, At: at, Payload: json.RawMessage(fmt.Sprintf(`{"k":%d}`, k))}
		}
		m.add(roomID(i), appendOK(t, s, roomID(i), 1, 0, evs...))
	}
	for i := range 50 {
		addRoom(i)
	}
	m.add(SystemStream, appendOK(t, s, SystemStream, 0, AnyHead, evAt("server_started", now-72*hourMs)))
	m.add(SystemStream, appendOK(t, s, SystemStream, 0, AnyHead, evAt("store_recovered", 0), evAt("server_started", 0)))

	first, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.check(t, first, clock.Now()) // exactly 50 rooms: not truncated
	if len(first.RoomStats) != 50 || first.RoomStatsTruncated {
		t.Fatalf("50 rooms: room_stats of %d, truncated %v", len(first.RoomStats), first.RoomStatsTruncated)
	}

	for i := 50; i < 55; i++ {
		addRoom(i)
	}
	for _, d := range []time.Duration{0, 9*time.Second + 999*time.Millisecond} {
		clock.Advance(d)
		cached, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cached, first) {
			t.Fatalf("%v after the first answer the stats were refreshed: total %d, was %d", clock.Now().Sub(t0), cached.TotalEvents, first.TotalEvents)
		}
	}
	clock.Advance(2 * time.Millisecond) // past 10 s
	fresh, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.check(t, fresh, clock.Now())
	if !fresh.RoomStatsTruncated || len(fresh.RoomStats) != 50 || fresh.RoomStats[roomID(4)] != 0 || fresh.RoomStats[roomID(54)] != 55 {
		t.Fatalf("55 rooms: room_stats %v truncated %v", fresh.RoomStats, fresh.RoomStatsTruncated)
	}
	if *fresh.OldestEventAt != float64(now-72*hourMs)/1000 || *fresh.NewestEventAt != float64(now+5000)/1000 {
		t.Fatalf("oldest/newest %v / %v", *fresh.OldestEventAt, *fresh.NewestEventAt)
	}
	if fresh.CurrentSequence != fresh.TotalEvents {
		t.Fatalf("current_sequence %d with %d events and no deletion", fresh.CurrentSequence, fresh.TotalEvents)
	}
}

func TestStatsWriter(t *testing.T) {
	s := openTemp(t, Options{QueueSize: 64})
	if ws := s.WriterStats(); ws.BatchesTotal != 0 || *ws.AppendP99Ms != 0 || ws.LastCommitAt != nil || ws.AvgBatchEvents != 0 {
		t.Fatalf("writer stats before any append: %+v", ws)
	}
	before := float64(time.Now().UnixMicro()) / 1e6
	events := 0
	for i := 1; i <= 10; i++ { // sequential: one batch each
		batch := make([]NewEvent, i)
		for k := range batch {
			batch[k] = ev("played", `{}`)
		}
		appendOK(t, s, "K7MPQ3", 1, int64(events), batch...)
		events += i
	}
	after := float64(time.Now().UnixMicro()) / 1e6
	ws := s.WriterStats()
	switch {
	case ws.BatchesTotal != 10 || ws.EventsTotal != 55 || ws.AvgBatchEvents != 5.5:
		t.Fatalf("batches %d events %d avg %v, want 10 55 5.5", ws.BatchesTotal, ws.EventsTotal, ws.AvgBatchEvents)
	case ws.QueueCapacity != 64 || ws.QueueDepth != 0:
		t.Fatalf("queue %d/%d", ws.QueueDepth, ws.QueueCapacity)
	case s.StoreHealth().Append.Count != 10 || ws.AppendP99Ms == nil || *ws.AppendP99Ms <= 0 || ws.AppendP50Ms == nil ||
		*ws.AppendP50Ms <= 0 || *ws.AppendP50Ms > *ws.AppendP99Ms:
		t.Fatalf("append latency: count %d p50 %v p99 %v", s.StoreHealth().Append.Count, ws.AppendP50Ms, ws.AppendP99Ms)
	case ws.LastCommitAt == nil || *ws.LastCommitAt < before || *ws.LastCommitAt > after:
		t.Fatalf("last_commit_at %v outside [%v, %v]", ws.LastCommitAt, before, after)
	case ws.LastError != nil || ws.LastErrorAt != nil || ws.Degraded || ws.CommitErrors != 0:
		t.Fatalf("errors after clean appends: %+v", ws)
	case ws.Synchronous != "normal" || ws.SchemaVersion != SchemaVersion:
		t.Fatalf("synchronous %q schema %d", ws.Synchronous, ws.SchemaVersion)
	}

	// Group commit: requests queued while the writer is busy commit as one batch.
	release := blockWriter(t, s)
	var results []<-chan appendResult
	for i := range 8 {
		results = append(results, goAppend(s, roomID(100+i), 1, 0, ev("room_created", `{}`), ev("bot_added", `{}`)))
		waitQueued(t, s, i+1)
	}
	if ws := s.WriterStats(); ws.QueueDepth != 8 {
		t.Fatalf("queue_depth %d with 8 queued", ws.QueueDepth)
	}
	release()
	for i, c := range results {
		if r := receive(t, c, "queued append"); r.err != nil {
			t.Fatalf("queued append %d: %v", i, r.err)
		}
	}
	ws = s.WriterStats()
	if ws.BatchesTotal != 11 || ws.EventsTotal != 71 || ws.AvgBatchEvents != 71.0/11 || ws.QueueDepth != 0 {
		t.Fatalf("after one group commit of 8: batches %d events %d avg %v depth %d", ws.BatchesTotal, ws.EventsTotal, ws.AvgBatchEvents, ws.QueueDepth)
	}
	js, _ := json.Marshal(ws)
	for _, key := range []string{"queue_depth", "queue_capacity", "batches_total", "avg_batch_events", "append_p50_ms",
		"append_p99_ms", "last_commit_at", "last_error", "last_error_at", "degraded", "synchronous", "schema_version"} {
		if !strings.Contains(string(js), `"`+key+`":`) {
			t.Errorf("writer JSON %s lacks %q", js, key)
		}
	}
}

// ---------------------------------------------------------------- retention §6.8

// storeSnapshot is everything a dry run must leave alone.
type storeSnapshot struct {
	streams []StreamInfo
	events  int64
	maxID   int64
}

func snapshotStore(t *testing.T, s *Store) storeSnapshot {
	t.Helper()
	streams, err := s.Streams(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return storeSnapshot{streams: streams, events: queryInt(t, s.reader(), "SELECT COUNT(*) FROM events"),
		maxID: queryInt(t, s.reader(), "SELECT COALESCE(MAX(id), 0) FROM events")}
}

func groupByType(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	rows, err := s.reader().Query("SELECT type, COUNT(*) FROM events GROUP BY type")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var typ string
		var n int64
		if err := rows.Scan(&typ, &n); err != nil {
			t.Fatal(err)
		}
		out[typ] = n
	}
	return out
}

func TestCleanupDeletesEndedStreamsOnly(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	now := t0.UnixMilli()
	cutoff := t0.Add(-7 * 24 * time.Hour)

	finishedOld, closedOld := roomID(1), roomID(2)
	finishedNew, closedNew, liveOld, withActor, atCutoff, liveNew := roomID(3), roomID(4), roomID(5), roomID(6), roomID(7), roomID(8)
	appendOK(t, s, finishedOld, 1, 0, evAt("room_created", now-10*dayMs), evAt("played", now-10*dayMs), evAt("game_over", now-9*dayMs))
	appendOK(t, s, closedOld, 1, 0, evAt("room_created", now-10*dayMs), evAt("room_closed", now-8*dayMs))
	appendOK(t, s, finishedNew, 1, 0, evAt("room_created", now-10*dayMs), evAt("game_over", now-dayMs))
	appendOK(t, s, closedNew, 1, 0, evAt("room_created", now-10*dayMs), evAt("room_closed", now-6*dayMs))
	appendOK(t, s, liveOld, 1, 0, evAt("room_created", now-30*dayMs), evAt("played", now-30*dayMs))
	appendOK(t, s, withActor, 1, 0, evAt("room_created", now-20*dayMs), evAt("game_over", now-20*dayMs))
	appendOK(t, s, atCutoff, 1, 0, evAt("room_created", now-10*dayMs), evAt("game_over", cutoff.UnixMilli())) // not older
	appendOK(t, s, liveNew, 1, 0, evAt("room_created", 0))
	appendOK(t, s, SystemStream, 0, AnyHead, evAt("server_started", now-9*dayMs), evAt("server_stopped", now-8*dayMs))
	appendOK(t, s, SystemStream, 0, AnyHead, evAt("server_started", now-dayMs))
	const wantRooms, wantEvents, wantSystem = 2, 5, 2

	var asked sync.Map
	req := CleanupRequest{Cutoff: cutoff, Trigger: TriggerManual, HasActor: func(stream string) bool {
		asked.Store(stream, true)
		return stream == withActor
	}}
	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshotStore(t, s)

	dry := req
	dry.DryRun = true
	res, err := s.Cleanup(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || res.DeletedRooms != wantRooms || res.DeletedEvents != wantEvents || res.DeletedSystemEvents != wantSystem {
		t.Fatalf("dry run: %+v, want %d rooms %d events %d system events", res, wantRooms, wantEvents, wantSystem)
	}
	if after := snapshotStore(t, s); !reflect.DeepEqual(after, snap) {
		t.Fatalf("the dry run changed the store:\n%+v\n%+v", snap, after)
	}
	if _, ok := asked.Load(withActor); !ok {
		t.Fatal("HasActor was not asked about an expired stream")
	}
	if _, ok := asked.Load(liveOld); ok {
		t.Fatal("HasActor was asked about a live stream")
	}

	res, err = s.Cleanup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.DryRun || res.DeletedRooms != wantRooms || res.DeletedEvents != wantEvents || res.DeletedSystemEvents != wantSystem ||
		res.Trigger != TriggerManual || res.Cutoff != float64(cutoff.UnixMilli())/1000 || res.At != float64(now)/1000 {
		t.Fatalf("cleanup: %+v", res)
	}
	for _, gone := range []string{finishedOld, closedOld} {
		if _, err := s.Stream(ctx, gone); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s survived the cleanup: %v", gone, err)
		}
		if _, err := s.Since(ctx, gone, 0, 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("since of deleted %s: %v", gone, err)
		}
	}
	if n := queryInt(t, s.reader(), "SELECT COUNT(*) FROM events WHERE room_id IN (?, ?)", finishedOld, closedOld); n != 0 {
		t.Fatalf("%d events of deleted streams remain", n)
	}
	for stream, head := range map[string]int64{finishedNew: 2, closedNew: 2, liveOld: 2, withActor: 2, atCutoff: 2, liveNew: 1} {
		page, err := s.Since(ctx, stream, 0, 0)
		if err != nil || page.HeadSeq != head || int64(len(page.Events)) != head {
			t.Fatalf("kept stream %s: %+v %v", stream, page, err)
		}
	}
	sys, err := s.Since(ctx, SystemStream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Events) != 2 || sys.Events[0].Seq != 3 || sys.Events[0].Type != "server_started" ||
		sys.Events[1].Seq != 4 || sys.Events[1].Type != "retention_cleanup" || sys.HeadSeq != 4 {
		t.Fatalf("system stream after cleanup: %+v", sys)
	}
	if info, _ := s.Stream(ctx, SystemStream); info.FirstSeq != 3 || info.HeadSeq != 4 {
		t.Fatalf("system stream row after trimming: %+v", info)
	}
	var rec struct {
		Trigger      string   `json:"trigger"`
		Cutoff       int64    `json:"cutoff"`
		Rooms        int64    `json:"rooms"`
		Events       int64    `json:"events"`
		SystemEvents int64    `json:"system_events"`
		DurationMs   *float64 `json:"duration_ms"`
	}
	if err := json.Unmarshal(sys.Events[1].Payload, &rec); err != nil || rec.Trigger != TriggerManual ||
		rec.Cutoff != cutoff.UnixMilli() || rec.Rooms != wantRooms || rec.Events != wantEvents ||
		rec.SystemEvents != wantSystem || rec.DurationMs == nil {
		t.Fatalf("retention_cleanup payload %s (%v)", sys.Events[1].Payload, err)
	}
	if last := s.LastCleanup(); last == nil || last.DryRun || last.DeletedRooms != wantRooms ||
		last.DeletedEvents != wantEvents || last.DeletedSystemEvents != wantSystem {
		t.Fatalf("last cleanup %+v", last)
	}

	clock.Advance(statsTTL + time.Second)
	after, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := maps.Clone(before.EventTypeStats)
	for typ, d := range map[string]int64{"room_created": -2, "played": -1, "game_over": -1, "room_closed": -1,
		"server_started": -1, "server_stopped": -1, "retention_cleanup": +1} {
		if wantTypes[typ] += d; wantTypes[typ] == 0 {
			delete(wantTypes, typ)
		}
	}
	switch {
	case !maps.Equal(after.EventTypeStats, wantTypes):
		t.Fatalf("event_type_stats %v, want %v", after.EventTypeStats, wantTypes)
	case !maps.Equal(after.EventTypeStats, groupByType(t, s)):
		t.Fatalf("event_type_stats %v, the table holds %v", after.EventTypeStats, groupByType(t, s))
	case after.TotalEvents != before.TotalEvents-wantEvents-wantSystem+1 || after.TotalEvents != queryInt(t, s.reader(), "SELECT COUNT(*) FROM events"):
		t.Fatalf("total_events %d, was %d", after.TotalEvents, before.TotalEvents)
	case after.SystemEvents != before.SystemEvents-wantSystem+1:
		t.Fatalf("system_events %d, was %d", after.SystemEvents, before.SystemEvents)
	case after.RoomsWithEvents != before.RoomsWithEvents-wantRooms || after.FinishedRooms != before.FinishedRooms-wantRooms ||
		after.LiveRooms != before.LiveRooms || after.LiveRooms != 2:
		t.Fatalf("rooms %d finished %d live %d, were %d %d %d", after.RoomsWithEvents, after.FinishedRooms, after.LiveRooms,
			before.RoomsWithEvents, before.FinishedRooms, before.LiveRooms)
	case after.CurrentSequence != before.CurrentSequence+1: // ids are never reused
		t.Fatalf("current_sequence %d, was %d", after.CurrentSequence, before.CurrentSequence)
	}
	if st := appendOK(t, s, liveNew, 1, 1, ev("played", `{}`)); st[0].ID != before.CurrentSequence+2 {
		t.Fatalf("append after cleanup got id %d, want %d", st[0].ID, before.CurrentSequence+2)
	}

	// A second run finds nothing more, and still records itself.
	res, err = s.Cleanup(ctx, req)
	if err != nil || res.DeletedRooms != 0 || res.DeletedEvents != 0 || res.DeletedSystemEvents != 0 {
		t.Fatalf("second cleanup: %+v %v", res, err)
	}
	if info, _ := s.Stream(ctx, SystemStream); info.HeadSeq != 5 || info.FirstSeq != 3 {
		t.Fatalf("system stream after the second cleanup: %+v", info)
	}
}

func TestCleanupInProgress(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	now := t0.UnixMilli()
	appendOK(t, s, "K7MPQ3", 1, 0, evAt("room_created", now-10*dayMs), evAt("game_over", now-10*dayMs))
	cutoff := t0.Add(-7 * 24 * time.Hour)

	entered, unblock := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff, Trigger: TriggerSchedule, HasActor: func(string) bool {
			once.Do(func() { close(entered) })
			<-unblock
			return false
		}})
		done <- err
	}()
	receive(t, entered, "first cleanup")
	for _, dry := range []bool{true, false} {
		if _, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff, DryRun: dry}); !errors.Is(err, ErrInProgress) {
			close(unblock)
			t.Fatalf("cleanup (dry run %v) while one runs: %v, want ErrInProgress", dry, err)
		}
	}
	close(unblock)
	if err := receive(t, done, "first cleanup"); err != nil {
		t.Fatal(err)
	}
	if last := s.LastCleanup(); last == nil || last.DeletedRooms != 1 || last.Trigger != TriggerSchedule {
		t.Fatalf("last cleanup %+v", last)
	}

	// The lock is free again; a run holding it (simulated) refuses others.
	if _, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff}); err != nil {
		t.Fatalf("cleanup after the first finished: %v", err)
	}
	s.cleanupMu.Lock()
	_, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff})
	s.cleanupMu.Unlock()
	if !errors.Is(err, ErrInProgress) {
		t.Fatalf("cleanup while the lock is held: %v", err)
	}
}

func TestCleanupLargeRunVacuums(t *testing.T) {
	clock := monitor.NewFakeClock(t0)
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	old := t0.UnixMilli() - 30*dayMs
	pad := strings.Repeat("x", 1000)
	const n = 1200
	for head := int64(0); head < n; {
		batch := make([]NewEvent, 200)
		for i := range batch {
			batch[i] = NewEvent{Type: "played", At: old, Payload: json.RawMessage(fmt.Sprintf(`{"pad":%q}`, pad))}
		}
		if head+200 == n {
			batch[199].Type = "game_over"
		}
		head = appendOK(t, s, "K7MPQ3", 1, head, batch...)[199].Seq
	}
	appendOK(t, s, "K7MPQ4", 1, 0, evAt("room_created", 0))
	pagesBefore := queryInt(t, s.reader(), "PRAGMA page_count")
	res, err := s.Cleanup(ctx, CleanupRequest{Cutoff: t0.Add(-7 * 24 * time.Hour)})
	if err != nil || res.DeletedEvents != n || res.DeletedRooms != 1 {
		t.Fatalf("cleanup: %+v %v", res, err)
	}
	pagesAfter := queryInt(t, s.reader(), "PRAGMA page_count")
	free := queryInt(t, s.reader(), "PRAGMA freelist_count")
	if free != 0 || pagesAfter > pagesBefore-200 {
		t.Fatalf("after deleting %d events of ~1 KB: %d pages (was %d), %d free: no incremental vacuum", n, pagesAfter, pagesBefore, free)
	}
	if info, err := s.Stream(ctx, "K7MPQ4"); err != nil || info.Status != StatusLive {
		t.Fatalf("live room after a large cleanup: %+v %v", info, err)
	}
}

// ---------------------------------------------------------------- close

func TestCloseCommitsQueuedAndRefusesLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := openFile(t, path, Options{})
	ctx := context.Background()
	appendOK(t, s, "K7MPQ3", 1, 0, ev("room_created", `{}`))

	// A Close whose ctx ends first reports it, and can be retried.
	release := blockWriter(t, s)
	const queued = 6
	var results []<-chan appendResult
	for i := range queued {
		results = append(results, goAppend(s, roomID(200+i), 1, 0, ev("room_created", fmt.Sprintf(`{"i":%d}`, i))))
		waitQueued(t, s, i+1)
	}
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Close(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("close with an ended ctx while the writer is busy: %v", err)
	}
	// Close has begun: new work is refused at once, queued work is not lost.
	if _, err := s.Append(ctx, "K7MPQ3", 1, 1, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append while closing: %v, want ErrClosed", err)
	}
	if _, err := s.Fence(ctx, "K7MPQ3"); !errors.Is(err, ErrClosed) {
		t.Fatalf("fence while closing: %v, want ErrClosed", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close(ctx) }()
	release()
	if err := receive(t, closed, "close"); err != nil {
		t.Fatalf("close: %v", err)
	}
	for i, c := range results {
		r := receive(t, c, "append queued before close")
		if r.err != nil || r.stored[0].Seq != 1 {
			t.Fatalf("append %d queued before close: %+v %v", i, r.stored, r.err)
		}
	}
	if _, err := s.Append(ctx, "K7MPQ3", 1, 1, []NewEvent{ev("bot_added", `{}`)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}

	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("WAL of %d bytes left after a clean close (checkpoint TRUNCATE)", fi.Size())
	}

	s = openFile(t, path, Options{})
	for i := range queued {
		page, err := s.Since(ctx, roomID(200+i), 0, 0)
		if err != nil || len(page.Events) != 1 || string(page.Events[0].Payload) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("append %d queued before close is not in the file: %+v %v", i, page, err)
		}
	}
	if info, err := s.Stream(ctx, "K7MPQ3"); err != nil || info.HeadSeq != 1 || info.Incarnation != 1 {
		t.Fatalf("a request refused while closing reached the file: %+v %v", info, err)
	}
}
