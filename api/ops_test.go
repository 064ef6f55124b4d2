package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"liaptui/monitor"
	"liaptui/ws"
)

// opsFakes are small fakes of the Ops sources; they record what the
// handlers passed them.
type opsFakes struct {
	mu          sync.Mutex
	healthy     bool
	readiness   map[string]ReadyCheck
	history     int
	attempt     int64
	trigger     TriggerRequest
	answer      TriggerAnswer
	triggerErr  error
	protection  bool
	cleanupDays int
	cleanupDry  bool
	cleanupErr  error
	logQuery    LogQuery
}

func (f *opsFakes) set(change func(f *opsFakes)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *opsFakes) read() opsFakes {
	f.mu.Lock()
	defer f.mu.Unlock()
	return opsFakes{healthy: f.healthy, history: f.history, attempt: f.attempt, trigger: f.trigger,
		cleanupDays: f.cleanupDays, cleanupDry: f.cleanupDry, logQuery: f.logQuery}
}

func (f *opsFakes) Health(time.Time) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return map[string]string{"status": "fake"}, f.healthy
}

func (f *opsFakes) Detailed(_ time.Time, history int) any {
	f.set(func(f *opsFakes) { f.history = history })
	return map[string]bool{"success": true}
}

func (f *opsFakes) SeedMetrics(time.Time) []byte { return []byte("liap_uptime_seconds 1\n") }

func (f *opsFakes) Readiness(time.Time) map[string]ReadyCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]ReadyCheck{}
	for k, v := range f.readiness {
		out[k] = v
	}
	return out
}

func (f *opsFakes) Status(_ time.Time, attempt int64) (any, error) {
	f.set(func(f *opsFakes) { f.attempt = attempt })
	return map[string]bool{"success": true}, nil
}

func (f *opsFakes) Trigger(_ context.Context, req TriggerRequest) (TriggerAnswer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trigger = req
	return f.answer, f.triggerErr
}

func (f *opsFakes) ExitProtection(context.Context) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.protection
	f.protection = false
	return was
}

func (f *opsFakes) Protection() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.protection
}

func (f *opsFakes) StatsBody(context.Context) (any, error) {
	return map[string]bool{"success": true}, nil
}

func (f *opsFakes) Cleanup(_ context.Context, days int, dry bool) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanupDays, f.cleanupDry = days, dry
	return map[string]bool{"success": true}, f.cleanupErr
}

func (f *opsFakes) Query(q LogQuery) ([]json.RawMessage, bool, int) {
	f.set(func(f *opsFakes) { f.logQuery = q })
	return nil, false, 5000
}

// opsPromText answers as promhttp does: the text format with its escaping
// parameter.
var opsPromText = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
	w.Write([]byte("# TYPE x counter\nx 1\n"))
})

// newOpsServer serves only the operator routes, over the fakes, with a
// fake clock (the rate limiter never refills) and the given rate limit.
func newOpsServer(t *testing.T, rate float64, burst int) (*opsFakes, string) {
	t.Helper()
	f := &opsFakes{healthy: true, readiness: map[string]ReadyCheck{"event_store": {Status: "ok"},
		"canary": {Status: "skipped"}, "monitor": {Status: "ok"}}}
	s := New(context.Background(), Config{AdminToken: testAdminToken, Rate: rate, Burst: burst}, nil, nil, nil, nil,
		monitor.NewFakeClock(time.Unix(1_764_245_000, 0)), slog.New(slog.DiscardHandler))
	s.SetOps(Ops{Health: f, Metrics: opsPromText, Recovery: f, Store: f, Logs: f})
	s.SetReady()
	srv := httptest.NewServer(s.Echo())
	t.Cleanup(srv.Close)
	return f, srv.URL
}

var opsAdmin = map[string]string{"Authorization": "Bearer " + testAdminToken}

func TestOpsQueryValidation(t *testing.T) {
	_, base := newOpsServer(t, 1000, 1000)
	for _, c := range []struct {
		method, path, field string
	}{
		{"GET", "/health/detailed?history=0", "history"},
		{"GET", "/health/detailed?history=721", "history"},
		{"GET", "/health/detailed?history=x", "history"},
		{"GET", "/recovery/status?attempt=0", "attempt"},
		{"GET", "/recovery/status?attempt=one", "attempt"},
		{"GET", "/logs?limit=0", "limit"},
		{"GET", "/logs?limit=1001", "limit"},
		{"GET", "/logs?limit=ten", "limit"},
		{"GET", "/logs?level=verbose", "level"},
		{"GET", "/logs?since=yesterday", "since"},
		{"GET", "/logs?since=2025-11-27", "since"},
		{"GET", "/logs?category=nonsense", "category"},
		{"POST", "/event-store/cleanup?older_than_days=0", "older_than_days"},
		{"POST", "/event-store/cleanup?older_than_days=3651", "older_than_days"},
		{"POST", "/event-store/cleanup?dry_run=yes", "dry_run"},
	} {
		resp, body := do(t, c.method, base+c.path, opsAdmin)
		e := wantError(t, resp, body, http.StatusBadRequest, "INVALID_FIELD")
		if e.Error.Details["field"] != c.field {
			t.Errorf("%s %s: details %v, want field %s", c.method, c.path, e.Error.Details, c.field)
		}
	}
}

func TestOpsQueriesReachTheSources(t *testing.T) {
	f, base := newOpsServer(t, 1000, 1000)
	get := func(method, path string) {
		t.Helper()
		if resp, body := do(t, method, base+path, opsAdmin); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
		}
	}
	get("GET", "/health/detailed?history=720")
	get("GET", "/recovery/status?attempt=41")
	get("POST", "/event-store/cleanup?older_than_days=3&dry_run=true")
	get("GET", "/logs?level=WARN&since=2025-11-27T12:00:00.5Z&limit=7&correlation_id=abc&category=security")
	got := f.read()
	since := time.Date(2025, 11, 27, 12, 0, 0, 500_000_000, time.UTC)
	if got.history != 720 || got.attempt != 41 || got.cleanupDays != 3 || !got.cleanupDry {
		t.Errorf("history %d, attempt %d, cleanup %d days dry %v", got.history, got.attempt, got.cleanupDays, got.cleanupDry)
	}
	q := got.logQuery
	if q.MinLevel != slog.LevelWarn || !q.Since.Equal(since) || q.Limit != 7 || q.CorrelationID != "abc" || q.Category != "security" {
		t.Errorf("log query %+v", q)
	}
	get("GET", "/logs")
	get("POST", "/event-store/cleanup")
	if got := f.read(); got.logQuery.Limit != 100 || got.logQuery.MinLevel != slog.LevelInfo || got.cleanupDays != 0 || got.cleanupDry {
		t.Errorf("defaults: log query %+v, cleanup %d days dry %v", got.logQuery, got.cleanupDays, got.cleanupDry)
	}
}

func TestOpsRetryAfterOnThrottledAndUnavailable(t *testing.T) {
	f, base := newOpsServer(t, 1000, 1000)
	throttled := func(reason string, ms int) error {
		e := ws.NewError(ws.CodeRecoveryThrottled, map[string]any{"reason": reason}, "throttled")
		e.RetryAfterMs = ms
		return e
	}
	for _, c := range []struct {
		name   string
		err    error
		status int
		code   string
		retry  string // "" = no Retry-After
	}{
		{"cooldown", throttled("cooldown", 30_500), http.StatusConflict, "RECOVERY_THROTTLED", "31"},
		{"hourly limit", throttled("hourly_limit", 1_200_000), http.StatusTooManyRequests, "RECOVERY_THROTTLED", "1200"},
		{"disabled", throttled("disabled", 0), http.StatusConflict, "RECOVERY_THROTTLED", ""},
		{"queue full", ws.Unavailable("queue_full", 1), http.StatusServiceUnavailable, "UNAVAILABLE", "1"},
		{"in progress", ws.NewError(ws.CodeInProgress, nil, "running"), http.StatusConflict, "IN_PROGRESS", ""},
	} {
		f.set(func(f *opsFakes) { f.triggerErr = c.err })
		resp, body := do(t, "POST", base+"/recovery/trigger/memory_pressure", opsAdmin)
		wantError(t, resp, body, c.status, c.code)
		if got := resp.Header.Get("Retry-After"); got != c.retry {
			t.Errorf("%s: Retry-After %q, want %q", c.name, got, c.retry)
		}
	}
	// Protection mode refuses /logs and cleanups with 503 and Retry-After.
	f.set(func(f *opsFakes) { f.protection = true })
	for _, r := range []struct{ method, path string }{{"GET", "/logs"}, {"POST", "/event-store/cleanup"}} {
		resp, body := do(t, r.method, base+r.path, opsAdmin)
		wantError(t, resp, body, http.StatusServiceUnavailable, "UNAVAILABLE")
		retryAfter(t, resp)
	}
}

func TestOpsTriggerAnswers(t *testing.T) {
	f, base := newOpsServer(t, 1000, 1000)
	f.set(func(f *opsFakes) {
		f.answer = TriggerAnswer{Status: http.StatusAccepted, Body: map[string]any{"attempt_id": 9, "status": "running"},
			Location: "/recovery/status?attempt=9"}
	})
	req, _ := http.NewRequest("POST", base+"/recovery/trigger/room_state_corruption?wait=0&dry_run=false",
		strings.NewReader(`{"room_id":"K7MPQ3"}`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/recovery/status?attempt=9" {
		t.Fatalf("202 answer: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := f.read().trigger
	if got.Procedure != "room_state_corruption" || string(got.Body) != `{"room_id":"K7MPQ3"}` ||
		got.Query.Get("wait") != "0" || got.Query.Get("dry_run") != "false" {
		t.Errorf("trigger request %+v", got)
	}
}

func TestOpsRateLimitExemptions(t *testing.T) {
	_, base := newOpsServer(t, 1, 1)
	for _, path := range []string{"/livez", "/readyz", "/metrics", "/health", "/health/metrics"} {
		for i := range 5 {
			if resp, body := do(t, "GET", base+path, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s #%d: %d %s", path, i+1, resp.StatusCode, body)
			}
		}
	}
	// The one token of the bucket is still there for a limited route.
	if resp, body := do(t, "GET", base+"/recovery/status", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("first limited request: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/health/detailed", "/recovery/status", "/event-store/stats"} {
		resp, body := do(t, "GET", base+path, nil)
		wantError(t, resp, body, http.StatusTooManyRequests, "RATE_LIMITED")
		retryAfter(t, resp)
	}
}

func TestOpsHealthReadinessAndMetricsTypes(t *testing.T) {
	f, base := newOpsServer(t, 1000, 1000)
	for _, c := range []struct {
		healthy bool
		status  int
	}{{true, http.StatusOK}, {false, http.StatusServiceUnavailable}} {
		f.set(func(f *opsFakes) { f.healthy = c.healthy })
		if resp, body := do(t, "GET", base+"/health", nil); resp.StatusCode != c.status || !strings.Contains(string(body), "fake") {
			t.Errorf("/health with ok %v: %d %s, want %d and the body", c.healthy, resp.StatusCode, body, c.status)
		}
	}
	readyz := func(want int) map[string]ReadyCheck {
		t.Helper()
		resp, body := do(t, "GET", base+"/readyz", nil)
		var r struct {
			Status string                `json:"status"`
			Checks map[string]ReadyCheck `json:"checks"`
		}
		if resp.StatusCode != want || json.Unmarshal(body, &r) != nil || len(r.Checks) != 6 {
			t.Fatalf("/readyz: %d %s, want %d with six checks", resp.StatusCode, body, want)
		}
		return r.Checks
	}
	readyz(http.StatusOK)
	f.set(func(f *opsFakes) { f.protection = true })
	if c := readyz(http.StatusServiceUnavailable); c["protection"].Status != "fail" {
		t.Errorf("protection check %+v while protection mode is on", c["protection"])
	}
	f.set(func(f *opsFakes) {
		f.protection = false
		f.readiness["event_store"] = ReadyCheck{Status: "fail", Message: "degraded"}
	})
	if c := readyz(http.StatusServiceUnavailable); c["event_store"].Status != "fail" {
		t.Errorf("event_store check %+v", c["event_store"])
	}
	for _, path := range []string{"/metrics", "/health/metrics"} {
		resp, _ := do(t, "GET", base+path, nil)
		if ct := resp.Header.Get("Content-Type"); ct != metricsType {
			t.Errorf("GET %s: Content-Type %q, want %q", path, ct, metricsType)
		}
	}
}
