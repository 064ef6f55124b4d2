package recovery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// Auto-exit rule of emergency protection mode (§5.5): after the minimum
// duration, this many consecutive samples below both limits.
const (
	exitSamples     = 3
	exitCPUBelow    = 95.0
	exitMemoryBelow = 90.0
)

// Values of protection_exited.ended_by.
const (
	endedByAuto  = "auto"
	endedByAdmin = "admin"
)

// protection is the state of emergency protection mode. active is written
// only under mu and read on hot paths without it; the rest is guarded by mu.
type protection struct {
	active atomic.Bool
	mu     sync.Mutex
	since  time.Time
	reason string
	streak int // consecutive samples meeting the exit limits
}

// ProtectionState is the mode as GET /recovery/status shows it.
type ProtectionState struct {
	Active bool
	Since  time.Time // zero when inactive
	Reason string    // the procedure that entered it; "" when inactive
}

// Protection reports whether emergency protection mode is on; ws and api
// call it on every refusable command, so it is one atomic load.
func (m *Manager) Protection() bool { return m.protection.active.Load() }

// ProtectionState reads the mode.
func (m *Manager) ProtectionState() ProtectionState {
	p := &m.protection
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active.Load() {
		return ProtectionState{}
	}
	return ProtectionState{Active: true, Since: p.since, Reason: p.reason}
}

// enterProtection turns the mode on for reason; false when it already was.
// observed holds the cpu and memory readings that caused it.
func (m *Manager) enterProtection(ctx context.Context, reason string, observed map[string]any) bool {
	p := &m.protection
	p.mu.Lock()
	if p.active.Load() {
		p.mu.Unlock()
		return false
	}
	p.since, p.reason, p.streak = m.clock.Now(), reason, 0
	p.active.Store(true)
	p.mu.Unlock()

	m.log.LogAttrs(ctx, slog.LevelError, "protection mode entered", slog.String("reason", reason),
		slog.Any("observed", observed), slog.Bool("alert_suppress", true))
	m.deps.Events.AppendSystem(ctx, "protection_entered", map[string]any{"reason": reason, "observed": observed})
	m.deps.Alerts.Notify("protection", "critical", reason, "off", "on", formatFields(observed),
		"emergency protection mode entered: new players, new rooms and lobby pushes are refused",
		monitor.CorrelationID(ctx))
	return true
}

// ExitProtection ends the mode at an admin's request
// (POST /recovery/protection/exit); wasActive is false when it was off.
func (m *Manager) ExitProtection(ctx context.Context) (wasActive bool) {
	return m.exitProtection(ctx, endedByAdmin, func(*protection) bool { return true })
}

// ObserveSample feeds one monitor sample's CPU and memory percent (NaN when
// unknown) to the auto-exit rule: the mode ends once it has lasted
// recovery.protection.min_duration and the last 3 samples all showed CPU
// below 95 % and memory below 90 %. Samples taken before the minimum
// duration count towards the 3.
func (m *Manager) ObserveSample(ctx context.Context, cpu, memory float64) {
	m.exitProtection(ctx, endedByAuto, func(p *protection) bool {
		if cpu < exitCPUBelow && memory < exitMemoryBelow { // false for NaN
			p.streak++
		} else {
			p.streak = 0
		}
		return p.streak >= exitSamples && m.clock.Now().Sub(p.since) >= m.cfg.ProtectionMinDuration
	})
}

// exitProtection ends the mode when it is on and ready says so (ready runs
// under the lock), then reports the exit: WARN line, event, webhook.
func (m *Manager) exitProtection(ctx context.Context, endedBy string, ready func(*protection) bool) bool {
	p := &m.protection
	p.mu.Lock()
	if !p.active.Load() || !ready(p) {
		p.mu.Unlock()
		return false
	}
	now := m.clock.Now()
	duration, reason := now.Sub(p.since), p.reason
	p.since, p.reason, p.streak = time.Time{}, "", 0
	p.active.Store(false)
	p.mu.Unlock()

	m.log.LogAttrs(ctx, slog.LevelWarn, "protection mode exited", slog.String("ended_by", endedBy),
		slog.Int64("duration_ms", duration.Milliseconds()))
	m.deps.Events.AppendSystem(ctx, "protection_exited",
		map[string]any{"ended_by": endedBy, "duration_ms": duration.Milliseconds()})
	m.deps.Alerts.Notify("protection", "info", reason, "on", "off", "",
		fmt.Sprintf("emergency protection mode ended (%s) after %s", endedBy, duration.Round(time.Second)),
		monitor.CorrelationID(ctx))
	return true
}
