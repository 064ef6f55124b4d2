package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/game"
	"liaptui/room"
)

// canaryReadiness is /readyz's code and canary check.
func canaryReadiness(t *testing.T, srv *e2eServer) (int, map[string]any) {
	t.Helper()
	code, body := obsJSON(t, srv, "/readyz")
	checks, _ := body["checks"].(map[string]any)
	check, _ := checks["canary"].(map[string]any)
	return code, check
}

// canaryMetric is the canary entry of /health/detailed's health.metrics.
func canaryMetric(t *testing.T, srv *e2eServer) map[string]any {
	t.Helper()
	_, body := obsJSON(t, srv, "/health/detailed")
	h, _ := body["health"].(map[string]any)
	metrics, _ := h["metrics"].(map[string]any)
	m, _ := metrics["canary"].(map[string]any)
	return m
}

// canaryRuns is liaptui_canary_runs_total{outcome} from /metrics.
func canaryRuns(t *testing.T, srv *e2eServer, outcome string) float64 {
	t.Helper()
	return obsCounter(obsFamilies(t, obsScrape(t, srv, "/metrics")), "liaptui_canary_runs_total",
		map[string]string{"outcome": outcome})
}

// TestCanaryFeedsReadiness (observability §9.3, §10 "Canary"): passing
// canary games make /readyz's canary check ok and /health/detailed's canary
// metric passed. Then a rule violation injected into the canary rooms (a
// score bumped after each round_scored, which rules §14 do not give) fails
// every run: after 2 consecutive failures canary:game is critical, /readyz
// answers 503 with the canary check failing, _system holds canary_failed
// events naming the violation and liaptui_canary_runs_total{outcome="fail"}
// counts them.
func TestCanaryFeedsReadiness(t *testing.T) {
	var violate atomic.Bool
	faults := &room.Faults{AfterApply: func(id string, ev game.Event, next *game.State) {
		if violate.Load() && strings.HasPrefix(id, "_canary:") && ev.Type() == "round_scored" {
			next.Seats[0].Score++
		}
	}}
	dataDir := filepath.Join(t.TempDir(), "data")
	// Two failing runs lie one period apart and each wakes the monitor; the
	// period is long enough that they fail before the "no pass for 3
	// periods" rule would.
	srv := e2eStart(t, dataDir, obsFastEnv(map[string]string{"LIAP_CANARY_PERIOD": "2s"}),
		faultHooks{rooms: faults, system: newObsSystem(40)})

	e2eWaitFor(t, 20*time.Second, "a passing canary in /readyz and /health/detailed", func() bool {
		code, check := canaryReadiness(t, srv)
		m := canaryMetric(t, srv)
		value, _ := m["value"].(map[string]any)
		return code == http.StatusOK && check["status"] == "ok" && m["status"] == "healthy" && value["passed"] == true
	})
	if passes := canaryRuns(t, srv, "pass"); passes < 1 {
		t.Fatalf("liaptui_canary_runs_total{outcome=\"pass\"} is %v after a pass", passes)
	}
	failsBefore := canaryRuns(t, srv, "fail")
	if failsBefore != 0 {
		t.Fatalf("%v canary failures before any violation", failsBefore)
	}

	violate.Store(true)
	var check map[string]any
	e2eWaitFor(t, 20*time.Second, "/readyz 503 with the canary check failing", func() bool {
		var code int
		code, check = canaryReadiness(t, srv)
		return code == http.StatusServiceUnavailable && check["status"] == "fail"
	})
	if msg, _ := check["message"].(string); !strings.Contains(msg, "2 consecutive failures") {
		t.Fatalf("/readyz canary check %v, want the message to name 2 consecutive failures", check)
	}
	obsCheckReadyz(t, srv, http.StatusServiceUnavailable, "not_ready")
	m := canaryMetric(t, srv)
	if value, _ := m["value"].(map[string]any); m["status"] != "critical" || value["passed"] != false {
		t.Fatalf("/health/detailed canary metric %v, want critical and not passed", m)
	}
	if fails := canaryRuns(t, srv, "fail"); fails < failsBefore+2 {
		t.Fatalf("liaptui_canary_runs_total{outcome=\"fail\"} moved from %v to %v, want at least 2 more", failsBefore, fails)
	}
	var failed []shutSystemEvent
	e2eWaitFor(t, 10*time.Second, "two canary_failed events in _system", func() bool {
		failed = failed[:0]
		for _, e := range shutSystemEvents(t, srv.addr, dataDir) {
			if e.Type == "canary_failed" {
				failed = append(failed, e)
			}
		}
		return len(failed) >= 2
	})
	for _, e := range failed {
		t.Logf("canary_failed run %v after %v ms", e.Payload["run"], e.Payload["duration_ms"])
		if reason, _ := e.Payload["reason"].(string); !strings.Contains(reason, "rules §14") || e.Payload["run"] == nil {
			t.Fatalf("canary_failed %v, want its run and a reason naming the score rule", e.Payload)
		}
	}
}
