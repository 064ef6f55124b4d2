package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeChild is the server process of TestCrashRecovery and the
// shutdown tests: it runs serve (configured through LIAP_* variables) until
// a signal or a SIGKILL, and ends with main's exit status (0, or 1 for an
// unclean shutdown, else 2). It is skipped unless such a test started it.
func TestServeChild(t *testing.T) {
	if os.Getenv("LIAP_SERVE_CHILD") != "1" {
		t.Skip("only runs as the child server of TestCrashRecovery and the shutdown tests")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServe(ctx, nil, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "liaptui:", err)
		if errors.Is(err, errUncleanShutdown) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// e2eChildOutput watches a child's stdout for the "listening" log line and
// keeps the tail of its output for failure messages.
type e2eChildOutput struct {
	mu      sync.Mutex
	partial []byte
	tail    []string
	addr    chan string
}

func (o *e2eChildOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(o.partial[:i])
		o.partial = o.partial[i+1:]
		if o.tail = append(o.tail, line); len(o.tail) > 50 {
			o.tail = o.tail[1:]
		}
		var l struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
			select {
			case o.addr <- l.Addr:
			default:
			}
		}
	}
}

func (o *e2eChildOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.tail, "\n") + "\n" + string(o.partial)
}

// e2eChild is a server running as a child process.
type e2eChild struct {
	cmd    *exec.Cmd
	addr   string
	stdout *e2eChildOutput
	stderr *e2eChildOutput
	once   sync.Once
	done   chan struct{} // closed when the process has ended
	err    error         // its Wait result, once done
}

// e2eStartChild re-executes the test binary as a serve process on dataDir and
// waits until it is ready. t.Cleanup kills it.
func e2eStartChild(t *testing.T, dataDir string, env map[string]string) *e2eChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1", "-test.timeout=5m")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIAP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LIAP_SERVE_CHILD=1", "LIAP_DATA_DIR="+dataDir, "LIAP_HTTP_ADDR=127.0.0.1:0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &e2eChild{cmd: cmd, stdout: &e2eChildOutput{addr: make(chan string, 1)},
		stderr: &e2eChildOutput{addr: make(chan string, 1)}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill(t) })
	select {
	case s.addr = <-s.stdout.addr:
	case <-s.done:
		t.Fatalf("child server ended: %v\nstdout:\n%s\nstderr:\n%s", s.err, s.stdout, s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("child server did not listen in 30 s\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
	}
	e2eWaitReady(t, s.addr)
	return s
}

// kill sends SIGKILL and waits (bounded) for the process to end; it fails
// the test when the child reported a data race.
func (s *e2eChild) kill(t *testing.T) {
	t.Helper()
	s.once.Do(func() { s.cmd.Process.Kill() })
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Errorf("child server %d did not end 10 s after SIGKILL", s.cmd.Process.Pid)
	}
	if out := s.stderr.String(); strings.Contains(out, "DATA RACE") {
		t.Errorf("the child server reported a data race:\n%s", out)
	}
}

// e2eAcked is the event an acknowledged game command of the client made.
type e2eAcked struct {
	cmd string
	raw json.RawMessage
	seq int64
}

// e2ePlayOne sends the move the client's view asks for and returns the single
// event of its seat the command made (by "player").
func e2ePlayOne(t *testing.T, c *e2eClient) e2eAcked {
	t.Helper()
	typ, data := e2eMove(c.last, c.myTurn())
	before := len(c.events)
	if f := c.call(typ, data); f.Type != "ack" {
		t.Fatalf("%s %v: %s %s", typ, data, f.Type, f.Data)
	}
	mine := e2eSeatEvents(t, c.events[before:], c.seat, "declared", "played", "redeal_decided")
	var own []int
	for i, e := range mine {
		if e.Payload.By == "player" {
			own = append(own, i)
		}
	}
	if len(own) != 1 {
		t.Fatalf("acknowledged %s %v made %d events by player for seat %d, want 1", typ, data, len(own), c.seat)
	}
	e := mine[own[0]]
	for _, raw := range c.events[before:] {
		if e2eSeq(raw) == e.Seq {
			return e2eAcked{cmd: fmt.Sprintf("%s %v", typ, data), raw: raw, seq: e.Seq}
		}
	}
	t.Fatal("unreachable")
	return e2eAcked{}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dataDir := t.TempDir()
	env := map[string]string{
		"LIAP_GAME_FAST_MODE":  "true",
		"LIAP_GAME_MAX_ROUNDS": "6",
		"LIAP_HTTP_RATE":       "1000",
		"LIAP_HTTP_BURST":      "1000",
	}
	first := e2eStartChild(t, dataDir, env)
	c := e2eDial(t, first.addr)
	c.hello("Ana")
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))

	// About half the game: into round 3 (of at most 6).
	var acked []e2eAcked
	for c.last["round"].(float64) < 3 || c.myTurn() == "" {
		if len(acked) > 500 || c.last["phase"] == "game_over" {
			t.Fatalf("round 3 not reached after %d commands (phase %v)", len(acked), c.last["phase"])
		}
		if c.myTurn() == "" {
			c.read()
			continue
		}
		acked = append(acked, e2ePlayOne(t, c))
	}
	lastSeq := c.lastSeq()
	if h := e2eHead(t, first.addr, c.room); h != lastSeq {
		t.Fatalf("REST head %d before the kill, the client saw %d", h, lastSeq)
	}

	// The crash: SIGKILL, then a new process on the same data directory.
	first.kill(t)
	second := e2eStartChild(t, dataDir, env)
	c2, wr := e2eResume(t, second.addr, c)
	if wr.LastSeq < lastSeq+2 {
		t.Fatalf("welcome.room.last_seq %d after the restart; the client saw %d (want at least player_disconnected and player_reconnected more)",
			wr.LastSeq, lastSeq)
	}
	res := c2.resync(lastSeq)
	if res.LastSeq != wr.LastSeq {
		t.Fatalf("resync last_seq %d, welcome %d", res.LastSeq, wr.LastSeq)
	}
	if res.Mode == "events" {
		raw, ok := e2eFindEvent(res.Events, "player_disconnected", map[string]any{"seat": float64(c.seat)})
		if !ok {
			t.Fatalf("no player_disconnected for seat %d after the restart: %s", c.seat, res.Events)
		}
		// §3.7: fresh grace, and an abandon deadline (no connected human remains).
		if p := e2ePayload(raw); p["grace_deadline"] == nil || p["abandon_deadline"] == nil {
			t.Fatalf("player_disconnected of the restart without grace or abandon deadline: %s", raw)
		}
		if e := e2eParseEvent(t, res.Events[len(res.Events)-1]); e.Type != "player_reconnected" || e.Payload.Seat != c.seat {
			t.Fatalf("last resync event %s, want player_reconnected", res.Events[len(res.Events)-1])
		}
	}
	if res.View["my_seat"] != float64(c.seat) || res.View["phase"] == "game_over" {
		t.Fatalf("view after the restart: my_seat %v phase %v", res.View["my_seat"], res.View["phase"])
	}

	// The game goes on to its end.
	after := 0
	for c2.last["phase"] != "game_over" {
		if after > 1000 {
			t.Fatal("no game over after 1000 more commands")
		}
		if c2.myTurn() == "" {
			at := c2.lastSeq()
			e2eWaitFor(t, 10*time.Second, fmt.Sprintf("the room to move past seq %d after the restart (phase %v, actor %v, seat %d, my_seat %v)",
				at, c2.last["phase"], c2.last["actor"], c2.seat, c2.last["my_seat"]), func() bool { return e2eHead(t, second.addr, c.room) > at })
			c2.read()
			continue
		}
		e2ePlayOne(t, c2)
		after++
	}
	if after == 0 {
		t.Fatal("the client made no command after the restart")
	}

	// Every acknowledged command's event survived, seqs are e2eContiguous from
	// 1, and the client's history equals the store's.
	all, page := e2eAllEvents(t, second.addr, c.room, c.token, 0)
	var seqs []int64
	for _, raw := range all {
		seqs = append(seqs, e2eSeq(raw))
	}
	e2eContiguous(t, "stored events", seqs, 1)
	if page.LastSeq != int64(len(all)) {
		t.Fatalf("last_seq %d with %d events", page.LastSeq, len(all))
	}
	for _, a := range acked {
		if a.seq > int64(len(all)) || !e2eJSONEqual(all[a.seq-1], a.raw) {
			t.Fatalf("acknowledged %s (seq %d) lost by the crash:\nacked  %s\nstored %s", a.cmd, a.seq, a.raw,
				all[min(int(a.seq), len(all))-1])
		}
	}
	if res.Mode == "events" {
		e2eContiguous(t, "the client's events across the restart", c2.seen, 1)
		if len(c2.events) != len(all) {
			t.Fatalf("the client holds %d events, the store %d", len(c2.events), len(all))
		}
		for i := range all {
			if !e2eJSONEqual(all[i], c2.events[i]) {
				t.Fatalf("event %d differs:\nREST   %s\nclient %s", i+1, all[i], c2.events[i])
			}
		}
	}
	types := map[string]int{}
	for _, raw := range all[lastSeq:] {
		types[e2eParseEvent(t, raw).Type]++
	}
	if types["player_disconnected"] != 1 || types["player_reconnected"] != 1 || types["game_over"] != 1 {
		t.Fatalf("events after the crash: %v", types)
	}
	t.Logf("%d commands acknowledged before the kill (head %d), resync mode %s, %d commands after; %d events in all",
		len(acked), lastSeq, res.Mode, after, len(all))
}
