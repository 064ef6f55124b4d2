package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// alertReply is one scripted answer of the test receiver.
type alertReply struct {
	status     int
	retryAfter string
}

type receivedAlert struct {
	method, contentType, userAgent, path string
	payload                              webhookPayload
	fields                               map[string]any
}

// alertReceiver is a loopback webhook that records every request and answers
// from a script, then 200.
type alertReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	script   []alertReply
	received []receivedAlert
}

func newAlertReceiver(t *testing.T, script ...alertReply) *alertReceiver {
	r := &alertReceiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *alertReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var p webhookPayload
	var fields map[string]any
	_ = json.Unmarshal(body, &p)
	_ = json.Unmarshal(body, &fields)
	r.mu.Lock()
	r.received = append(r.received, receivedAlert{req.Method, req.Header.Get("Content-Type"), req.Header.Get("User-Agent"), req.URL.Path, p, fields})
	reply := alertReply{status: http.StatusOK}
	if len(r.script) > 0 {
		reply, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	if reply.retryAfter != "" {
		w.Header().Set("Retry-After", reply.retryAfter)
	}
	w.WriteHeader(reply.status)
}

func (r *alertReceiver) all() []receivedAlert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedAlert(nil), r.received...)
}

func (r *alertReceiver) count() int { return len(r.all()) }

// alertOutcomes records AlertHooks outcomes.
type alertOutcomes struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *alertOutcomes) hooks() AlertHooks {
	return AlertHooks{Outcome: func(o string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.counts == nil {
			c.counts = map[string]int{}
		}
		c.counts[o]++
	}}
}

func (c *alertOutcomes) get(o string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[o]
}

// alertLogBuffer is a log sink safe for the sender goroutine and the test.
type alertLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *alertLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *alertLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var alertTestStart = time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))

type alertFixture struct {
	clock    *FakeClock
	notifier *Notifier
	outcomes *alertOutcomes
	logs     *alertLogBuffer
}

func newAlertFixture(t *testing.T, cfg AlertConfig) *alertFixture {
	f := &alertFixture{clock: NewFakeClock(alertTestStart), outcomes: &alertOutcomes{}, logs: &alertLogBuffer{}}
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 1 }
	}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.notifier = NewNotifier(cfg, f.clock, log, f.outcomes.hooks())
	return f
}

// run starts the sender until the test ends; the returned func stops it and
// waits for it to return.
func (f *alertFixture) run(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.notifier.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond with a real deadline: the sender does loopback I/O.
func alertEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		<-WallClock{}.NewTimer(5 * time.Millisecond).C()
	}
	t.Fatalf("timed out waiting for %s", what)
}

// awaitRequests waits until the receiver saw want requests and the sender is
// either idle with an empty queue or waiting on a timer (timers armed).
func (f *alertFixture) awaitRequests(t *testing.T, r *alertReceiver, want, timers int) {
	t.Helper()
	alertEventually(t, strconv.Itoa(want)+" requests and "+strconv.Itoa(timers)+" timers", func() bool {
		return r.count() == want && f.clock.Pending() == timers
	})
}

func criticalAlert(subject string) Alert {
	return Alert{Kind: AlertKindHealth, Severity: AlertSeverityCritical, Subject: subject, From: "warning", To: "critical"}
}
