package ws

import "liaptui/game"

// protected reports whether emergency protection mode is on
// (observability §5.5).
func (h *Hub) protected() bool { return h.cfg.Protection != nil && h.cfg.Protection() }

// refuse answers a command protection mode refuses: UNAVAILABLE with
// details.reason "overloaded" and retry_after_ms.
func (h *Hub) refuse(command string) (Message, error) {
	h.counters.refusals[command].Add(1)
	return Message{}, Unavailable("overloaded", protectionRetryAfterMs)
}

// waitingRoom reports whether id names a live room whose game has not
// started; joins of other rooms get the registry's own answer.
func (h *Hub) waitingRoom(id string) bool {
	r, ok := h.rooms.Room(id)
	if !ok {
		return false
	}
	s, _ := r.Snapshot()
	return s.Phase == game.PhaseWaiting
}
