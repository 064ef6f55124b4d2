package ws

// frameKind classifies an outbound data frame: recovery removes frames by
// kind (observability §5.1), and replies are never removed.
type frameKind uint8

const (
	frameReply  frameKind = iota // welcome, ack, error
	frameEvent                   // event
	frameView                    // room.view
	frameLobby                   // lobby.rooms
	frameClosed                  // room.closed
	frameOther                   // replaced, shutdown
)

func frameKindOf(msgType string) frameKind {
	switch msgType {
	case MsgWelcome, MsgAck, MsgError:
		return frameReply
	case MsgEvent:
		return frameEvent
	case MsgRoomView:
		return frameView
	case MsgLobbyRooms:
		return frameLobby
	case MsgRoomClosed:
		return frameClosed
	}
	return frameOther
}

// outFrame is one queued data frame and what accounting and recovery need
// to know about it.
type outFrame struct {
	kind   frameKind
	roomID string // "" for frames about no room
	// seq is the event's seq, or the room head a view or resync ack
	// brings the client to.
	seq      int64
	queuedAt int64 // hub clock, unix nanos
	data     []byte
	// written, when set, receives the frame's fate once: true when written
	// to the socket, false when it failed (PushView's receipts).
	written chan<- bool
}

// resolve reports the frame's fate to its receipt, if any.
func (f *outFrame) resolve(written bool) {
	if f.written != nil {
		f.written <- written // buffered for exactly this one send
	}
}

// minQueueSlots is the smallest ring an active queue allocates. An idle
// connection holds no ring at all: it is dropped once the queue drains.
const minQueueSlots = 4

// outQueue is a FIFO ring of frames that grows by doubling up to the
// connection's capacity, so idle connections cost no queue memory. It is
// guarded by its connection's mutex.
type outQueue struct {
	buf     []outFrame
	head, n int
}

func (q *outQueue) len() int { return q.n }

// push appends f; false when the queue already holds capacity frames.
func (q *outQueue) push(f outFrame, capacity int) bool {
	if q.n >= capacity {
		return false
	}
	if q.n == len(q.buf) {
		q.grow(capacity)
	}
	q.buf[(q.head+q.n)%len(q.buf)] = f
	q.n++
	return true
}

func (q *outQueue) grow(capacity int) {
	size := min(max(2*len(q.buf), minQueueSlots), max(capacity, 1))
	next := make([]outFrame, size)
	q.copyTo(next)
	q.buf, q.head = next, 0
}

// copyTo copies the queued frames, oldest first, into dst.
func (q *outQueue) copyTo(dst []outFrame) {
	for i := range q.n {
		dst[i] = q.buf[(q.head+i)%len(q.buf)]
	}
}

// pop removes the oldest frame.
func (q *outQueue) pop() (outFrame, bool) {
	if q.n == 0 {
		return outFrame{}, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = outFrame{} // drop the reference to the frame's bytes
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 {
		q.buf, q.head = nil, 0 // an idle connection keeps no ring
	}
	return f, true
}

// takeAll empties the queue and returns its frames, oldest first.
func (q *outQueue) takeAll() []outFrame {
	frames := make([]outFrame, q.n)
	q.copyTo(frames)
	q.buf, q.head, q.n = nil, 0, 0
	return frames
}

// replace sets the queue to frames, oldest first; the caller keeps their
// number within the capacity.
func (q *outQueue) replace(frames []outFrame) {
	if len(frames) == 0 {
		q.buf, q.head, q.n = nil, 0, 0
		return
	}
	q.buf, q.head, q.n = frames[:len(frames):len(frames)], 0, len(frames)
}
