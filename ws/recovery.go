package ws

import (
	"context"
	"slices"

	"github.com/gorilla/websocket"
)

// The operations recovery runs on the hub (observability §5.1). Each is
// safe for concurrent use and returns counts for the attempt's summary.

// SweepStale closes every connection that meets the stale rule: its TCP
// connection ends without a close frame and it is unregistered, which hands
// a member's seat to the room's disconnect path (grace, then bot). ctx's
// correlation id is the disconnects' cause.
func (h *Hub) SweepStale(ctx context.Context) (closed int) {
	now := h.clock.Now().UnixNano()
	var stale []*conn
	h.mu.Lock()
	for c := range h.conns {
		if c.stale(now) {
			stale = append(stale, c)
		}
	}
	h.mu.Unlock()
	for _, c := range stale {
		// Claimed before the socket closes, so the disconnect runs here,
		// under ctx, and not in the reader the close wakes.
		if !c.ended.CompareAndSwap(false, true) {
			continue // it ended by itself meanwhile
		}
		c.abort(endStale)
		h.unregister(ctx, c)
		closed++
	}
	return closed
}

// Coalesce shortens every queue holding more than threshold frames: each
// room's event frames but the newest, and every lobby.rooms frame but the
// newest, are removed (counted as coalesced, not failed); replies and other
// frames stay. A queue still above 75 % of its capacity afterwards makes its
// connection a slow consumer (queue discarded, close 4002).
func (h *Hub) Coalesce(threshold int) (framesRemoved, consumersDropped int) {
	for _, c := range h.connections() {
		removed, dropped := c.coalesce(threshold)
		framesRemoved += removed
		if dropped {
			consumersDropped++
		}
	}
	return framesRemoved, consumersDropped
}

func (c *conn) coalesce(threshold int) (removed int, dropped bool) {
	h := c.hub
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.out.len() <= threshold {
		return 0, false
	}
	frames := c.out.takeAll()
	newestEvent := map[string]int{} // room id -> index of its newest event
	newestLobby := -1
	for i, f := range frames {
		switch f.kind {
		case frameEvent:
			newestEvent[f.roomID] = i
		case frameLobby:
			newestLobby = i
		}
	}
	kept := frames[:0]
	for i, f := range frames {
		superseded := f.kind == frameEvent && newestEvent[f.roomID] != i || f.kind == frameLobby && newestLobby != i
		if !superseded {
			kept = append(kept, f)
		}
	}
	clear(frames[len(kept):])
	c.out.replace(kept)
	removed = len(frames) - len(kept)
	h.coalesced(removed)
	if len(kept)*4 > h.cfg.QueueSize*3 {
		c.closeLocked(endSlowConsumer, closeSlowConsumer, "slow consumer")
		return removed, true
	}
	return removed, false
}

func (h *Hub) coalesced(n int) {
	h.pendingRemoved(n)
	h.counters.coalesced.Add(int64(n))
}

// connections lists the registered connections.
func (h *Hub) connections() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	return conns
}

// ViewPush is what PushView queued.
type ViewPush struct {
	// Pushed is the number of room.view frames queued.
	Pushed   int
	receipts []<-chan bool
}

// Wait blocks until every pushed view was written to its socket or failed,
// or ctx ends; written counts the views written. Call it once.
func (p ViewPush) Wait(ctx context.Context) (written int, err error) {
	for _, r := range p.receipts {
		select {
		case ok := <-r:
			if ok {
				written++
			}
		case <-ctx.Done():
			return written, ctx.Err()
		}
	}
	return written, nil
}

// PushView repairs the lagging members of a live room (client_desync):
// every connected member whose newest written seq for the room is below its
// head loses its queued event frames of the room with seq ≤ head (counted
// as coalesced) and gets room.view {reason} at head, queued before any
// newer event of the room.
func (h *Hub) PushView(roomID, reason string) ViewPush {
	r, ok := h.rooms.Room(roomID)
	if !ok {
		return ViewPush{}
	}
	s, head := r.Snapshot()
	now := h.clock.Now().UnixMilli()
	type target struct {
		c    *conn
		seat int
	}
	var targets []target
	h.mu.Lock()
	for player, seat := range membersOf(s) {
		if c := h.byPlayer[player]; c != nil {
			targets = append(targets, target{c, seat})
		}
	}
	h.mu.Unlock()
	var push ViewPush
	for _, t := range targets {
		if !t.c.lagging(roomID, head) {
			continue
		}
		b, err := RoomView(roomID, reason, RenderView(s, Member(t.seat), head, now)).Encode()
		if err != nil {
			h.log.Error("encode room view", "room_id", roomID, "error", err)
			continue
		}
		if receipt := t.c.pushView(roomID, head, b); receipt != nil {
			push.receipts = append(push.receipts, receipt)
		}
	}
	push.Pushed = len(push.receipts)
	return push
}

// PushViewAll is PushView for every live room with a connected member.
func (h *Hub) PushViewAll(reason string) ViewPush {
	h.mu.Lock()
	players := make([]string, 0, len(h.byPlayer))
	for p := range h.byPlayer {
		players = append(players, p)
	}
	h.mu.Unlock()
	rooms := map[string]struct{}{}
	for _, p := range players {
		if id, ok := h.rooms.MemberRoom(p); ok {
			rooms[id] = struct{}{}
		}
	}
	var all ViewPush
	for id := range rooms {
		p := h.PushView(id, reason)
		all.Pushed += p.Pushed
		all.receipts = append(all.receipts, p.receipts...)
	}
	return all
}

func (c *conn) lagging(roomID string, head int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closing && c.written[roomID] < head
}

// pushView queues a view at head; nil when the connection no longer lags.
func (c *conn) pushView(roomID string, head int64, data []byte) <-chan bool {
	h := c.hub
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.written[roomID] >= head {
		return nil
	}
	frames := c.out.takeAll()
	kept := frames[:0]
	at := -1 // before the first newer event of the room
	for _, f := range frames {
		if f.kind == frameEvent && f.roomID == roomID {
			if f.seq <= head {
				continue
			}
			if at < 0 {
				at = len(kept)
			}
		}
		kept = append(kept, f)
	}
	clear(frames[len(kept):])
	h.coalesced(len(frames) - len(kept))
	if at < 0 {
		at = len(kept)
	}
	receipt := make(chan bool, 1)
	view := outFrame{kind: frameView, roomID: roomID, seq: head, queuedAt: h.clock.Now().UnixNano(),
		data: data, written: receipt}
	if len(kept) >= h.cfg.QueueSize {
		c.out.replace(kept)
		h.frameFailed(failQueueFull, &view)
		c.closeLocked(endSlowConsumer, closeSlowConsumer, "slow consumer")
		return receipt
	}
	c.out.replace(slices.Insert(kept, at, view))
	h.pendingAdded()
	c.wakeWriterLocked()
	return receipt
}

// CloseConn closes the player's connection with code (a close code of
// protocol §1.6); code 0 or 1006 ends it without a close frame, as a stale
// connection. False when the player has no connection.
func (h *Hub) CloseConn(playerID string, code int) bool {
	h.mu.Lock()
	c := h.byPlayer[playerID]
	h.mu.Unlock()
	if c == nil {
		return false
	}
	if code == 0 || code == websocket.CloseAbnormalClosure {
		c.abort(endStale)
		return true
	}
	reason := endReasonOf(code)
	c.close(reason, code, endReasonNames[reason])
	return true
}

// endReasonOf names the end a server close code stands for.
func endReasonOf(code int) endReason {
	switch code {
	case websocket.CloseNormalClosure:
		return endNormal
	case websocket.CloseGoingAway:
		return endShutdown
	case websocket.CloseUnsupportedData, websocket.CloseInvalidFramePayloadData, websocket.CloseMessageTooBig:
		return endBadFrame
	case closeReplaced:
		return endReplaced
	case closeNoHello:
		return endHelloTimeout
	case closeSlowConsumer:
		return endSlowConsumer
	}
	return endInternal
}
