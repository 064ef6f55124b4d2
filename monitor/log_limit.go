package monitor

import (
	"net"
	"sync"
	"time"
)

const (
	logLimitWindow      = 10 * time.Second // hot-path WARN lines per key (§7.3)
	logLimitMaxKeys     = 4096
	sinkNoticeWindow    = time.Minute // stderr notices per failing sink (§7.2)
	adminFailureWindow  = time.Minute
	adminFailureToAlert = 5
)

// logLimiter lets one line per key through per window and counts the rest,
// so the next line that passes can say how many were suppressed.
type logLimiter struct {
	mu      sync.Mutex
	clock   Clock
	window  time.Duration
	entries map[string]*limitEntry
}

type limitEntry struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(clock Clock, window time.Duration) *logLimiter {
	return &logLimiter{clock: clock, window: window, entries: make(map[string]*limitEntry)}
}

// allow reports whether a line for key may be written now and, if so, how
// many lines for key were suppressed since the last one written.
func (l *logLimiter) allow(key string) (ok bool, suppressed int) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		evictStale(l.entries, func(e *limitEntry) bool { return now.Sub(e.last) >= l.window })
		l.entries[key] = &limitEntry{last: now}
		return true, 0
	}
	if now.Sub(e.last) < l.window {
		e.suppressed++
		return false, 0
	}
	suppressed = e.suppressed
	*e = limitEntry{last: now}
	return true, suppressed
}

// evictStale keeps m below logLimitMaxKeys before an insertion: it drops
// stale entries and, when all are fresh, an arbitrary quarter, so a flood
// of distinct keys costs amortised O(1) per insertion.
func evictStale[V any](m map[string]V, stale func(V) bool) {
	if len(m) < logLimitMaxKeys {
		return
	}
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < logLimitMaxKeys*3/4 {
			return
		}
		delete(m, k)
	}
}

// adminFailures counts failed admin authentications per client address.
type adminFailures struct {
	mu    sync.Mutex
	clock Clock
	times map[string][]time.Time // the latest adminFailureToAlert, oldest first
}

func newAdminFailures(clock Clock) *adminFailures {
	return &adminFailures{clock: clock, times: make(map[string][]time.Time)}
}

// record notes one failure from remote and reports whether it is the
// fifth (or later) within a minute.
func (a *adminFailures) record(remote string) bool {
	now := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	ts, known := a.times[remote]
	if !known {
		evictStale(a.times, func(ts []time.Time) bool { return now.Sub(ts[len(ts)-1]) >= adminFailureWindow })
	}
	ts = append(ts, now)
	if len(ts) > adminFailureToAlert {
		ts = append(ts[:0], ts[len(ts)-adminFailureToAlert:]...)
	}
	a.times[remote] = ts
	return len(ts) == adminFailureToAlert && now.Sub(ts[0]) < adminFailureWindow
}

// remoteHost is the address without its port, so that one client's
// connections count together.
func remoteHost(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}
