package events

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Connection roles: each opens its own pool with its own pragmas.
type poolRole int

const (
	roleWrite      poolRole = iota // the writer goroutine's only connection
	roleRead                       // the query_only read pool
	roleCheckpoint                 // the checkpointer's connection
)

func dsn(path string, o Options, role poolRole) string {
	sync := "NORMAL"
	if o.Synchronous == "full" {
		sync = "FULL"
	}
	q := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync +
		")&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_pragma=journal_size_limit(67108864)"
	if role == roleRead {
		return q + "&_pragma=query_only(1)"
	}
	return q + "&_auto_vacuum=INCREMENTAL&_txlock=immediate&_pragma=wal_autocheckpoint(0)"
}

// openPool opens a pool of role on the file at path. It goes through a
// connector so that Options.WrapConnector can interpose (fault injection in
// tests); with no wrapper this is exactly sql.Open("sqlite", dsn). Like
// sql.Open it connects lazily: the first query reports an unreachable file.
func openPool(path string, o Options, role poolRole) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn(path, o, role))
	if err != nil {
		return nil, err
	}
	if o.WrapConnector != nil {
		c = o.WrapConnector(c)
	}
	db := sql.OpenDB(c)
	switch role {
	case roleRead:
		db.SetMaxOpenConns(o.ReadPoolSize)
		db.SetMaxIdleConns(o.ReadPoolSize)
	default:
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
	}
	return db, nil
}

// Fault classes of a database error that reconnecting may cure; they raise
// database_connection_loss (observability §5.1).
const (
	faultIO      = "io"
	faultBusy    = "busy"
	faultClosed  = "closed"
	faultCorrupt = "corrupt"
)

// faultClass names the class of err, "" for errors a reconnect cannot cure
// (constraints, bad SQL, a full disk, a cancelled context).
func faultClass(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return faultIO
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return faultBusy
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return faultCorrupt
		}
		return ""
	}
	// database/sql reports a closed pool only by this text (its error value
	// is unexported).
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		(err != nil && strings.Contains(err.Error(), "sql: database is closed")) {
		return faultClosed
	}
	return ""
}
