package ws

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"liaptui/monitor"
)

// countingConn counts the socket writes under a batchConn.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestWriteBatch: the frames a writer finds queued go out in one socket
// write, in order, and each is delivered; when that write fails, every frame
// of the batch fails with it.
func TestWriteBatch(t *testing.T) {
	h := bareHub(DefaultConfig(), monitor.NewFakeClock(fakeStart))
	c, client := h.bareConn(t)
	counted := &countingConn{Conn: c.batch.Conn}
	c.batch.Conn = counted
	frame := func(seq int64) outFrame {
		f := eventFrame("R", seq)
		f.data = fmt.Appendf(nil, `{"type":"event","seq":%d,"data":{}}`, seq)
		return f
	}
	for seq := range int64(3) {
		c.offer(frame(1 + seq))
	}
	if !c.writeBatch(maxBatchFrames) {
		t.Fatal("the batch failed")
	}
	if n := counted.writes.Load(); n != 1 {
		t.Fatalf("3 queued frames took %d socket writes, want 1", n)
	}
	for seq := range int64(3) {
		_, got, err := client.ReadMessage()
		if want := frame(1 + seq).data; err != nil || string(got) != string(want) {
			t.Fatalf("frame %d: %s, %v; want %s", seq+1, got, err, want)
		}
	}
	if k := h.Counters(); k.FramesDelivered != 3 || c.written["R"] != 3 || h.PendingFrames() != 0 {
		t.Fatalf("delivered %d, newest written %d, pending %d; want 3, 3, 0",
			k.FramesDelivered, c.written["R"], h.PendingFrames())
	}

	c.offer(frame(4))
	c.offer(frame(5))
	counted.Conn.Close()
	if c.writeBatch(maxBatchFrames) {
		t.Fatal("a batch on a closed socket succeeded")
	}
	if k := h.Counters(); k.FramesFailed["write_error"] != 2 || k.FramesDelivered != 3 {
		t.Fatalf("failed %v, delivered %d; want 2 write_error, 3 delivered", k.FramesFailed, k.FramesDelivered)
	}
}
