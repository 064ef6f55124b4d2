package ws

import "testing"

func seqs(frames []outFrame) []int64 {
	out := make([]int64, len(frames))
	for i, f := range frames {
		out[i] = f.seq
	}
	return out
}

// The ring keeps FIFO order across growth and wrap-around, refuses a frame
// beyond its capacity, and an idle (drained) queue holds no ring.
func TestOutQueue(t *testing.T) {
	const capacity = 10
	var q outQueue
	if q.buf != nil {
		t.Fatal("a new queue allocated a ring")
	}
	next, want := int64(1), int64(1)
	push := func(n int) {
		for range n {
			if !q.push(outFrame{seq: next}, capacity) {
				t.Fatalf("push %d refused at length %d", next, q.len())
			}
			next++
		}
	}
	pop := func(n int) {
		for range n {
			f, ok := q.pop()
			if !ok || f.seq != want {
				t.Fatalf("pop = %d, %v; want %d", f.seq, ok, want)
			}
			want++
		}
	}
	push(3)
	if len(q.buf) != minQueueSlots {
		t.Fatalf("ring of %d slots for 3 frames, want %d", len(q.buf), minQueueSlots)
	}
	pop(2)
	push(6) // wraps, then grows to 8
	pop(3)
	push(6) // grows to the capacity
	if q.len() != capacity || len(q.buf) != capacity {
		t.Fatalf("length %d in %d slots, want %d in %d", q.len(), len(q.buf), capacity, capacity)
	}
	if q.push(outFrame{seq: 99}, capacity) {
		t.Fatal("a full queue took one more frame")
	}
	pop(capacity)
	if _, ok := q.pop(); ok || q.buf != nil {
		t.Fatalf("drained queue: pop ok %v, ring of %d slots; want nothing held", ok, len(q.buf))
	}
	push(3)
	taken := q.takeAll()
	if got := seqs(taken); len(got) != 3 || got[0] != want || got[2] != want+2 || q.len() != 0 || q.buf != nil {
		t.Fatalf("takeAll = %v, queue left %d", got, q.len())
	}
	q.replace(taken[1:])
	want++
	pop(2)
	if q.buf != nil {
		t.Fatalf("a queue drained from a short burst kept a ring of %d slots", len(q.buf))
	}
}
