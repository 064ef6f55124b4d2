package ws

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"liaptui/monitor"
	"liaptui/room"
)

// fakeStart lies on a 5 s bucket boundary of the delivery window.
var fakeStart = time.Unix(1_700_000_000, 0)

// socketPair upgrades one loopback connection as ServeWS does and returns
// both ends and the server's batchConn.
func socketPair(t *testing.T) (server *websocket.Conn, batch *batchConn, client *websocket.Conn) {
	t.Helper()
	type upgraded struct {
		ws    *websocket.Conn
		batch *batchConn
	}
	conns := make(chan upgraded, 1)
	up := &websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := &batchHijacker{ResponseWriter: w}
		if c, err := up.Upgrade(hj, r, nil); err == nil {
			conns <- upgraded{c, hj.conn}
		}
	}))
	t.Cleanup(srv.Close)
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := <-conns
	t.Cleanup(func() { client.Close(); u.ws.Close() })
	return u.ws, u.batch, client
}

// bareHub is a hub without rooms whose connections tests drive by hand:
// no pumps run, the test calls offer, writeBatch and close itself.
func bareHub(cfg Config, clock monitor.Clock) *Hub {
	return NewHub(cfg, nil, nil, nil, clock, slog.New(slog.DiscardHandler))
}

func (h *Hub) bareConn(t *testing.T) (*conn, *websocket.Conn) {
	server, batch, client := socketPair(t)
	return h.newConn(server, batch), client
}

func eventFrame(roomID string, seq int64) outFrame {
	return outFrame{kind: frameEvent, roomID: roomID, seq: seq, data: []byte(`{"type":"event","data":{}}`)}
}

// wakeLog records wake-up reasons.
type wakeLog struct {
	mu  sync.Mutex
	got []string
}

func (w *wakeLog) wake(reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, reason)
}

func (w *wakeLog) reasons() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}

// Each frame offered gets exactly one fate, counted in the bucket of the
// moment it is decided (observability §1.3).
func TestFrameFates(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	var latencies []time.Duration
	cfg := DefaultConfig()
	cfg.QueueSize = 3
	cfg.OnSendLatency = func(d time.Duration) { latencies = append(latencies, d) }
	h := bareHub(cfg, clock)
	want := func(step string, window, bucket monitor.DeliveryCounts, failed map[string]int64, pending int64) {
		t.Helper()
		if got := h.Delivery(); got != window {
			t.Errorf("%s: window %+v, want %+v", step, got, window)
		}
		if got := h.delivery.Current(); got != bucket {
			t.Errorf("%s: current bucket %+v, want %+v", step, got, bucket)
		}
		k := h.Counters()
		if k.FramesDelivered != window.Delivered || k.FramesLate != window.Late {
			t.Errorf("%s: counters delivered %d late %d, want %+v", step, k.FramesDelivered, k.FramesLate, window)
		}
		for _, r := range FailReasons() {
			if k.FramesFailed[r] != failed[r] {
				t.Errorf("%s: failed %s = %d, want %d", step, r, k.FramesFailed[r], failed[r])
			}
		}
		if got := h.PendingFrames(); got != pending {
			t.Errorf("%s: pending %d, want %d", step, got, pending)
		}
	}

	// delivered: on time, then late (enqueue → write-complete over 1 s).
	c, client := h.bareConn(t)
	c.offer(eventFrame("R", 1))
	c.offer(eventFrame("R", 2))
	want("queued", monitor.DeliveryCounts{}, monitor.DeliveryCounts{}, nil, 2)
	clock.Advance(500 * time.Millisecond)
	c.writeBatch(1)
	clock.Advance(time.Second)
	c.writeBatch(1)
	want("written", monitor.DeliveryCounts{Delivered: 2, Late: 1}, monitor.DeliveryCounts{Delivered: 2, Late: 1}, nil, 0)
	if !slices.Equal(latencies, []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}) {
		t.Errorf("send latencies %v, want [500ms 1.5s]", latencies)
	}
	for range 2 {
		if _, _, err := client.ReadMessage(); err != nil {
			t.Fatalf("the client did not get a delivered frame: %v", err)
		}
	}
	if c.written["R"] != 2 {
		t.Errorf("newest written seq of R = %d, want 2", c.written["R"])
	}

	// queue_full and discarded, in the next bucket; then not offered.
	clock.Advance(4 * time.Second)
	for seq := range int64(4) {
		c.offer(eventFrame("R", 3+seq))
	}
	failed := map[string]int64{"queue_full": 1, "discarded": 3}
	want("slow consumer", monitor.DeliveryCounts{Delivered: 2, Late: 1, Failed: 4},
		monitor.DeliveryCounts{Failed: 4}, failed, 0)
	if !c.closing || c.reason != endSlowConsumer {
		t.Fatalf("after queue_full: closing %v reason %s, want slow_consumer", c.closing, endReasonNames[c.reason])
	}
	c.offer(eventFrame("R", 9))
	want("not offered", monitor.DeliveryCounts{Delivered: 2, Late: 1, Failed: 4},
		monitor.DeliveryCounts{Failed: 4}, failed, 0)

	// write_error for the frame being written, discarded for the rest.
	c2, _ := h.bareConn(t)
	c2.offer(eventFrame("R", 1))
	c2.offer(eventFrame("R", 2))
	c2.ws.Close()
	if c2.writeBatch(1) {
		t.Fatal("a write on a closed socket succeeded")
	}
	failed = map[string]int64{"queue_full": 1, "discarded": 4, "write_error": 1}
	want("write error", monitor.DeliveryCounts{Delivered: 2, Late: 1, Failed: 6},
		monitor.DeliveryCounts{Failed: 6}, failed, 0)
	if c2.reason != endWriteError {
		t.Errorf("reason %s, want write_error", endReasonNames[c2.reason])
	}

	// A minute later the window has forgotten everything; counters have not.
	clock.Advance(time.Minute)
	if got := h.Delivery(); got != (monitor.DeliveryCounts{}) {
		t.Errorf("window after 60 s: %+v, want empty", got)
	}
	if k := h.Counters(); k.FramesDelivered != 2 || k.FramesFailed["discarded"] != 4 {
		t.Errorf("counters after 60 s: %+v", k)
	}
}

// A graceful close flushes the queue (delivered), then sends the close
// frame; a close that discards sends none.
func TestFlushOnClose(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	h := bareHub(DefaultConfig(), clock)
	c, client := h.bareConn(t)
	c.offer(eventFrame("R", 1))
	c.close(endReplaced, closeReplaced, "replaced")
	c.flush()
	if k := h.Counters(); k.FramesDelivered != 1 || h.PendingFrames() != 0 {
		t.Fatalf("flush: delivered %d, pending %d; want 1, 0", k.FramesDelivered, h.PendingFrames())
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := client.ReadMessage(); err != nil {
		t.Fatalf("the flushed frame did not arrive: %v", err)
	}
	_, _, err := client.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != closeReplaced {
		t.Fatalf("after the flush: %v, want close %d", err, closeReplaced)
	}
}

// Coalesce keeps replies, the newest event per room and the newest lobby
// list, in order; a queue still above 75 % is a slow consumer.
func TestCoalesceQueue(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	cfg := DefaultConfig()
	cfg.QueueSize = 16
	h := bareHub(cfg, clock)
	c, _ := h.bareConn(t)
	h.conns[c] = struct{}{}
	reply := func(seq int64) outFrame { return outFrame{kind: frameReply, seq: seq, data: []byte(`{}`)} }
	lobby := func(seq int64) outFrame { return outFrame{kind: frameLobby, seq: seq, data: []byte(`{}`)} }
	view := outFrame{kind: frameView, roomID: "R", seq: 9, data: []byte(`{}`)}
	in := []outFrame{reply(100), eventFrame("R", 1), lobby(200), eventFrame("S", 1), eventFrame("R", 2), reply(101),
		lobby(201), eventFrame("R", 3), view}
	for _, f := range in {
		c.offer(f)
	}
	if removed, dropped := h.Coalesce(len(in)); removed != 0 || dropped != 0 {
		t.Fatalf("Coalesce at the threshold removed %d, dropped %d; want nothing", removed, dropped)
	}
	removed, dropped := h.Coalesce(4)
	if removed != 3 || dropped != 0 {
		t.Fatalf("Coalesce removed %d, dropped %d; want 3, 0", removed, dropped)
	}
	kept := make([]outFrame, c.out.len())
	c.out.copyTo(kept)
	type key struct {
		kind frameKind
		room string
		seq  int64
	}
	var got []key
	for _, f := range kept {
		got = append(got, key{f.kind, f.roomID, f.seq})
	}
	wantKept := []key{{frameReply, "", 100}, {frameEvent, "S", 1}, {frameReply, "", 101}, {frameLobby, "", 201},
		{frameEvent, "R", 3}, {frameView, "R", 9}}
	if !slices.Equal(got, wantKept) {
		t.Fatalf("kept %v, want %v", got, wantKept)
	}
	k := h.Counters()
	if k.FramesCoalesced != 3 || h.PendingFrames() != int64(len(wantKept)) || h.Delivery() != (monitor.DeliveryCounts{}) {
		t.Fatalf("coalesced %d, pending %d, window %+v; want 3, %d, nothing resolved",
			k.FramesCoalesced, h.PendingFrames(), h.Delivery(), len(wantKept))
	}

	// 13 replies and one event: nothing to remove, 14 > 12 (75 % of 16).
	c2, _ := h.bareConn(t)
	h.conns[c2] = struct{}{}
	for i := range int64(13) {
		c2.offer(reply(i))
	}
	c2.offer(eventFrame("R", 4))
	removed, dropped = h.Coalesce(4)
	if removed != 0 || dropped != 1 {
		t.Fatalf("Coalesce removed %d, dropped %d; want 0, 1", removed, dropped)
	}
	if !c2.closing || c2.reason != endSlowConsumer || h.Counters().FramesFailed["discarded"] != 14 {
		t.Fatalf("backed-up consumer: closing %v, reason %s, discarded %d; want slow_consumer with 14 discarded",
			c2.closing, endReasonNames[c2.reason], h.Counters().FramesFailed["discarded"])
	}
}

// `pending` wakes the monitor when pending frames crossed above the
// threshold and are still above it 2 s later; once per crossing.
func TestWakePending(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	var wakes wakeLog
	cfg := DefaultConfig()
	cfg.PendingWarn, cfg.Wake = 3, wakes.wake
	h := bareHub(cfg, clock)
	c, _ := h.bareConn(t)
	offer := func(n int) {
		for range n {
			c.offer(eventFrame("R", 1))
		}
	}
	offer(3)
	if clock.Pending() != 0 {
		t.Fatal("a timer was armed at the threshold, before crossing it")
	}
	offer(2)
	if clock.Pending() != 1 {
		t.Fatalf("%d timers armed after crossing, want 1", clock.Pending())
	}
	clock.Advance(PendingWakeAfter - time.Millisecond)
	if got := wakes.reasons(); len(got) != 0 {
		t.Fatalf("woken %v before 2 s", got)
	}
	clock.Advance(time.Millisecond)
	offer(3) // still above: no new crossing
	clock.Advance(PendingWakeAfter)
	if got := wakes.reasons(); !slices.Equal(got, []string{"pending"}) {
		t.Fatalf("wakes %v, want one pending", got)
	}
	// Down to 2, across again, and back below before the 2 s: no wake.
	for range 6 {
		c.writeBatch(1)
	}
	offer(2)
	c.writeBatch(1)
	c.writeBatch(1)
	clock.Advance(PendingWakeAfter)
	if got := wakes.reasons(); len(got) != 1 {
		t.Fatalf("wakes %v after a crossing that did not last", got)
	}
}

// `failures` wakes the monitor when the current bucket holds ≥ 20 failed
// frames that are over 15 % of the resolved ones; at most once per bucket.
func TestWakeFailures(t *testing.T) {
	clock := monitor.NewFakeClock(fakeStart)
	var wakes wakeLog
	cfg := DefaultConfig()
	cfg.QueueSize, cfg.Wake = 25, wakes.wake
	h := bareHub(cfg, clock)
	overflow := func() { // 26 failed frames
		c, _ := h.bareConn(t)
		for range 26 {
			c.offer(eventFrame("R", 1))
		}
	}
	overflow()
	overflow()
	if got := wakes.reasons(); !slices.Equal(got, []string{"failures"}) {
		t.Fatalf("wakes %v, want one failures in the bucket", got)
	}
	clock.Advance(deliveryBucketSpan)
	c, _ := h.bareConn(t)
	for range 200 {
		c.offer(eventFrame("R", 1))
		c.writeBatch(1)
	}
	overflow() // 26 of 226: 11.5 %
	if got := wakes.reasons(); len(got) != 1 {
		t.Fatalf("wakes %v at 11.5 %% failed", got)
	}
	overflow() // 52 of 252: 20.6 %
	if got := wakes.reasons(); !slices.Equal(got, []string{"failures", "failures"}) {
		t.Fatalf("wakes %v, want a second failures in the new bucket", got)
	}
}

// panicRooms is a registry whose Leave panics.
type panicRooms struct{ Rooms }

func (panicRooms) Leave(context.Context, string) (room.Outcome, error) { panic("boom") }

// A panicking command handler is answered INTERNAL, then the connection is
// closed with 1011 (reason internal) after that reply.
func TestHandlerPanic(t *testing.T) {
	h := NewHub(DefaultConfig(), panicRooms{}, nil, nil, monitor.NewFakeClock(fakeStart), slog.New(slog.DiscardHandler))
	c, _ := h.bareConn(t)
	c.playerID = "p_ana"
	c.respond(context.Background(), c.decode([]byte(`{"type":"room.leave","id":"l1","data":{}}`)))
	f, ok := c.out.pop()
	if !ok || !strings.Contains(string(f.data), `"code":"INTERNAL"`) || !strings.Contains(string(f.data), `"reply_to":"l1"`) {
		t.Fatalf("reply %s, want INTERNAL to l1", f.data)
	}
	if !c.closing || c.reason != endInternal || !bytes.Equal(c.closeMsg[:2], []byte{0x03, 0xF3}) { // 1011
		t.Fatalf("after the panic: closing %v, reason %s, close %x; want internal 1011",
			c.closing, endReasonNames[c.reason], c.closeMsg)
	}
	k := h.Counters()
	if k.Errors["INTERNAL"] != 1 || k.Commands[CommandOutcome{TypeRoomLeave, OutcomeError}] != 1 {
		t.Fatalf("counters: errors %v, room.leave errors %d", k.Errors["INTERNAL"], k.Commands[CommandOutcome{TypeRoomLeave, OutcomeError}])
	}
}
