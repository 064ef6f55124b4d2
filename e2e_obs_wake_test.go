package main

import (
	"path/filepath"
	"testing"
	"time"
)

// TestObsConnectionsThresholdWakesTheMonitor: with the connection warning
// at 2 and an interval of an hour, opening the second WebSocket wakes the
// monitor at once: a sample with trigger "connections" is published (the
// counter, the wake-up counter and /health/detailed's checked_at and
// websocket value all move) long before the next scheduled one.
func TestObsConnectionsThresholdWakesTheMonitor(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), e2eEnv(map[string]string{
		"LIAP_MONITOR_WEBSOCKET_CONNECTIONS_WARN": "2",
		"LIAP_MONITOR_INTERVAL_DEFAULT":           "1h",
		"LIAP_MONITOR_INTERVAL_MIN":               "1h",
		"LIAP_MONITOR_INTERVAL_MAX":               "1h",
		"LIAP_MONITOR_MIN_GAP":                    "10ms",
		"LIAP_CANARY_PERIOD":                      "0", // no canary wake-ups
	}), faultHooks{system: newObsSystem(40)})
	obsWaitSampled(t, srv)
	detailed := func() (checkedAt float64, connections float64) {
		_, d := obsJSON(t, srv, "/health/detailed")
		h := d["health"].(map[string]any)
		ws := h["metrics"].(map[string]any)["websocket"].(map[string]any)
		checkedAt, _ = h["checked_at"].(float64)
		connections, _ = ws["value"].(map[string]any)["connections"].(float64)
		return checkedAt, connections
	}
	firstAt, _ := detailed()
	before := obsFamilies(t, obsScrape(t, srv, "/metrics"))
	if n := obsCounter(before, "liaptui_monitor_samples_total", map[string]string{"trigger": "connections"}); n != 0 {
		t.Fatalf("%v samples with trigger connections before any connection", n)
	}

	e2eDial(t, srv.addr)
	e2eDial(t, srv.addr)
	e2eWaitFor(t, 10*time.Second, "a sample woken by the second connection", func() bool {
		f := obsFamilies(t, obsScrape(t, srv, "/metrics"))
		return obsCounter(f, "liaptui_monitor_samples_total", map[string]string{"trigger": "connections"}) >= 1
	})
	after := obsFamilies(t, obsScrape(t, srv, "/metrics"))
	if n := obsCounter(after, "liaptui_monitor_wakeups_total", map[string]string{"reason": "connections"}); n < 1 {
		t.Errorf("liaptui_monitor_wakeups_total{reason=connections} = %v after the crossing", n)
	}
	at, connections := detailed()
	if at <= firstAt || connections != 2 {
		t.Errorf("/health/detailed after the wake: checked_at %v (first sample %v), connections %v, want a later sample seeing 2",
			at, firstAt, connections)
	}
	if status, _ := obsStatus(t, srv); status != "warning" {
		t.Errorf("/health status %q with 2 connections at a warning threshold of 2", status)
	}
}
