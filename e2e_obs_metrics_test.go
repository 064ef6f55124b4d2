package main

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// obsCatalogue is observability §8.1: the 64 liaptui_ families with their
// types and label names, copied from the specification.
var obsCatalogue = []struct {
	name, kind string
	labels     []string
}{
	{"liaptui_build_info", "gauge", []string{"version", "revision", "goversion"}},
	{"liaptui_health_status", "gauge", []string{"check", "state"}},
	{"liaptui_health_transitions_total", "counter", []string{"check", "to"}},
	{"liaptui_monitor_samples_total", "counter", []string{"trigger", "outcome"}},
	{"liaptui_monitor_sample_duration_seconds", "histogram", nil},
	{"liaptui_monitor_interval_seconds", "gauge", nil},
	{"liaptui_monitor_wakeups_total", "counter", []string{"reason"}},
	{"liaptui_system_cpu_utilization_ratio", "gauge", nil},
	{"liaptui_system_memory_utilization_ratio", "gauge", nil},
	{"liaptui_system_memory_used_bytes", "gauge", nil},
	{"liaptui_system_memory_limit_bytes", "gauge", nil},
	{"liaptui_data_disk_utilization_ratio", "gauge", nil},
	{"liaptui_data_disk_free_bytes", "gauge", nil},
	{"liaptui_ws_connections", "gauge", nil},
	{"liaptui_ws_connections_opened_total", "counter", nil},
	{"liaptui_ws_connections_closed_total", "counter", []string{"reason"}},
	{"liaptui_ws_outbound_pending_frames", "gauge", nil},
	{"liaptui_ws_frames_delivered_total", "counter", nil},
	{"liaptui_ws_frames_late_total", "counter", nil},
	{"liaptui_ws_frames_failed_total", "counter", []string{"reason"}},
	{"liaptui_ws_frames_coalesced_total", "counter", nil},
	{"liaptui_ws_frames_received_total", "counter", nil},
	{"liaptui_ws_send_latency_seconds", "histogram", nil},
	{"liaptui_ws_commands_total", "counter", []string{"command", "outcome"}},
	{"liaptui_ws_command_duration_seconds", "histogram", []string{"command"}},
	{"liaptui_ws_errors_total", "counter", []string{"code"}},
	{"liaptui_ws_resyncs_total", "counter", []string{"mode"}},
	{"liaptui_rooms", "gauge", []string{"state"}},
	{"liaptui_players", "gauge", []string{"kind"}},
	{"liaptui_games_started_total", "counter", nil},
	{"liaptui_games_finished_total", "counter", []string{"outcome"}},
	{"liaptui_room_events_total", "counter", []string{"type"}},
	{"liaptui_room_actor_panics_total", "counter", nil},
	{"liaptui_room_rebuilds_total", "counter", []string{"trigger"}},
	{"liaptui_room_invariant_failures_total", "counter", nil},
	{"liaptui_rooms_stuck", "gauge", nil},
	{"liaptui_replay_duration_seconds", "histogram", []string{"reason"}},
	{"liaptui_canary_runs_total", "counter", []string{"outcome"}},
	{"liaptui_canary_duration_seconds", "histogram", nil},
	{"liaptui_canary_last_success_timestamp_seconds", "gauge", nil},
	{"liaptui_store_append_duration_seconds", "histogram", nil},
	{"liaptui_store_commit_duration_seconds", "histogram", nil},
	{"liaptui_store_batch_events", "histogram", nil},
	{"liaptui_store_events_appended_total", "counter", []string{"stream"}},
	{"liaptui_store_append_errors_total", "counter", []string{"reason"}},
	{"liaptui_store_queue_depth", "gauge", nil},
	{"liaptui_store_read_duration_seconds", "histogram", []string{"op"}},
	{"liaptui_store_db_size_bytes", "gauge", nil},
	{"liaptui_store_wal_size_bytes", "gauge", nil},
	{"liaptui_store_cleanup_runs_total", "counter", []string{"trigger"}},
	{"liaptui_store_cleanup_deleted_events_total", "counter", nil},
	{"liaptui_recovery_attempts_total", "counter", []string{"procedure", "outcome"}},
	{"liaptui_recovery_rejections_total", "counter", []string{"procedure", "reason"}},
	{"liaptui_recovery_duration_seconds", "histogram", []string{"procedure"}},
	{"liaptui_recovery_protection_active", "gauge", nil},
	{"liaptui_recovery_protection_refusals_total", "counter", []string{"what"}},
	{"liaptui_alerts_total", "counter", []string{"outcome"}},
	{"liaptui_alert_queue_depth", "gauge", nil},
	{"liaptui_log_records_total", "counter", []string{"level"}},
	{"liaptui_log_sink_errors_total", "counter", []string{"sink"}},
	{"liaptui_slow_operations_total", "counter", []string{"op"}},
	{"liaptui_http_requests_total", "counter", []string{"method", "route", "code"}},
	{"liaptui_http_request_duration_seconds", "histogram", []string{"method", "route"}},
	{"liaptui_service_restarts_total", "counter", []string{"service"}},
}

// obsSeedNames are the nine series of /health/metrics, in order (§11.6).
var obsSeedNames = []string{"liap_memory_usage_percent", "liap_cpu_usage_percent", "liap_disk_usage_percent",
	"liap_websocket_connections_total", "liap_websocket_pending_messages_total", "liap_rooms_total",
	"liap_active_games_total", "liap_health_status", "liap_uptime_seconds"}

// obsMetricsType is the content type of both metrics bodies (protocol §11.1).
const obsMetricsType = "text/plain; version=0.0.4; charset=utf-8"

// obsScrape GETs a metrics route, checks its content type and final
// newline, and returns the body.
func obsScrape(t *testing.T, srv *e2eServer, path string) []byte {
	t.Helper()
	resp, body := e2eGet(t, "http://"+srv.addr+path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != obsMetricsType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, obsMetricsType)
	}
	if !bytes.HasSuffix(body, []byte("\n")) {
		t.Errorf("GET %s: the body does not end with a newline", path)
	}
	return body
}

// obsFamilies parses a scrape of /metrics.
func obsFamilies(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// obsCounter sums a family's samples whose labels include want.
func obsCounter(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	sum := 0.0
	for _, m := range families[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if match {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestObsMetricsCatalogue: /metrics of the wired server, after a game was
// played, passes promlint with no problem, holds every family of the
// catalogue with its type and labels, the go_* and process_* collectors,
// and nothing else; no label names a room or a player. /health/metrics
// holds exactly the nine seed series, in order, with HELP and TYPE lines.
func TestObsMetricsCatalogue(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), obsFastEnv(nil), faultHooks{system: newObsSystem(40)})
	obsWaitSampled(t, srv)
	cs := e2eHumanRoom(t, srv.addr, "Ana")
	e2eDrive(t, srv.addr, cs, 400, func(v map[string]any) bool { return v["phase"] == "turn" })

	body := obsScrape(t, srv, "/metrics")
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	families := obsFamilies(t, body)
	catalogued := map[string]bool{}
	for _, c := range obsCatalogue {
		catalogued[c.name] = true
		f, ok := families[c.name]
		if !ok {
			t.Errorf("%s missing from /metrics", c.name)
			continue
		}
		if got := strings.ToLower(f.GetType().String()); got != c.kind {
			t.Errorf("%s is a %s, want a %s", c.name, got, c.kind)
		}
		if len(f.GetMetric()) == 0 {
			t.Errorf("%s has no series", c.name)
		}
		for _, m := range f.GetMetric() {
			var names []string
			for _, l := range m.GetLabel() {
				names = append(names, l.GetName())
			}
			if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(c.labels))) {
				t.Errorf("%s has labels %v, want %v", c.name, names, c.labels)
				break
			}
		}
	}
	if len(obsCatalogue) != 64 {
		t.Fatalf("the test's catalogue has %d families, want 64", len(obsCatalogue))
	}
	var goFamilies, processFamilies int
	for name, f := range families {
		switch {
		case strings.HasPrefix(name, "go_"):
			goFamilies++
		case strings.HasPrefix(name, "process_"):
			processFamilies++
		case !catalogued[name]:
			t.Errorf("/metrics exposes %s, which is not in the catalogue", name)
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "room_id" || l.GetName() == "player_id" {
					t.Errorf("%s has a %s label", name, l.GetName())
				}
			}
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", "process_resident_memory_bytes"} {
		if _, ok := families[name]; !ok {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	if goFamilies == 0 || processFamilies == 0 {
		t.Errorf("/metrics has %d go_* and %d process_* families", goFamilies, processFamilies)
	}
	if obsCounter(families, "liaptui_games_started_total", nil) < 1 {
		t.Errorf("liaptui_games_started_total did not count the game")
	}

	seed := string(obsScrape(t, srv, "/health/metrics"))
	var want strings.Builder
	lines := strings.Split(strings.TrimSuffix(seed, "\n"), "\n")
	if len(lines) != 3*len(obsSeedNames) {
		t.Fatalf("/health/metrics has %d lines, want %d:\n%s", len(lines), 3*len(obsSeedNames), seed)
	}
	for i, name := range obsSeedNames {
		help, typ, sample := lines[3*i], lines[3*i+1], lines[3*i+2]
		if !strings.HasPrefix(help, "# HELP "+name+" ") || typ != "# TYPE "+name+" gauge" ||
			!strings.HasPrefix(sample, name+" ") || strings.Contains(sample, "{") {
			fmt.Fprintf(&want, "series %d: %q / %q / %q, want %s with HELP, TYPE gauge and no labels\n", i+1, help, typ, sample, name)
		}
	}
	if want.Len() > 0 {
		t.Errorf("/health/metrics:\n%s", want.String())
	}
}
