package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"liaptui/monitor"
)

// Benchmarks of the observability surface (issue 5): the /health and
// /metrics handlers of the wired server, and the CPU the monitor costs
// while healthy. Run with
//
//	go test -run '^$' -bench 'HealthHandler|MetricsHandler|ObsMonitor' -benchtime 2000x .

// benchObsServer wires the whole server over a temporary data directory
// with the real system collectors, takes one real sample and opens the
// API; nothing runs in the background (no scheduler, canary or hub loop).
func benchObsServer(b *testing.B) *server {
	b.Helper()
	cfg, err := parseServeConfig([]string{"-data_dir", b.TempDir(), "-admin.token", "bench-admin-token-0123456789abcdef"})
	if err != nil {
		b.Fatal(err)
	}
	obs, err := newObservability(cfg, io.Discard, monitor.WallClock{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := wire(ctx, cfg, obs, cfg.AdminToken)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.registry.Close(cctx); err != nil {
			b.Errorf("close rooms: %v", err)
		}
		if err := s.hub.Shutdown(cctx, time.Second); err != nil {
			b.Errorf("hub shutdown: %v", err)
		}
		if err := s.store.Close(cctx); err != nil {
			b.Errorf("close store: %v", err)
		}
		obs.logging.Close()
	})
	if _, err := s.monitor.Sample(ctx, monitor.TriggerStartup); err != nil {
		b.Fatal(err)
	}
	s.http.SetReady()
	return s
}

// benchObsRoute measures one GET through the echo handler with its whole
// middleware chain (request id, metrics, CORS, rate limit).
func benchObsRoute(b *testing.B, path string, ok ...int) {
	s := benchObsServer(b)
	h := s.http.Echo()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if code := rec.Code; code != ok[0] && (len(ok) < 2 || code != ok[1]) {
			b.Fatalf("GET %s: %d %s", path, code, rec.Body)
		}
	}
}

// BenchmarkHealthHandler is GET /health (503 is a valid answer when the
// machine running the benchmark is short of memory).
func BenchmarkHealthHandler(b *testing.B) {
	benchObsRoute(b, "/health", http.StatusOK, http.StatusServiceUnavailable)
}

// BenchmarkMetricsHandler is a full scrape of GET /metrics.
func BenchmarkMetricsHandler(b *testing.B) {
	benchObsRoute(b, "/metrics", http.StatusOK)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkObsMonitorCostWhileHealthy takes real samples (gopsutil and
// cgroup readings, the database ping, every check, the snapshot, history,
// trends and the per-sample gauges) and reports the process CPU time of
// one, and what that costs per hour of wall time at the 30 s default
// interval and at the 120 s interval a healthy monitor settles on.
func BenchmarkObsMonitorCostWhileHealthy(b *testing.B) {
	s := benchObsServer(b)
	ctx := context.Background()
	b.ResetTimer()
	before := cpuTime(b)
	for b.Loop() {
		if _, err := s.monitor.Sample(ctx, monitor.TriggerSchedule); err != nil {
			b.Fatal(err)
		}
	}
	perSample := float64(cpuTime(b)-before) / float64(b.N) / 1e9
	b.ReportMetric(perSample*1e6, "cpu-µs/sample")
	b.ReportMetric(perSample*3600/30, "cpu-s/h@30s")
	b.ReportMetric(perSample*3600/120, "cpu-s/h@120s")
}
