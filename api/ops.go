package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"liaptui/ws"
)

// Ops are the sources of the operator routes (protocol §11.4–§11.11). Each
// reads state another package owns; main wires the concrete types. Handlers
// only read cached values: none of them samples (observability §0).
type Ops struct {
	Health   Health
	Metrics  http.Handler
	Recovery Recovery
	Store    StoreOps
	Logs     Logs
}

// Health serves the monitor's cached snapshot.
type Health interface {
	// Health is /health's body; ok is false when the status is critical
	// or unknown (503).
	Health(now time.Time) (body any, ok bool)
	Detailed(now time.Time, history int) any
	SeedMetrics(now time.Time) []byte
	// Readiness gives the event_store, canary and monitor checks of
	// protocol §11.7; the server adds startup_restore, draining and
	// protection.
	Readiness(now time.Time) map[string]ReadyCheck
}

// ReadyCheck is one /readyz check.
type ReadyCheck struct {
	Status  string `json:"status"` // ok, fail, skipped
	Message string `json:"message"`
}

// Recovery is the recovery manager as the routes see it.
type Recovery interface {
	// Status is /recovery/status; attempt > 0 adds that attempt, and an
	// unknown one is NOT_FOUND.
	Status(now time.Time, attempt int64) (any, error)
	// Trigger runs checks 3-11 of protocol §11.9 and the attempt; errors
	// are *ws.Error values (RetryAfterMs set where a Retry-After applies).
	Trigger(ctx context.Context, req TriggerRequest) (TriggerAnswer, error)
	ExitProtection(ctx context.Context) (wasActive bool)
	Protection() bool
}

// TriggerRequest is a manual recovery trigger after authentication.
type TriggerRequest struct {
	Procedure string
	Body      []byte     // the raw body; empty when none
	Query     url.Values // wait, dry_run
}

// TriggerAnswer is 200 with Body, or 202 with Body and Location.
type TriggerAnswer struct {
	Status   int
	Body     any
	Location string
}

// StoreOps are the event-store routes.
type StoreOps interface {
	StatsBody(ctx context.Context) (any, error)
	Cleanup(ctx context.Context, olderThanDays int, dryRun bool) (any, error)
}

// Logs reads the in-memory log ring.
type Logs interface {
	Query(q LogQuery) (entries []json.RawMessage, truncated bool, capacity int)
}

// LogQuery is GET /logs's query (protocol §11.11).
type LogQuery struct {
	MinLevel      slog.Level
	Since         time.Time
	Limit         int
	CorrelationID string
	Category      string
}

// SetOps adds the operator routes; main calls it once before serving.
func (s *Server) SetOps(ops Ops) {
	s.ops = ops
	e := s.echo
	e.GET("/livez", func(c echo.Context) error { return writeJSON(c, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/health", s.health)
	e.GET("/health/detailed", s.healthDetailed)
	e.GET("/health/metrics", s.healthMetrics)
	e.GET("/metrics", echo.WrapHandler(protocolMetricsType(ops.Metrics)))
	e.GET("/recovery/status", s.recoveryStatus)
	e.POST("/recovery/trigger/:name", s.recoveryTrigger, s.adminOnly)
	e.POST("/recovery/protection/exit", s.protectionExit, s.adminOnly)
	e.GET("/event-store/stats", s.storeStats, s.gate)
	e.POST("/event-store/cleanup", s.storeCleanup, s.gate, s.adminOnly, s.refuseInProtection("store_cleanup"))
	e.GET("/logs", s.logs, s.adminOnly, s.refuseInProtection("logs"))
}

func (s *Server) readyz(c echo.Context) error {
	now := s.clock.Now()
	checks := s.ops.Health.Readiness(now)
	checks["startup_restore"] = boolCheck(s.ready.Load(), "crash recovery finished", "crash recovery is rebuilding unfinished rooms")
	checks["draining"] = boolCheck(!s.stopped.Load(), "serving", "shutdown has begun")
	checks["protection"] = boolCheck(!s.ops.Recovery.Protection(), "protection mode off", "emergency protection mode is on")
	ready := true
	for _, ch := range checks {
		ready = ready && ch.Status != "fail"
	}
	body := map[string]any{"status": "ready", "checks": checks}
	status := http.StatusOK
	if !ready {
		body["status"], status = "not_ready", http.StatusServiceUnavailable
	}
	return writeJSONStatus(c, status, body)
}

func boolCheck(ok bool, okMsg, failMsg string) ReadyCheck {
	if ok {
		return ReadyCheck{Status: "ok", Message: okMsg}
	}
	return ReadyCheck{Status: "fail", Message: failMsg}
}

func (s *Server) health(c echo.Context) error {
	body, ok := s.ops.Health.Health(s.clock.Now())
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	return writeJSONStatus(c, status, body)
}

func (s *Server) healthDetailed(c echo.Context) error {
	history := 0
	if v := c.QueryParam("history"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 720 {
			return ws.InvalidField("history", "out_of_range")
		}
		history = n
	}
	return writeJSON(c, s.ops.Health.Detailed(s.clock.Now(), history))
}

// metricsType is the content type of both metrics bodies (protocol §11.1).
const metricsType = "text/plain; version=0.0.4; charset=utf-8"

// protocolMetricsType serves h with the protocol's metrics content type:
// promhttp appends an escaping parameter to it, which changes nothing here
// (every exposed name is a legacy Prometheus name).
func protocolMetricsType(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&metricsTypeWriter{ResponseWriter: w}, r)
	})
}

// metricsTypeWriter rewrites a text-format Content-Type before the header
// is sent; other responses (promhttp's error text) keep theirs.
type metricsTypeWriter struct {
	http.ResponseWriter
	sent bool
}

func (w *metricsTypeWriter) WriteHeader(code int) {
	w.fixType()
	w.ResponseWriter.WriteHeader(code)
}

func (w *metricsTypeWriter) Write(b []byte) (int, error) {
	w.fixType()
	return w.ResponseWriter.Write(b)
}

func (w *metricsTypeWriter) fixType() {
	if w.sent {
		return
	}
	w.sent = true
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		w.Header().Set("Content-Type", metricsType)
	}
}

func (s *Server) healthMetrics(c echo.Context) error {
	return c.Blob(http.StatusOK, metricsType, s.ops.Health.SeedMetrics(s.clock.Now()))
}

func (s *Server) recoveryStatus(c echo.Context) error {
	var attempt int64
	if v := c.QueryParam("attempt"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return ws.InvalidField("attempt", "not_int")
		}
		attempt = n
	}
	body, err := s.ops.Recovery.Status(s.clock.Now(), attempt)
	if err != nil {
		return err
	}
	return writeJSON(c, body)
}

// recoveryTrigger is POST /recovery/trigger/{name}: authentication here
// (adminOnly), checks 3-11 of protocol §11.9 in the manager, in order.
func (s *Server) recoveryTrigger(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	ans, err := s.ops.Recovery.Trigger(c.Request().Context(),
		TriggerRequest{Procedure: c.Param("name"), Body: body, Query: c.QueryParams()})
	if err != nil {
		return err
	}
	if ans.Location != "" {
		c.Response().Header().Set("Location", ans.Location)
	}
	return writeJSONStatus(c, ans.Status, ans.Body)
}

func (s *Server) protectionExit(c echo.Context) error {
	was := s.ops.Recovery.ExitProtection(c.Request().Context())
	return writeJSON(c, map[string]any{"success": true, "was_active": was})
}

func (s *Server) storeStats(c echo.Context) error {
	body, err := s.ops.Store.StatsBody(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, body)
}

func (s *Server) storeCleanup(c echo.Context) error {
	days, err := intParam(c, "older_than_days", 0, 1, 3650)
	if err != nil {
		return err
	}
	dry, err := boolParam(c, "dry_run")
	if err != nil {
		return err
	}
	body, err := s.ops.Store.Cleanup(c.Request().Context(), days, dry)
	if err != nil {
		return err
	}
	return writeJSON(c, body)
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

var logCategories = map[string]bool{"game": true, "websocket": true, "performance": true, "security": true, "error": true, "system": true}

func (s *Server) logs(c echo.Context) error {
	q := LogQuery{MinLevel: slog.LevelInfo, CorrelationID: c.QueryParam("correlation_id"), Category: c.QueryParam("category")}
	if v := c.QueryParam("level"); v != "" {
		lvl, ok := logLevels[strings.ToLower(v)]
		if !ok {
			return ws.InvalidField("level", "unknown_level")
		}
		q.MinLevel = lvl
	}
	if q.Category != "" && !logCategories[q.Category] {
		return ws.InvalidField("category", "unknown_category")
	}
	if v := c.QueryParam("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return ws.InvalidField("since", "not_rfc3339")
		}
		q.Since = t
	}
	var err error
	if q.Limit, err = intParam(c, "limit", 100, 1, 1000); err != nil {
		return err
	}
	entries, truncated, capacity := s.ops.Logs.Query(q)
	if entries == nil {
		entries = []json.RawMessage{}
	}
	return writeJSON(c, map[string]any{"success": true, "count": len(entries), "truncated": truncated,
		"ring_capacity": capacity, "logs": entries})
}

// adminOnly answers 401 without a well-formed bearer token and 403 with
// one that is not the admin token (protocol §11.1).
func (s *Server) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.requireAdmin(c); err != nil {
			return err
		}
		return next(c)
	}
}

// refuseInProtection answers 503 while emergency protection mode is on
// (observability §5.5), counting the refusal under what.
func (s *Server) refuseInProtection(what string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.protected(what) {
				return ws.Unavailable("overloaded", 30_000)
			}
			return next(c)
		}
	}
}

// protected reports protection mode and counts the refusal it causes.
func (s *Server) protected(what string) bool {
	if s.ops.Recovery == nil || !s.ops.Recovery.Protection() {
		return false
	}
	s.refusalsMu.Lock()
	s.refusals[what]++
	s.refusalsMu.Unlock()
	return true
}

// ProtectionRefusals counts the requests refused by protection mode.
func (s *Server) ProtectionRefusals() map[string]int64 {
	s.refusalsMu.Lock()
	defer s.refusalsMu.Unlock()
	return maps.Clone(s.refusals)
}

func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, ws.InvalidField(name, "out_of_range")
	}
	return n, nil
}

func boolParam(c echo.Context, name string) (bool, error) {
	switch c.QueryParam(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, ws.InvalidField(name, "not_bool")
}

// readBody reads a request body of at most 64 KiB.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10+1))
	if err != nil {
		return nil, ws.NewError(ws.CodeBadRequest, nil, "unreadable body")
	}
	if len(b) > 64<<10 {
		return nil, ws.NewError(ws.CodeBadRequest, nil, "body larger than 64 KiB")
	}
	return b, nil
}

func writeJSONStatus(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, jsonType, b)
}
