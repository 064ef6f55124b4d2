package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// startServer runs `serve` in-process on a loopback port and returns its
// base address; the server stops when the test ends.
func startServer(t *testing.T, dataDir string, env map[string]string) string {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs, logw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"-http.addr", "127.0.0.1:0", "-data_dir", dataDir}, logw)
		logw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop in 30 s")
		}
	})
	select {
	case a := <-addr:
		waitReady(t, a)
		return a
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in 10 s")
	}
	return ""
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/rooms"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server not ready in 10 s")
}

// client is a protocol client written from protocol.md alone.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	next   int
	token  string
	seat   int
	room   string
	events []json.RawMessage // every event object received, in order
	last   map[string]any    // latest view
	move   moveView          // the latest view's fields that choose moves
	seen   []int64
}

type frame struct {
	Type    string          `json:"type"`
	ReplyTo string          `json:"reply_to"`
	Seq     int64           `json:"seq"`
	Data    json.RawMessage `json:"data"`
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, ws: conn}
}

func (c *client) send(typ string, data any) string {
	c.t.Helper()
	c.next++
	id := fmt.Sprintf("c%d", c.next)
	b, _ := json.Marshal(map[string]any{"type": typ, "id": id, "data": data})
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// read returns the next frame, recording events and views.
func (c *client) read() frame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("bad frame %s: %v", b, err)
	}
	if f.Type == "event" {
		var d struct {
			Event json.RawMessage `json:"event"`
			View  map[string]any  `json:"view"`
		}
		json.Unmarshal(f.Data, &d)
		c.events = append(c.events, d.Event)
		c.seen = append(c.seen, f.Seq)
		c.last = d.View
		var mv struct {
			View moveView `json:"view"`
		}
		json.Unmarshal(f.Data, &mv)
		c.move = mv.View
		c.checkNoForeignPieces(d.View, b)
	}
	return f
}

// call sends a command and reads until its reply, which it returns; a
// RATE_LIMITED reply is retried after the time it names (at most 20 times).
func (c *client) call(typ string, data any) frame {
	c.t.Helper()
	for range 20 {
		id := c.send(typ, data)
		for {
			f := c.read()
			if f.ReplyTo != id {
				continue
			}
			var e struct {
				Code         string `json:"code"`
				RetryAfterMs int    `json:"retry_after_ms"`
			}
			if f.Type == "error" && json.Unmarshal(f.Data, &e) == nil && e.Code == "RATE_LIMITED" {
				time.Sleep(time.Duration(e.RetryAfterMs) * time.Millisecond)
				break
			}
			return f
		}
	}
	c.t.Fatalf("%s still rate limited after 20 tries", typ)
	return frame{}
}

// checkNoForeignPieces fails when a frame names a piece of another seat's
// current hand (played pieces are public).
func (c *client) checkNoForeignPieces(view map[string]any, raw []byte) {
	if _, ok := view["hands"]; ok {
		c.t.Fatalf("a member frame carries every hand: %s", raw)
	}
	var ev struct {
		Event struct {
			Type    string `json:"type"`
			Payload struct {
				Hands map[string]json.RawMessage `json:"hands"`
			} `json:"payload"`
		} `json:"event"`
	}
	var env struct{ Data json.RawMessage }
	json.Unmarshal(raw, &env)
	json.Unmarshal(env.Data, &ev)
	mySeat, _ := view["my_seat"].(float64)
	if ev.Event.Type == "hands_dealt" {
		for k := range ev.Event.Payload.Hands {
			if k != fmt.Sprint(mySeat) {
				c.t.Fatalf("hands_dealt shows seat %s's hand to seat %v", k, mySeat)
			}
		}
	}
}

func (c *client) mustAck(f frame) map[string]any {
	c.t.Helper()
	if f.Type != "ack" && f.Type != "welcome" {
		c.t.Fatalf("want an ack, got %s %s", f.Type, f.Data)
	}
	var d map[string]any
	json.Unmarshal(f.Data, &d)
	return d
}

// myTurn is the action the latest view asks of this client, "" for none.
func (c *client) myTurn() string { return c.move.myAction() }

func TestEndToEndQuickPlayGame(t *testing.T) {
	addr := startServer(t, filepath.Join(t.TempDir(), "data"), map[string]string{"LIAP_GAME_FAST_MODE": "true"})
	c := dial(t, addr)
	welcome := c.mustAck(c.call("hello", map[string]any{"name": "Ana"}))
	c.token = welcome["token"].(string)
	ack := c.mustAck(c.call("room.create", map[string]any{"quick_play": true}))
	c.room, c.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	for steps := 0; c.last["phase"] != "game_over"; steps++ {
		if steps > 2000 {
			t.Fatal("no game over after 2000 commands")
		}
		action := c.myTurn()
		if action == "" {
			c.read()
			continue
		}
		typ, data := chooseMove(&c.move, action)
		if f := c.call(typ, data); f.Type != "ack" {
			t.Fatalf("%s %v: %s", typ, data, f.Data)
		}
	}
	for i, seq := range c.seen {
		if seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: sequences are not contiguous from 1", i, seq)
		}
	}
	// GET events-since from 0 with the player's token equals what the socket delivered.
	var got []json.RawMessage
	for since := 0; ; {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/rooms/%s/events/%d?limit=1000", addr, c.room, since), nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Redaction string            `json:"redaction"`
			Events    []json.RawMessage `json:"events"`
			HasMore   bool              `json:"has_more"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if page.Redaction != "member" {
			t.Fatalf("redaction %q for the member's token", page.Redaction)
		}
		got = append(got, page.Events...)
		if !page.HasMore {
			break
		}
		since = len(got)
	}
	if len(got) != len(c.events) {
		t.Fatalf("REST has %d events, the socket delivered %d", len(got), len(c.events))
	}
	for i := range got {
		if !jsonEqual(got[i], c.events[i]) {
			t.Fatalf("event %d differs:\nREST %s\nWS   %s", i+1, got[i], c.events[i])
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	return fmt.Sprint(x) == fmt.Sprint(y)
}
