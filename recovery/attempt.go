package recovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"liaptui/monitor"
)

// Results of an executed attempt (§5.2).
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	ResultTimeout = "timeout"
)

// recheckTimeout bounds the re-check of every success criterion; for
// client_desync it is the criterion itself (views written within 5 s).
const recheckTimeout = 5 * time.Second

// errActionTimeout is the cancel cause of an action that hit its timeout.
var errActionTimeout = errors.New("action timeout")

// stoppedMessage is error_message of an attempt cut short by shutdown.
const stoppedMessage = "recovery manager stopped"

// attempt is one admitted attempt. entry is set before done is closed.
type attempt struct {
	id            int64
	proc          procedure
	key           string
	target        string
	source        string
	raisedBy      string
	context       map[string]any
	start         time.Time
	correlationID string
	done          chan struct{}
	entry         Entry
}

// verdict is the re-check of a success criterion.
type verdict struct {
	after map[string]any
	ok    bool
	why   string // the failed part of the criterion
}

// plan is how one procedure reads its state, acts and re-checks.
type plan struct {
	// read is the check_before reading, and check_after when the action
	// failed or timed out.
	read func(ctx context.Context) map[string]any
	// act changes live state and returns its counts and the re-check of
	// the success criterion, which knows what was targeted.
	act actFunc
}

// recheckFunc re-checks a success criterion after the settle time.
type recheckFunc func(ctx context.Context) verdict

// actFunc acts given the check_before reading.
type actFunc func(ctx context.Context, before map[string]any) (actions map[string]int64, recheck recheckFunc, err error)

type actionResult struct {
	actions  map[string]int64
	recheck  recheckFunc
	err      error
	timedOut bool
}

// execute runs an admitted attempt to its end (§5.2): check_before, the
// action under its timeout, the settle wait, the re-check, the record.
func (m *Manager) execute(ctx context.Context, a *attempt) {
	ctx = monitor.WithCorrelationID(ctx, a.correlationID)
	p := m.plan(a)
	before := p.read(ctx)
	res := m.runAction(ctx, a.proc.Timeout, p.act, before)
	after, result, why := map[string]any{}, ResultFailure, ""
	switch {
	case ctx.Err() != nil:
		why = stoppedMessage
	case res.timedOut:
		result, why = ResultTimeout, fmt.Sprintf("action timed out after %s", a.proc.Timeout)
		after = p.read(ctx)
	case res.err != nil:
		why = res.err.Error()
		after = p.read(ctx)
	case !m.sleep(ctx, a.proc.Settle):
		why = stoppedMessage
	default:
		rctx, cancel := m.withTimeout(ctx, recheckTimeout)
		v := res.recheck(rctx)
		cancel()
		after, why = v.after, v.why
		if v.ok {
			result = ResultSuccess
		}
	}
	end := m.clock.Now()
	m.finish(context.WithoutCancel(ctx), a, end, newEntry(a, end, result, why, res.actions, before, after))
}

// runAction runs act under timeout on the injected clock. An action that
// ignores its context is abandoned at the timeout; it ends when it returns.
func (m *Manager) runAction(ctx context.Context, timeout time.Duration, act actFunc, before map[string]any) actionResult {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := m.clock.AfterFunc(timeout, func() { cancel(errActionTimeout) })
	defer timer.Stop()
	done := make(chan actionResult, 1)
	go func() {
		actions, recheck, err := act(actx, before)
		done <- actionResult{actions: actions, recheck: recheck, err: err}
	}()
	select {
	case r := <-done:
		return r
	case <-actx.Done():
		if errors.Is(context.Cause(actx), errActionTimeout) {
			return actionResult{timedOut: true}
		}
		return actionResult{err: ctx.Err()}
	}
}

// withTimeout is context.WithTimeout on the injected clock.
func (m *Manager) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	tctx, cancel := context.WithCancelCause(ctx)
	timer := m.clock.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return tctx, func() {
		timer.Stop()
		cancel(nil)
	}
}

// sleep waits d on the injected clock; false when ctx ended first.
func (m *Manager) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := m.clock.NewTimer(d)
	select {
	case <-timer.C():
		return true
	case <-ctx.Done():
		timer.Stop()
		return false
	}
}

// finish records the ended attempt and reports it: history, one log line,
// one recovery_attempted event, the webhook when §5.2 asks, then Wake.
func (m *Manager) finish(ctx context.Context, a *attempt, end time.Time, e Entry) {
	m.mu.Lock()
	s := m.scopes[a.key]
	s.lastEnd = end
	s.running = 0
	delete(m.running, a.id)
	m.history.add(e)
	a.entry = e
	m.mu.Unlock()
	close(a.done)

	duration := end.Sub(a.start)
	m.counters.attempted(a.proc.Name, e.Result, duration)
	if m.deps.Metrics != nil {
		m.deps.Metrics.Attempted(a.proc.Name, e.Result, duration)
	}
	m.logAttempt(ctx, a, e)
	m.deps.Events.AppendSystem(ctx, "recovery_attempted", e)
	if e.Result != ResultSuccess || a.proc.Severity != "medium" {
		severity := "warning"
		if e.Result != ResultSuccess {
			severity = "critical"
		}
		m.deps.Alerts.Notify("recovery", severity, a.proc.Name, "", e.Result, formatFields(e.CheckBefore),
			attemptMessage(a, e), a.correlationID)
	}
	if m.deps.Wake != nil {
		m.deps.Wake("recovery")
	}
}

// logAttempt writes the attempt's one line: success INFO for medium and
// WARN for high/critical; failure or timeout ERROR, marked alert_suppress
// because finish sends its own alert.
func (m *Manager) logAttempt(ctx context.Context, a *attempt, e Entry) {
	level := slog.LevelInfo
	switch {
	case e.Result != ResultSuccess:
		level = slog.LevelError
	case a.proc.Severity != "medium":
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.Int64("attempt_id", e.ID), slog.String("procedure", e.ProcedureName),
		slog.String("action", e.Action), slog.String("source", e.Source),
		slog.String("raised_by", e.RaisedBy), slog.String("result", e.Result),
		slog.Int64("duration_ms", e.DurationMs), slog.Any("actions", e.Actions),
		slog.Any("check_before", e.CheckBefore), slog.Any("check_after", e.CheckAfter),
	}
	if a.target != "" && a.proc.PerRoom {
		attrs = append(attrs, slog.String("room_id", a.target))
	} else if a.target != "" {
		attrs = append(attrs, slog.String("target", a.target))
	}
	if e.ErrorMessage != nil {
		attrs = append(attrs, slog.String("error", *e.ErrorMessage), slog.Bool("alert_suppress", true))
	}
	m.log.LogAttrs(ctx, level, "recovery attempt", attrs...)
}

func attemptMessage(a *attempt, e Entry) string {
	msg := fmt.Sprintf("recovery %s (%s)%s %s in %d ms", a.proc.Name, a.proc.Action,
		targetSuffix(a.target), e.Result, e.DurationMs)
	if e.ErrorMessage != nil {
		msg += ": " + *e.ErrorMessage
	}
	return msg
}
