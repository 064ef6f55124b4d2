package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Helpers of the recovery end-to-end tests (e2e_recovery*_test.go): a
// server on the recClock with a settable system source (obsSystem), a
// client whose socket fills after a few dozen frames, and readers of the
// three places an attempt must show up (/recovery/status, the logs, the
// _system stream).

// recEnv is a running server on a recClock.
type recEnv struct {
	t       *testing.T
	srv     *e2eServer
	dataDir string
	clock   *recClock
	sys     *obsSystem
}

// recStart serves with the recovery tests' settings (extra overrides them)
// and the hooks given, plus the clock, the system source and a listener
// whose sockets have a 4 KiB send buffer.
func recStart(t *testing.T, extra map[string]string, hooks faultHooks) *recEnv {
	t.Helper()
	env := e2eEnv(map[string]string{
		"LIAP_CANARY_PERIOD":                    "0",
		"LIAP_HTTP_RATE":                        "1000000", // the limiters run on the fake clock,
		"LIAP_HTTP_BURST":                       "1000000", // which refills nothing
		"LIAP_WS_RATE":                          "1000000",
		"LIAP_WS_BURST":                         "1000000",
		"LIAP_WS_QUEUE_SIZE":                    "1024",
		"LIAP_WS_PONG_TIMEOUT":                  "10m", // nobody goes stale unless a test wants it
		"LIAP_WS_WRITE_TIMEOUT":                 "60s", // a blocked writer stays blocked for the test
		"LIAP_WS_LOBBY_PUSH_INTERVAL":           "1h",
		"LIAP_MONITOR_INTERVAL_DEFAULT":         "2s",
		"LIAP_MONITOR_INTERVAL_MIN":             "1s",
		"LIAP_MONITOR_INTERVAL_MAX":             "4s",
		"LIAP_MONITOR_MIN_GAP":                  "500ms",
		"LIAP_GAME_DECLARATION_TIMEOUT_MS":      "0", // no deadline passes while the clock jumps
		"LIAP_GAME_PLAY_TIMEOUT_MS":             "0",
		"LIAP_GAME_REDEAL_WINDOW_MS":            "0",
		"LIAP_RECOVERY_PROTECTION_MIN_DURATION": "10s",
	})
	maps.Copy(env, extra)
	e := &recEnv{t: t, dataDir: filepath.Join(t.TempDir(), "data"), clock: newRecClock(), sys: newObsSystem(40)}
	hooks.clock, hooks.system = e.clock, e.sys
	hooks.wrapListener = func(l net.Listener) net.Listener { return recSmallSendListener{l} }
	e.srv = e2eStart(t, e.dataDir, env, hooks)
	t.Cleanup(func() { // every service ran the whole test (the canary is off)
		for _, msg := range []string{"service restarting", "service failed"} {
			if lines := e.srv.logs.Find(map[string]any{"msg": msg}); len(lines) > 0 {
				t.Errorf("%s: %v", msg, lines)
			}
		}
	})
	return e
}

// recSmallSendListener shrinks each accepted socket's send buffer, so a
// client that stops reading blocks the server's writer after a few
// kilobytes instead of megabytes.
type recSmallSendListener struct{ net.Listener }

func (l recSmallSendListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// hostWithSlowGuest seats a host in a new room and, beside them, a guest
// connected by dialSlow.
func (e *recEnv) hostWithSlowGuest(hostName, guestName string) (host, guest *e2eClient) {
	e.t.Helper()
	host = e2eDial(e.t, e.srv.addr)
	host.hello(hostName)
	host.room = host.mustAck(host.call("room.create", map[string]any{}))["room_id"].(string)
	guest = e.dialSlow()
	guest.hello(guestName)
	ack := guest.mustAck(guest.call("room.join", map[string]any{"room_id": host.room}))
	guest.room, guest.seat = host.room, int(ack["seat"].(float64))
	return host, guest
}

// dialSlow connects a client whose receive buffer is bounded too (64 KiB,
// which also turns off its growth), so it fills after a few dozen frames.
func (e *recEnv) dialSlow() *e2eClient {
	t := e.t
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10)
		}
		return c, err
	}}
	conn, _, err := d.Dial("ws://"+e.srv.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &e2eClient{t: t, ws: conn}
}

// flood has host (a room's host who reads its frames) toggle seat 4
// between a bot and open until the frames pending in outbound queues (those
// of members that read nothing) reach want; every 10 changes it reads the
// pending count and passes it to each. At most 2000 changes.
func (e *recEnv) flood(host *e2eClient, want float64, each func(pending float64)) {
	e.t.Helper()
	for i := 0; ; i++ {
		if i >= 2000 {
			e.t.Fatalf("pending frames did not reach %v after 2000 changes", want)
		}
		if i%10 == 0 { // a scrape of /metrics costs more than a command
			pending := e.metric("liaptui_ws_outbound_pending_frames")
			if pending >= want {
				return
			}
			each(pending)
		}
		host.mustAck(host.call("room.seat", map[string]any{"seat": 4, "occupant": []string{"bot", "open"}[i%2]}))
	}
}

// advance moves the server's time by d in steps of step.
func (e *recEnv) advance(d, step time.Duration) {
	for ; d > 0; d -= step {
		e.clock.Advance(min(d, step))
	}
}

// advanceUntil advances the clock by step until cond holds, at most bound
// of fake time.
func (e *recEnv) advanceUntil(bound, step time.Duration, what string, cond func() bool) {
	e.t.Helper()
	for passed := time.Duration(0); !cond(); passed += step {
		if passed >= bound {
			e.t.Fatalf("%s: not after %v of server time; %s", what, bound, e.clock)
		}
		e.clock.Advance(step)
	}
}

// do sends an admin request; body "" sends none.
func (e *recEnv) do(method, path, body string) (*http.Response, map[string]any) {
	e.t.Helper()
	resp, v, err := e.request(method, path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, v
}

// request is do without the test, for other goroutines.
func (e *recEnv) request(method, path, body string) (*http.Response, map[string]any, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+e.srv.addr+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.srv.token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %d, body not JSON: %w", method, path, resp.StatusCode, err)
	}
	return resp, v, nil
}

// triggerAdvancing posts a manual trigger (wait=30) and advances the clock
// while it runs, so its settle time passes; it returns the answer.
func (e *recEnv) triggerAdvancing(name, body string) (int, map[string]any) {
	e.t.Helper()
	type answer struct {
		resp *http.Response
		body map[string]any
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, v, err := e.request("POST", "/recovery/trigger/"+name+"?wait=30", body)
		got <- answer{resp, v, err}
	}()
	for range 120 {
		select {
		case a := <-got:
			if a.err != nil {
				e.t.Fatal(a.err)
			}
			return a.resp.StatusCode, a.body
		default:
		}
		e.clock.Advance(500 * time.Millisecond)
	}
	e.t.Fatalf("manual %s did not answer within 60 s of server time", name)
	return 0, nil
}

// refused posts a manual trigger that the gates must refuse with status,
// code and reason; it returns the Retry-After seconds (0 when absent).
func (e *recEnv) refused(name, body string, status int, code, reason string) int {
	e.t.Helper()
	resp, v := e.do("POST", "/recovery/trigger/"+name, body)
	er, _ := v["error"].(map[string]any)
	details, _ := er["details"].(map[string]any)
	if resp.StatusCode != status || er["code"] != code || details["reason"] != reason {
		e.t.Fatalf("second %s: %d %v, want %d %s (%s)", name, resp.StatusCode, v, status, code, reason)
	}
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if (reason == "cooldown" || reason == "hourly_limit") && retry < 1 {
		e.t.Fatalf("second %s refused (%s) without a Retry-After: %q", name, reason, resp.Header.Get("Retry-After"))
	}
	return retry
}

// status is GET /recovery/status.
func (e *recEnv) status() map[string]any {
	e.t.Helper()
	resp, v := e.do("GET", "/recovery/status", "")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /recovery/status: %d %v", resp.StatusCode, v)
	}
	return v
}

// history lists the recent attempts of a procedure, newest first.
func (e *recEnv) history(name string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, h := range e.status()["recent_history"].([]any) {
		if entry := h.(map[string]any); entry["procedure_name"] == name {
			out = append(out, entry)
		}
	}
	return out
}

// waitAttempt advances the clock until a finished attempt of name is in
// the history and returns the newest.
func (e *recEnv) waitAttempt(name string, bound time.Duration) map[string]any {
	e.t.Helper()
	var got []map[string]any
	e.advanceUntil(bound, 500*time.Millisecond, "an attempt of "+name+" in /recovery/status", func() bool {
		got = e.history(name)
		return len(got) > 0
	})
	return got[0]
}

// systemEvents reads the whole _system stream with the admin token.
func (e *recEnv) systemEvents() []recSystemEvent {
	e.t.Helper()
	raw, _ := e2eAllEvents(e.t, e.srv.addr, "_system", e.srv.token, 0)
	out := make([]recSystemEvent, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			e.t.Fatalf("_system event %s: %v", r, err)
		}
	}
	return out
}

// recSystemEvent is a _system event.
type recSystemEvent struct {
	Seq     int64          `json:"seq"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
}

// systemEvent waits for a _system event of typ whose payload holds want
// (such appends are asynchronous); the server's time stands still.
func (e *recEnv) systemEvent(typ string, want map[string]any) recSystemEvent {
	e.t.Helper()
	var found recSystemEvent
	e2eWaitFor(e.t, 10*time.Second, fmt.Sprintf("_system %s %v", typ, want), func() bool {
		for _, ev := range e.systemEvents() {
			match := ev.Type == typ
			for k, v := range want {
				match = match && ev.Payload[k] == v
			}
			if match {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// checkRecorded fails unless attempt (a history entry) has the result and
// raised_by given, is the payload of a recovery_attempted event in _system
// and has its one "recovery attempt" log line.
func (e *recEnv) checkRecorded(attempt map[string]any, result, raisedBy string) {
	e.t.Helper()
	name := attempt["procedure_name"].(string)
	if attempt["result"] != result || attempt["success"] != (result == "success") || attempt["raised_by"] != raisedBy {
		e.t.Fatalf("%s attempt: result %v success %v raised_by %v, want %s by %s: %v", name, attempt["result"],
			attempt["success"], attempt["raised_by"], result, raisedBy, attempt)
	}
	ev := e.systemEvent("recovery_attempted", map[string]any{"id": attempt["id"], "procedure_name": name})
	for _, k := range []string{"result", "raised_by", "correlation_id", "action", "source"} {
		if ev.Payload[k] != attempt[k] {
			e.t.Fatalf("_system recovery_attempted %s = %v, history says %v", k, ev.Payload[k], attempt[k])
		}
	}
	lines := e.srv.logs.Find(map[string]any{"msg": "recovery attempt", "procedure": name, "attempt_id": attempt["id"]})
	if len(lines) != 1 {
		e.t.Fatalf("%d log lines for %s attempt %v, want 1", len(lines), name, attempt["id"])
	}
	if l := lines[0]; l["result"] != result || l["correlation_id"] != attempt["correlation_id"] {
		e.t.Fatalf("log line of %s attempt %v: %v", name, attempt["id"], l)
	}
}

// metric reads one series of /metrics (name with its labels, as printed).
func (e *recEnv) metric(series string) float64 {
	e.t.Helper()
	resp, body := e2eGet(e.t, "http://"+e.srv.addr+"/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				e.t.Fatalf("metric %s: %q", series, v)
			}
			return f
		}
	}
	e.t.Fatalf("no metric %s", series)
	return 0
}

// roomEvents reads a room's stored events after since, as admin.
func (e *recEnv) roomEvents(roomID string, since int64) []e2eEvent {
	e.t.Helper()
	raw, _ := e2eAllEvents(e.t, e.srv.addr, roomID, e.srv.token, since)
	out := make([]e2eEvent, len(raw))
	for i, r := range raw {
		out[i] = e2eParseEvent(e.t, r)
	}
	return out
}

// recReadUntil reads frames until one of typ arrives (bounded) and
// returns it.
func recReadUntil(c *e2eClient, typ string) e2eFrame {
	c.t.Helper()
	for range 5000 {
		if f := c.read(); f.Type == typ {
			return f
		}
	}
	c.t.Fatalf("no %s frame in 5000 frames", typ)
	return e2eFrame{}
}
