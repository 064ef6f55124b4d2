package recovery

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"liaptui/monitor"
)

// testClock is a FakeClock that records every timer armed, so a test can
// wait until the manager sits on a given timer before advancing.
type testClock struct {
	*monitor.FakeClock
	mu      sync.Mutex
	armed   map[armKey]int
	changed chan struct{}
}

type armKey struct {
	afterFunc bool // AfterFunc (timeouts) rather than NewTimer (waits)
	d         time.Duration
}

func newTestClock() *testClock {
	return &testClock{FakeClock: monitor.NewFakeClock(t0), armed: map[armKey]int{}, changed: make(chan struct{})}
}

func (c *testClock) record(k armKey) {
	c.mu.Lock()
	c.armed[k]++
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *testClock) NewTimer(d time.Duration) monitor.Timer {
	t := c.FakeClock.NewTimer(d)
	c.record(armKey{false, d})
	return t
}

func (c *testClock) AfterFunc(d time.Duration, f func()) monitor.Timer {
	t := c.FakeClock.AfterFunc(d, f)
	c.record(armKey{true, d})
	return t
}

// waitTimer blocks until n NewTimer(d) calls have been made in all.
func (c *testClock) waitTimer(d time.Duration, n int) { c.wait(armKey{false, d}, n) }

// waitAfterFunc blocks until n AfterFunc(d) calls have been made in all.
func (c *testClock) waitAfterFunc(d time.Duration, n int) { c.wait(armKey{true, d}, n) }

func (c *testClock) wait(k armKey, n int) {
	for {
		c.mu.Lock()
		got, ch := c.armed[k], c.changed
		c.mu.Unlock()
		if got >= n {
			return
		}
		<-ch
	}
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

type captureHandler struct {
	mu    *sync.Mutex
	recs  *[]logRecord
	attrs []slog.Attr
}

func (h captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.mu.Lock()
	*h.recs = append(*h.recs, rec)
	h.mu.Unlock()
	return nil
}

func (h captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return h
}

func (h captureHandler) WithGroup(string) slog.Handler { return h }

type harness struct {
	t       *testing.T
	m       *Manager
	clock   *testClock
	hub     *fakeHub
	rooms   *fakeRooms
	store   *fakeStore
	checks  *fakeChecks
	events  *fakeEvents
	alerts  *fakeAlerts
	metrics *fakeMetrics
	wakes   chan string
	freed   chan struct{}

	logMu sync.Mutex
	logs  []logRecord
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	clock := newTestClock()
	h := &harness{
		t: t, clock: clock, hub: newFakeHub(), rooms: newFakeRooms("K7MPQ3", "ABCDEF"),
		store:  &fakeStore{clock: clock},
		checks: &fakeChecks{readings: map[string]Reading{}},
		events: &fakeEvents{ch: make(chan systemEvent, 1000)},
		alerts: &fakeAlerts{},
		metrics: &fakeMetrics{rejected: make(chan RejectionKey, 1000), blocked: make(chan struct{}, 1),
			release: make(chan struct{})},
		wakes: make(chan string, 1000),
		freed: make(chan struct{}, 1000),
	}
	logger := slog.New(captureHandler{mu: &h.logMu, recs: &h.logs})
	h.m = New(cfg, Deps{
		Hub: h.hub, Rooms: h.rooms, Store: h.store, Checks: h.checks, Events: h.events,
		Alerts: h.alerts, Logger: logger, Metrics: h.metrics,
		Wake:         func(reason string) { h.wakes <- reason },
		FreeOSMemory: func() { h.freed <- struct{}{} },
	}, clock)
	return h
}

// run starts Run; the test's end stops it and waits for it.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	for !h.m.active.Load() {
		runtime.Gosched()
	}
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
}

// drainRejected forgets the rejections reported so far.
func (h *harness) drainRejected() {
	for {
		select {
		case <-h.metrics.rejected:
		default:
			return
		}
	}
}

// nextEvent returns the next _system event.
func (h *harness) nextEvent() systemEvent { return <-h.events.ch }

// nextEntry returns the entry of the next recovery_attempted event.
func (h *harness) nextEntry() Entry {
	h.t.Helper()
	ev := h.nextEvent()
	e, ok := ev.payload.(Entry)
	if ev.typ != "recovery_attempted" || !ok {
		h.t.Fatalf("event %s %#v, want recovery_attempted", ev.typ, ev.payload)
	}
	return e
}

func (h *harness) logsWith(msg string) []logRecord {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	var out []logRecord
	for _, r := range h.logs {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// manual triggers name with the given body and query string values.
func (h *harness) manual(name, body string, query ...string) (ManualResult, error) {
	q := map[string][]string{}
	for i := 0; i+1 < len(query); i += 2 {
		q[query[i]] = append(q[query[i]], query[i+1])
	}
	return h.m.TriggerManual(context.Background(), name, ManualRequest{Body: []byte(body), Query: q})
}

// mustAdmit triggers name manually without waiting and returns the id.
func (h *harness) mustAdmit(name, body string) int64 {
	h.t.Helper()
	res, err := h.manual(name, body, "wait", "0")
	if err != nil {
		h.t.Fatalf("trigger %s: %v", name, err)
	}
	return res.AttemptID
}

// refusal asserts err is an *Error with status, code and details.reason.
func refusal(t *testing.T, err error, status int, code, reason string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *Error %d %s", err, status, code)
	}
	if e.Status != status || e.Code != code || (reason != "" && e.Details["reason"] != reason) {
		t.Fatalf("got %d %s %v, want %d %s reason %q", e.Status, e.Code, e.Details, status, code, reason)
	}
	return e
}
