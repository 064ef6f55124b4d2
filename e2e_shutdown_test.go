package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/monitor"
)

// The shutdown tests of observability §10 ("Shutdown"): a real child
// process `liaptui serve` (TestServeChild) stopped by signals, then started
// again on the same data directory.

// shutExitCode waits (bounded from since) for the child to end and returns
// its exit status.
func shutExitCode(t *testing.T, c *e2eChild, since time.Time, bound time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(time.Until(since.Add(bound))):
		t.Fatalf("the server did not exit within %v of the signal\nstdout:\n%s\nstderr:\n%s", bound, c.stdout, c.stderr)
	}
	var exit *exec.ExitError
	switch {
	case c.err == nil:
		return 0
	case errors.As(c.err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("waiting for the server: %v", c.err)
	return -1
}

// shutSignal sends SIGTERM to the child.
func shutSignal(t *testing.T, c *e2eChild) time.Time {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	return time.Now()
}

// shutSystemEvent is a _system event as these tests read it.
type shutSystemEvent struct {
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
}

// shutSystemEvents reads the whole _system stream with the admin token of
// dataDir.
func shutSystemEvents(t *testing.T, addr, dataDir string) []shutSystemEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := e2eAllEvents(t, addr, "_system", strings.TrimSpace(string(b)), 0)
	out := make([]shutSystemEvent, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("_system event %s: %v", r, err)
		}
	}
	return out
}

// shutCheckCleanRestart fails unless the stopped run ended with
// server_stopped, the last _system event before the restart's
// store_recovered, and the restart's server_started says the previous run
// was clean.
func shutCheckCleanRestart(t *testing.T, addr, dataDir string) {
	t.Helper()
	var evs []shutSystemEvent
	recovered := -1
	// server_started is queued after crash recovery, so it may still be
	// on its way to the store when the server answers.
	e2eWaitFor(t, 10*time.Second, "server_started after the restart's store_recovered", func() bool {
		evs = shutSystemEvents(t, addr, dataDir)
		recovered = -1
		for i, e := range evs {
			if e.Type == "store_recovered" {
				recovered = i
			}
		}
		for _, e := range evs[recovered+1:] {
			if e.Type == "server_started" {
				return true
			}
		}
		return false
	})
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if recovered < 1 || evs[recovered-1].Type != "server_stopped" {
		t.Fatalf("the _system event before the restart's store_recovered is not server_stopped: %v", types)
	}
	for _, e := range evs[recovered+1:] {
		if e.Type == "server_started" && e.Payload["unclean_previous"] != false {
			t.Fatalf("server_started after a clean stop: %v", e.Payload)
		}
	}
}

// shutLiveRoom reports whether GET /rooms lists the room.
func shutLiveRoom(t *testing.T, addr, roomID string) bool {
	t.Helper()
	resp, body := e2eGet(t, "http://"+addr+"/rooms", nil)
	var list struct {
		Rooms []struct {
			RoomID string `json:"room_id"`
		} `json:"rooms"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /rooms: %d %s", resp.StatusCode, body)
	}
	for _, r := range list.Rooms {
		if r.RoomID == roomID {
			return true
		}
	}
	return false
}

// shutCloseCode reads until the server closes the connection and returns
// the close code and the types of the messages that came before it.
func shutCloseCode(t *testing.T, conn *websocket.Conn) (int, []string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(25 * time.Second))
	var types []string
	for range 10000 {
		_, b, err := conn.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return ce.Code, types
		case err != nil:
			t.Fatalf("the connection ended without a close frame after %v: %v", types, err)
		}
		var f e2eFrame
		json.Unmarshal(b, &f)
		types = append(types, f.Type)
	}
	t.Fatal("no close frame after 10000 messages")
	return 0, nil
}

// shutPlayInto plays the client's seat until the game is in round (or
// later) and waits for the client's move there.
func shutPlayInto(t *testing.T, c *e2eClient, round float64) {
	t.Helper()
	for cmds := 0; c.last["round"].(float64) < round || c.myTurn() == ""; {
		if cmds > 500 || c.last["phase"] == "game_over" {
			t.Fatalf("round %v not reached after %d commands (phase %v)", round, cmds, c.last["phase"])
		}
		if c.myTurn() == "" {
			c.read()
			continue
		}
		e2ePlayOne(t, c)
		cmds++
	}
}

// shutResumeAndAct reconnects old's player with its token on the restarted
// server, resyncs and makes one acknowledged move.
func shutResumeAndAct(t *testing.T, addr string, old *e2eClient) {
	t.Helper()
	lastSeq := old.lastSeq()
	c, _ := e2eResume(t, addr, old)
	c.resync(lastSeq)
	for c.myTurn() == "" {
		if c.last["phase"] == "game_over" || c.last["closed"] == true {
			t.Fatalf("the resumed game ended (phase %v) before the player could act", c.last["phase"])
		}
		c.read()
	}
	e2ePlayOne(t, c)
}

// TestShutdownSIGTERM: SIGTERM in the middle of a game sends the player's
// client the shutdown message and close 1001, and the process exits 0
// within shutdown.timeout (25 s). Started again on the same data
// directory, the server recorded a clean stop (server_stopped last, then
// unclean_previous false) and resumed the room, where the player
// reconnects with its token and plays on.
func TestShutdownSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dataDir := t.TempDir()
	first := e2eStartChild(t, dataDir, e2eEnv(nil))
	c := e2eDial(t, first.addr)
	c.hello("Ana")
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	shutPlayInto(t, c, 2)

	sent := shutSignal(t, first)
	code, before := shutCloseCode(t, c.ws)
	if code != websocket.CloseGoingAway {
		t.Fatalf("close code %d after SIGTERM, want 1001", code)
	}
	if len(before) == 0 || before[len(before)-1] != "shutdown" {
		t.Fatalf("the messages before close 1001 were %v; want the shutdown message last", before)
	}
	if exit := shutExitCode(t, first, sent, 25*time.Second); exit != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0\nstderr:\n%s", exit, first.stderr)
	}
	t.Logf("stopped %v after SIGTERM", time.Since(sent).Round(time.Millisecond))

	second := e2eStartChild(t, dataDir, e2eEnv(nil))
	shutCheckCleanRestart(t, second.addr, dataDir)
	if !shutLiveRoom(t, second.addr, c.room) {
		t.Fatalf("room %s is not live after the restart", c.room)
	}
	shutResumeAndAct(t, second.addr, c)
}

// TestShutdownSecondSignal: while the first SIGTERM's shutdown waits out
// shutdown.delay (10 s), a second SIGTERM skips to flushing the store and
// the process exits 1 long before the delay would have ended. The store
// was flushed: a restart finds server_stopped last and resumes the room.
func TestShutdownSecondSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const delay = 10 * time.Second
	dataDir := t.TempDir()
	env := e2eEnv(map[string]string{"LIAP_SHUTDOWN_DELAY": delay.String()})
	first := e2eStartChild(t, dataDir, env)
	c := e2eDial(t, first.addr)
	c.hello("Ana")
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	shutPlayInto(t, c, 1)

	sent := shutSignal(t, first)
	// Readiness turns off once the shutdown listens for a second signal.
	e2eWaitFor(t, 5*time.Second, "/readyz to report draining", func() bool {
		resp, body := e2eGet(t, "http://"+first.addr+"/readyz", nil)
		var r struct {
			Checks map[string]struct{ Status string } `json:"checks"`
		}
		json.Unmarshal(body, &r)
		return resp.StatusCode == http.StatusServiceUnavailable && r.Checks["draining"].Status == "fail"
	})
	select {
	case <-first.done:
		t.Fatalf("the server exited during shutdown.delay: %v\nstderr:\n%s", first.err, first.stderr)
	default:
	}
	again := shutSignal(t, first)
	if exit := shutExitCode(t, first, sent, delay); exit != 1 {
		t.Fatalf("exit status %d after a second SIGTERM, want 1\nstderr:\n%s", exit, first.stderr)
	}
	t.Logf("exited %v after the second signal, %v after the first", time.Since(again).Round(time.Millisecond),
		time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(first.stderr.String(), errSecondSignal.Error()) {
		t.Fatalf("the exit error does not name the second signal:\n%s", first.stderr)
	}

	second := e2eStartChild(t, dataDir, env)
	shutCheckCleanRestart(t, second.addr, dataDir)
	if !shutLiveRoom(t, second.addr, c.room) {
		t.Fatalf("room %s is not live after the restart", c.room)
	}
	shutResumeAndAct(t, second.addr, c)
}

// supServe runs serve in-process on a loopback port until stop, which
// cancels its root context and returns serve's error (30 s at most).
func supServe(t *testing.T, dataDir string, env map[string]string) (addr string, stop func() error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := parseServeConfig([]string{"-http.addr", "127.0.0.1:0", "-data_dir", dataDir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a test that failed before stop still ends the server
	out := &e2eChildOutput{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- serveConfigured(ctx, cfg, out) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not return 30 s after its context ended\nlogs:\n%s", out)
			return nil
		}
	}
	select {
	case addr = <-out.addr:
	case err := <-done:
		t.Fatalf("serve ended: %v\nlogs:\n%s", err, out)
	case <-time.After(20 * time.Second):
		stop()
		t.Fatalf("serve did not listen in 20 s\nlogs:\n%s", out)
	}
	e2eWaitReady(t, addr)
	return addr, stop
}

// supLiaptuiGoroutines is the goroutine profile (debug 1: identical stacks
// grouped with their count) cut to the stacks that run this module's code,
// or all of it when none does; the profile's own goroutine is left out.
func supLiaptuiGoroutines() string {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	var all, ours []string
	for _, stack := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(stack, "runtime/pprof.") {
			continue
		}
		all = append(all, stack)
		if strings.Contains(stack, "liaptui") {
			ours = append(ours, stack)
		}
	}
	if len(ours) == 0 {
		return strings.Join(all, "\n\n")
	}
	return strings.Join(ours, "\n\n")
}

// TestSupervisionNoGoroutineLeft: once the root context of a server that
// served a game over WebSocket and HTTP is cancelled and serve returned, no
// goroutine it started survives (observability §9.1): the process is back
// to the goroutines it had before.
func TestSupervisionNoGoroutineLeft(t *testing.T) {
	env := e2eEnv(map[string]string{"LIAP_CANARY_PERIOD": "1s", "LIAP_MONITOR_INTERVAL_DEFAULT": "200ms",
		"LIAP_MONITOR_INTERVAL_MIN": "100ms", "LIAP_MONITOR_MIN_GAP": "50ms"})
	dataDir := filepath.Join(t.TempDir(), "data")
	// A first run on the same data directory starts what lives once per
	// process (the signal watcher, the SQLite driver's state), so the count
	// below measures one server's lifetime only.
	if _, stop := supServe(t, dataDir, env); stop() != nil {
		t.Fatal("the warm-up server did not stop cleanly")
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	before, beforeStacks := runtime.NumGoroutine(), supLiaptuiGoroutines()

	addr, stop := supServe(t, dataDir, env)
	c := e2eDial(t, addr)
	c.hello("Ana")
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	shutPlayInto(t, c, 2)
	watcher := e2eDial(t, addr) // a second connection, in the lobby
	watcher.hello("Bea")
	for _, path := range []string{"/health", "/health/detailed", "/readyz", "/metrics", "/rooms"} {
		e2eGet(t, "http://"+addr+path, nil)
	}

	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, conn := range []*websocket.Conn{c.ws, watcher.ws} {
		if code, _ := shutCloseCode(t, conn); code != websocket.CloseGoingAway {
			t.Fatalf("close code %d at shutdown, want 1001", code)
		}
		conn.Close()
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before the server, %d after it stopped\nbefore (liaptui stacks):\n%s\n\nafter (liaptui stacks):\n%s",
			before, after, beforeStacks, supLiaptuiGoroutines())
	}
}

// TestSupervisionWaitNamesStuckServices: shutdown step 2 is bounded: when
// its context ends first, the supervisor's wait returns an error naming the
// services that did not stop, and returns nil once they have.
func TestSupervisionWaitNamesStuckServices(t *testing.T) {
	sup := &supervisor{clock: monitor.NewFakeClock(time.Unix(0, 0)), log: slog.New(slog.DiscardHandler)}
	services, stopServices := context.WithCancel(t.Context())
	release := make(chan struct{})
	sup.start(services, "stuck", func(context.Context) { <-release })
	stopServices()
	bound, end := context.WithCancel(t.Context())
	end()
	if err := sup.wait(bound); err == nil || !strings.Contains(err.Error(), "[stuck]") || !errors.Is(err, context.Canceled) {
		t.Fatalf("wait past its bound: %v, want an error naming [stuck]", err)
	}
	close(release)
	if err := sup.wait(t.Context()); err != nil {
		t.Fatalf("wait once the service stopped: %v", err)
	}
	if failed := sup.Failed(); len(failed) != 0 {
		t.Fatalf("a service stopped by its context was marked failed: %v", failed)
	}
}
