package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
	"liaptui/ws"
)

const testAdminToken = "0123456789abcdef0123456789abcdef"

// latePublisher forwards the registry's events to the hub, built after the
// registry because the two need each other.
type latePublisher struct{ hub **ws.Hub }

func (p latePublisher) Publish(roomID string, evs []room.Committed, s game.State) {
	(*p.hub).Publish(roomID, evs, s)
}

func (p latePublisher) Rebuilt(roomID string, s game.State, head int64) {
	(*p.hub).Rebuilt(roomID, s, head)
}

// storeIdentities adapts the store's identities to the hub and the server
// (serve.go's identities).
type storeIdentities struct{ store *events.Store }

func (i storeIdentities) CreateIdentity(ctx context.Context, playerID, name, token string) error {
	return i.store.CreateIdentity(ctx, playerID, name, token)
}

func (i storeIdentities) IdentityByToken(ctx context.Context, token string) (string, string, error) {
	id, err := i.store.IdentityByToken(ctx, token)
	return id.PlayerID, id.Name, err
}

func (i storeIdentities) IsUnknownToken(err error) bool { return errors.Is(err, events.ErrNotFound) }

func (i storeIdentities) PlayerByToken(ctx context.Context, token string) (string, bool, error) {
	id, err := i.store.IdentityByToken(ctx, token)
	if errors.Is(err, events.ErrNotFound) {
		return "", false, nil
	}
	return id.PlayerID, err == nil, err
}

// noHistory: these tests never resync.
type noHistory struct{}

func (noHistory) Since(context.Context, string, int64, int) ([]ws.StoredEvent, error) {
	return nil, nil
}

// newTestServer serves a Server over a real store, registry and hub on a
// loopback httptest server and returns it with its base URL; it is ready
// when ready is true. Everything stops when the test ends.
func newTestServer(t *testing.T, cfg Config, ready bool) (*Server, string) {
	t.Helper()
	ctx := context.Background()
	clock := monitor.WallClock{}
	store, err := events.Open(ctx, filepath.Join(t.TempDir(), "events.db"), events.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	var hub *ws.Hub
	rooms := room.NewRegistry(room.Options{Log: events.RoomLog{Store: store}, Publisher: latePublisher{&hub},
		Clock: clock})
	hub = ws.NewHub(ws.DefaultConfig(), rooms, storeIdentities{store}, noHistory{}, clock, log)
	if cfg.AdminToken == "" {
		cfg.AdminToken = testAdminToken
	}
	s := New(ctx, cfg, hub, rooms, store, storeIdentities{store}, clock, log)
	if ready {
		s.SetReady()
	}
	srv := httptest.NewServer(s.Echo())
	t.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := rooms.Close(sctx); err != nil {
			t.Errorf("close registry: %v", err)
		}
		if err := hub.Shutdown(sctx, time.Second); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		if err := store.Close(sctx); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s, srv.URL
}

// do sends a request with headers and returns the response with its body
// read; every response must carry Cache-Control: no-store and a request id.
func do(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s %s: %d with Cache-Control %q, want no-store", method, url, resp.StatusCode, cc)
	}
	if resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("%s %s: %d without X-Request-ID", method, url, resp.StatusCode)
	}
	return resp, body
}

// errorBody is the JSON error body of §11.1.
type errorBody struct {
	Error struct {
		Code          string         `json:"code"`
		Message       string         `json:"message"`
		Details       map[string]any `json:"details"`
		CorrelationID string         `json:"correlation_id"`
	} `json:"error"`
}

// wantError checks status, code and the body's form, and returns the body.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) errorBody {
	t.Helper()
	var e errorBody
	if resp.StatusCode != status || json.Unmarshal(body, &e) != nil || e.Error.Code != code {
		t.Fatalf("%s %s: %d %s, want %d %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type %q", ct)
	}
	if e.Error.Message == "" || e.Error.Details == nil || e.Error.CorrelationID != resp.Header.Get("X-Request-ID") {
		t.Errorf("error body %s (X-Request-ID %q)", body, resp.Header.Get("X-Request-ID"))
	}
	return e
}

// retryAfter is the Retry-After header in seconds; it must be ≥ 1.
func retryAfter(t *testing.T, resp *http.Response) int {
	t.Helper()
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
	return secs
}

func TestRateLimit(t *testing.T) {
	_, base := newTestServer(t, Config{Rate: 1, Burst: 3}, true)
	for i := range 3 {
		resp, body := do(t, "GET", base+"/rooms", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("GET /rooms Content-Type %q", ct)
		}
	}
	resp, body := do(t, "GET", base+"/rooms", map[string]string{"X-Request-ID": "over-the-limit"})
	e := wantError(t, resp, body, http.StatusTooManyRequests, "RATE_LIMITED")
	retryAfter(t, resp)
	if e.Error.CorrelationID != "over-the-limit" {
		t.Errorf("correlation_id %q, want the request's X-Request-ID", e.Error.CorrelationID)
	}
	if ms, _ := e.Error.Details["retry_after_ms"].(float64); ms < 1 {
		t.Errorf("details %v, want retry_after_ms ≥ 1", e.Error.Details)
	}
	// The admin token is not limited; a wrong one is.
	for range 5 {
		if resp, body := do(t, "GET", base+"/rooms", map[string]string{"Authorization": "Bearer " + testAdminToken}); resp.StatusCode != http.StatusOK {
			t.Fatalf("admin request: %d %s", resp.StatusCode, body)
		}
	}
	resp, body = do(t, "GET", base+"/rooms", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 32)})
	wantError(t, resp, body, http.StatusTooManyRequests, "RATE_LIMITED")
}

func TestRateLimitForwardedFor(t *testing.T) {
	get := func(base, forwarded string) int {
		t.Helper()
		resp, _ := do(t, "GET", base+"/rooms", map[string]string{"X-Forwarded-For": forwarded})
		return resp.StatusCode
	}
	t.Run("trusted proxy", func(t *testing.T) {
		_, base := newTestServer(t, Config{Rate: 1, Burst: 1, TrustedProxies: []string{"127.0.0.1"}}, true)
		for _, c := range []struct {
			forwarded string
			want      int
		}{
			{"203.0.113.1", http.StatusOK},
			{"203.0.113.1", http.StatusTooManyRequests},
			{"203.0.113.2", http.StatusOK},
			// The first untrusted hop from the right is the client.
			{"198.51.100.9, 203.0.113.1", http.StatusTooManyRequests},
			{"203.0.113.3, 127.0.0.1", http.StatusOK},
		} {
			if got := get(base, c.forwarded); got != c.want {
				t.Errorf("X-Forwarded-For %q: %d, want %d", c.forwarded, got, c.want)
			}
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		_, base := newTestServer(t, Config{Rate: 1, Burst: 1}, true)
		if got := get(base, "203.0.113.1"); got != http.StatusOK {
			t.Fatalf("first request: %d", got)
		}
		if got := get(base, "203.0.113.2"); got != http.StatusTooManyRequests {
			t.Errorf("X-Forwarded-For from an untrusted peer chose the bucket: %d, want 429", got)
		}
	})
}

func TestClientIPv6(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []string{"::1"}}}
	r := httptest.NewRequest("GET", "/rooms", nil)
	r.RemoteAddr = "[::1]:41000"
	r.Header.Set("X-Forwarded-For", "2001:db8::7")
	if ip := s.clientIP(r); ip != "2001:db8::7" {
		t.Errorf("client IP %q behind the trusted proxy ::1, want 2001:db8::7", ip)
	}
	r.RemoteAddr = "[2001:db8::1]:41000"
	if ip := s.clientIP(r); ip != "2001:db8::1" {
		t.Errorf("client IP %q, want the socket's 2001:db8::1", ip)
	}
}

func TestUnavailableUntilReady(t *testing.T) {
	s, base := newTestServer(t, Config{Rate: 100, Burst: 100}, false)
	for _, path := range []string{"/rooms", "/ws", "/rooms/ABCDEF/state"} {
		resp, body := do(t, "GET", base+path, nil)
		wantError(t, resp, body, http.StatusServiceUnavailable, "UNAVAILABLE")
		retryAfter(t, resp)
	}
	s.SetReady()
	if resp, body := do(t, "GET", base+"/rooms", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after SetReady: %d %s", resp.StatusCode, body)
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	_, base := newTestServer(t, Config{Rate: 100, Burst: 100}, true)
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(wsURL, h)
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, resp, err
	}
	// A forbidden origin is refused before the upgrade.
	_, resp, err := dial("http://evil.example")
	if err == nil || resp == nil {
		t.Fatalf("a foreign origin upgraded (err %v)", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, resp, body, http.StatusForbidden, "FORBIDDEN")
	// No Origin (a non-browser client) and the same origin upgrade.
	for _, origin := range []string{"", base} {
		c, resp, err := dial(origin)
		if err != nil {
			t.Fatalf("origin %q: %v", origin, err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("origin %q: %d", origin, resp.StatusCode)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Request-ID") == "" {
			t.Errorf("101 headers %v, want Cache-Control: no-store and X-Request-ID", resp.Header)
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","id":"h","data":{"name":"Ana"}}`))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := c.ReadMessage()
		if err != nil || !strings.Contains(string(msg), `"type":"welcome"`) {
			t.Fatalf("origin %q: hello answered %s (%v)", origin, msg, err)
		}
	}
	// A plain GET is no upgrade.
	resp, body = do(t, "GET", base+"/ws", nil)
	wantError(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
}

func TestRouting(t *testing.T) {
	_, base := newTestServer(t, Config{Rate: 100, Burst: 100}, true)
	resp, body := do(t, "GET", base+"/rooms", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"success":true`) {
		t.Fatalf("GET /rooms: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", base+"/rooms", nil)
	wantError(t, resp, body, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	resp, body = do(t, "GET", base+"/no/such/route", nil)
	wantError(t, resp, body, http.StatusNotFound, "NOT_FOUND")
	resp, body = do(t, "GET", base+"/rooms/ABCDEF/state", nil)
	wantError(t, resp, body, http.StatusNotFound, "ROOM_NOT_FOUND")
}

func TestCORS(t *testing.T) {
	const allowed, foreign = "https://app.example", "https://evil.example"
	preflight := func(base, origin string) *http.Response {
		t.Helper()
		resp, _ := do(t, "OPTIONS", base+"/rooms", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization,x-request-id"})
		return resp
	}
	t.Run("listed origins", func(t *testing.T) {
		_, base := newTestServer(t, Config{Rate: 100, Burst: 100, AllowedOrigins: []string{allowed}}, true)
		resp := preflight(base, allowed)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != allowed {
			t.Fatalf("preflight from %s: %d, Access-Control-Allow-Origin %q", allowed, resp.StatusCode,
				resp.Header.Get("Access-Control-Allow-Origin"))
		}
		headers := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		if !strings.Contains(headers, "authorization") || !strings.Contains(headers, "x-request-id") {
			t.Errorf("Access-Control-Allow-Headers %q", resp.Header.Get("Access-Control-Allow-Headers"))
		}
		if !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("Access-Control-Allow-Methods %q", resp.Header.Get("Access-Control-Allow-Methods"))
		}
		if v := resp.Header.Get("Access-Control-Allow-Credentials"); v != "" {
			t.Errorf("Access-Control-Allow-Credentials %q: credentials are not used", v)
		}
		if resp := preflight(base, foreign); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s allowed", foreign)
		}
		resp, _ = do(t, "GET", base+"/rooms", map[string]string{"Origin": allowed})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != allowed {
			t.Errorf("GET from %s: %d, Access-Control-Allow-Origin %q", allowed, resp.StatusCode,
				resp.Header.Get("Access-Control-Allow-Origin"))
		}
		resp, _ = do(t, "GET", base+"/rooms", map[string]string{"Origin": foreign})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET from %s: %d, Access-Control-Allow-Origin %q", foreign, resp.StatusCode,
				resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("same origin", func(t *testing.T) {
		_, base := newTestServer(t, Config{Rate: 100, Burst: 100}, true)
		if resp := preflight(base, allowed); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("default policy: preflight from %s allowed", allowed)
		}
	})
	t.Run("any origin", func(t *testing.T) {
		_, base := newTestServer(t, Config{Rate: 100, Burst: 100, AllowedOrigins: []string{"*"}}, true)
		if resp := preflight(base, foreign); resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("allowed_origins *: preflight from %s refused", foreign)
		}
	})
}
