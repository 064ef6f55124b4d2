package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"liaptui/api"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/recovery"
	"liaptui/room"
	"liaptui/ws"
)

// healthOps serves the monitor's cached snapshot to the API; nothing here
// samples (observability §0 principle 3).
type healthOps struct {
	mon    *monitor.Monitor
	store  monitor.StoreStats
	canary *monitor.CanaryRunner
	start  time.Time
	failed func() []string // supervised services marked failed
}

func (h healthOps) Health(now time.Time) (any, bool) {
	body := h.mon.Snapshot().HealthBody(now, h.start, version)
	return body, body.HTTPStatus() == http.StatusOK
}

func (h healthOps) Detailed(now time.Time, history int) any {
	return h.mon.Snapshot().DetailedBody(now, h.start, history)
}

func (h healthOps) SeedMetrics(now time.Time) []byte {
	return h.mon.Snapshot().SeedMetricsText(now, h.start)
}

// Readiness is the event_store, canary and monitor checks of protocol §11.7.
func (h healthOps) Readiness(now time.Time) map[string]api.ReadyCheck {
	snap := h.mon.Snapshot()
	checks := map[string]api.ReadyCheck{}
	ok := func(msg string) api.ReadyCheck { return api.ReadyCheck{Status: "ok", Message: msg} }
	fail := func(msg string) api.ReadyCheck { return api.ReadyCheck{Status: "fail", Message: msg} }

	writer := h.store.StoreHealth()
	db, _ := snap.Component("database")
	switch {
	case writer.Stopped:
		checks["event_store"] = fail("the event store writer is stopped")
	case writer.Degraded:
		checks["event_store"] = fail("the event store is degraded")
	case db.Status == monitor.LevelCritical:
		checks["event_store"] = fail("the database component is critical")
	default:
		checks["event_store"] = ok("event store writable")
	}

	canary, _ := snap.Check("canary:game")
	switch {
	case !h.canary.Enabled():
		checks["canary"] = api.ReadyCheck{Status: "skipped", Message: "Canary disabled"}
	case canary.Status == monitor.LevelCritical:
		checks["canary"] = fail(canary.Message)
	default:
		checks["canary"] = ok(canary.Message)
	}

	failed := h.failed()
	switch {
	case len(failed) > 0:
		checks["monitor"] = fail(fmt.Sprintf("failed services: %v", failed))
	case !snap.Taken():
		checks["monitor"] = fail("no health sample yet")
	case snap.Stale(now):
		checks["monitor"] = fail("monitor stalled")
	default:
		checks["monitor"] = ok("monitor sampling")
	}
	return checks
}

// recoveryOps adapts the recovery manager to the API.
type recoveryOps struct{ m *recovery.Manager }

func (r recoveryOps) Status(now time.Time, attempt int64) (any, error) {
	body := r.m.Status(now)
	if attempt > 0 {
		entry, running, ok := r.m.Attempt(attempt)
		switch {
		case !ok:
			return nil, ws.NewError(ws.CodeNotFound, nil, "no recovery attempt %d", attempt)
		case running:
			body.Attempt = recovery.RunningAttempt{ID: attempt, Status: "running"}
		default:
			body.Attempt = entry
		}
	}
	return body, nil
}

func (r recoveryOps) Trigger(ctx context.Context, req api.TriggerRequest) (api.TriggerAnswer, error) {
	res, err := r.m.TriggerManual(ctx, req.Procedure, recovery.ManualRequest{Body: req.Body, Query: req.Query})
	var re *recovery.Error
	if errors.As(err, &re) {
		e := ws.NewError(ws.Code(re.Code), re.Details, "%s", re.Message)
		e.RetryAfterMs = re.RetryAfterMs
		return api.TriggerAnswer{}, e
	}
	if err != nil {
		return api.TriggerAnswer{}, err
	}
	status, body, location := res.Response()
	return api.TriggerAnswer{Status: status, Body: body, Location: location}, nil
}

func (r recoveryOps) ExitProtection(ctx context.Context) bool { return r.m.ExitProtection(ctx) }

func (r recoveryOps) Protection() bool { return r.m.Protection() }

// logOps reads the log ring for GET /logs.
type logOps struct{ ring *monitor.LogRing }

func (l logOps) Query(q api.LogQuery) ([]json.RawMessage, bool, int) {
	entries, truncated := l.ring.Query(monitor.LogQuery{MinLevel: q.MinLevel, Since: q.Since, Limit: q.Limit,
		CorrelationID: q.CorrelationID, Category: q.Category})
	return entries, truncated, l.ring.Capacity()
}

// recoveryHub adapts the hub to the recovery procedures.
type recoveryHub struct{ hub *ws.Hub }

func (h recoveryHub) StaleConnections() int              { return h.hub.StaleConnections() }
func (h recoveryHub) SweepStale(ctx context.Context) int { return h.hub.SweepStale(ctx) }
func (h recoveryHub) PendingFrames() int64               { return h.hub.PendingFrames() }

func (h recoveryHub) Coalesce() (int, int) { return h.hub.Coalesce(ws.CoalesceThreshold) }

func (h recoveryHub) PushView(roomID, reason string) (int, func(ctx context.Context) error) {
	push := h.hub.PushView(roomID, reason)
	return push.Pushed, func(ctx context.Context) error {
		written, err := push.Wait(ctx)
		if err != nil {
			return err
		}
		if written < push.Pushed {
			return fmt.Errorf("%d of %d views were not written", push.Pushed-written, push.Pushed)
		}
		return nil
	}
}

// recoveryRooms adapts the room registry to the recovery procedures.
type recoveryRooms struct{ registry *room.Registry }

func (r recoveryRooms) RoomExists(id string) bool {
	_, ok := r.registry.Room(id)
	return ok
}

func (r recoveryRooms) LiveRoomIDs() []string {
	var ids []string
	for _, s := range r.registry.Summaries() {
		ids = append(ids, s.RoomID)
	}
	return ids
}

func (r recoveryRooms) Inspect(id string, now time.Time) recovery.RoomHealth {
	rm, ok := r.registry.Room(id)
	if !ok {
		return recovery.RoomHealth{}
	}
	inc, _ := r.registry.Incarnation(id)
	state, _ := rm.Snapshot()
	stuck := false
	for _, s := range r.registry.Stuck(now) {
		stuck = stuck || s == id
	}
	return recovery.RoomHealth{Live: true, Incarnation: inc, Stuck: stuck, InvariantErr: game.CheckInvariants(state)}
}

func (r recoveryRooms) Rebuild(ctx context.Context, id, reason string) (int64, bool, error) {
	res, err := r.registry.Rebuild(ctx, id, reason)
	return res.Incarnation, res.ClosedFailed > 0, err
}

func (r recoveryRooms) CloseIdleFinished(ctx context.Context) int {
	return r.registry.CloseIdleFinished(ctx)
}

// recoveryChecks re-runs monitor checks for the recovery procedures.
type recoveryChecks struct{ mon *monitor.Monitor }

func (c recoveryChecks) Recheck(ctx context.Context, ids []string) map[string]recovery.Reading {
	out := map[string]recovery.Reading{}
	for id, r := range c.mon.Recheck(ctx, ids) {
		value := math.NaN()
		switch v := r.Value.(type) {
		case float64:
			value = v
		case int64:
			value = float64(v)
		case int:
			value = float64(v)
		}
		out[id] = recovery.Reading{Raw: r.Raw.String(), Value: value}
	}
	return out
}

// recoveryAlerts sends the manager's alerts through the notifier.
type recoveryAlerts struct{ n *monitor.Notifier }

func (a recoveryAlerts) Notify(kind, severity, subject, from, to, observed, message, correlationID string) {
	a.n.Notify(monitor.Alert{Kind: kind, Severity: severity, Subject: subject, From: from, To: to, Observed: observed,
		Message: message, CorrelationID: correlationID})
}

// recoveryMetrics counts the manager's attempts and refusals.
type recoveryMetrics struct{ m *monitor.Metrics }

func (r recoveryMetrics) Rejected(procedure, reason string) {
	r.m.RecoveryRejections.WithLabelValues(procedure, reason).Inc()
}

func (r recoveryMetrics) Attempted(procedure, result string, d time.Duration) {
	r.m.RecoveryAttempts.WithLabelValues(procedure, result).Inc()
	r.m.RecoveryDurationSeconds.WithLabelValues(procedure).Observe(d.Seconds())
}
