package monitor

import dto "github.com/prometheus/client_model/go"

type metricCatalogueEntry struct {
	name   string
	kind   dto.MetricType
	labels []string
}

var (
	kindCounter   = dto.MetricType_COUNTER
	kindGauge     = dto.MetricType_GAUGE
	kindHistogram = dto.MetricType_HISTOGRAM
)

// metricCatalogue is observability §8.1, written out independently of metrics.go.
var metricCatalogue = []metricCatalogueEntry{
	{"liaptui_build_info", kindGauge, []string{"version", "revision", "goversion"}},
	{"liaptui_health_status", kindGauge, []string{"check", "state"}},
	{"liaptui_health_transitions_total", kindCounter, []string{"check", "to"}},
	{"liaptui_monitor_samples_total", kindCounter, []string{"trigger", "outcome"}},
	{"liaptui_monitor_sample_duration_seconds", kindHistogram, nil},
	{"liaptui_monitor_interval_seconds", kindGauge, nil},
	{"liaptui_monitor_wakeups_total", kindCounter, []string{"reason"}},
	{"liaptui_system_cpu_utilization_ratio", kindGauge, nil},
	{"liaptui_system_memory_utilization_ratio", kindGauge, nil},
	{"liaptui_system_memory_used_bytes", kindGauge, nil},
	{"liaptui_system_memory_limit_bytes", kindGauge, nil},
	{"liaptui_data_disk_utilization_ratio", kindGauge, nil},
	{"liaptui_data_disk_free_bytes", kindGauge, nil},
	{"liaptui_ws_connections", kindGauge, nil},
	{"liaptui_ws_connections_opened_total", kindCounter, nil},
	{"liaptui_ws_connections_closed_total", kindCounter, []string{"reason"}},
	{"liaptui_ws_outbound_pending_frames", kindGauge, nil},
	{"liaptui_ws_frames_delivered_total", kindCounter, nil},
	{"liaptui_ws_frames_late_total", kindCounter, nil},
	{"liaptui_ws_frames_failed_total", kindCounter, []string{"reason"}},
	{"liaptui_ws_frames_coalesced_total", kindCounter, nil},
	{"liaptui_ws_frames_received_total", kindCounter, nil},
	{"liaptui_ws_send_latency_seconds", kindHistogram, nil},
	{"liaptui_ws_commands_total", kindCounter, []string{"command", "outcome"}},
	{"liaptui_ws_command_duration_seconds", kindHistogram, []string{"command"}},
	{"liaptui_ws_errors_total", kindCounter, []string{"code"}},
	{"liaptui_ws_resyncs_total", kindCounter, []string{"mode"}},
	{"liaptui_rooms", kindGauge, []string{"state"}},
	{"liaptui_players", kindGauge, []string{"kind"}},
	{"liaptui_games_started_total", kindCounter, nil},
	{"liaptui_games_finished_total", kindCounter, []string{"outcome"}},
	{"liaptui_room_events_total", kindCounter, []string{"type"}},
	{"liaptui_room_actor_panics_total", kindCounter, nil},
	{"liaptui_room_rebuilds_total", kindCounter, []string{"trigger"}},
	{"liaptui_room_invariant_failures_total", kindCounter, nil},
	{"liaptui_rooms_stuck", kindGauge, nil},
	{"liaptui_replay_duration_seconds", kindHistogram, []string{"reason"}},
	{"liaptui_canary_runs_total", kindCounter, []string{"outcome"}},
	{"liaptui_canary_duration_seconds", kindHistogram, nil},
	{"liaptui_canary_last_success_timestamp_seconds", kindGauge, nil},
	{"liaptui_store_append_duration_seconds", kindHistogram, nil},
	{"liaptui_store_commit_duration_seconds", kindHistogram, nil},
	{"liaptui_store_batch_events", kindHistogram, nil},
	{"liaptui_store_events_appended_total", kindCounter, []string{"stream"}},
	{"liaptui_store_append_errors_total", kindCounter, []string{"reason"}},
	{"liaptui_store_queue_depth", kindGauge, nil},
	{"liaptui_store_read_duration_seconds", kindHistogram, []string{"op"}},
	{"liaptui_store_db_size_bytes", kindGauge, nil},
	{"liaptui_store_wal_size_bytes", kindGauge, nil},
	{"liaptui_store_cleanup_runs_total", kindCounter, []string{"trigger"}},
	{"liaptui_store_cleanup_deleted_events_total", kindCounter, nil},
	{"liaptui_recovery_attempts_total", kindCounter, []string{"procedure", "outcome"}},
	{"liaptui_recovery_rejections_total", kindCounter, []string{"procedure", "reason"}},
	{"liaptui_recovery_duration_seconds", kindHistogram, []string{"procedure"}},
	{"liaptui_recovery_protection_active", kindGauge, nil},
	{"liaptui_recovery_protection_refusals_total", kindCounter, []string{"what"}},
	{"liaptui_alerts_total", kindCounter, []string{"outcome"}},
	{"liaptui_alert_queue_depth", kindGauge, nil},
	{"liaptui_log_records_total", kindCounter, []string{"level"}},
	{"liaptui_log_sink_errors_total", kindCounter, []string{"sink"}},
	{"liaptui_slow_operations_total", kindCounter, []string{"op"}},
	{"liaptui_http_requests_total", kindCounter, []string{"method", "route", "code"}},
	{"liaptui_http_request_duration_seconds", kindHistogram, []string{"method", "route"}},
	{"liaptui_service_restarts_total", kindCounter, []string{"service"}},
}
