package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Helpers of the end-to-end tests in e2e_errors_test.go,
// e2e_reconnect_test.go and e2e_crash_test.go. They carry their own server
// starter and protocol client (written from protocol.md alone), so these
// tests depend on nothing but runServe.

// e2eServe starts `liaptui serve` in-process on a loopback port with env
// set, and stops it when the test ends.
func e2eServe(t *testing.T, dataDir string, env map[string]string) string {
	t.Helper()
	return e2eStart(t, dataDir, env, faultHooks{}).addr
}

// e2eWaitReady polls GET /rooms until the server has finished starting.
func e2eWaitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/rooms"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server not ready in 20 s")
}

// e2eClient is one WebSocket connection of a player.
type e2eClient struct {
	t      *testing.T
	ws     *websocket.Conn
	next   int
	token  string
	seat   int
	room   string
	events []json.RawMessage // every event object received (or resynced), in order
	seen   []int64           // their seqs
	last   map[string]any    // latest view
}

// e2eFrame is a server message (protocol §2).
type e2eFrame struct {
	Type    string          `json:"type"`
	ReplyTo string          `json:"reply_to"`
	Seq     int64           `json:"seq"`
	Data    json.RawMessage `json:"data"`
}

func e2eDial(t *testing.T, addr string) *e2eClient {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &e2eClient{t: t, ws: conn}
}

// send writes a command with a fresh id and returns the id.
func (c *e2eClient) send(typ string, data any) string {
	c.t.Helper()
	c.next++
	id := fmt.Sprintf("c%d", c.next)
	b, _ := json.Marshal(map[string]any{"type": typ, "id": id, "data": data})
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// read returns the next frame (10 s at most), recording events and views
// and checking that no event shows another seat's hand (protocol §9).
func (c *e2eClient) read() e2eFrame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f e2eFrame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("bad frame %s: %v", b, err)
	}
	if f.Type != "event" {
		return f
	}
	var d struct {
		Event json.RawMessage `json:"event"`
		View  map[string]any  `json:"view"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil || d.View == nil {
		c.t.Fatalf("bad event %s", b)
	}
	if seq := e2eSeq(d.Event); seq != f.Seq || d.View["seq"] != float64(seq) {
		c.t.Fatalf("event frame seq %d, event seq %d, view seq %v", f.Seq, seq, d.View["seq"])
	}
	c.events = append(c.events, d.Event)
	c.seen = append(c.seen, f.Seq)
	c.last = d.View
	if _, ok := d.View["hands"]; ok {
		c.t.Fatalf("a member frame carries every hand: %s", b)
	}
	var ev struct {
		Type    string `json:"type"`
		Payload struct {
			Hands map[string]json.RawMessage `json:"hands"`
		} `json:"payload"`
	}
	json.Unmarshal(d.Event, &ev)
	if ev.Type == "hands_dealt" {
		mySeat, _ := d.View["my_seat"].(float64)
		for k := range ev.Payload.Hands {
			if k != fmt.Sprint(mySeat) {
				c.t.Fatalf("hands_dealt shows seat %s's hand to a client whose view has my_seat %v", k, d.View["my_seat"])
			}
		}
	}
	return f
}

// call sends a command and reads until its reply, which it returns; a
// RATE_LIMITED reply is retried after the time it names (at most 20 times).
func (c *e2eClient) call(typ string, data any) e2eFrame {
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
	return e2eFrame{}
}

// mustAck fails unless f is an ack or a welcome; it returns its data.
func (c *e2eClient) mustAck(f e2eFrame) map[string]any {
	c.t.Helper()
	if f.Type != "ack" && f.Type != "welcome" {
		c.t.Fatalf("want an ack, got %s %s", f.Type, f.Data)
	}
	var d map[string]any
	json.Unmarshal(f.Data, &d)
	return d
}

// myTurn is the action the latest view asks of this client's seat, "" for none.
func (c *e2eClient) myTurn() string {
	action, seats := e2eActor(c.last)
	if slices.Contains(seats, c.seat) {
		return action
	}
	return ""
}

// e2eJSONEqual compares two JSON texts as values.
func e2eJSONEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// e2eEnv is the configuration of the tests' servers: fast mode and an HTTP
// rate limit the tests' REST polling does not hit; extra entries override.
func e2eEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"LIAP_GAME_FAST_MODE": "true",
		"LIAP_HTTP_RATE":      "1000",
		"LIAP_HTTP_BURST":     "1000",
	}
	maps.Copy(env, extra)
	return env
}

// e2eError is the data of an error message (protocol §5.1).
type e2eError struct {
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	Details       map[string]any `json:"details"`
	CorrelationID string         `json:"correlation_id"`
	RetryAfterMs  *int           `json:"retry_after_ms"`
}

// wantError fails unless f is an error with code; it returns its data.
func (c *e2eClient) wantError(f e2eFrame, code string) e2eError {
	c.t.Helper()
	var e e2eError
	if f.Type != "error" || json.Unmarshal(f.Data, &e) != nil || e.Code != code {
		c.t.Fatalf("want error %s, got %s %s", code, f.Type, f.Data)
	}
	if e.Details == nil {
		c.t.Fatalf("error %s without details object: %s", code, f.Data)
	}
	return e
}

// callErr sends a command that must be rejected with code.
func (c *e2eClient) callErr(typ string, data any, code string) e2eError {
	c.t.Helper()
	return c.wantError(c.call(typ, data), code)
}

// hello authenticates with a new name and keeps the token.
func (c *e2eClient) hello(name string) map[string]any {
	c.t.Helper()
	w := c.mustAck(c.call("hello", map[string]any{"name": name}))
	c.token = w["token"].(string)
	return w
}

// lastSeq is the seq of the latest view the client holds (0 for none).
func (c *e2eClient) lastSeq() int64 {
	if v, ok := c.last["seq"].(float64); ok {
		return int64(v)
	}
	return 0
}

// readUntil reads frames until the client's view has reached seq.
func (c *e2eClient) readUntil(seq int64) {
	c.t.Helper()
	for i := 0; c.lastSeq() < seq; i++ {
		if i > 5000 {
			c.t.Fatalf("seq %d not reached after 5000 frames (at %d)", seq, c.lastSeq())
		}
		c.read()
	}
}

// e2eResync is the data of a room.resync ack (protocol §8).
type e2eResync struct {
	RoomID  string            `json:"room_id"`
	Mode    string            `json:"mode"`
	Events  []json.RawMessage `json:"events"`
	LastSeq int64             `json:"last_seq"`
	View    map[string]any    `json:"view"`
}

// resync sends room.resync from lastSeq and records the reply's events and
// view as if they had been pushed.
func (c *e2eClient) resync(lastSeq int64) e2eResync {
	c.t.Helper()
	f := c.call("room.resync", map[string]any{"room_id": c.room, "last_seq": lastSeq})
	if f.Type != "ack" {
		c.t.Fatalf("room.resync from %d: %s %s", lastSeq, f.Type, f.Data)
	}
	var a e2eResync
	if err := json.Unmarshal(f.Data, &a); err != nil {
		c.t.Fatalf("resync ack %s: %v", f.Data, err)
	}
	for _, ev := range a.Events {
		c.events = append(c.events, ev)
		c.seen = append(c.seen, e2eSeq(ev))
	}
	if a.View != nil && int64(a.View["seq"].(float64)) >= c.lastSeq() {
		c.last = a.View
	}
	return a
}

// e2eEvent is the part of an event object the tests read.
type e2eEvent struct {
	Seq     int64  `json:"seq"`
	Type    string `json:"type"`
	Payload struct {
		Seat       int             `json:"seat"`
		By         string          `json:"by"`
		Controller string          `json:"controller"`
		Reason     string          `json:"reason"`
		Round      int             `json:"round"`
		Turn       int             `json:"turn"`
		Value      *int            `json:"value"`
		Pieces     []int           `json:"pieces"`
		Hands      json.RawMessage `json:"hands"`
	} `json:"payload"`
}

func e2eParseEvent(t *testing.T, raw json.RawMessage) e2eEvent {
	t.Helper()
	var e e2eEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("event %s: %v", raw, err)
	}
	return e
}

func e2eSeq(raw json.RawMessage) int64 {
	var e struct{ Seq int64 }
	json.Unmarshal(raw, &e)
	return e.Seq
}

// e2eSameView compares two views, ignoring server_time (the render instant).
func e2eSameView(a, b map[string]any) bool {
	x, y := maps.Clone(a), maps.Clone(b)
	delete(x, "server_time")
	delete(y, "server_time")
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// e2eGet sends a GET with optional headers; a 429 is retried after its
// Retry-After (at most 10 times).
func e2eGet(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	for range 10 {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(secs, 1)) * time.Second)
			continue
		}
		return resp, body
	}
	t.Fatalf("GET %s: still rate limited", url)
	return nil, nil
}

// e2ePage is the body of GET /rooms/{id}/events/{since} (protocol §11.10).
type e2ePage struct {
	Success    bool              `json:"success"`
	RoomID     string            `json:"room_id"`
	Since      int64             `json:"since_sequence"`
	Redaction  string            `json:"redaction"`
	Live       bool              `json:"live"`
	Events     []json.RawMessage `json:"events"`
	EventCount int               `json:"event_count"`
	LastSeq    int64             `json:"last_seq"`
	HasMore    bool              `json:"has_more"`
}

// e2eEventsSince reads one page of a room's events; token "" reads as public.
func e2eEventsSince(t *testing.T, addr, room, token string, since int64, limit int) e2ePage {
	t.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	url := fmt.Sprintf("http://%s/rooms/%s/events/%d?limit=%d", addr, room, since, limit)
	resp, body := e2eGet(t, url, h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	var p e2ePage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET %s: %s: %v", url, body, err)
	}
	return p
}

// e2eAllEvents pages through every event of a room after since.
func e2eAllEvents(t *testing.T, addr, room, token string, since int64) ([]json.RawMessage, e2ePage) {
	t.Helper()
	var out []json.RawMessage
	for range 1000 {
		p := e2eEventsSince(t, addr, room, token, since, 1000)
		out = append(out, p.Events...)
		if !p.HasMore {
			return out, p
		}
		since = e2eSeq(p.Events[len(p.Events)-1])
	}
	t.Fatal("events-since paging does not end")
	return nil, e2ePage{}
}

// e2eHead is the room's latest seq as REST reports it.
func e2eHead(t *testing.T, addr, room string) int64 {
	t.Helper()
	return e2eEventsSince(t, addr, room, "", 0, 1).LastSeq
}

// e2eWaitFor polls cond every 10 ms until it holds or the bound passes.
func e2eWaitFor(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", bound, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// e2eActor is the action and seats of a view's actor ("" when none).
func e2eActor(v map[string]any) (string, []int) {
	a, _ := v["actor"].(map[string]any)
	if a == nil {
		return "", nil
	}
	var seats []int
	for _, s := range a["seats"].([]any) {
		seats = append(seats, int(s.(float64)))
	}
	return a["action"].(string), seats
}

// e2eHand is the ids of the view's my_hand.
func e2eHand(v map[string]any) []int {
	var ids []int
	hand, _ := v["my_hand"].([]any)
	for _, p := range hand {
		ids = append(ids, int(p.(map[string]any)["id"].(float64)))
	}
	return ids
}

// e2eMove picks a legal command for the view's own seat from the view
// alone, as liaptui load does.
func e2eMove(v map[string]any, action string) (string, map[string]any) {
	b, _ := json.Marshal(v)
	var mv moveView
	json.Unmarshal(b, &mv)
	return chooseMove(&mv, action)
}

// e2eDrive plays the clients' seats (all in one room on the server at addr)
// with client.decide until stop holds for the latest view, sending at most
// maxCmds commands. When no client owes a decision it waits (bounded) for
// the room to move on by itself (timers, bots, a disconnected seat).
// It returns the number of commands sent.
func e2eDrive(t *testing.T, addr string, cs []*e2eClient, maxCmds int, stop func(v map[string]any) bool) int {
	t.Helper()
	cmds := 0
	for {
		lead := cs[0]
		for _, c := range cs[1:] {
			if c.lastSeq() > lead.lastSeq() {
				lead = c
			}
		}
		v := lead.last
		if stop(v) {
			return cmds
		}
		if v["phase"] == "game_over" || v["closed"] == true {
			t.Fatalf("the game ended (phase %v, closed %v) before the drive's goal", v["phase"], v["closed"])
		}
		if cmds >= maxCmds {
			t.Fatalf("goal not reached after %d commands (phase %v, seq %d)", cmds, v["phase"], lead.lastSeq())
		}
		action, seats := e2eActor(v)
		var actor *e2eClient
		for _, c := range cs {
			if slices.Contains(seats, c.seat) {
				actor = c
				break
			}
		}
		if actor == nil {
			// Nobody here owes a decision: wait for the room to move on.
			at := lead.lastSeq()
			var head int64
			e2eWaitFor(t, 20*time.Second, fmt.Sprintf("room %s to move past seq %d", lead.room, at), func() bool {
				head = e2eHead(t, addr, lead.room)
				return head > at
			})
			lead.readUntil(head)
			continue
		}
		actor.readUntil(lead.lastSeq())
		typ, data := e2eMove(actor.last, action)
		if f := actor.call(typ, data); f.Type != "ack" {
			t.Fatalf("seat %d %s %v: %s %s", actor.seat, typ, data, f.Type, f.Data)
		}
		cmds++
	}
}

// e2eHumanRoom makes a room of len(names) humans (the first is host), seats
// bots in the remaining seats with room.seat and starts the game. Every
// client has read up to the start's last event.
func e2eHumanRoom(t *testing.T, addr string, names ...string) []*e2eClient {
	t.Helper()
	var cs []*e2eClient
	for _, n := range names {
		c := e2eDial(t, addr)
		c.hello(n)
		cs = append(cs, c)
	}
	host := cs[0]
	ack := host.mustAck(host.call("room.create", map[string]any{}))
	host.room, host.seat = ack["room_id"].(string), int(ack["seat"].(float64))
	for i, c := range cs[1:] {
		a := c.mustAck(c.call("room.join", map[string]any{"room_id": strings.ToLower(host.room)}))
		c.room, c.seat = a["room_id"].(string), int(a["seat"].(float64))
		if c.room != host.room || c.seat != i+2 {
			t.Fatalf("join: room %s seat %d, want %s seat %d", c.room, c.seat, host.room, i+2)
		}
	}
	for seat := len(cs) + 1; seat <= 4; seat++ {
		host.mustAck(host.call("room.seat", map[string]any{"seat": seat, "occupant": "bot"}))
	}
	host.mustAck(host.call("room.start", map[string]any{}))
	for _, c := range cs {
		c.readUntil(host.lastSeq())
	}
	return cs
}

// e2eSeatEvents lists the events of a type for a seat.
func e2eSeatEvents(t *testing.T, evs []json.RawMessage, seat int, types ...string) []e2eEvent {
	t.Helper()
	var out []e2eEvent
	for _, raw := range evs {
		e := e2eParseEvent(t, raw)
		if e.Payload.Seat == seat && slices.Contains(types, e.Type) {
			out = append(out, e)
		}
	}
	return out
}

// e2eContiguous fails unless seqs are first, first+1, first+2, …
func e2eContiguous(t *testing.T, what string, seqs []int64, first int64) {
	t.Helper()
	for i, s := range seqs {
		if s != first+int64(i) {
			t.Fatalf("%s: element %d has seq %d: sequences are not e2eContiguous from %d (%v)", what, i, s, first, seqs)
		}
	}
}
