package room

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"liaptui/game"
)

func TestMemberships(t *testing.T) {
	t.Parallel()
	cfg := game.DefaultConfig()
	h := newHarness(t, cfg)
	ctx := t.Context()
	a, err := h.reg.Create(ctx, player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.reg.Create(ctx, player("p3"), false)
	if err != nil {
		t.Fatal(err)
	}

	_, err = h.reg.Join(ctx, "ZZZZZZ", player("p2"))
	wantCode(t, err, game.CodeRoomNotFound)
	j, err := h.reg.Join(ctx, strings.ToLower(a.RoomID), player("p2"))
	if err != nil || j.Seat != 2 || j.RoomID != a.RoomID {
		t.Fatalf("join: seat %d room %s: %v", j.Seat, j.RoomID, err)
	}
	if id, _ := h.reg.MemberRoom("p2"); id != a.RoomID {
		t.Fatalf("p2 is a member of %q", id)
	}

	// A member anywhere can neither join nor create.
	_, err = h.reg.Join(ctx, b.RoomID, player("p2"))
	wantCode(t, err, game.CodeAlreadyInRoom)
	var ge *game.Error
	if errors.As(err, &ge); ge.Details["room_id"] != a.RoomID {
		t.Fatalf("details %v", ge.Details)
	}
	_, err = h.reg.Join(ctx, a.RoomID, player("p2"))
	wantCode(t, err, game.CodeAlreadyInRoom)
	_, err = h.reg.Create(ctx, player("p2"), true)
	wantCode(t, err, game.CodeAlreadyInRoom)

	// Leaving ends membership; then the player may join elsewhere.
	if _, err := h.reg.Leave(ctx, "p2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.reg.MemberRoom("p2"); ok {
		t.Fatal("p2 is still a member after leaving")
	}
	_, err = h.reg.Declare(ctx, "p2", 1)
	wantCode(t, err, game.CodeNotSeated)
	if _, err := h.reg.Join(ctx, b.RoomID, player("p2")); err != nil {
		t.Fatal(err)
	}

	// A waiting room closes when its last human leaves: the room and the
	// membership end.
	closed, err := h.reg.Leave(ctx, "p1")
	if err != nil || !closed.State.Closed || closed.State.CloseReason != game.CloseEmpty {
		t.Fatalf("last leave: closed %v reason %q: %v", closed.State.Closed, closed.State.CloseReason, err)
	}
	if _, ok := h.reg.Room(a.RoomID); ok {
		t.Fatal("a closed room is still live")
	}
	_, err = h.reg.Join(ctx, a.RoomID, player("p4"))
	wantCode(t, err, game.CodeRoomNotFound)
	_, err = h.room(b.RoomID).Do(ctx, game.Disconnect{PlayerID: "p3"}) // still live
	if err != nil {
		t.Fatal(err)
	}

	// Grace expiry in waiting opens the seat and ends the membership; the
	// host role moves to the remaining human.
	rb := h.room(b.RoomID)
	s := h.advance(rb, time.Duration(cfg.DisconnectGraceMs)*time.Millisecond)
	if s.Seats[0].Occupant != game.Open || s.HostSeat != 2 {
		t.Fatalf("after grace: seat 1 %s, host seat %d", s.Seats[0].Occupant, s.HostSeat)
	}
	if _, ok := h.reg.MemberRoom("p3"); ok {
		t.Fatal("p3 is still a member after its grace expired")
	}
	if id, _ := h.reg.MemberRoom("p2"); id != b.RoomID {
		t.Fatalf("p2 is a member of %q", id)
	}
	if !h.reg.Seated("p2") || h.reg.Seated("p3") || !h.reg.HasActor(b.RoomID) || h.reg.HasActor(a.RoomID) {
		t.Fatal("Seated or HasActor disagree with the memberships")
	}

	// The last human's grace expiry closes the waiting room.
	if _, err := h.reg.Disconnect(ctx, "p2"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Duration(cfg.DisconnectGraceMs) * time.Millisecond)
	waitDone(t, rb)
	if _, ok := h.reg.MemberRoom("p2"); ok {
		t.Fatal("p2 is still a member of a closed room")
	}
	if _, ok := h.reg.Room(b.RoomID); ok {
		t.Fatal("the closed room is still live")
	}
	c, ok := h.pub.lastOfType(b.RoomID, "room_closed")
	if !ok || c.Event.Data != (game.RoomClosed{Reason: game.CloseEmpty}) {
		t.Fatalf("room_closed %+v", c)
	}
	_, err = rb.Do(ctx, game.Reconnect{PlayerID: "p2"})
	wantCode(t, err, game.CodeRoomNotFound)
}

func TestLeavingAStartedGameEndsMembership(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastConfig())
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	left, err := h.reg.Leave(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if !left.State.Seats[0].Left || left.Seat != 1 {
		t.Fatalf("seat 1 after leave: %+v", left.State.Seats[0])
	}
	if _, ok := h.reg.MemberRoom("p1"); ok {
		t.Fatal("a player who left is still a member")
	}
	if _, err := h.reg.Create(t.Context(), player("p1"), false); err != nil {
		t.Fatalf("a player who left cannot create: %v", err)
	}
	_, err = h.reg.Join(t.Context(), out.RoomID, player("p9"))
	wantCode(t, err, game.CodeGameAlreadyStarted)
}

func TestSummaries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, game.DefaultConfig())
	ctx := t.Context()
	w1, err := h.reg.Create(ctx, player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	q, err := h.reg.Create(ctx, player("p2"), true)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	w2, err := h.reg.Create(ctx, game.Player{PlayerID: "p3", Name: "Cy"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Join(ctx, w2.RoomID, game.Player{PlayerID: "p4", Name: "Di"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.Seat(ctx, "p3", 4, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reg.createCanary(ctx, "_canary:1", 1, game.DefaultConfig(), &canaryRecorder{}); err != nil {
		t.Fatal(err)
	}
	if !h.reg.HasActor("_canary:1") {
		t.Fatal("the slow canary room is not running")
	}

	got := h.reg.Summaries()
	var ids []string
	for _, s := range got {
		ids = append(ids, s.RoomID)
	}
	if want := []string{w2.RoomID, w1.RoomID, q.RoomID}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", ids, want)
	}
	cy, di, bot := "Cy", "Di", "Bot 4"
	want := Summary{RoomID: w2.RoomID, Phase: game.PhaseWaiting, HostName: &cy,
		Seats: [4]SummarySeat{{1, game.Human, &cy, true}, {2, game.Human, &di, true}, {3, game.Open, nil, false},
			{4, game.Bot, &bot, true}},
		Humans: 2, Bots: 1, OpenSeats: 1, Joinable: true, Round: 0,
		CreatedAt: game.Instant(testStart.UnixMilli() + 2000)}
	if a, b := mustJSON(t, got[0]), mustJSON(t, want); a != b {
		t.Fatalf("summary\n%s\nwant\n%s", a, b)
	}
	if s := got[2]; s.Phase == game.PhaseWaiting || s.Joinable || s.Round != 1 || s.Bots != 3 || s.Humans != 1 ||
		s.CreatedAt != game.Instant(testStart.UnixMilli()+1000) {
		t.Fatalf("quick-play summary %s", mustJSON(t, s))
	}
	if js := mustJSON(t, got[1]); !strings.Contains(js, `"host_name":"Np1"`) || !strings.Contains(js, `"seats":[{"seat":1,"kind":"human","name":"Np1","connected":true},{"seat":2,"kind":"open","name":null,"connected":false}`) {
		t.Fatalf("waiting summary %s", js)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitDone waits, bounded, for a room's actor to exit.
func waitDone(t *testing.T, r *Room) {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("room %s did not stop", r.ID())
	}
}
