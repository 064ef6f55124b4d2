package room

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/events"
	"liaptui/game"
)

// createUntil creates slow quick-play rooms (hosts h1, h2, …) until one's
// state satisfies ok; the others are left running.
func createUntil(t *testing.T, h *harness, ok func(game.State) bool) (Outcome, string) {
	t.Helper()
	for i := 1; i <= 40; i++ {
		host := fmt.Sprintf("h%d", i)
		out, err := h.reg.Create(t.Context(), player(host), true)
		if err != nil {
			t.Fatal(err)
		}
		if ok(out.State) {
			return out, host
		}
	}
	t.Fatal("no seed gave the wanted state")
	return Outcome{}, ""
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestSlowTimersMoveTheRoom(t *testing.T) {
	t.Parallel()
	cfg := game.DefaultConfig()
	h := newHarness(t, cfg)
	out, host := createUntil(t, h, func(s game.State) bool { return s.Phase == game.PhaseRoundStart })
	r := h.room(out.RoomID)
	if out.State.Deadline != h.now()+game.Instant(cfg.RoundStartPauseMs) {
		t.Fatalf("round_start deadline %d, now %d", out.State.Deadline, h.now())
	}

	// The round-start pause.
	h.clock.Advance(ms(cfg.RoundStartPauseMs - 1))
	if s, _ := h.sync(r); s.Phase != game.PhaseRoundStart {
		t.Fatalf("phase %s before the pause ended", s.Phase)
	}
	h.clock.Advance(ms(1))
	s, _ := h.sync(r)
	if s.Phase != game.PhaseDeclaration {
		t.Fatalf("phase %s after the pause", s.Phase)
	}

	// The bot think delay: the human declares when it is its turn, and a
	// bot's declaration waits for bot_delay_ms.
	rng := rand.New(rand.NewPCG(3, 3))
	if s.Current == 1 {
		o, err := humanMove(t.Context(), h.reg, s, 1, host, rng)
		if err != nil {
			t.Fatal(err)
		}
		s = o.State
	}
	if s.Phase != game.PhaseDeclaration || game.BotsOwing(s) == 0 {
		t.Fatalf("phase %s, no bot owes a declaration", s.Phase)
	}
	index := s.DeclIndex
	h.clock.Advance(ms(cfg.BotDelayMs - 1))
	if s, _ = h.sync(r); s.DeclIndex != index {
		t.Fatal("the bot declared before its delay")
	}
	h.clock.Advance(ms(1))
	if s, _ = h.sync(r); s.DeclIndex != index+1 {
		t.Fatal("the bot did not declare after its delay")
	}
	if c, ok := h.pub.lastOfType(out.RoomID, "declared"); !ok || c.Event.Data.(game.Declared).By != game.ByBot {
		t.Fatalf("last declared: %+v", c)
	}

	// Until the human owes a play, declare for it and let the bots act.
	for !(s.Phase == game.PhaseTurn && s.Current == 1) {
		if s.Phase == game.PhaseDeclaration && s.Current == 1 {
			o, err := humanMove(t.Context(), h.reg, s, 1, host, rng)
			if err != nil {
				t.Fatal(err)
			}
			s = o.State
			continue
		}
		if s.Phase != game.PhaseDeclaration && s.Phase != game.PhaseTurn {
			t.Fatalf("phase %s before seat 1 played", s.Phase)
		}
		s = h.advance(r, ms(100))
	}

	// The human's play timeout: the bot logic plays for it.
	evs := h.pub.events(out.RoomID)
	if last := evs[len(evs)-1].Event; s.Deadline != last.At+game.Instant(cfg.PlayTimeoutMs) {
		t.Fatalf("play deadline %d after %s at %d", s.Deadline, last.Type(), last.At)
	}
	plays := s.NumPlays
	h.clock.Advance(ms(int(s.Deadline-h.now()) - 1))
	if s, _ = h.sync(r); s.NumPlays != plays || s.Current != 1 {
		t.Fatal("seat 1 played before its timeout")
	}
	h.clock.Advance(ms(1))
	h.sync(r)
	var timedOut *game.Played
	for _, c := range h.pub.events(out.RoomID) {
		if p, ok := c.Event.Data.(game.Played); ok && p.Seat == 1 {
			timedOut = &p
		}
	}
	if timedOut == nil || timedOut.By != game.ByTimeout {
		t.Fatalf("seat 1's play: %+v", timedOut)
	}
	h.checkPublishedEqualsStored(out.RoomID)
}

func TestGraceExpiryHandsTheSeatToTheBotAndReconnectBack(t *testing.T) {
	t.Parallel()
	cfg := game.DefaultConfig()
	h := newHarness(t, cfg)
	out, err := h.reg.Create(t.Context(), player("p1"), true)
	if err != nil {
		t.Fatal(err)
	}
	r := h.room(out.RoomID)
	d, err := h.reg.Disconnect(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	p := d.Events[0].Event.Data.(game.PlayerDisconnected)
	if p.GraceDeadline != h.now()+game.Instant(cfg.DisconnectGraceMs) || p.AbandonDeadline != h.now()+game.Instant(cfg.AbandonInGameMs) {
		t.Fatalf("player_disconnected %+v at %d", p, h.now())
	}
	s := h.advance(r, ms(cfg.DisconnectGraceMs-100))
	if s.Seats[0].Controller != game.Human {
		t.Fatal("the bot took the seat before the grace ended")
	}
	s = h.advance(r, ms(100))
	if s.Seats[0].Controller != game.Bot {
		t.Fatal("the bot did not take the seat when the grace ended")
	}
	c, ok := h.pub.lastOfType(out.RoomID, "seat_control_changed")
	if want := (game.SeatControlChanged{Seat: 1, Controller: game.Bot, Reason: game.ReasonGraceExpired}); !ok || c.Event.Data != want {
		t.Fatalf("seat_control_changed %+v", c.Event.Data)
	}
	if id, ok := h.reg.MemberRoom("p1"); !ok || id != out.RoomID {
		t.Fatal("a disconnected player stays a member during the game")
	}

	back, err := h.reg.Reconnect(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Events) != 2 || back.Events[1].Event.Data != (game.SeatControlChanged{Seat: 1, Controller: game.Human, Reason: game.ReasonReconnected}) {
		t.Fatalf("reconnect events %+v", back.Events)
	}
	if st := back.State.Seats[0]; st.Controller != game.Human || !st.Connected || back.State.AbandonDeadline != 0 {
		t.Fatalf("seat 1 after reconnect %+v", st)
	}
	h.checkPublishedEqualsStored(out.RoomID)
}

// flakyLog fails appends while failing is set.
type flakyLog struct {
	events.RoomLog
	failing *atomic.Bool
}

func (l flakyLog) AppendEvents(ctx context.Context, room string, incarnation, head int64, evs []game.Event, actor string) error {
	if l.failing.Load() {
		return errors.New("injected store failure")
	}
	return l.RoomLog.AppendEvents(ctx, room, incarnation, head, evs, actor)
}

// flakyRoundStart is a room with default options at its round-start pause,
// whose appends fail while the returned flag is set.
func flakyRoundStart(t *testing.T) (h *harness, r *Room, out Outcome, failing *atomic.Bool) {
	t.Helper()
	failing = &atomic.Bool{}
	h = newHarness(t, game.DefaultConfig(), func(h *harness) {
		h.wrapLog = func(l events.RoomLog) EventLog { return flakyLog{l, failing} }
	})
	out, _ = createUntil(t, h, func(s game.State) bool { return s.Phase == game.PhaseRoundStart })
	return h, h.room(out.RoomID), out, failing
}

func TestTimerRetriesAfterAFailedAppend(t *testing.T) {
	t.Parallel()
	cfg := game.DefaultConfig()
	h, r, out, failing := flakyRoundStart(t)
	failing.Store(true)
	h.clock.Advance(ms(cfg.RoundStartPauseMs))
	if s, head := h.sync(r); s.Phase != game.PhaseRoundStart || head != out.Head {
		t.Fatalf("phase %s head %d after a failed append", s.Phase, head)
	}
	failing.Store(false)
	h.clock.Advance(retryDelay - ms(1))
	if s, _ := h.sync(r); s.Phase != game.PhaseRoundStart {
		t.Fatal("retried before retryDelay")
	}
	h.clock.Advance(ms(1))
	if s, _ := h.sync(r); s.Phase != game.PhaseDeclaration {
		t.Fatalf("phase %s: the expired pause was not retried", s.Phase)
	}
	h.checkPublishedEqualsStored(out.RoomID)
}
