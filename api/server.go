// Package api serves the HTTP side of liaptui with echo: the /ws upgrade, the
// room routes of protocol §11.10, the JSON error body and request ids of
// §11.1, the per-IP rate limit and graceful shutdown.
package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
	"liaptui/ws"
)

// Rooms is what the routes read from the room registry.
type Rooms interface {
	Room(id string) (*room.Room, bool)
	MemberRoom(playerID string) (string, bool)
	Summaries() []room.Summary
}

// Store is what the routes read from the event store.
type Store interface {
	Since(ctx context.Context, stream string, afterSeq int64, limit int) (events.Page, error)
	Replay(ctx context.Context, stream string) (game.State, int64, error)
}

// Players resolves a player token to its player id.
type Players interface {
	PlayerByToken(ctx context.Context, token string) (playerID string, ok bool, err error)
}

// Config configures the server.
type Config struct {
	AdminToken     string
	AllowedOrigins []string // empty: same origin; ["*"]: any
	Rate           float64
	Burst          int
	TrustedProxies []string
	// OnRequest observes each finished request by route template
	// ("unmatched" for a path no route knows); nil = off.
	OnRequest func(method, route string, status int, d time.Duration)
	// Recover raises a recovery trigger (GET /rooms/{id}/state finding a
	// live room that differs from its replay); nil = off.
	Recover func(ctx context.Context, procedure, target, raisedBy string, observed map[string]any)
	// Audit receives the security lines (failed and granted admin access,
	// unknown tokens, refused origins, rate limits); nil = off.
	Audit *monitor.Log
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	echo    *echo.Echo
	hub     *ws.Hub
	rooms   Rooms
	store   Store
	players Players
	clock   monitor.Clock
	log     *slog.Logger
	base    context.Context // connections' commands run under it: it ends at shutdown
	up      *websocket.Upgrader
	ready   atomic.Bool // crash recovery finished
	stopped atomic.Bool // shutting down

	ops Ops

	refusalsMu sync.Mutex
	refusals   map[string]int64 // requests refused by protection mode

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter
}

// New builds the server and its routes.
func New(base context.Context, cfg Config, hub *ws.Hub, rooms Rooms, store Store, players Players, clock monitor.Clock, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, echo: echo.New(), hub: hub, rooms: rooms, store: store, players: players, clock: clock,
		log: log, base: base, limiters: map[string]*rate.Limiter{}, refusals: map[string]int64{}}
	s.up = ws.NewUpgrader(s.originAllowed)
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.observe, s.noStore, s.cors(), s.rateLimit)
	e.GET("/ws", s.serveWS, s.gate)
	e.GET("/rooms", s.listRooms, s.gate)
	e.GET("/rooms/:room_id/events/:since", s.eventsSince, s.gate)
	e.GET("/rooms/:room_id/state", s.roomState, s.gate)
	return s
}

// Echo exposes the router, for the routes other packages add.
func (s *Server) Echo() *echo.Echo { return s.echo }

// SetReady opens /ws and the API once crash recovery has finished.
func (s *Server) SetReady() { s.ready.Store(true) }

// Start serves on addr; it returns when the server stops.
func (s *Server) Start(addr string) error {
	err := s.echo.Start(addr)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Drain turns readiness off and closes /ws and the API with 503 before the
// listener closes (observability §9.2 step 0).
func (s *Server) Drain() { s.stopped.Store(true) }

// Shutdown stops accepting and lets in-flight requests finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopped.Store(true)
	return s.echo.Shutdown(ctx)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID makes the request's correlation id (§11.1) and echoes it.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = monitor.NewCorrelationID()
		}
		c.Response().Header().Set("X-Request-ID", id)
		c.SetRequest(c.Request().WithContext(monitor.WithCorrelationID(c.Request().Context(), id)))
		return next(c)
	}
}

// observe reports each request's route, status and duration; the error
// handler runs inside it so the status is the one sent.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	if s.cfg.OnRequest == nil {
		return next
	}
	return func(c echo.Context) error {
		start := s.clock.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "/ws" && c.Response().Status == http.StatusSwitchingProtocols {
			return nil // a WebSocket's lifetime is not a request's duration
		}
		if route == "" || route == "/*" {
			route = "unmatched"
		}
		s.cfg.OnRequest(c.Request().Method, route, c.Response().Status, s.clock.Now().Sub(start))
		return nil
	}
}

func (s *Server) noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// cors is the CORS policy of §11.1: the origins of §1.1 (same origin, which
// needs no CORS header, unless http.allowed_origins is set), Authorization
// and X-Request-ID as request headers, no credentials. It runs before the
// rate limit, so a browser can read a 429 too.
func (s *Server) cors() echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOriginFunc: func(origin string) (bool, error) {
			return contains(s.cfg.AllowedOrigins, "*") || contains(s.cfg.AllowedOrigins, origin), nil
		},
		AllowHeaders:     []string{"Authorization", "X-Request-ID"},
		AllowCredentials: false,
	})
}

// gate answers 503 until crash recovery finished and once shutdown began.
func (s *Server) gate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		reason := ""
		switch {
		case s.stopped.Load():
			reason = "shutting_down"
		case !s.ready.Load():
			reason = "starting"
		}
		if reason != "" {
			c.Response().Header().Set("Retry-After", "1")
			return ws.Unavailable(reason, 1000)
		}
		return next(c)
	}
}

// unlimited are the routes outside the per-IP rate limit (§11.1).
var unlimited = map[string]bool{"/livez": true, "/readyz": true, "/metrics": true, "/health": true, "/health/metrics": true}

// rateLimit is one token bucket per client IP (§11.1).
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.isAdmin(c) || unlimited[c.Path()] {
			return next(c)
		}
		ip := s.clientIP(c.Request())
		s.limMu.Lock()
		lim := s.limiters[ip]
		if lim == nil {
			if len(s.limiters) > 100_000 { // bounded: forget idle clients wholesale
				s.limiters = map[string]*rate.Limiter{}
			}
			lim = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
			s.limiters[ip] = lim
		}
		s.limMu.Unlock()
		now := s.clock.Now()
		r := lim.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			if s.cfg.Audit != nil {
				s.cfg.Audit.RateLimited(c.Request().Context(), "http:"+ip)
			}
			secs := int((d + time.Second - 1) / time.Second)
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return ws.RateLimited(int(d.Milliseconds()) + 1)
		}
		return next(c)
	}
}

// clientIP is the socket's address, or the first untrusted X-Forwarded-For
// hop when the socket is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !contains(s.cfg.TrustedProxies, host) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop != "" && !contains(s.cfg.TrustedProxies, hop) {
			return hop
		}
	}
	return host
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// bearer reads an Authorization header: ok false when absent, malformed
// true when present but not "Bearer <token>".
func bearer(r *http.Request) (token string, present, malformed bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, false
	}
	token, found := strings.CutPrefix(h, "Bearer ")
	if !found || token == "" || strings.ContainsAny(token, " \t") {
		return "", true, true
	}
	return token, true, false
}

func (s *Server) isAdmin(c echo.Context) bool {
	token, present, malformed := bearer(c.Request())
	return present && !malformed && s.cfg.AdminToken != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

// originAllowed is the origin policy of protocol §1.1.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(s.cfg.AllowedOrigins) > 0 {
		return contains(s.cfg.AllowedOrigins, "*") || contains(s.cfg.AllowedOrigins, origin)
	}
	_, host, found := strings.Cut(origin, "://")
	return found && strings.EqualFold(host, r.Host)
}

func (s *Server) serveWS(c echo.Context) error {
	r := c.Request()
	if !websocket.IsWebSocketUpgrade(r) {
		return ws.NewError(ws.CodeBadRequest, nil, "not a WebSocket upgrade request")
	}
	if !s.originAllowed(r) {
		if s.cfg.Audit != nil {
			s.cfg.Audit.OriginRejected(r.Context(), r.Header.Get("Origin"))
		}
		return ws.NewError(ws.CodeForbidden, nil, "origin %q is not allowed", r.Header.Get("Origin"))
	}
	s.hub.ServeWS(s.base, c.Response(), r, s.up)
	return nil
}
