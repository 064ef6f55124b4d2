package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"

	"liaptui/monitor"
)

// version is the build version reported by /health and liaptui_build_info.
var version = "1.0.0"

// observability is what every layer logs, counts and alerts through.
type observability struct {
	clock    monitor.Clock
	logging  *monitor.Logging
	log      *slog.Logger
	metrics  *monitor.Metrics
	notifier *monitor.Notifier
}

func newObservability(cfg *serveConfig, out io.Writer, clock monitor.Clock) (*observability, error) {
	var level, ringLevel slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	if err := ringLevel.UnmarshalText([]byte(cfg.LogRingLevel)); err != nil {
		return nil, fmt.Errorf("log.ring_level: %w", err)
	}
	o := &observability{clock: clock, metrics: monitor.NewMetrics(monitor.BuildInfo{Version: version, Revision: revision()})}
	m := o.metrics
	logging, err := monitor.NewLogging(monitor.LogConfig{Level: level, RingLevel: ringLevel, File: cfg.LogFile,
		RingSize: cfg.LogRingSize, Stdout: out}, clock, monitor.LogHooks{
		Record:    func(l slog.Level) { m.LogRecords.WithLabelValues(strings.ToLower(l.String())).Inc() },
		SinkError: func(sink string) { m.LogSinkErrors.WithLabelValues(sink).Inc() },
		Slow:      func(op string) { m.SlowOperations.WithLabelValues(op).Inc() },
		// The notifier is built on the logger, so it is reached late.
		Alert: func(ctx context.Context, r slog.Record) {
			if o.notifier != nil {
				o.notifier.Notify(logAlert(r))
			}
		},
	})
	if err != nil {
		return nil, err
	}
	o.logging, o.log = logging, logging.Logger()
	o.notifier = monitor.NewNotifier(monitor.AlertConfig{URL: cfg.AlertWebhook, Service: "liaptui", Instance: cfg.Instance,
		Version: version, DedupWindow: cfg.AlertDedupWindow, QueueSize: cfg.AlertQueueSize,
		MaxPerMinute: cfg.AlertMaxPerMinute}, clock, o.log, monitor.AlertHooks{
		Outcome: func(outcome string) { m.Alerts.WithLabelValues(outcome).Inc() },
	})
	return o, nil
}

// component is the logger of one part of the server.
func (o *observability) component(name string) *slog.Logger { return o.log.With("component", name) }

// logAlert turns an alerted log record (ERROR, or a high-severity security
// line) into a webhook alert of kind log.
func logAlert(r slog.Record) monitor.Alert {
	a := monitor.Alert{Kind: monitor.AlertKindLog, Severity: monitor.AlertSeverityWarning, Message: r.Message}
	if r.Level >= slog.LevelError {
		a.Severity = monitor.AlertSeverityCritical
	}
	subject := ""
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "correlation_id":
			a.CorrelationID = at.Value.String()
		case "category", "component":
			if subject != "" {
				subject += "/"
			}
			subject += at.Value.String()
		case "error":
			a.Observed = at.Value.String()
		}
		return true
	})
	a.Subject = subject + ": " + r.Message
	return a
}

func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return "unknown"
}

// statusActions runs observability §4's actions for one reported-status
// change, in order: log, metric, _system event, webhook.
type statusActions struct {
	log      *monitor.Log
	metrics  *monitor.Metrics
	system   monitor.SystemEvents
	notifier *monitor.Notifier
	instance string
}

func (a statusActions) changed(c monitor.Change) {
	from, to := c.From.String(), c.To.String()
	a.metrics.SetHealthState(c.Subject, to)
	a.metrics.HealthTransitions.WithLabelValues(c.Subject, to).Inc()
	// The first sample turns every subject from its initial unknown into a
	// known state; only a first state worth attention is announced.
	if c.SampleSeq == 1 && c.From == monitor.LevelUnknown && c.To == monitor.LevelHealthy {
		return
	}
	ctx := monitor.WithCorrelationID(context.Background(), monitor.NewCorrelationID())
	value := jsonSafe(c.Value)
	a.log.HealthChanged(ctx, monitor.HealthChangeLine{Check: c.Subject, From: from, To: to, Value: value,
		Message: c.Message, SampleSeq: c.SampleSeq})
	a.system.AppendSystem(ctx, "health_status_changed", map[string]any{"check": c.Subject, "from": from, "to": to,
		"value": value, "message": c.Message, "sample_seq": c.SampleSeq})
	if c.Kind == monitor.ChangeOverall || c.To == monitor.LevelCritical || (c.Trend && c.To == monitor.LevelWarning) {
		severity := monitor.AlertSeverityWarning
		switch c.To {
		case monitor.LevelCritical, monitor.LevelUnknown:
			severity = monitor.AlertSeverityCritical
		case monitor.LevelHealthy:
			severity = monitor.AlertSeverityInfo
		}
		observed := "" // a subject without a value (overall, a component) shows from → to instead
		if value != nil {
			observed = fmt.Sprint(value)
		}
		a.notifier.Notify(monitor.Alert{Kind: monitor.AlertKindHealth, Severity: severity, Subject: c.Subject,
			From: from, To: to, Observed: observed, Message: c.Message, CorrelationID: monitor.CorrelationID(ctx),
			Resolution: c.To == monitor.LevelHealthy})
	}
}

// jsonSafe replaces non-finite numbers, which JSON cannot hold, by nil.
func jsonSafe(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil
	}
	return v
}
