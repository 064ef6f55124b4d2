package monitor

import (
	"net/http"
	"runtime"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// BuildInfo labels liaptui_build_info.
type BuildInfo struct{ Version, Revision, GoVersion string }

// Metrics is the project's metric catalogue (observability §8.1) on a
// registry of its own. Field names are the metric names without the
// liaptui_ prefix and the _total suffix, in CamelCase; label order is the
// catalogue's. Every gauge is set by its owner where the value changes, or by
// the monitor after a sample.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	BuildInfo                    *prometheus.GaugeVec // version, revision, goversion
	HealthStatus                 *prometheus.GaugeVec // check, state
	HealthTransitions            *prometheus.CounterVec
	MonitorSamples               *prometheus.CounterVec // trigger, outcome
	MonitorSampleDurationSeconds prometheus.Histogram
	MonitorIntervalSeconds       prometheus.Gauge
	MonitorWakeups               *prometheus.CounterVec // reason

	SystemCpuUtilizationRatio    prometheus.Gauge
	SystemMemoryUtilizationRatio prometheus.Gauge
	SystemMemoryUsedBytes        prometheus.Gauge
	SystemMemoryLimitBytes       prometheus.Gauge
	DataDiskUtilizationRatio     prometheus.Gauge
	DataDiskFreeBytes            prometheus.Gauge

	WsConnections            prometheus.Gauge
	WsConnectionsOpened      prometheus.Counter
	WsConnectionsClosed      *prometheus.CounterVec // reason
	WsOutboundPendingFrames  prometheus.Gauge
	WsFramesDelivered        prometheus.Counter
	WsFramesLate             prometheus.Counter
	WsFramesFailed           *prometheus.CounterVec // reason
	WsFramesCoalesced        prometheus.Counter
	WsFramesReceived         prometheus.Counter
	WsSendLatencySeconds     prometheus.Histogram
	WsCommands               *prometheus.CounterVec   // command, outcome
	WsCommandDurationSeconds *prometheus.HistogramVec // command
	WsErrors                 *prometheus.CounterVec   // code
	WsResyncs                *prometheus.CounterVec   // mode

	Rooms                 *prometheus.GaugeVec // state
	Players               *prometheus.GaugeVec // kind
	GamesStarted          prometheus.Counter
	GamesFinished         *prometheus.CounterVec // outcome
	RoomEvents            *prometheus.CounterVec // type
	RoomActorPanics       prometheus.Counter
	RoomRebuilds          *prometheus.CounterVec // trigger
	RoomInvariantFailures prometheus.Counter
	RoomsStuck            prometheus.Gauge
	ReplayDurationSeconds *prometheus.HistogramVec // reason

	CanaryRuns                        *prometheus.CounterVec // outcome
	CanaryDurationSeconds             prometheus.Histogram
	CanaryLastSuccessTimestampSeconds prometheus.Gauge

	StoreAppendDurationSeconds prometheus.Histogram
	StoreCommitDurationSeconds prometheus.Histogram
	StoreBatchEvents           prometheus.Histogram
	StoreEventsAppended        *prometheus.CounterVec // stream
	StoreAppendErrors          *prometheus.CounterVec // reason
	StoreQueueDepth            prometheus.Gauge
	StoreReadDurationSeconds   *prometheus.HistogramVec // op
	StoreDbSizeBytes           prometheus.Gauge
	StoreWalSizeBytes          prometheus.Gauge
	StoreCleanupRuns           *prometheus.CounterVec // trigger
	StoreCleanupDeletedEvents  prometheus.Counter

	RecoveryAttempts           *prometheus.CounterVec   // procedure, outcome
	RecoveryRejections         *prometheus.CounterVec   // procedure, reason
	RecoveryDurationSeconds    *prometheus.HistogramVec // procedure
	RecoveryProtectionActive   prometheus.Gauge
	RecoveryProtectionRefusals *prometheus.CounterVec // what

	Alerts          *prometheus.CounterVec // outcome
	AlertQueueDepth prometheus.Gauge
	LogRecords      *prometheus.CounterVec // level
	LogSinkErrors   *prometheus.CounterVec // sink
	SlowOperations  *prometheus.CounterVec // op

	HttpRequests               *prometheus.CounterVec   // method, route, code
	HttpRequestDurationSeconds *prometheus.HistogramVec // method, route
	ServiceRestarts            *prometheus.CounterVec   // service
}

// LatencyBuckets are the buckets of every latency histogram (§8.1), seconds.
var LatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// CanaryBuckets span a canary game, 0.1 s to its 30 s limit.
var CanaryBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30}

// BatchBuckets count events per group commit: 1, 2, 4 … 256.
var BatchBuckets = prometheus.ExponentialBuckets(1, 2, 9)

// NewMetrics builds the catalogue on a fresh registry, together with the Go
// runtime and process collectors, every labelled series pre-created.
func NewMetrics(build BuildInfo) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	b := metricsBuilder{reg: reg}
	m := &Metrics{
		reg: reg,
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			// Scrapers asking for protobuf or OpenMetrics still get the
			// text format the protocol promises (protocol §11.8).
			AcceptedFormats: []expfmt.Format{expfmt.FmtText},
			ErrorHandling:   promhttp.ContinueOnError,
		}),

		BuildInfo: b.gaugeVec("liaptui_build_info", "Build information; constant 1.",
			metricLabel{"version", nil}, metricLabel{"revision", nil}, metricLabel{"goversion", nil}),
		HealthStatus: b.gaugeVec("liaptui_health_status",
			"Reported state per check, component and overall; 1 for the current state, 0 otherwise.",
			metricLabel{"check", HealthSubjects}, metricLabel{"state", HealthStates}),
		HealthTransitions: b.counterVec("liaptui_health_transitions_total", "Reported status changes.",
			metricLabel{"check", HealthSubjects}, metricLabel{"to", HealthStates}),
		MonitorSamples: b.counterVec("liaptui_monitor_samples_total", "Monitor samples taken.",
			metricLabel{"trigger", SampleTriggers}, metricLabel{"outcome", SampleOutcomes}),
		MonitorSampleDurationSeconds: b.histogram("liaptui_monitor_sample_duration_seconds",
			"Wall time of one sample.", LatencyBuckets),
		MonitorIntervalSeconds: b.gauge("liaptui_monitor_interval_seconds", "Current adaptive interval."),
		MonitorWakeups: b.counterVec("liaptui_monitor_wakeups_total", "Event-driven wake-ups requested.",
			metricLabel{"reason", WakeReasons}),

		SystemCpuUtilizationRatio: b.gauge("liaptui_system_cpu_utilization_ratio",
			"CPU use of the available capacity, 0–1."),
		SystemMemoryUtilizationRatio: b.gauge("liaptui_system_memory_utilization_ratio",
			"Memory used over the effective limit, 0–1."),
		SystemMemoryUsedBytes: b.gauge("liaptui_system_memory_used_bytes",
			"Memory in use against the effective limit."),
		SystemMemoryLimitBytes: b.gauge("liaptui_system_memory_limit_bytes",
			"Effective limit: cgroup limit, else host total."),
		DataDiskUtilizationRatio: b.gauge("liaptui_data_disk_utilization_ratio",
			"Used share of the data directory's filesystem."),
		DataDiskFreeBytes: b.gauge("liaptui_data_disk_free_bytes", "Free bytes on that filesystem."),

		WsConnections:       b.gauge("liaptui_ws_connections", "Open WebSocket connections."),
		WsConnectionsOpened: b.counter("liaptui_ws_connections_opened_total", "Connections accepted."),
		WsConnectionsClosed: b.counterVec("liaptui_ws_connections_closed_total", "Connections closed (normal, replaced, hello_timeout, heartbeat_timeout, slow_consumer, write_error, bad_frame, internal, shutdown, stale).",
			metricLabel{"reason", WsCloseReasons}),
		WsOutboundPendingFrames: b.gauge("liaptui_ws_outbound_pending_frames", "Frames waiting in outbound queues."),
		WsFramesDelivered:       b.counter("liaptui_ws_frames_delivered_total", "Frames written to a socket."),
		WsFramesLate: b.counter("liaptui_ws_frames_late_total",
			"Delivered frames slower than the delivery deadline."),
		WsFramesFailed: b.counterVec("liaptui_ws_frames_failed_total", "Frames never written (queue_full, write_error, discarded).",
			metricLabel{"reason", WsFrameFailures}),
		WsFramesCoalesced:    b.counter("liaptui_ws_frames_coalesced_total", "Queued frames superseded and removed."),
		WsFramesReceived:     b.counter("liaptui_ws_frames_received_total", "Inbound frames read."),
		WsSendLatencySeconds: b.histogram("liaptui_ws_send_latency_seconds", "Enqueue to completed write.", LatencyBuckets),
		WsCommands: b.counterVec("liaptui_ws_commands_total", "Commands handled (outcome ack, error).",
			metricLabel{"command", WsCommands}, metricLabel{"outcome", WsCommandOutcomes}),
		WsCommandDurationSeconds: b.histogramVec("liaptui_ws_command_duration_seconds", "Receipt to reply queued.",
			LatencyBuckets, metricLabel{"command", WsCommands}),
		WsErrors: b.counterVec("liaptui_ws_errors_total", "Error replies by protocol error code.",
			metricLabel{"code", WsErrorCodes}),
		WsResyncs: b.counterVec("liaptui_ws_resyncs_total", "Resyncs served (events, view).",
			metricLabel{"mode", WsResyncModes}),

		Rooms: b.gaugeVec("liaptui_rooms", "Live rooms (waiting, playing, finished); canary excluded.",
			metricLabel{"state", RoomStates}),
		Players: b.gaugeVec("liaptui_players", "Occupied seats (human_connected, human_away, bot).",
			metricLabel{"kind", PlayerKinds}),
		GamesStarted: b.counter("liaptui_games_started_total", "Games started."),
		GamesFinished: b.counterVec("liaptui_games_finished_total",
			"Started games ended: completed (game_over), or closed before it as abandoned or failed (the room_closed reason).",
			metricLabel{"outcome", GameOutcomes}),
		RoomEvents: b.counterVec("liaptui_room_events_total", "Room events appended by type.",
			metricLabel{"type", RoomEventTypes}),
		RoomActorPanics: b.counter("liaptui_room_actor_panics_total", "Actor panics recovered."),
		RoomRebuilds: b.counterVec("liaptui_room_rebuilds_total",
			"Actors rebuilt from the store (panic, corruption, startup).", metricLabel{"trigger", RoomRebuildTriggers}),
		RoomInvariantFailures: b.counter("liaptui_room_invariant_failures_total", "Failed invariant checks."),
		RoomsStuck:            b.gauge("liaptui_rooms_stuck", "Stuck rooms at the last sample."),
		ReplayDurationSeconds: b.histogramVec("liaptui_replay_duration_seconds",
			"Fold time of one stream (startup, rebuild, state, canary).", LatencyBuckets,
			metricLabel{"reason", ReplayReasons}),

		CanaryRuns: b.counterVec("liaptui_canary_runs_total", "Canary games (pass, fail, timeout).",
			metricLabel{"outcome", CanaryOutcomes}),
		CanaryDurationSeconds: b.histogram("liaptui_canary_duration_seconds", "Canary game wall time.", CanaryBuckets),
		CanaryLastSuccessTimestampSeconds: b.gauge("liaptui_canary_last_success_timestamp_seconds",
			"Unix time of the last pass."),

		StoreAppendDurationSeconds: b.histogram("liaptui_store_append_duration_seconds", "Submission to commit.",
			LatencyBuckets),
		StoreCommitDurationSeconds: b.histogram("liaptui_store_commit_duration_seconds",
			"One group-commit transaction.", LatencyBuckets),
		StoreBatchEvents: b.histogram("liaptui_store_batch_events", "Events per transaction (buckets 1, 2, 4 … 256).", BatchBuckets),
		StoreEventsAppended: b.counterVec("liaptui_store_events_appended_total",
			"Events committed (room, system, canary).", metricLabel{"stream", StoreStreams}),
		StoreAppendErrors: b.counterVec("liaptui_store_append_errors_total", "Failed appends (conflict, fenced, invalid, overloaded, unavailable, closed, io).",
			metricLabel{"reason", StoreAppendErrors}),
		StoreQueueDepth: b.gauge("liaptui_store_queue_depth", "Appends waiting for the writer."),
		StoreReadDurationSeconds: b.histogramVec("liaptui_store_read_duration_seconds",
			"Read-pool query time (ping, since, load, stats, cleanup).", LatencyBuckets, metricLabel{"op", StoreReadOps}),
		StoreDbSizeBytes:  b.gauge("liaptui_store_db_size_bytes", "Main database file size."),
		StoreWalSizeBytes: b.gauge("liaptui_store_wal_size_bytes", "WAL file size."),
		StoreCleanupRuns: b.counterVec("liaptui_store_cleanup_runs_total", "Retention runs (schedule, manual).",
			metricLabel{"trigger", CleanupTriggers}),
		StoreCleanupDeletedEvents: b.counter("liaptui_store_cleanup_deleted_events_total",
			"Events deleted by retention."),

		RecoveryAttempts: b.counterVec("liaptui_recovery_attempts_total",
			"Executed attempts (success, failure, timeout).",
			metricLabel{"procedure", ProcedureNames}, metricLabel{"outcome", RecoveryOutcomes}),
		RecoveryRejections: b.counterVec("liaptui_recovery_rejections_total", "Refused triggers (disabled, cooldown, hourly_limit, in_progress, queue_full).",
			metricLabel{"procedure", ProcedureNames}, metricLabel{"reason", RecoveryRejections}),
		RecoveryDurationSeconds: b.histogramVec("liaptui_recovery_duration_seconds", "Attempt duration.",
			LatencyBuckets, metricLabel{"procedure", ProcedureNames}),
		RecoveryProtectionActive: b.gauge("liaptui_recovery_protection_active", "1 while protection mode is on."),
		RecoveryProtectionRefusals: b.counterVec("liaptui_recovery_protection_refusals_total",
			"Requests refused by protection mode.", metricLabel{"what", ProtectionRefusals}),

		Alerts: b.counterVec("liaptui_alerts_total", "Webhook alerts (delivered, failed, dropped, deduplicated).",
			metricLabel{"outcome", AlertOutcomes}),
		AlertQueueDepth: b.gauge("liaptui_alert_queue_depth", "Alerts waiting."),
		LogRecords: b.counterVec("liaptui_log_records_total", "Log records emitted.",
			metricLabel{"level", LogLevels}),
		LogSinkErrors: b.counterVec("liaptui_log_sink_errors_total", "Sink write failures.",
			metricLabel{"sink", LogSinks}),
		SlowOperations: b.counterVec("liaptui_slow_operations_total", "Operations over their threshold.",
			metricLabel{"op", SlowOps}),

		HttpRequests: b.counterVec("liaptui_http_requests_total",
			"HTTP requests (route = echo route template, unmatched for 404s).",
			metricLabel{"method", nil}, metricLabel{"route", nil}, metricLabel{"code", nil}),
		HttpRequestDurationSeconds: b.histogramVec("liaptui_http_request_duration_seconds", "HTTP handling time.",
			LatencyBuckets, metricLabel{"method", nil}, metricLabel{"route", nil}),
		ServiceRestarts: b.counterVec("liaptui_service_restarts_total", "Supervised restarts after a failure.",
			metricLabel{"service", ServiceNames}),
	}

	goVersion := build.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	m.BuildInfo.WithLabelValues(build.Version, build.Revision, goVersion).Set(1)
	// Until its first known value every subject is reported unknown (§1.4).
	for _, subject := range HealthSubjects {
		m.SetHealthState(subject, "unknown")
	}
	return m
}

// Registry is the dedicated registry (never the global one).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves GET /metrics in text/plain; version=0.0.4.
func (m *Metrics) Handler() http.Handler { return m.handler }

// SetHealthState moves liaptui_health_status{check} to state: 1 for state,
// 0 for the other levels.
func (m *Metrics) SetHealthState(check, state string) {
	for _, level := range HealthStates {
		value := 0.0
		if level == state {
			value = 1
		}
		m.HealthStatus.WithLabelValues(check, level).Set(value)
	}
}

// PrecreateHTTP creates the HTTP series of every route known at wiring, so
// they exist before the first request: the duration histogram and the
// request counter with code 200.
func (m *Metrics) PrecreateHTTP(routes []struct{ Method, Route string }) {
	for _, r := range routes {
		m.HttpRequests.WithLabelValues(r.Method, r.Route, "200")
		m.HttpRequestDurationSeconds.WithLabelValues(r.Method, r.Route)
	}
}

// metricLabel is one label of a family and its closed value set (nil when the set
// is open and nothing is pre-created).
type metricLabel struct {
	name   string
	values []string
}

type metricsBuilder struct{ reg *prometheus.Registry }

func (b metricsBuilder) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	b.reg.MustRegister(c)
	return c
}

func (b metricsBuilder) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	b.reg.MustRegister(g)
	return g
}

func (b metricsBuilder) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	b.reg.MustRegister(h)
	return h
}

func (b metricsBuilder) counterVec(name, help string, labels ...metricLabel) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, metricLabelNames(labels))
	b.reg.MustRegister(v)
	precreateSeries(v.WithLabelValues, labels)
	return v
}

func (b metricsBuilder) gaugeVec(name, help string, labels ...metricLabel) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, metricLabelNames(labels))
	b.reg.MustRegister(v)
	precreateSeries(v.WithLabelValues, labels)
	return v
}

func (b metricsBuilder) histogramVec(name, help string, buckets []float64, labels ...metricLabel) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets},
		metricLabelNames(labels))
	b.reg.MustRegister(v)
	precreateSeries(v.WithLabelValues, labels)
	return v
}

func metricLabelNames(labels []metricLabel) []string {
	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = l.name
	}
	return names
}

// precreateSeries creates the series of every combination of the labels' values;
// a label with an open set (nil values) yields no combination.
func precreateSeries[T any](with func(...string) T, labels []metricLabel) {
	combo := make([]string, len(labels))
	var walk func(i int)
	walk = func(i int) {
		if i == len(labels) {
			with(slices.Clone(combo)...)
			return
		}
		for _, v := range labels[i].values {
			combo[i] = v
			walk(i + 1)
		}
	}
	walk(0)
}
