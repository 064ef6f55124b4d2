package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/game"
)

// runLoad drives N real WebSocket clients, each playing quick-play games
// with legal moves chosen from its view, and prints throughput and latency.
func runLoad(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(out)
	target := fs.String("url", "ws://127.0.0.1:8080/ws", "WebSocket URL of the server")
	clients := fs.Int("clients", 100, "concurrent clients (one quick-play room each)")
	games := fs.Int("games", 1, "games per client")
	duration := fs.Duration("timeout", 5*time.Minute, "stop after this long")
	pid := fs.Int("pid", 0, "server process id for RSS (0: look for a local liaptui serve)")
	idle := fs.Duration("idle", 0, "after the games, hold the connections open this long and report RSS again")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *games < 1 {
		return errors.New("load: -clients and -games must be at least 1")
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return fmt.Errorf("load: -url must be a ws:// or wss:// URL, not %q", *target)
	}
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	if *pid == 0 && isLoopback(u.Hostname()) {
		*pid = findServerPID()
	}
	st := &loadStats{errors: map[string]int{}}
	conns := make([]*websocket.Conn, *clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i] = playLoad(ctx, *target, *games, st)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	st.print(out, *clients, took)
	if *pid != 0 {
		printRSS(out, *pid, "after the games", *clients)
	}
	if *idle > 0 && ctx.Err() == nil {
		time.Sleep(*idle)
		if *pid != 0 {
			printRSS(out, *pid, "idle", *clients)
		}
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return nil
}

type loadStats struct {
	games, frames atomic.Int64
	mu            sync.Mutex
	latencies     []time.Duration
	errors        map[string]int
}

func (st *loadStats) fail(code string) {
	st.mu.Lock()
	st.errors[code]++
	st.mu.Unlock()
}

// playLoad plays games on one connection and returns it, still open.
func playLoad(ctx context.Context, target string, games int, st *loadStats) *websocket.Conn {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, target, nil)
	if err != nil {
		st.fail("dial")
		return nil
	}
	lc := &loadClient{conn: conn, st: st}
	if _, err := lc.call(ctx, "hello", map[string]any{"name": "load"}); err != nil {
		return conn
	}
	for range games {
		if _, err := lc.call(ctx, "room.create", map[string]any{"quick_play": true}); err != nil {
			return conn
		}
		for lc.phase() != "game_over" {
			if ctx.Err() != nil {
				st.fail("timeout")
				return conn
			}
			action := lc.myAction()
			if action == "" {
				if _, err := lc.readFrame(ctx); err != nil {
					return conn
				}
				continue
			}
			typ, data := chooseMove(lc.view, action)
			if _, err := lc.call(ctx, typ, data); err != nil {
				return conn
			}
		}
		st.games.Add(1)
		if _, err := lc.call(ctx, "room.leave", nil); err != nil {
			return conn
		}
	}
	return conn
}

type loadClient struct {
	conn *websocket.Conn
	st   *loadStats
	next int
	view map[string]any
}

func (lc *loadClient) phase() string { p, _ := lc.view["phase"].(string); return p }

func (lc *loadClient) myAction() string {
	actor, _ := lc.view["actor"].(map[string]any)
	mySeat, _ := lc.view["my_seat"].(float64)
	if actor == nil || mySeat == 0 {
		return ""
	}
	for _, s := range actor["seats"].([]any) {
		if s.(float64) == mySeat {
			return actor["action"].(string)
		}
	}
	return ""
}

type loadFrame struct {
	Type    string          `json:"type"`
	ReplyTo string          `json:"reply_to"`
	Data    json.RawMessage `json:"data"`
}

func (lc *loadClient) readFrame(ctx context.Context) (loadFrame, error) {
	deadline, _ := ctx.Deadline()
	lc.conn.SetReadDeadline(deadline)
	_, b, err := lc.conn.ReadMessage()
	if err != nil {
		lc.st.fail("connection")
		return loadFrame{}, err
	}
	lc.st.frames.Add(1)
	var f loadFrame
	if err := json.Unmarshal(b, &f); err != nil {
		lc.st.fail("bad_frame")
		return f, err
	}
	if f.Type == "event" {
		var d struct {
			View map[string]any `json:"view"`
		}
		if json.Unmarshal(f.Data, &d) == nil {
			lc.view = d.View
		}
	}
	return f, nil
}

// call sends a command and waits for its reply, timing command to ack; a
// RATE_LIMITED reply is retried after the time it names.
func (lc *loadClient) call(ctx context.Context, typ string, data any) (loadFrame, error) {
	for {
		lc.next++
		id := strconv.Itoa(lc.next)
		b, _ := json.Marshal(map[string]any{"type": typ, "id": id, "data": data})
		sent := time.Now()
		if err := lc.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			lc.st.fail("connection")
			return loadFrame{}, err
		}
		for {
			f, err := lc.readFrame(ctx)
			if err != nil {
				return f, err
			}
			if f.ReplyTo != id {
				continue
			}
			if f.Type != "error" {
				lc.st.mu.Lock()
				lc.st.latencies = append(lc.st.latencies, time.Since(sent))
				lc.st.mu.Unlock()
				return f, nil
			}
			var e struct {
				Code         string `json:"code"`
				RetryAfterMs int    `json:"retry_after_ms"`
			}
			json.Unmarshal(f.Data, &e)
			lc.st.fail(e.Code)
			if e.Code != "RATE_LIMITED" {
				return f, fmt.Errorf("%s: %s", typ, e.Code)
			}
			time.Sleep(time.Duration(e.RetryAfterMs) * time.Millisecond)
			break
		}
	}
}

// chooseMove picks a legal command from a member view: decline redeals,
// declare an allowed value, play the lowest single or the N lowest pieces.
func chooseMove(v map[string]any, action string) (string, map[string]any) {
	switch action {
	case "redeal":
		return "game.redeal", map[string]any{"accept": false, "deal": v["deal"]}
	case "declare":
		total, declared := 0, 0
		for _, d := range v["declarations"].([]any) {
			if d != nil {
				total += int(d.(float64))
				declared++
			}
		}
		seat := int(v["my_seat"].(float64))
		streak := int(v["zero_streaks"].([]any)[seat-1].(float64))
		opts := game.DeclarationOptions(total, declared == 3, streak)
		return "game.declare", map[string]any{"value": opts[len(opts)/3]}
	}
	var hand []int
	for _, p := range v["my_hand"].([]any) {
		hand = append(hand, int(p.(map[string]any)["id"].(float64)))
	}
	n := 1
	if rc, ok := v["required_count"].(float64); ok {
		n = int(rc)
	}
	return "game.play", map[string]any{"pieces": hand[len(hand)-n:]}
}

func (st *loadStats) print(out io.Writer, clients int, took time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	lat := slices.Clone(st.latencies)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Fprintf(out, "clients          %d\n", clients)
	fmt.Fprintf(out, "games completed  %d in %.1fs (%.1f games/s)\n", st.games.Load(), took.Seconds(),
		float64(st.games.Load())/took.Seconds())
	fmt.Fprintf(out, "frames received  %d (%.0f frames/s)\n", st.frames.Load(), float64(st.frames.Load())/took.Seconds())
	fmt.Fprintf(out, "command to ack   p50 %.2f ms, p99 %.2f ms over %d commands\n",
		float64(q(0.50).Microseconds())/1000, float64(q(0.99).Microseconds())/1000, len(lat))
	codes := make([]string, 0, len(st.errors))
	for c := range st.errors {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	fmt.Fprint(out, "errors          ")
	if len(codes) == 0 {
		fmt.Fprint(out, " none")
	}
	for _, c := range codes {
		fmt.Fprintf(out, " %s=%d", c, st.errors[c])
	}
	fmt.Fprintln(out)
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// findServerPID looks for a local `liaptui serve` process.
func findServerPID() int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmd), "\x00")
		if len(args) > 1 && strings.Contains(filepath.Base(args[0]), "liaptui") && slices.Contains(args, "serve") {
			if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
				return pid
			}
		}
	}
	return 0
}

func printRSS(out io.Writer, pid int, when string, clients int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			fmt.Fprintf(out, "server RSS       %d KiB %s (pid %d; %.1f KiB per connection)\n", kb, when, pid,
				float64(kb)/float64(clients))
		}
	}
}
