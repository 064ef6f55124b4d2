package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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
	games := fs.Int("games", 1, "games per client (0: only say hello and stay connected, to measure idle memory)")
	duration := fs.Duration("timeout", 5*time.Minute, "stop after this long")
	pid := fs.Int("pid", 0, "server process id for RSS (0: look for a local liaptui serve)")
	idle := fs.Duration("idle", 0, "after the games, hold the connections open this long and report RSS again")
	perRoom := fs.Int("per-room", 1, "humans per room: 1 plays quick play with three bots, 4 seats four clients together")
	think := fs.Duration("think", 0, "mean wait before each game command, as a player thinks: each wait is drawn from [think/2, 3*think/2] (0: answer at once, which keeps the server saturated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *games < 0 || *think < 0 {
		return errors.New("load: -clients must be at least 1, -games and -think at least 0")
	}
	if *perRoom != 1 && (*perRoom != 4 || *clients%4 != 0) {
		return errors.New("load: -per-room is 1, or 4 with -clients a multiple of 4")
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
	if *pid != 0 {
		printRSS(out, *pid, "before the clients", 0)
	}
	st := &loadStats{errors: map[string]int{}}
	conns := make([]*websocket.Conn, *clients)
	var wg sync.WaitGroup
	start := time.Now()
	var tables []*table
	for i := 0; i < *clients; i += *perRoom {
		tables = append(tables, newTable(*perRoom))
	}
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i] = playLoad(ctx, *target, loadPlan{games: *games, think: *think}, tables[i / *perRoom], i%*perRoom, st)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	st.print(out, *clients, took)
	if *pid != 0 {
		printRSS(out, *pid, "after the games", *clients)
	}
	if *idle > 0 && sleepCtx(ctx, *idle) {
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
	game, setup   []time.Duration // command-to-ack latencies of game.* and of the other commands
	errors        map[string]int
}

func (st *loadStats) fail(code string) {
	st.mu.Lock()
	st.errors[code]++
	st.mu.Unlock()
}

// table seats a group of clients together: the host (index 0) creates the
// room and tells the others its id; once they joined it starts the game.
type table struct {
	size   int
	roomID chan string   // host -> guests, one per guest and game
	joined chan struct{} // guests -> host
}

func newTable(size int) *table {
	return &table{size: size, roomID: make(chan string, size), joined: make(chan struct{}, size)}
}

// seat puts the client at the table for one game.
func (t *table) seat(ctx context.Context, lc *loadClient, index int) error {
	if t.size == 1 {
		_, err := lc.call(ctx, "room.create", map[string]any{"quick_play": true})
		return err
	}
	if index > 0 {
		select {
		case id := <-t.roomID:
			_, err := lc.call(ctx, "room.join", map[string]any{"room_id": id})
			t.joined <- struct{}{}
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ack, err := lc.call(ctx, "room.create", nil)
	if err != nil {
		return err
	}
	for range t.size - 1 {
		t.roomID <- ack.Data.RoomID
	}
	for range t.size - 1 {
		select {
		case <-t.joined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, err = lc.call(ctx, "room.start", nil)
	return err
}

// loadPlan is what each client does: how many games, and how long it thinks
// before each game command on average. The waits vary so that 500 tables
// that started together do not stay in step and send their commands in
// bursts, which players would not do.
type loadPlan struct {
	games int
	think time.Duration
}

// playLoad plays games on one connection and returns it, still open. A
// client stopped by the end of ctx counts one timeout.
func playLoad(ctx context.Context, target string, plan loadPlan, t *table, index int, st *loadStats) *websocket.Conn {
	conn := playGames(ctx, target, plan, t, index, st)
	if timedOut(ctx) {
		st.fail("timeout")
	}
	return conn
}

// timedOut says whether ctx ended or its deadline passed: a read that hit
// that deadline (reads take ctx's) may fail before ctx notices.
func timedOut(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && !time.Now().Before(deadline))
}

func playGames(ctx context.Context, target string, plan loadPlan, t *table, index int, st *loadStats) *websocket.Conn {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, target, nil)
	if err != nil {
		st.fail("dial")
		return nil
	}
	lc := &loadClient{conn: conn, st: st}
	if _, err := lc.call(ctx, "hello", map[string]any{"name": "load"}); err != nil {
		return conn
	}
	for range plan.games {
		lc.view = moveView{}
		if err := t.seat(ctx, lc, index); err != nil {
			return conn
		}
		for lc.view.Phase != "game_over" {
			if ctx.Err() != nil {
				return conn
			}
			action := lc.view.myAction()
			if action == "" {
				if _, err := lc.readFrame(ctx); err != nil {
					return conn
				}
				continue
			}
			if plan.think > 0 && !sleepCtx(ctx, plan.think/2+rand.N(plan.think)) {
				return conn
			}
			typ, data := chooseMove(&lc.view, action)
			if _, err := lc.call(ctx, typ, data); err != nil {
				return conn
			}
		}
		if index == 0 { // the host counts the table's game
			st.games.Add(1)
		}
		if _, err := lc.call(ctx, "room.leave", nil); err != nil {
			return conn
		}
	}
	return conn
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type loadClient struct {
	conn *websocket.Conn
	st   *loadStats
	next int
	view moveView
}

// loadFrame is what the client reads of a server message, decoded in one
// pass: a client that decoded each frame twice used more CPU than the server
// it measured, on the same machine.
type loadFrame struct {
	Type    string `json:"type"`
	ReplyTo string `json:"reply_to"`
	Data    struct {
		RoomID       string    `json:"room_id"`        // room.create ack
		View         *moveView `json:"view"`           // event
		Code         string    `json:"code"`           // error
		RetryAfterMs int       `json:"retry_after_ms"` // error
	} `json:"data"`
}

func (lc *loadClient) readFrame(ctx context.Context) (loadFrame, error) {
	deadline, _ := ctx.Deadline()
	lc.conn.SetReadDeadline(deadline)
	_, b, err := lc.conn.ReadMessage()
	if err != nil {
		if !timedOut(ctx) { // playLoad counts a timeout
			lc.st.fail("connection")
		}
		return loadFrame{}, err
	}
	lc.st.frames.Add(1)
	var f loadFrame
	if err := json.Unmarshal(b, &f); err != nil {
		lc.st.fail("bad_frame")
		return f, err
	}
	if f.Type == "event" && f.Data.View != nil {
		lc.view = *f.Data.View
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
				took := time.Since(sent)
				lc.st.mu.Lock()
				if strings.HasPrefix(typ, "game.") {
					lc.st.game = append(lc.st.game, took)
				} else {
					lc.st.setup = append(lc.st.setup, took)
				}
				lc.st.mu.Unlock()
				return f, nil
			}
			lc.st.fail(f.Data.Code)
			if f.Data.Code != "RATE_LIMITED" {
				return f, fmt.Errorf("%s: %s", typ, f.Data.Code)
			}
			if !sleepCtx(ctx, time.Duration(f.Data.RetryAfterMs)*time.Millisecond) {
				return f, ctx.Err()
			}
			break
		}
	}
}

// moveView is the part of a member view (protocol §6) a client needs to
// choose its moves; decoding only it keeps the client cheap.
type moveView struct {
	Phase  string `json:"phase"`
	MySeat int    `json:"my_seat"`
	Deal   int    `json:"deal"`
	Actor  *struct {
		Action string `json:"action"`
		Seats  []int  `json:"seats"`
	} `json:"actor"`
	Declarations  []*int `json:"declarations"`
	ZeroStreaks   []int  `json:"zero_streaks"`
	RequiredCount *int   `json:"required_count"`
	MyHand        []struct {
		ID int `json:"id"`
	} `json:"my_hand"`
}

// myAction is the action the view asks of its seat, "" for none.
func (v *moveView) myAction() string {
	if v.Actor == nil || v.MySeat == 0 || !slices.Contains(v.Actor.Seats, v.MySeat) {
		return ""
	}
	return v.Actor.Action
}

// chooseMove picks a legal command from a member view: decline redeals,
// declare an allowed value, play the lowest single or the N lowest pieces.
func chooseMove(v *moveView, action string) (string, map[string]any) {
	switch action {
	case "redeal":
		return "game.redeal", map[string]any{"accept": false, "deal": v.Deal}
	case "declare":
		total, declared := 0, 0
		for _, d := range v.Declarations {
			if d != nil {
				total += *d
				declared++
			}
		}
		opts := game.DeclarationOptions(total, declared == 3, v.ZeroStreaks[v.MySeat-1])
		return "game.declare", map[string]any{"value": opts[len(opts)/3]}
	}
	n := 1
	if v.RequiredCount != nil {
		n = *v.RequiredCount
	}
	hand := make([]int, 0, n)
	for _, p := range v.MyHand[len(v.MyHand)-n:] {
		hand = append(hand, p.ID)
	}
	return "game.play", map[string]any{"pieces": hand}
}

func (st *loadStats) print(out io.Writer, clients int, took time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	fmt.Fprintf(out, "clients          %d\n", clients)
	fmt.Fprintf(out, "games completed  %d in %.1fs (%.1f games/s)\n", st.games.Load(), took.Seconds(),
		float64(st.games.Load())/took.Seconds())
	fmt.Fprintf(out, "frames received  %d (%.0f frames/s)\n", st.frames.Load(), float64(st.frames.Load())/took.Seconds())
	printLatencies(out, "command to ack   game  ", st.game)
	printLatencies(out, "                 setup ", st.setup)
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

// printLatencies prints the median and 99th percentile of lat, which it sorts.
func printLatencies(out io.Writer, label string, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Fprintf(out, "%sp50 %.2f ms, p99 %.2f ms over %d commands\n", label, q(0.50), q(0.99), len(lat))
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

// baseRSS is the server's RSS before the clients connected, in KiB.
var baseRSS int

func printRSS(out io.Writer, pid int, when string, clients int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			fmt.Fprintf(out, "server RSS       %d KiB %s (pid %d)\n", kb, when, pid)
			if clients > 0 && baseRSS > 0 {
				fmt.Fprintf(out, "                 %.1f KiB per connection above the RSS before the clients\n",
					float64(kb-baseRSS)/float64(clients))
			}
			if clients == 0 {
				baseRSS = kb
			}
		}
	}
}
