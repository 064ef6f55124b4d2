package monitor

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// HealthService is the seed's constant service name of GET /health.
const HealthService = "liap-tui-backend"

// HealthResponse is the body of GET /health (protocol §11.4).
type HealthResponse struct {
	Status          Level    `json:"status"`
	Timestamp       float64  `json:"timestamp"`
	UptimeSeconds   float64  `json:"uptime_seconds"`
	UptimeFormatted string   `json:"uptime_formatted"`
	Version         string   `json:"version"`
	Service         string   `json:"service"`
	CheckedAt       *float64 `json:"checked_at"`
}

// HTTPStatus is 200 for healthy and warning, 503 for critical and unknown.
func (r HealthResponse) HTTPStatus() int {
	if r.Status == LevelHealthy || r.Status == LevelWarning {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// HealthBody builds GET /health at now for a process started at start.
func (s *Snapshot) HealthBody(now, start time.Time, version string) HealthResponse {
	status, _ := s.Status(now)
	up := uptimeAt(now, start)
	return HealthResponse{
		Status:          status,
		Timestamp:       unixSeconds(now),
		UptimeSeconds:   secondsOf(up),
		UptimeFormatted: formatUptime(up),
		Version:         version,
		Service:         HealthService,
		CheckedAt:       s.checkedAt(),
	}
}

// DetailedResponse is the body of GET /health/detailed (protocol §11.5).
type DetailedResponse struct {
	Success bool           `json:"success"`
	Health  DetailedHealth `json:"health"`
}

// DetailedHealth is its health object; the raw parts were encoded when the
// snapshot was published.
type DetailedHealth struct {
	OverallStatus        Level           `json:"overall_status"`
	OverallMessage       string          `json:"overall_message"`
	CheckedAt            *float64        `json:"checked_at"`
	CheckIntervalSeconds float64         `json:"check_interval_seconds"`
	ConsecutiveHealthy   int             `json:"consecutive_healthy"`
	UptimeSeconds        float64         `json:"uptime_seconds"`
	Metrics              json.RawMessage `json:"metrics"`
	Checks               json.RawMessage `json:"checks"`
	Components           json.RawMessage `json:"components"`
	Trend                json.RawMessage `json:"trend"`
	// History is present only when asked for (query history).
	History *[]HistoryPoint `json:"history,omitempty"`
}

// HistoryPoint is one entry of health.history.
type HistoryPoint struct {
	Timestamp     float64  `json:"timestamp"`
	OverallStatus Level    `json:"overall_status"`
	Memory        *float64 `json:"memory"`
	CPU           *float64 `json:"cpu"`
	Disk          *float64 `json:"disk"`
	Connections   *float64 `json:"connections"`
	Pending       *float64 `json:"pending"`
}

// DetailedBody builds GET /health/detailed at now; history > 0 adds that
// many of the latest samples (at most the ring's size), oldest first.
func (s *Snapshot) DetailedBody(now, start time.Time, history int) DetailedResponse {
	status, message := s.Status(now)
	h := DetailedHealth{
		OverallStatus:        status,
		OverallMessage:       message,
		CheckedAt:            s.checkedAt(),
		CheckIntervalSeconds: secondsOf(s.IntervalAfter),
		ConsecutiveHealthy:   s.Streak,
		UptimeSeconds:        secondsOf(uptimeAt(now, start)),
		Metrics:              s.views.metrics,
		Checks:               s.views.checks,
		Components:           s.views.components,
		Trend:                s.views.trend,
	}
	if history > 0 {
		entries := s.History(history)
		points := make([]HistoryPoint, len(entries))
		for i := range entries {
			e := &entries[i]
			points[i] = HistoryPoint{
				Timestamp:     float64(e.UnixMs) / 1000,
				OverallStatus: e.Overall,
				Memory:        e.present(SeriesMemory),
				CPU:           e.present(SeriesCPU),
				Disk:          e.present(SeriesDisk),
				Connections:   e.present(SeriesConnections),
				Pending:       e.present(SeriesPending),
			}
		}
		h.History = &points
	}
	return DetailedResponse{Success: true, Health: h}
}

func (e *HistoryEntry) present(s Series) *float64 {
	if v, ok := e.Value(s); ok {
		return FiniteOrNil(v)
	}
	return nil
}

// seedSeries are the nine series of GET /health/metrics (obs §8.2,
// protocol §11.6), in their order.
var seedSeries = [...]struct{ name, help string }{
	{"liap_memory_usage_percent", "Memory use, 0-100 (of the cgroup limit when one is set)."},
	{"liap_cpu_usage_percent", "CPU use, 0-100."},
	{"liap_disk_usage_percent", "Use of the data directory's filesystem, 0-100."},
	{"liap_websocket_connections_total", "Open WebSocket connections (current)."},
	{"liap_websocket_pending_messages_total", "Messages in outbound queues (current)."},
	{"liap_rooms_total", "Live rooms (current)."},
	{"liap_active_games_total", "Live rooms with a game in progress."},
	{"liap_health_status", "Overall health: 0 healthy, 1 warning, 2 critical, 3 unknown."},
	{"liap_uptime_seconds", "Seconds since process start."},
}

// SeedMetricsText builds GET /health/metrics at now: the seed's nine
// gauges, NaN where the snapshot has no value.
func (s *Snapshot) SeedMetricsText(now, start time.Time) []byte {
	status, _ := s.Status(now)
	values := [len(seedSeries)]float64{
		s.Values[SeriesMemory], s.Values[SeriesCPU], s.Values[SeriesDisk],
		s.Values[SeriesConnections], s.Values[SeriesPending],
		s.Values[SeriesRooms], s.Values[SeriesActiveGames],
		float64(status.SeedCode()), secondsOf(uptimeAt(now, start)),
	}
	buf := make([]byte, 0, 1024)
	for i, series := range seedSeries {
		buf = fmt.Appendf(buf, "# HELP %s %s\n# TYPE %s gauge\n%s ", series.name, series.help, series.name, series.name)
		buf = appendSampleValue(buf, values[i])
		buf = append(buf, '\n')
	}
	return buf
}

// appendSampleValue writes v as the Prometheus text format does.
func appendSampleValue(buf []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	case math.IsInf(v, 1):
		return append(buf, "+Inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-Inf"...)
	default:
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	}
}

func (s *Snapshot) checkedAt() *float64 {
	if !s.Taken() {
		return nil
	}
	t := unixSeconds(s.TakenAt)
	return &t
}

// unixSeconds is the REST monitoring time: Unix seconds, millisecond
// precision (protocol §0.1).
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// uptimeAt is now − start truncated to milliseconds, so JSON shows 3600.4
// rather than float noise.
func uptimeAt(now, start time.Time) time.Duration {
	return max(now.Sub(start), 0).Truncate(time.Millisecond)
}

// secondsOf is d in seconds with millisecond precision, correctly rounded.
func secondsOf(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// formatUptime is HH:MM:SS with hours not wrapping at 24.
func formatUptime(d time.Duration) string {
	total := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", total/3600, total/60%60, total%60)
}
