package recovery

import (
	"context"
	"log/slog"
	"math"
	"time"

	"liaptui/monitor"
)

// Hub is what the procedures need from the WebSocket hub (§5.1). Every
// method is safe for concurrent use and returns quickly.
type Hub interface {
	// StaleConnections counts the connections meeting the stale rule now.
	StaleConnections() int
	// SweepStale closes every stale connection without a close frame and
	// unregisters it before returning how many it closed; ctx's correlation
	// id is the cause of the disconnects.
	SweepStale(ctx context.Context) int
	// Coalesce removes superseded queued frames of connections above 64
	// queued frames and drops those still above 75 % of their queue.
	Coalesce() (framesRemoved, consumersDropped int)
	// PendingFrames is the sum of the outbound queue lengths.
	PendingFrames() int64
	// PushView queues room.view {reason} to every connected member of the
	// room whose last delivered seq is below head, after removing its queued
	// event frames of that room. written blocks until every pushed view was
	// written to its socket (nil), one of them will never be (an error), or
	// ctx ends (ctx's error).
	PushView(roomID, reason string) (pushed int, written func(ctx context.Context) error)
}

// RoomHealth is the registry's answer about one room.
type RoomHealth struct {
	Live        bool
	Incarnation int64
	Stuck       bool
	// InvariantErr is the game invariant check of the live state (nil: holds).
	InvariantErr error
}

// Rooms is what the procedures need from the room registry.
type Rooms interface {
	// RoomExists reports whether id names a live (not closed) room.
	RoomExists(id string) bool
	// LiveRoomIDs lists the live rooms, canary rooms excluded.
	LiveRoomIDs() []string
	// Inspect reads one room's actor at now (stuck rule of §1.2).
	Inspect(id string, now time.Time) RoomHealth
	// Rebuild runs §5.3 for the room; closed reports that the stored stream
	// failed and the room was closed as failed instead.
	Rebuild(ctx context.Context, roomID, reason string) (incarnation int64, closed bool, err error)
	// CloseIdleFinished closes, as abandoned, the finished rooms without a
	// connected human and returns how many it closed.
	CloseIdleFinished(ctx context.Context) int
}

// Store is what the procedures need from the event store.
type Store interface {
	// Reopen closes and reopens the read pool and the writer connection;
	// it succeeds only once a probe append of store_reopened to _system
	// has committed on the new connection.
	Reopen(ctx context.Context) error
	// Ping runs SELECT 1 on the read pool.
	Ping(ctx context.Context) error
	// DropCaches drops the snapshot and read caches, returning the entries dropped.
	DropCaches() int
}

// Reading is one fresh raw reading of a monitor check.
type Reading struct {
	Raw   string  // healthy, warning, critical or unknown
	Value float64 // the check's value in its unit; NaN when there is none
}

// Known reports whether the reading carries a value. A check can be
// critical without one (database:response after a failed ping), and NaN
// must never reach a history entry: JSON cannot hold it.
func (r Reading) Known() bool { return r.Raw != "" && r.Raw != "unknown" && !math.IsNaN(r.Value) }

// Checks re-runs monitor checks on demand (monitor.Recheck): only the named
// collectors run and the schedule is left alone. A missing id reads unknown.
type Checks interface {
	Recheck(ctx context.Context, ids []string) map[string]Reading
}

// Alerts sends webhook alerts (§4); it never blocks.
type Alerts interface {
	Notify(kind, severity, subject, from, to, observed, message, correlationID string)
}

// Metrics receives the manager's counts for the Prometheus registry
// (liaptui_recovery_rejections_total, liaptui_recovery_attempts_total and the
// attempt duration histogram).
type Metrics interface {
	Rejected(procedure, reason string)
	Attempted(procedure, result string, duration time.Duration)
}

// Deps are the live objects the manager acts on. Hub, Rooms, Store,
// Checks, Events, Alerts and Logger are required; Wake, Metrics and
// FreeOSMemory may be nil.
type Deps struct {
	Hub    Hub
	Rooms  Rooms
	Store  Store
	Checks Checks
	Events monitor.SystemEvents
	Alerts Alerts
	Logger *slog.Logger
	// Wake is monitor.Wake; called with "recovery" after every attempt.
	Wake    func(reason string)
	Metrics Metrics
	// FreeOSMemory returns memory to the OS; nil means debug.FreeOSMemory.
	FreeOSMemory func()
}
