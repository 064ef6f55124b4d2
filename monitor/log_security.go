package monitor

import (
	"context"
	"log/slog"
	"time"
)

// AuthKindAdmin is the AuthFailed kind of a rejected admin token; five
// from one address within a minute raise the line to severity high.
const AuthKindAdmin = "admin"

// AuthFailed logs a failed authentication of kind (AuthKindAdmin or the
// caller's name for it) from remote, rate-limited per address and severity.
func (lg *Log) AuthFailed(ctx context.Context, kind, remote string) {
	host := remoteHost(remote)
	severity := SeverityLow
	if kind == AuthKindAdmin {
		severity = SeverityMedium
		if lg.logging.admin.record(host) {
			severity = SeverityHigh
		}
	}
	lg.emitLimited(ctx, slog.LevelWarn, CategorySecurity, "auth failed", severity+"\x00"+host,
		slog.String("kind", kind), slog.String("remote", remote), slog.String(logKeySeverity, severity))
}

// BadToken logs a player token that matched no identity.
func (lg *Log) BadToken(ctx context.Context, remote string) {
	lg.emit(ctx, slog.LevelWarn, CategorySecurity, "bad token",
		slog.String("remote", remote), slog.String(logKeySeverity, SeverityMedium))
}

// RateLimited logs a refused request or frame, rate-limited per scope and connection.
func (lg *Log) RateLimited(ctx context.Context, scope string) {
	lg.emitLimited(ctx, slog.LevelWarn, CategorySecurity, "rate limited", scope+"\x00"+ConnID(ctx),
		slog.String("scope", scope), slog.String(logKeySeverity, SeverityLow))
}

// OriginRejected logs a WebSocket upgrade refused for its Origin.
func (lg *Log) OriginRejected(ctx context.Context, origin string) {
	lg.emit(ctx, slog.LevelWarn, CategorySecurity, "origin rejected",
		slog.String("origin", origin), slog.String(logKeySeverity, SeverityMedium))
}

// AdminAccess logs an authorised admin request (INFO).
func (lg *Log) AdminAccess(ctx context.Context, route string) {
	lg.emit(ctx, slog.LevelInfo, CategorySecurity, "admin access",
		slog.String("route", route), slog.String(logKeySeverity, SeverityLow))
}

// Error logs a failure that needs attention (ERROR, alerted unless the
// attrs include SuppressAlert()).
func (lg *Log) Error(ctx context.Context, msg string, err error, attrs ...slog.Attr) {
	if err != nil {
		attrs = append([]slog.Attr{slog.String("error", safeSprint(err))}, attrs...)
	}
	lg.emit(ctx, slog.LevelError, CategoryError, msg, attrs...)
}

// Panic logs a recovered panic with the goroutine's stack.
func (lg *Log) Panic(ctx context.Context, recovered any, stack []byte) {
	lg.emit(ctx, slog.LevelError, CategoryError, "panic",
		slog.String("error", safeSprint(recovered)), slog.String("stack", string(stack)))
}

// Lifecycle logs a process phase (starting, ready, draining, stopped, …).
func (lg *Log) Lifecycle(ctx context.Context, phase string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelInfo, CategorySystem, "lifecycle", append([]slog.Attr{slog.String("phase", phase)}, attrs...)...)
}

// HealthChangeLine is one reported status change of a check, component or
// the overall status (observability §4).
type HealthChangeLine struct {
	Check     string
	From, To  string // healthy, warning, unknown, critical
	Value     any
	Message   string
	SampleSeq uint64
}

// HealthChanged logs a status change: INFO for improvements, WARN for
// →warning, ERROR for →critical or →unknown. The status-change actions send
// their own webhook, so the line is not alerted again.
func (lg *Log) HealthChanged(ctx context.Context, c HealthChangeLine) {
	level := slog.LevelInfo
	switch {
	case c.To == "critical" || c.To == "unknown":
		level = slog.LevelError
	case c.To == "warning" && c.From == "healthy":
		level = slog.LevelWarn
	}
	lg.emit(ctx, level, CategorySystem, "health status changed",
		slog.String("check", c.Check), slog.String("from", c.From), slog.String("to", c.To),
		slog.Any("value", c.Value), slog.String("message", c.Message), slog.Uint64("sample_seq", c.SampleSeq),
		SuppressAlert())
}

// RecoveryAttemptLine is one executed recovery attempt (observability §5.2).
type RecoveryAttemptLine struct {
	ID        string
	Procedure string
	Severity  string // low, medium, high, critical
	Action    string
	Target    string
	Source    string // auto or manual
	RaisedBy  string
	Result    string // success, failure, timeout
	Error     string
	Duration  time.Duration
}

// RecoveryAttempt logs an attempt: success INFO (WARN for high or critical
// procedures), failure or timeout ERROR. The recovery manager alerts by
// itself, so the line is not alerted again.
func (lg *Log) RecoveryAttempt(ctx context.Context, a RecoveryAttemptLine) {
	level := slog.LevelInfo
	switch {
	case a.Result != "success":
		level = slog.LevelError
	case a.Severity == "high" || a.Severity == "critical":
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("attempt_id", a.ID), slog.String("procedure", a.Procedure), slog.String("severity", a.Severity),
		slog.String("action", a.Action), slog.String("target", a.Target), slog.String("source", a.Source),
		slog.String("raised_by", a.RaisedBy), slog.String("result", a.Result),
		slog.Float64("duration_ms", durationMS(a.Duration)), SuppressAlert(),
	}
	if a.Error != "" {
		attrs = append(attrs, slog.String("error", a.Error))
	}
	lg.emit(ctx, level, CategorySystem, "recovery attempted", attrs...)
}

// StoreNotice logs an event-store occurrence (crash recovery, retention,
// integrity check) at the level the store chooses.
func (lg *Log) StoreNotice(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	lg.emit(ctx, level, CategorySystem, msg, attrs...)
}
