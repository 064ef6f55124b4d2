package monitor

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Log categories of observability §7.3: the value of every line's category.
const (
	CategoryGame        = "game"
	CategoryWebSocket   = "websocket"
	CategoryPerformance = "performance"
	CategorySecurity    = "security"
	CategoryError       = "error"
	CategorySystem      = "system"
)

// Components of observability §7.1: the value of every line's component.
const (
	ComponentMain     = "main"
	ComponentHTTP     = "http"
	ComponentHub      = "hub"
	ComponentRoom     = "room"
	ComponentStore    = "store"
	ComponentMonitor  = "monitor"
	ComponentRecovery = "recovery"
	ComponentCanary   = "canary"
	ComponentAlert    = "alert"
)

// Severities of security lines; high ones are alerted (§7.2).
const (
	SeverityLow    = "low"
	SeverityMedium = "medium"
	SeverityHigh   = "high"
)

// Log field names the chain itself reads.
const (
	logKeyCategory      = "category"
	logKeyComponent     = "component"
	logKeyCorrelationID = "correlation_id"
	logKeyRoomID        = "room_id"
	logKeyPlayerID      = "player_id"
	logKeyConnID        = "conn_id"
	logKeySeverity      = "severity"
	logKeyAlertSuppress = "alert_suppress"
	logKeySuppressed    = "suppressed"
)

// Defaults of the log.* keys (observability §0) and of §7.2.
const (
	DefaultLogRingSize          = 5000
	DefaultLogRingBytes         = 8 << 20
	DefaultLogFileMaxBytes      = 100 << 20
	DefaultLogFileBackups       = 5
	DefaultSlowThreshold        = 100 * time.Millisecond
	DefaultWebhookSlowThreshold = 2 * time.Second
	webhookSlowOp               = "webhook"
)

// LogConfig configures the handler chain. The zero value is the default
// configuration: INFO to stdout and ring, no file, 5 000 records / 8 MiB ring.
type LogConfig struct {
	Level     slog.Level // log.level: stdout and file
	RingLevel slog.Level // log.ring_level
	File      string     // log.file; empty: no file sink
	RingSize  int        // log.ring_size, records
	RingBytes int        // encoded bytes the ring may hold
	// FileMaxBytes and FileBackups bound the file sink: file.log rotates to
	// file.log.1 … file.log.<FileBackups> when the next line would pass FileMaxBytes.
	FileMaxBytes int64
	FileBackups  int
	Stdout       io.Writer // nil: os.Stdout
	Stderr       io.Writer // nil: os.Stderr; receives sink failure notices
	// Slow holds log.slow.<op> thresholds; missing ops take 100 ms (webhook 2 s).
	Slow map[string]time.Duration
}

// LogHooks connect the chain to metrics and the alert notifier; nil
// functions are no-ops. All may be called concurrently and must not block.
type LogHooks struct {
	Record    func(level slog.Level)                   // liaptui_log_records_total{level}
	SinkError func(sink string)                        // liaptui_log_sink_errors_total{sink}
	Alert     func(ctx context.Context, r slog.Record) // enqueue to the notifier, never blocking
	Slow      func(op string)                          // liaptui_slow_operations_total{op}
}

func (c LogConfig) withDefaults() LogConfig {
	if c.RingSize <= 0 {
		c.RingSize = DefaultLogRingSize
	}
	if c.RingBytes <= 0 {
		c.RingBytes = DefaultLogRingBytes
	}
	if c.FileMaxBytes <= 0 {
		c.FileMaxBytes = DefaultLogFileMaxBytes
	}
	if c.FileBackups <= 0 {
		c.FileBackups = DefaultLogFileBackups
	}
	return c
}

func (h LogHooks) withDefaults() LogHooks {
	if h.Record == nil {
		h.Record = func(slog.Level) {}
	}
	if h.SinkError == nil {
		h.SinkError = func(string) {}
	}
	if h.Alert == nil {
		h.Alert = func(context.Context, slog.Record) {}
	}
	if h.Slow == nil {
		h.Slow = func(string) {}
	}
	return h
}

// slowThreshold is log.slow.<op>, else the default of observability §7.5.
func (c LogConfig) slowThreshold(op string) time.Duration {
	if d, ok := c.Slow[op]; ok && d > 0 {
		return d
	}
	if op == webhookSlowOp {
		return DefaultWebhookSlowThreshold
	}
	return DefaultSlowThreshold
}
