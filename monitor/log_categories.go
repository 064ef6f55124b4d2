package monitor

import (
	"context"
	"log/slog"
	"time"
)

// Log is a component's logger with the category functions of observability
// §7.3. Every function takes the context first: enrich reads the
// correlation, room, player and connection ids from it.
type Log struct {
	logging *Logging
	logger  *slog.Logger
}

// For returns the logger of one component (Component*).
func (l *Logging) For(component string) *Log {
	return &Log{logging: l, logger: l.logger.With(slog.String(logKeyComponent, component))}
}

// SuppressAlert marks a line the alert sink must skip: its subject is
// alerted by other means (status-change actions, recovery, the notifier).
func SuppressAlert() slog.Attr { return slog.Bool(logKeyAlertSuppress, true) }

// Debug, Info and Warn write a line of any category (Category*).
func (lg *Log) Debug(ctx context.Context, category, msg string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelDebug, category, msg, attrs...)
}

func (lg *Log) Info(ctx context.Context, category, msg string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelInfo, category, msg, attrs...)
}

func (lg *Log) Warn(ctx context.Context, category, msg string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelWarn, category, msg, attrs...)
}

func (lg *Log) emit(ctx context.Context, level slog.Level, category, msg string, attrs ...slog.Attr) {
	if !lg.logger.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, len(attrs)+1)
	all = append(all, slog.String(logKeyCategory, category))
	all = append(all, attrs...)
	lg.logger.LogAttrs(ctx, level, msg, all...)
}

// emitLimited writes at most one line per (msg, key) per 10 s; the next
// line written carries how many were suppressed meanwhile.
func (lg *Log) emitLimited(ctx context.Context, level slog.Level, category, msg, key string, attrs ...slog.Attr) {
	if !lg.logger.Enabled(ctx, level) {
		return
	}
	ok, suppressed := lg.logging.limiter.allow(msg + "\x00" + key)
	if !ok {
		return
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int(logKeySuppressed, suppressed))
	}
	lg.emit(ctx, level, category, msg, attrs...)
}

func durationMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// GameEvent logs a room event as it is applied; the message is the event type.
func (lg *Log) GameEvent(ctx context.Context, eventType string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelInfo, CategoryGame, eventType, append([]slog.Attr{slog.String("event_type", eventType)}, attrs...)...)
}

// PhaseChange logs a game's move from one phase to the next.
func (lg *Log) PhaseChange(ctx context.Context, from, to string) {
	lg.emit(ctx, slog.LevelInfo, CategoryGame, "phase changed", slog.String("from", from), slog.String("to", to))
}

// PlayerAction logs one player action and its outcome (DEBUG).
func (lg *Log) PlayerAction(ctx context.Context, action, outcome string, attrs ...slog.Attr) {
	lg.emit(ctx, slog.LevelDebug, CategoryGame, "player action",
		append([]slog.Attr{slog.String("action", action), slog.String("outcome", outcome)}, attrs...)...)
}

// Connected logs a WebSocket upgrade.
func (lg *Log) Connected(ctx context.Context, remote string) {
	lg.emit(ctx, slog.LevelInfo, CategoryWebSocket, "connected", slog.String("remote", remote))
}

// Disconnected logs the end of a connection with its close code and reason.
func (lg *Log) Disconnected(ctx context.Context, code int, reason string, lifetime time.Duration) {
	lg.emit(ctx, slog.LevelInfo, CategoryWebSocket, "disconnected",
		slog.Int("code", code), slog.String("reason", reason), slog.Float64("lifetime_ms", durationMS(lifetime)))
}

// CommandHandled logs one WS command, receipt to reply queued (DEBUG).
func (lg *Log) CommandHandled(ctx context.Context, commandType, outcome string, d time.Duration) {
	lg.emit(ctx, slog.LevelDebug, CategoryWebSocket, "command handled",
		slog.String("command", commandType), slog.String("outcome", outcome), slog.Float64("duration_ms", durationMS(d)))
}

// DeliveryFailed logs a frame that could not be delivered, rate-limited per connection.
func (lg *Log) DeliveryFailed(ctx context.Context, reason string) {
	lg.emitLimited(ctx, slog.LevelWarn, CategoryWebSocket, "delivery failed", ConnID(ctx), slog.String("reason", reason))
}

// SlowConsumer logs a connection whose outbound queue overflowed.
func (lg *Log) SlowConsumer(ctx context.Context) {
	lg.emit(ctx, slog.LevelWarn, CategoryWebSocket, "slow consumer")
}

// Resynced logs a client catching up (mode events or view) over gap events.
func (lg *Log) Resynced(ctx context.Context, mode string, gap int64) {
	lg.emit(ctx, slog.LevelInfo, CategoryWebSocket, "resynced", slog.String("mode", mode), slog.Int64("gap", gap))
}

// Timed starts timing op on the injected clock; the returned function, when
// called (defer it), reports the operation if it took longer than
// log.slow.<op>.
func (lg *Log) Timed(ctx context.Context, op string) func() {
	clock := lg.logging.clock
	start := clock.Now()
	return func() {
		d := clock.Now().Sub(start)
		if threshold := lg.logging.SlowThreshold(op); d > threshold {
			lg.SlowOperation(ctx, op, d, threshold)
		}
	}
}

// SlowOperation counts a slow op (liaptui_slow_operations_total) and logs
// it, rate-limited per op.
func (lg *Log) SlowOperation(ctx context.Context, op string, d, threshold time.Duration) {
	lg.logging.hooks.Slow(op)
	lg.emitLimited(ctx, slog.LevelWarn, CategoryPerformance, "slow operation", op,
		slog.String("op", op), slog.Float64("duration_ms", durationMS(d)), slog.Float64("threshold_ms", durationMS(threshold)))
}
