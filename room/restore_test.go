package room

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"liaptui/events"
	"liaptui/game"
)

func TestRestoreResumesUnfinishedRooms(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	h := newHarness(t, cfg)
	ctx := t.Context()
	a, err := h.reg.Create(ctx, player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.reg.Create(ctx, player("p2"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Join(ctx, b.RoomID, player("p3")); err != nil {
		t.Fatal(err)
	}
	done, err := h.reg.Create(ctx, player("p4"), true)
	if err != nil {
		t.Fatal(err)
	}
	playToEnd(t, h.reg, done.State, "p4") // finished: not restored
	before := map[string]struct {
		s    game.State
		head int64
	}{}
	for _, id := range []string{a.RoomID, b.RoomID} {
		s, head := h.sync(h.room(id))
		before[id] = struct {
			s    game.State
			head int64
		}{s, head}
	}

	h.restart()
	rep, err := h.reg.Restore(ctx)
	if err != nil || rep.Resumed != 2 || rep.Failed != 0 {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	if _, ok := h.reg.Room(done.RoomID); ok {
		t.Fatal("a finished room was restored")
	}
	for id, old := range before {
		s, head := h.sync(h.room(id))
		// The state is the old one plus one player_disconnected per
		// connected human, with fresh deadlines.
		want := old.s
		humans := 0
		for seat, st := range old.s.Seats {
			if st.Occupant != game.Human || !st.Connected {
				continue
			}
			humans++
			ev := game.PlayerDisconnected{Seat: seat + 1, GraceDeadline: h.now() + game.Instant(cfg.DisconnectGraceMs)}
			if id == a.RoomID { // its only human: nobody connected is left
				ev.AbandonDeadline = h.now() + game.Instant(cfg.AbandonInGameMs)
			}
			if want, err = game.Apply(want, game.Event{At: h.now(), Data: ev}); err != nil {
				t.Fatal(err)
			}
		}
		if head != old.head+int64(humans) || s != want {
			t.Fatalf("room %s: head %d (was %d, %d humans), state differs: %v", id, head, old.head, humans, s != want)
		}
		stored := h.stored(id)
		for _, ev := range stored[old.head:] {
			if ev.Type != "player_disconnected" || ev.Actor != ActorSystem {
				t.Fatalf("restore appended %s by %q", ev.Type, ev.Actor)
			}
		}
		if info, err := h.store.Stream(ctx, id); err != nil || info.Incarnation != 2 {
			t.Fatalf("incarnation %d: %v", info.Incarnation, err)
		}
	}
	for p, id := range map[string]string{"p1": a.RoomID, "p2": b.RoomID, "p3": b.RoomID} {
		if got, _ := h.reg.MemberRoom(p); got != id {
			t.Fatalf("%s is a member of %q, want %s", p, got, id)
		}
	}
	if n := len(h.reg.Summaries()); n != 2 {
		t.Fatalf("%d rooms in the lobby", n)
	}

	// The player comes back and finishes the game.
	back, err := h.reg.Reconnect(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	final := playToEnd(t, h.reg, back.State, "p1")
	folded, _, err := h.store.Replay(ctx, a.RoomID)
	if err != nil || folded != final {
		t.Fatalf("fold after the restored game: %v", err)
	}
}

func TestRestoreFiresDeadlinesPassedDuringDowntime(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	h := newHarness(t, cfg)
	a, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	if a.State.Deadline == 0 {
		t.Fatalf("seat 1 owes a decision in %s without a deadline", a.State.Phase)
	}
	h.restart()
	h.clock.Advance(time.Hour) // the server was down for an hour
	if _, err := h.reg.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, _ := h.sync(h.room(a.RoomID))
	var timedOut bool
	for _, ev := range h.stored(a.RoomID)[a.Head+1:] { // after the restart's player_disconnected
		var p struct {
			Seat int    `json:"seat"`
			By   string `json:"by"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		timedOut = timedOut || (p.Seat == 1 && p.By == game.ByTimeout)
	}
	if !timedOut {
		t.Fatal("seat 1's past deadline did not fire at once")
	}
	if got := s.Seats[0].GraceDeadline; got != h.now()+game.Instant(cfg.DisconnectGraceMs) {
		t.Fatalf("seat 1's grace deadline %d, now %d", got, h.now())
	}
}

// corrupt appends n played events that do not fit the room's state and
// returns the head before them.
func corrupt(t *testing.T, store *events.Store, id string, n int) int64 {
	t.Helper()
	s, head, err := store.Replay(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	seat := s.Current%4 + 1 // not the current player
	var batch []events.NewEvent
	for range n {
		batch = append(batch, events.NewEvent{Type: "played", At: 1,
			Payload: json.RawMessage(fmt.Sprintf(`{"round":1,"turn":1,"seat":%d,"pieces":[0],"play_type":"SINGLE","value":14,"required":1,"by":"player","next":null,"deadline":null}`, seat))})
	}
	info, err := store.Stream(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(t.Context(), id, info.Incarnation, head, batch); err != nil {
		t.Fatal(err)
	}
	return head
}

func TestRestoreClosesACorruptRoomAsFailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	a, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	good, err := h.reg.Create(t.Context(), player("p2"), true)
	if err != nil {
		t.Fatal(err)
	}
	h.restart()
	head := corrupt(t, h.store, a.RoomID, 1)
	rep, err := h.reg.Restore(t.Context())
	if err != nil || rep.Resumed != 1 || rep.Failed != 1 || rep.FailedRooms[0] != a.RoomID {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	checkClosedFailed(t, h, a.RoomID, head+2, "p1")
	if _, ok := h.reg.Room(good.RoomID); !ok {
		t.Fatal("the good room was not restored")
	}
}

func TestRestoreUsesRoomInfoForHeadAndCreation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	a, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	b, err := h.reg.Create(t.Context(), player("p2"), false)
	if err != nil {
		t.Fatal(err)
	}
	h.restart()
	h.clock.Advance(time.Hour)
	head := corrupt(t, h.store, a.RoomID, 3) // the guessed heads would all miss
	rep, err := h.reg.Restore(t.Context())
	if err != nil || rep.Failed != 1 || rep.Resumed != 1 {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	checkClosedFailed(t, h, a.RoomID, head+4, "p1")
	if got := h.room(b.RoomID).CreatedAt(); got != b.Events[0].Event.At {
		t.Fatalf("restored room created at %d, want %d", got, b.Events[0].Event.At)
	}
}

// checkClosedFailed checks that a room's stream ends with room_closed
// {reason: failed} at seq and that the room and its memberships are gone.
func checkClosedFailed(t *testing.T, h *harness, id string, seq int64, member string) {
	t.Helper()
	stored := h.stored(id)
	last := stored[len(stored)-1]
	if last.Seq != seq || last.Type != "room_closed" || string(last.Payload) != `{"reason":"failed"}` {
		t.Fatalf("last stored event %d %s %s, want %d room_closed failed", last.Seq, last.Type, last.Payload, seq)
	}
	if info, err := h.store.Stream(t.Context(), id); err != nil || info.Status != events.StatusClosed {
		t.Fatalf("stream status %q: %v", info.Status, err)
	}
	if _, ok := h.reg.Room(id); ok {
		t.Fatal("a failed room is live")
	}
	if _, ok := h.reg.MemberRoom(member); ok {
		t.Fatal("a member of a failed room is still a member")
	}
}
