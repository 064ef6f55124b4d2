package events

import (
	"errors"
	"sync/atomic"
)

// Read ops, the closed label set of liaptui_store_read_duration_seconds
// (observability §8.1). Point lookups (a stream's row, an identity) count
// as since: they serve the same per-request reads.
const (
	ReadPing    = "ping"
	ReadSince   = "since"
	ReadLoad    = "load"
	ReadStats   = "stats"
	ReadCleanup = "cleanup"
)

// ReadOps lists the read ops, for pre-creating metric series.
var ReadOps = [...]string{ReadPing, ReadSince, ReadLoad, ReadStats, ReadCleanup}

// StreamKinds lists the stream kinds, the labels of EventsAppended.
var StreamKinds = [...]string{KindRoom, KindSystem, KindCanary}

// AppendErrorReasons lists the labels of AppendErrors.
var AppendErrorReasons = [...]string{"conflict", "fenced", "invalid", "overloaded", "unavailable", "closed", "io"}

// CleanupTriggers lists the labels of CleanupRuns.
var CleanupTriggers = [...]string{TriggerSchedule, TriggerManual}

// StoreCounters are the store's monotonic counters since Open, for the
// Prometheus families of observability §8.1. Each map holds every label of
// its closed set, zeros included.
type StoreCounters struct {
	EventsAppended       map[string]int64 // committed events by stream kind
	AppendErrors         map[string]int64 // failed Append calls by reason
	CleanupRuns          map[string]int64 // retention runs (not dry runs) by trigger
	CleanupDeletedEvents int64            // room and _system events deleted by retention
}

type storeCounters struct {
	appendedEvents [len(StreamKinds)]atomic.Int64
	appendErrors   [len(AppendErrorReasons)]atomic.Int64
	cleanupRuns    [len(CleanupTriggers)]atomic.Int64
	cleanupDeleted atomic.Int64
}

func (c *storeCounters) appended(kind string, events int) {
	for i, k := range StreamKinds {
		if k == kind {
			c.appendedEvents[i].Add(int64(events))
			return
		}
	}
}

// appendErrorSentinels are the errors behind AppendErrorReasons but the
// last: an error of none of them comes from the database (io).
var appendErrorSentinels = [len(AppendErrorReasons) - 1]error{ErrConflict, ErrFenced, ErrInvalid, ErrOverloaded,
	ErrUnavailable, ErrClosed}

func (c *storeCounters) appendFailed(err error) {
	for i, sentinel := range appendErrorSentinels {
		if errors.Is(err, sentinel) {
			c.appendErrors[i].Add(1)
			return
		}
	}
	c.appendErrors[len(AppendErrorReasons)-1].Add(1)
}

func (c *storeCounters) cleanupStarted(trigger string) {
	for i, t := range CleanupTriggers {
		if t == trigger {
			c.cleanupRuns[i].Add(1)
			return
		}
	}
}

// Counters reads the store's counters; it does no I/O.
func (s *Store) Counters() StoreCounters {
	c := &s.counters
	out := StoreCounters{EventsAppended: map[string]int64{}, AppendErrors: map[string]int64{},
		CleanupRuns: map[string]int64{}, CleanupDeletedEvents: c.cleanupDeleted.Load()}
	for i, k := range StreamKinds {
		out.EventsAppended[k] = c.appendedEvents[i].Load()
	}
	for i, r := range AppendErrorReasons {
		out.AppendErrors[r] = c.appendErrors[i].Load()
	}
	for i, t := range CleanupTriggers {
		out.CleanupRuns[t] = c.cleanupRuns[i].Load()
	}
	return out
}
