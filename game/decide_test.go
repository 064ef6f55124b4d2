package game

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// Scenario tests of the phase machine (rules §4–§19): every command goes
// through Decide, every event through Apply, with a seeded source and a
// clock the test moves by hand.

const t0 Instant = 1_764_000_000_000

// harness holds a room's state, its clock and its random source.
type harness struct {
	t   *testing.T
	s   State
	env Env
	src *rand.PCG
	// declare, when set, chooses the declarations of human seats in run.
	declare func(seat int, v SeatView) int
}

func newHarness(t *testing.T, seed uint64) *harness {
	src := rand.NewPCG(seed, 0x64656369)
	return &harness{t: t, env: Env{Now: t0, Rand: rand.New(src)}, src: src}
}

// do decides cmd at the current instant, applies its events and fails the
// test on a rejection.
func (h *harness) do(cmd Command) []Event {
	h.t.Helper()
	events, err := Decide(h.s, cmd, h.env)
	if err != nil {
		h.t.Fatalf("%s %+v at +%dms in phase %s: %v", cmd.commandName(), cmd, h.env.Now-t0, h.s.Phase, err)
	}
	for _, e := range events {
		if e.At != h.env.Now {
			h.t.Errorf("%s at %d, want the clock's %d", e.Type(), e.At, h.env.Now)
		}
		next, err := Apply(h.s, e)
		if err != nil {
			h.t.Fatalf("%s: %v", cmd.commandName(), err)
		}
		h.s = next
	}
	return events
}

// reject checks that cmd is rejected with code, emits nothing and draws
// nothing from the random source; it returns the error for its details.
func (h *harness) reject(cmd Command, code Code) *Error {
	h.t.Helper()
	before, _ := h.src.MarshalBinary()
	events, err := Decide(h.s, cmd, h.env)
	var e *Error
	if !errors.As(err, &e) {
		h.t.Fatalf("%s %+v: got %v (%d events), want %s", cmd.commandName(), cmd, err, len(events), code)
	}
	if e.Code != code {
		h.t.Errorf("%s %+v: got %s (%s), want %s", cmd.commandName(), cmd, e.Code, e.Message, code)
	}
	if events != nil {
		h.t.Errorf("%s: a rejection returned %d events", cmd.commandName(), len(events))
	}
	if after, _ := h.src.MarshalBinary(); !slices.Equal(before, after) {
		h.t.Errorf("%s: a rejection drew from the random source", cmd.commandName())
	}
	return e
}

// at moves the clock to t0+ms.
func (h *harness) at(ms int) { h.env.Now = t0 + Instant(ms) }

// tickAt moves the clock to instant and sends Tick.
func (h *harness) tickAt(instant Instant) []Event {
	h.t.Helper()
	h.env.Now = instant
	return h.do(Tick{})
}

// room opens room "R" hosted by p1 and fills seats 2..4 by spec, one byte a
// seat: 'h' a human p<seat> who joins, 'b' a bot, '.' left open.
func (h *harness) room(cfg Config, spec string) {
	h.t.Helper()
	h.do(CreateRoom{RoomID: "R", Host: &Player{PlayerID: "p1", Name: "P1"}, Config: cfg})
	for i, c := range spec {
		if c == 'b' {
			h.do(SetSeat{PlayerID: "p1", Seat: i + 2, Bot: true})
		}
	}
	for i, c := range spec {
		if c == 'h' {
			ev := h.do(Join{Player: Player{PlayerID: playerID(i + 2), Name: fmt.Sprintf("P%d", i+2)}})
			if j := payload[PlayerJoined](h.t, ev); j.Seat != i+2 {
				h.t.Fatalf("p%d joined seat %d", i+2, j.Seat)
			}
		}
	}
}

func (h *harness) start() []Event {
	h.t.Helper()
	return h.do(Start{PlayerID: "p1"})
}

// humanMove is the command a human-controlled seat sends in run: decline a
// redeal, declare and play with the bot logic (or h.declare).
func (h *harness) humanMove(seat int) Command {
	v := ViewOf(h.s, seat)
	id := h.s.seat(seat).PlayerID
	switch h.s.Phase {
	case PhasePreparation:
		return Redeal{PlayerID: id, Deal: h.s.Deal}
	case PhaseDeclaration:
		value := BotStrategy{}.Declare(v, nil)
		if h.declare != nil {
			value = h.declare(seat, v)
		}
		return Declare{PlayerID: id, Value: value}
	}
	return Play{PlayerID: id, Pieces: BotStrategy{}.Play(v, nil).IDs()}
}

// run plays until stop holds: human-controlled seats act by command, bots on
// BotTurn, and when nobody can act the clock jumps to the next deadline.
func (h *harness) run(stop func(s *State) bool) {
	h.t.Helper()
	for step := 0; !stop(&h.s); step++ {
		if step > 20_000 || h.s.Closed || h.s.Phase == PhaseGameOver {
			h.t.Fatalf("stop condition never held (phase %s, closed %v)", h.s.Phase, h.s.Closed)
		}
		human := 0
		for seat := numSeats; seat >= 1; seat-- {
			if h.s.seat(seat).Controller == Human && owes(&h.s, seat) {
				human = seat
			}
		}
		switch {
		case BotsOwing(h.s) != 0:
			h.do(BotTurn{})
		case human != 0:
			h.do(h.humanMove(human))
		case NextDeadline(h.s) != 0:
			h.tickAt(NextDeadline(h.s))
		default:
			h.t.Fatalf("nobody can act in phase %s", h.s.Phase)
		}
	}
}

// findSeed returns the harness of the first seed in 1..limit for which try
// reports true; try builds the situation by playing commands.
func findSeed(t *testing.T, limit uint64, what string, try func(h *harness) bool) *harness {
	t.Helper()
	for seed := uint64(1); seed <= limit; seed++ {
		h := newHarness(t, seed)
		if try(h) {
			return h
		}
	}
	t.Fatalf("no seed in 1..%d gives %s", limit, what)
	return nil
}

func slowConfig() Config { return DefaultConfig() }

func fastConfig() Config {
	c := DefaultConfig()
	c.FastMode = true
	return c
}

// ---- event helpers ----

func typesOf(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type()
	}
	return out
}

func wantTypes(t *testing.T, events []Event, want ...string) {
	t.Helper()
	if got := typesOf(events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func wantPrefix(t *testing.T, events []Event, want ...string) {
	t.Helper()
	got := typesOf(events)
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("events %v, want them to begin with %v", got, want)
	}
}

// payloads lists the payloads of type P in order.
func payloads[P Payload](events []Event) []P {
	var out []P
	for _, e := range events {
		if p, ok := e.Data.(P); ok {
			out = append(out, p)
		}
	}
	return out
}

// payload is the only payload of type P among events.
func payload[P Payload](t *testing.T, events []Event) P {
	t.Helper()
	ps := payloads[P](events)
	if len(ps) != 1 {
		var zero P
		t.Fatalf("%d %s events in %v, want 1", len(ps), zero.EventType(), typesOf(events))
	}
	return ps[0]
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func wantDetails(t *testing.T, e *Error, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(e.Details, want) {
		t.Errorf("%s details = %#v, want %#v", e.Code, e.Details, want)
	}
}

// firstAccepter is the first seat of set in the rotation from start.
func firstAccepter(start int, set SeatSet) int {
	for _, n := range rotationFrom(start) {
		if set.Has(n) {
			return n
		}
	}
	return 0
}

// ---- 1. room layer ----

func TestCreateRoom(t *testing.T) {
	host := &Player{PlayerID: "p1", Name: "Ana"}

	t.Run("normal", func(t *testing.T) {
		h := newHarness(t, 1)
		ev := h.do(CreateRoom{RoomID: "R", Host: host, Config: slowConfig()})
		wantTypes(t, ev, "room_created")
		wantEqual(t, "room_created", ev[0].Data.(RoomCreated),
			RoomCreated{RoomID: "R", HostSeat: 1, Host: host, Config: slowConfig()})
		s := h.s
		wantEqual(t, "phase, round, deal, host", []any{s.Phase, s.Round, s.Deal, s.HostSeat, s.Hosted},
			[]any{PhaseWaiting, 0, 0, 1, true})
		wantEqual(t, "seat 1", s.Seats[0], SeatState{Occupant: Human, PlayerID: "p1", Name: "Ana",
			Controller: Human, Connected: true, Declared: -1})
		for seat := 2; seat <= numSeats; seat++ {
			wantEqual(t, fmt.Sprintf("seat %d", seat), s.seat(seat).Occupant, Open)
		}
		if NextDeadline(s) != 0 {
			t.Errorf("a waiting room has deadline %d", NextDeadline(s))
		}
		h.reject(CreateRoom{RoomID: "R", Host: host}, CodeWrongPhase)
	})

	t.Run("invalid", func(t *testing.T) {
		h := newHarness(t, 1)
		h.reject(CreateRoom{Host: host, Config: slowConfig()}, CodeInvalidField)
		bad := slowConfig()
		bad.PlayTimeoutMs = -1
		e := h.reject(CreateRoom{RoomID: "R", Host: host, Config: bad}, CodeInvalidField)
		wantEqual(t, "field", e.Details["field"], any("config.play_timeout_ms"))
		h.reject(Join{Player: Player{PlayerID: "p2"}}, CodeRoomNotFound)
	})

	t.Run("quick play", func(t *testing.T) {
		h := newHarness(t, 1)
		ev := h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: slowConfig()})
		wantPrefix(t, ev, "room_created", "bot_added", "bot_added", "bot_added", "game_started", "hands_dealt")
		wantEqual(t, "bots", payloads[BotAdded](ev),
			[]BotAdded{{Seat: 2, Name: "Bot 2"}, {Seat: 3, Name: "Bot 3"}, {Seat: 4, Name: "Bot 4"}})
		if !ev[0].Data.(RoomCreated).QuickPlay || !h.s.QuickPlay {
			t.Error("quick_play not recorded")
		}
		gs := payload[GameStarted](t, ev)
		p1 := "p1"
		wantEqual(t, "game_started.seats", gs.Seats, [numSeats]StartedSeat{
			{Seat: 1, PlayerID: &p1, Name: "Ana"}, {Seat: 2, Name: "Bot 2", Bot: true},
			{Seat: 3, Name: "Bot 3", Bot: true}, {Seat: 4, Name: "Bot 4", Bot: true}})
		wantEqual(t, "game_started host", gs.HostSeat, SeatRef(1))
		hd := payload[HandsDealt](t, ev)
		wantEqual(t, "round, deal, multiplier", []int{hd.Round, hd.Deal, hd.Multiplier}, []int{1, 1, 1})
		wantEqual(t, "controllers", []string{h.s.Seats[0].Controller, h.s.Seats[1].Controller,
			h.s.Seats[2].Controller, h.s.Seats[3].Controller}, []string{Human, Bot, Bot, Bot})
		if !hd.RedealOffered {
			// the deal stands: round_started closes the command (pause 3 s)
			wantTypes(t, ev[6:], "round_started")
			wantEqual(t, "deadline", h.s.Deadline, t0+3000)
		}
	})

	t.Run("quick play in fast mode settles the bots", func(t *testing.T) {
		for seed := uint64(1); seed <= 20; seed++ {
			h := newHarness(t, seed)
			h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: fastConfig()})
			if BotsOwing(h.s) != 0 || !owes(&h.s, 1) {
				t.Fatalf("seed %d: after create in phase %s bots owing %v, seat 1 owes %v; want only seat 1 to owe",
					seed, h.s.Phase, BotsOwing(h.s).Seats(), owes(&h.s, 1))
			}
		}
	})

	t.Run("canary", func(t *testing.T) {
		h := newHarness(t, 1)
		ev := h.do(CreateRoom{RoomID: "C", QuickPlay: true, Config: slowConfig()})
		wantTypes(t, ev, "room_created")
		if h.s.Hosted || h.s.HostSeat != 0 || h.s.QuickPlay {
			t.Errorf("canary: hosted %v, host seat %d, quick play %v", h.s.Hosted, h.s.HostSeat, h.s.QuickPlay)
		}
		for i := range h.s.Seats {
			wantEqual(t, "occupant", h.s.Seats[i].Occupant, Open)
		}
		h.reject(Join{Player: Player{PlayerID: "p2"}}, CodeRoomNotFound)
		for seat := 1; seat <= numSeats; seat++ {
			h.do(SetSeat{AsServer: true, Seat: seat, Bot: true})
		}
		wantPrefix(t, h.do(Start{AsServer: true}), "game_started", "hands_dealt")
	})
}

func TestJoin(t *testing.T) {
	cases := []struct {
		name     string
		spec     string           // seats 2..4 as for harness.room
		setup    func(h *harness) // after the room is built
		player   string
		seat     int
		replaced bool
		code     Code
	}{
		{name: "lowest open seat", spec: "...", player: "p9", seat: 2},
		{name: "lowest open seat, not a bot", spec: "b.b", player: "p9", seat: 3},
		{name: "open seat before the highest bot", spec: "bb.", player: "p9", seat: 4},
		{name: "full: replaces the highest bot", spec: "bhb", player: "p9", seat: 4, replaced: true},
		{name: "full: highest bot below a human", spec: "bbh", player: "p9", seat: 3, replaced: true},
		{name: "four humans", spec: "hhh", player: "p9", code: CodeRoomFull},
		{name: "already in room", spec: "hhh", player: "p3", code: CodeAlreadyInRoom},
		{name: "started", spec: "bbb", setup: func(h *harness) { h.start() }, player: "p9",
			code: CodeGameAlreadyStarted},
		{name: "already in room before started", spec: "bbb", setup: func(h *harness) { h.start() },
			player: "p1", code: CodeAlreadyInRoom},
		{name: "left a started game", spec: "hbb", setup: func(h *harness) {
			h.start()
			h.do(Leave{PlayerID: "p2"})
		}, player: "p2", code: CodeGameAlreadyStarted},
		{name: "left while waiting may come back", spec: "hbb", setup: func(h *harness) {
			h.do(Leave{PlayerID: "p2"})
		}, player: "p2", seat: 2},
		{name: "closed", spec: "...", setup: func(h *harness) { h.do(Leave{PlayerID: "p1"}) }, player: "p9",
			code: CodeRoomNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1)
			h.room(slowConfig(), c.spec)
			if c.setup != nil {
				c.setup(h)
			}
			cmd := Join{Player: Player{PlayerID: c.player, Name: "New"}}
			if c.code != "" {
				e := h.reject(cmd, c.code)
				if c.code == CodeAlreadyInRoom {
					wantDetails(t, e, map[string]any{"room_id": "R"})
				}
				return
			}
			ev := h.do(cmd)
			wantTypes(t, ev, "player_joined")
			wantEqual(t, "player_joined", ev[0].Data.(PlayerJoined),
				PlayerJoined{Seat: c.seat, PlayerID: c.player, Name: "New", ReplacedBot: c.replaced})
			wantEqual(t, "seat", *h.s.seat(c.seat), SeatState{Occupant: Human, PlayerID: c.player, Name: "New",
				Controller: Human, Connected: true, Declared: -1})
		})
	}
}

func TestSetSeat(t *testing.T) {
	waiting := func(h *harness) { h.room(slowConfig(), "h.b") } // p1 host, p2, seat 3 open, bot 4
	started := func(h *harness) {
		h.room(slowConfig(), "hbb")
		h.start()
	}
	cases := []struct {
		name  string
		setup func(h *harness)
		cmd   SetSeat
		code  Code
		want  Payload
	}{
		// each rejection also fails every later check
		{"seat out of range first", started, SetSeat{PlayerID: "p9", Seat: 5, Bot: true}, CodeInvalidField, nil},
		{"seat 0", waiting, SetSeat{PlayerID: "p1", Seat: 0}, CodeInvalidField, nil},
		{"not seated before started", started, SetSeat{PlayerID: "p9", Seat: 2}, CodeNotSeated, nil},
		{"left player is not seated", func(h *harness) {
			started(h)
			h.do(Leave{PlayerID: "p2"})
		}, SetSeat{PlayerID: "p2", Seat: 3}, CodeNotSeated, nil},
		{"started before not host", started, SetSeat{PlayerID: "p2", Seat: 2, Bot: true}, CodeGameAlreadyStarted, nil},
		{"not host before seat checks", waiting, SetSeat{PlayerID: "p2", Seat: 2, Bot: true}, CodeNotHost, nil},
		{"bot into a human seat", waiting, SetSeat{PlayerID: "p1", Seat: 2, Bot: true}, CodeSeatOccupied, nil},
		{"bot into a bot seat", waiting, SetSeat{PlayerID: "p1", Seat: 4, Bot: true}, CodeSeatOccupied, nil},
		{"open a human seat", waiting, SetSeat{PlayerID: "p1", Seat: 2}, CodeSeatNotBot, nil},
		{"open an open seat", waiting, SetSeat{PlayerID: "p1", Seat: 3}, CodeSeatNotBot, nil},
		{"add a bot", waiting, SetSeat{PlayerID: "p1", Seat: 3, Bot: true}, "", BotAdded{Seat: 3, Name: "Bot 3"}},
		{"remove a bot", waiting, SetSeat{PlayerID: "p1", Seat: 4}, "", BotRemoved{Seat: 4}},
		{"server needs no host", waiting, SetSeat{AsServer: true, Seat: 3, Bot: true}, "", BotAdded{Seat: 3, Name: "Bot 3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1)
			c.setup(h)
			if c.code != "" {
				e := h.reject(c.cmd, c.code)
				if c.code == CodeInvalidField {
					wantEqual(t, "field", e.Details["field"], any("data.seat"))
				}
				return
			}
			ev := h.do(c.cmd)
			wantEqual(t, "events", ev, []Event{{At: t0, Data: c.want}})
			switch p := c.want.(type) {
			case BotAdded:
				wantEqual(t, "seat", *h.s.seat(p.Seat), SeatState{Occupant: Bot, Name: p.Name, Controller: Bot,
					Connected: true, Declared: -1})
			case BotRemoved:
				wantEqual(t, "seat", *h.s.seat(p.Seat), SeatState{Occupant: Open, Declared: -1})
			}
		})
	}
}

func TestStart(t *testing.T) {
	cases := []struct {
		name    string
		spec    string
		started bool
		cmd     Start
		code    Code
	}{
		{"not seated before started", "bbb", true, Start{PlayerID: "p9"}, CodeNotSeated},
		{"started before not host", "hbb", true, Start{PlayerID: "p2"}, CodeGameAlreadyStarted},
		{"host twice", "bbb", true, Start{PlayerID: "p1"}, CodeGameAlreadyStarted},
		{"not host before seats", "h..", false, Start{PlayerID: "p2"}, CodeNotHost},
		{"seats not filled", "hb.", false, Start{PlayerID: "p1"}, CodeSeatsNotFilled},
		{"host", "hbb", false, Start{PlayerID: "p1"}, ""},
		{"server", "hbb", false, Start{AsServer: true}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1)
			h.room(slowConfig(), c.spec)
			if c.started {
				h.start()
			}
			if c.code != "" {
				h.reject(c.cmd, c.code)
				return
			}
			ev := h.do(c.cmd)
			wantPrefix(t, ev, "game_started", "hands_dealt")
			gs := ev[0].Data.(GameStarted)
			wantEqual(t, "host seat", gs.HostSeat, SeatRef(1))
			wantEqual(t, "config", gs.Config, slowConfig())
			wantEqual(t, "phase, round, deal", []any{h.s.Round, h.s.Deal}, []any{1, 1})
		})
	}

	t.Run("fast mode settles the bots", func(t *testing.T) {
		for seed := uint64(1); seed <= 10; seed++ {
			h := newHarness(t, seed)
			h.room(fastConfig(), "bbb")
			h.start()
			if BotsOwing(h.s) != 0 || !owes(&h.s, 1) {
				t.Fatalf("seed %d: phase %s, bots owing %v", seed, h.s.Phase, BotsOwing(h.s).Seats())
			}
		}
	})
}

// ---- 2. rejections of rules §6.4 ----

// weakHumans finds four human seats and a first deal with at least n weak
// seats for which ok (if set) holds.
func weakHumans(t *testing.T, cfg Config, n int, ok func(h *harness) bool) *harness {
	t.Helper()
	return findSeed(t, 20_000, fmt.Sprintf("%d weak seats", n), func(h *harness) bool {
		h.room(cfg, "hhh")
		h.start()
		return len(h.s.WeakSeats.Seats()) >= n && (ok == nil || ok(h))
	})
}

func TestRedealRejections(t *testing.T) {
	h := weakHumans(t, slowConfig(), 2, nil)
	weak := h.s.WeakSeats.Seats()
	w1, w2 := weak[0], weak[1]
	strong := h.s.generalRedSeat()
	if h.s.Phase != PhasePreparation || !h.s.RedealOffered || h.s.Awaiting != h.s.WeakSeats {
		t.Fatalf("deal 1: phase %s, offered %v", h.s.Phase, h.s.RedealOffered)
	}

	h.reject(Redeal{PlayerID: "p9", Deal: 7}, CodeNotSeated)
	e := h.reject(Declare{PlayerID: playerID(w1), Value: 99}, CodeWrongPhase)
	wantDetails(t, e, map[string]any{"phase": PhasePreparation})
	h.reject(Play{PlayerID: playerID(w1), Pieces: []int{99}}, CodeWrongPhase)
	e = h.reject(Redeal{PlayerID: playerID(strong), Deal: 7}, CodeStaleDeal)
	wantDetails(t, e, map[string]any{"deal": 1})
	h.reject(Redeal{PlayerID: playerID(strong), Deal: 1}, CodeRedealNotOffered)
	h.reject(Redeal{PlayerID: playerID(strong)}, CodeRedealNotOffered)

	ev := h.do(Redeal{PlayerID: playerID(w1), Accept: false}) // deal 0 answers the current deal
	wantEqual(t, "events", ev, []Event{{At: t0, Data: RedealDecided{Deal: 1, Seat: w1, By: ByPlayer}}})
	h.reject(Redeal{PlayerID: playerID(w1), Deal: 1, Accept: true}, CodeAlreadyDecided)
	h.reject(Redeal{PlayerID: playerID(w1), Deal: 2}, CodeStaleDeal)

	// a seat whose player left is bot-controlled: NOT_IN_CONTROL after the
	// phase check, before the deal checks
	wantPrefix(t, h.do(Leave{PlayerID: playerID(strong)}), "player_left", "seat_control_changed")
	h.reject(Redeal{PlayerID: playerID(strong), Deal: 7}, CodeNotInControl)
	h.reject(Declare{PlayerID: playerID(strong), Value: 99}, CodeWrongPhase)

	for _, w := range weak[1:] {
		h.do(Redeal{PlayerID: playerID(w), Deal: 1})
	}
	if h.s.Phase != PhaseRoundStart {
		t.Fatalf("all declined: phase %s, want round_start", h.s.Phase)
	}
	e = h.reject(Redeal{PlayerID: playerID(w2), Deal: 1}, CodeWrongPhase)
	wantDetails(t, e, map[string]any{"phase": PhaseRoundStart})
}

func TestDeclareRejections(t *testing.T) {
	h := newHarness(t, 3)
	h.room(slowConfig(), "hhh")
	h.start()
	h.run(func(s *State) bool { return s.Phase == PhaseDeclaration })
	order := h.s.DeclOrder
	id := func(i int) string { return playerID(order[i]) }

	h.reject(Declare{PlayerID: "p9", Value: 99}, CodeNotSeated)
	h.reject(Play{PlayerID: id(0), Pieces: []int{99}}, CodeWrongPhase)
	h.reject(Redeal{PlayerID: id(0), Deal: 99}, CodeWrongPhase)
	e := h.reject(Declare{PlayerID: id(1), Value: 99}, CodeNotYourTurn)
	wantDetails(t, e, map[string]any{"actor_seats": []int{order[0]}})
	h.reject(Declare{PlayerID: id(0), Value: 9}, CodeInvalidValue)
	h.reject(Declare{PlayerID: id(0), Value: -1}, CodeInvalidValue)

	for i := range 3 {
		h.at(1000 * (i + 1))
		ev := h.do(Declare{PlayerID: id(i), Value: 2})
		wantEqual(t, "declared", ev, []Event{{At: h.env.Now, Data: Declared{Round: 1, Seat: order[i], Value: 2,
			By: ByPlayer, Total: 2 * (i + 1), Next: SeatRef(order[i+1]), Deadline: h.env.Now + 30_000}}})
	}
	h.reject(Declare{PlayerID: id(0), Value: 1}, CodeNotYourTurn) // declared already
	e = h.reject(Declare{PlayerID: id(3), Value: 2}, CodeDeclarationForbidden)
	wantDetails(t, e, map[string]any{"reason": "total_eight", "allowed": []int{0, 1, 3, 4, 5, 6, 7, 8}})
	h.reject(Declare{PlayerID: id(3), Value: 9}, CodeInvalidValue)

	wantPrefix(t, h.do(Leave{PlayerID: id(1)}), "player_left", "seat_control_changed")
	h.reject(Declare{PlayerID: id(1), Value: 99}, CodeNotInControl) // before NOT_YOUR_TURN

	ev := h.do(Declare{PlayerID: id(3), Value: 3})
	wantTypes(t, ev, "declared", "turn_started")
	wantEqual(t, "turn_started", ev[1].Data.(TurnStarted), TurnStarted{Round: 1, Turn: 1, Starter: order[0],
		Order: order, Deadline: h.env.Now + 30_000})
	h.reject(Declare{PlayerID: id(0), Value: 1}, CodeWrongPhase)
}

func TestDeclareZeroStreak(t *testing.T) {
	cfg := fastConfig()
	cfg.WinScore = 1000
	h := newHarness(t, 5)
	h.room(cfg, "hhh")
	// seat 1 declares 0 twice; the others 1, so 0 stays allowed for seat 1
	h.declare = func(seat int, _ SeatView) int { return min(seat-1, 1) }
	h.start()
	h.run(func(s *State) bool { return s.Round == 3 && s.Phase == PhaseDeclaration && s.Current == 1 })
	if h.s.Seats[0].ZeroStreak != 2 {
		t.Fatalf("zero streak %d, want 2", h.s.Seats[0].ZeroStreak)
	}
	isLast := h.s.DeclIndex == numSeats-1
	e := h.reject(Declare{PlayerID: "p1", Value: 0}, CodeDeclarationForbidden)
	wantDetails(t, e, map[string]any{"reason": "zero_streak", "allowed": DeclarationOptions(h.s.DeclTotal, isLast, 2)})
	if slices.Contains(e.Details["allowed"].([]int), 0) {
		t.Error("0 allowed at zero streak 2")
	}
	value := 1
	if isLast && h.s.DeclTotal == 7 {
		value = 2
	}
	d := payloads[Declared](h.do(Declare{PlayerID: "p1", Value: value}))[0]
	wantEqual(t, "zero_streak after a non-zero declaration", d.ZeroStreak, 0)
}

func TestPlayRejections(t *testing.T) {
	// the starter must hold a pair, so that a follower's INVALID set can be
	// shown to be accepted
	var pair Hand
	h := findSeed(t, 200, "a starter with a pair", func(h *harness) bool {
		h.room(fastConfig(), "hhh")
		h.start()
		h.run(func(s *State) bool { return s.Phase == PhaseTurn })
		pair = 0
		forEachSizedSubset(h.s.seat(h.s.Current).Hand, 2, func(set Hand) {
			if t, _ := ClassifyHand(set); t == Pair && pair == 0 {
				pair = set
			}
		})
		return pair != 0
	})
	order := h.s.TurnOrder
	st := order[0]
	id := func(i int) string { return playerID(order[i]) }
	hand := h.s.seat(st).Hand.IDs()
	other := h.s.seat(order[1]).Hand.IDs()
	a, missing := hand[0], other[0]
	b := hand[slices.IndexFunc(hand, func(x int) bool { return kindOfID[x] != kindOfID[a] })]

	h.reject(Play{PlayerID: "p9", Pieces: []int{99}}, CodeNotSeated)
	h.reject(Declare{PlayerID: id(0), Value: 99}, CodeWrongPhase)
	e := h.reject(Play{PlayerID: id(1), Pieces: []int{99}}, CodeNotYourTurn)
	wantDetails(t, e, map[string]any{"actor_seats": []int{st}})

	cases := []struct {
		name    string
		pieces  []int
		code    Code
		details map[string]any
	}{
		{"unknown", []int{a, 99, -1}, CodeUnknownPiece, map[string]any{"pieces": []int{99, -1}}},
		{"unknown before duplicate", []int{a, a, 32}, CodeUnknownPiece, map[string]any{"pieces": []int{32}}},
		{"duplicate", []int{a, b, a}, CodeDuplicatePiece, map[string]any{"pieces": []int{a}}},
		{"duplicate before not in hand", []int{missing, missing}, CodeDuplicatePiece, map[string]any{"pieces": []int{missing}}},
		{"no pieces", []int{}, CodeWrongPieceCount, map[string]any{"required_count": nil}},
		{"seven pieces", hand[:7], CodeWrongPieceCount, map[string]any{"required_count": nil}},
		{"count before not in hand", append(slices.Clone(hand[:6]), missing), CodeWrongPieceCount,
			map[string]any{"required_count": nil}},
		{"not in hand", []int{missing}, CodePieceNotInHand, map[string]any{"pieces": []int{missing}}},
		{"not in hand before invalid", []int{a, missing}, CodePieceNotInHand, map[string]any{"pieces": []int{missing}}},
		{"invalid play", []int{a, b}, CodeInvalidPlay, map[string]any{}},
	}
	for _, c := range cases {
		e := h.reject(Play{PlayerID: id(0), Pieces: c.pieces}, c.code)
		if !reflect.DeepEqual(e.Details, c.details) {
			t.Errorf("%s: details %#v, want %#v", c.name, e.Details, c.details)
		}
	}

	ev := h.do(Play{PlayerID: id(0), Pieces: pair.IDs()})
	wantEqual(t, "played", ev, []Event{{At: h.env.Now, Data: Played{Round: 1, Turn: 1, Seat: st, Pieces: pair,
		PlayType: Pair, Value: pair.Points(), Required: 2, By: ByPlayer, Next: SeatRef(order[1]),
		Deadline: h.env.Now + 30_000}}})
	h.reject(Play{PlayerID: id(0), Pieces: []int{99}}, CodeNotYourTurn) // played already
	e = h.reject(Play{PlayerID: id(1), Pieces: other[:1]}, CodeWrongPieceCount)
	wantDetails(t, e, map[string]any{"required_count": 2})
	h.reject(Play{PlayerID: id(1), Pieces: other[:3]}, CodeWrongPieceCount)

	// a follower may play any two pieces, an INVALID set included
	fh := h.s.seat(order[1]).Hand.IDs()
	x, y := fh[0], fh[slices.IndexFunc(fh, func(z int) bool { return kindOfID[z] != kindOfID[fh[0]] })]
	p := payload[Played](t, h.do(Play{PlayerID: id(1), Pieces: []int{y, x}}))
	wantEqual(t, "follower's play", []any{p.Pieces, p.PlayType, p.Required}, []any{HandOf(x, y), Invalid, 2})

	wantPrefix(t, h.do(Leave{PlayerID: id(1)}), "player_left", "seat_control_changed")
	h.reject(Play{PlayerID: id(1), Pieces: []int{99}}, CodeNotInControl)
}

// ---- 3. timers ----

// by is the "by" of a decision event, "" for other events.
func by(e Event) string {
	switch p := e.Data.(type) {
	case RedealDecided:
		return p.By
	case Declared:
		return p.By
	case Played:
		return p.By
	}
	return ""
}

func TestPhaseTimers(t *testing.T) {
	h := findSeed(t, 100, "a first deal without weak seats", func(h *harness) bool {
		h.room(slowConfig(), "hhh")
		h.start()
		return h.s.Phase == PhaseRoundStart
	})

	// round-start pause
	wantEqual(t, "round_start deadline", []Instant{h.s.Deadline, NextDeadline(h.s)}, []Instant{t0 + 3000, t0 + 3000})
	wantTypes(t, h.tickAt(t0+2999))
	ev := h.tickAt(t0 + 3000)
	wantTypes(t, ev, "declaration_started")
	order := h.s.DeclOrder
	wantEqual(t, "declaration_started", ev[0].Data, Payload(DeclarationStarted{Round: 1, Order: rotationFrom(h.s.Starter),
		Current: h.s.Starter, Deadline: t0 + 33_000}))

	// the first declarer answers in time: a Tick at its old deadline is stale
	h.at(5000)
	h.do(Declare{PlayerID: playerID(order[0]), Value: 1})
	wantEqual(t, "next deadline", h.s.Deadline, t0+35_000)
	wantTypes(t, h.tickAt(t0+33_000))

	// declaration timeouts: the bot logic declares, by "timeout"
	for i := 1; i < numSeats; i++ {
		deadline := h.s.Deadline
		wantTypes(t, h.tickAt(deadline-1))
		ev := h.tickAt(deadline)
		d := ev[0].Data.(Declared)
		wantEqual(t, "declared seat, by", []any{d.Seat, d.By}, []any{order[i], ByTimeout})
		if i < numSeats-1 {
			wantTypes(t, ev, "declared")
			wantEqual(t, "declared deadline", d.Deadline, deadline+30_000)
		} else {
			wantTypes(t, ev, "declared", "turn_started")
			wantEqual(t, "turn_started deadline", ev[1].Data.(TurnStarted).Deadline, deadline+30_000)
		}
	}

	// play timeouts through turn 1
	for i := range numSeats {
		deadline := h.s.Deadline
		wantTypes(t, h.tickAt(deadline-1))
		ev := h.tickAt(deadline)
		p := ev[0].Data.(Played)
		wantEqual(t, "played seat, by", []any{p.Seat, p.By}, []any{h.s.TurnOrder[i], ByTimeout})
		if i == numSeats-1 {
			wantTypes(t, ev, "played", "turn_won")
			wantEqual(t, "turn_won deadline", ev[1].Data.(TurnWon).Deadline, deadline+3000)
		}
	}

	// turn-results pause
	deadline := h.s.Deadline
	wantEqual(t, "phase", h.s.Phase, PhaseTurnResults)
	wantTypes(t, h.tickAt(deadline-1))
	ev = h.tickAt(deadline)
	wantTypes(t, ev, "turn_started")
	wantEqual(t, "turn 2", ev[0].Data.(TurnStarted), TurnStarted{Round: 1, Turn: 2, Starter: h.s.LastTurn.Winner,
		Order: rotationFrom(h.s.LastTurn.Winner), Deadline: deadline + 30_000})

	// the rest of the round by timeouts; every tick at a deadline acts
	for h.s.Phase != PhaseScoring {
		ev := h.tickAt(NextDeadline(h.s))
		if len(ev) == 0 {
			t.Fatalf("tick at the deadline in phase %s did nothing", h.s.Phase)
		}
		for _, e := range ev {
			if b := by(e); b != "" && b != ByTimeout {
				t.Errorf("%s by %q, want timeout", e.Type(), b)
			}
		}
	}

	// scoring pause
	deadline = h.s.Deadline
	wantEqual(t, "scoring deadline", deadline, h.env.Now+5000)
	wantTypes(t, h.tickAt(deadline-1))
	ev = h.tickAt(deadline)
	hd := payload[HandsDealt](t, ev)
	wantEqual(t, "round 2", []int{hd.Round, hd.Deal, h.s.Round}, []int{2, 2, 2})

	for i := range h.s.Seats {
		if h.s.Seats[i].Controller != Human {
			t.Errorf("seat %d: controller %s after timeouts, want human", i+1, h.s.Seats[i].Controller)
		}
	}
}

func TestRedealWindowTimeout(t *testing.T) {
	t.Run("undecided seats decline", func(t *testing.T) {
		h := weakHumans(t, slowConfig(), 2, nil)
		weak := h.s.WeakSeats.Seats()
		wantEqual(t, "window", h.s.Deadline, t0+30_000)
		h.at(1000)
		h.do(Redeal{PlayerID: playerID(weak[0]), Deal: 1, Accept: false})
		wantTypes(t, h.tickAt(t0+29_999))
		ev := h.tickAt(t0 + 30_000)
		var want []RedealDecided
		for _, w := range weak[1:] {
			want = append(want, RedealDecided{Deal: 1, Seat: w, By: ByTimeout})
		}
		wantEqual(t, "timeouts", payloads[RedealDecided](ev), want)
		wantTypes(t, ev[len(want):], "round_started")
	})

	t.Run("an accepted redeal resolves at the deadline", func(t *testing.T) {
		h := weakHumans(t, slowConfig(), 2, nil)
		weak := h.s.WeakSeats.Seats()
		last := weak[len(weak)-1]
		h.at(1000)
		h.do(Redeal{PlayerID: playerID(last), Deal: 1, Accept: true})
		ev := h.tickAt(t0 + 30_000)
		var want []RedealDecided
		for _, w := range weak[:len(weak)-1] {
			want = append(want, RedealDecided{Deal: 1, Seat: w, By: ByTimeout})
		}
		// only the old window's seats time out; the new window starts afresh
		wantEqual(t, "timeouts", payloads[RedealDecided](ev), want)
		wantEqual(t, "redeal_started", payload[RedealStarted](t, ev),
			RedealStarted{Deal: 1, Accepter: last, Multiplier: 2, Redeals: 1})
		hd := payload[HandsDealt](t, ev)
		wantEqual(t, "deal, multiplier", []int{hd.Deal, hd.Multiplier}, []int{2, 2})
		if hd.RedealOffered {
			wantEqual(t, "new window", []any{hd.Deadline, h.s.Decisions}, []any{t0 + 60_000, [numSeats]Decision{}})
		}
	})
}

// ---- 4. redeal cycle ----

// acceptAll makes every awaited seat accept, in seat order, and returns the
// events of the last answer.
func (h *harness) acceptAll() []Event {
	h.t.Helper()
	var ev []Event
	for _, w := range h.s.Awaiting.Seats() {
		ev = h.do(Redeal{PlayerID: playerID(w), Deal: h.s.Deal, Accept: true})
	}
	return ev
}

func TestRedealCycle(t *testing.T) {
	// the first accepter in the rotation from GENERAL_RED is not the lowest
	// weak seat, so seat order and rotation order differ
	h := weakHumans(t, slowConfig(), 2, func(h *harness) bool {
		return firstAccepter(h.s.generalRedSeat(), h.s.WeakSeats) != h.s.WeakSeats.Seats()[0]
	})
	want := firstAccepter(h.s.generalRedSeat(), h.s.WeakSeats)
	ev := h.acceptAll()
	wantPrefix(t, ev, "redeal_decided", "redeal_started", "hands_dealt")
	wantEqual(t, "redeal_started", ev[1].Data, Payload(RedealStarted{Deal: 1, Accepter: want, Multiplier: 2, Redeals: 1}))
	hd := ev[2].Data.(HandsDealt)
	wantEqual(t, "round, deal, multiplier", []int{hd.Round, hd.Deal, hd.Multiplier}, []int{1, 2, 2})
	wantEqual(t, "latest accepter", h.s.LatestAccepter, want)

	if hd.RedealOffered {
		e := h.reject(Redeal{PlayerID: playerID(h.s.Awaiting.Seats()[0]), Deal: 1}, CodeStaleDeal)
		wantDetails(t, e, map[string]any{"deal": 2})
		for _, w := range h.s.Awaiting.Seats() {
			ev = h.do(Redeal{PlayerID: playerID(w), Deal: 2})
		}
	}
	// the deal stands: the accepter starts, even without GENERAL_RED
	rs := payload[RoundStarted](t, ev)
	wantEqual(t, "round_started", rs, RoundStarted{Round: 1, Starter: want, Reason: ReasonAcceptedRedeal,
		Multiplier: 2, Deadline: t0 + 3000})

	h.run(func(s *State) bool { return s.Phase == PhaseScoring })
	wantEqual(t, "scored multiplier", h.s.LastRound.Multiplier, 2)
	for _, r := range h.s.LastRound.Results {
		if r.Delta != 2*r.Base {
			t.Errorf("seat %d: delta %d, base %d at multiplier 2", r.Seat, r.Delta, r.Base)
		}
	}
	hd = payload[HandsDealt](t, h.tickAt(h.s.Deadline))
	wantEqual(t, "round 2 resets the multiplier", []int{hd.Round, hd.Deal, hd.Multiplier}, []int{2, h.s.Deal, 1})
	if h.s.Deal < 3 || h.s.Redeals != 0 || h.s.LatestAccepter != 0 {
		t.Errorf("round 2: deal %d, redeals %d, accepter %d", h.s.Deal, h.s.Redeals, h.s.LatestAccepter)
	}
}

func TestRedealCap(t *testing.T) {
	// all seats human, so the deals depend on the seed alone: the same seeds
	// have weak seats in deals 1 and 2 whatever max_redeals is
	twoWeakDeals := func(maxRedeals int, last *[]Event) func(h *harness) bool {
		return func(h *harness) bool {
			cfg := slowConfig()
			cfg.MaxRedeals = maxRedeals
			h.room(cfg, "hhh")
			h.start()
			if h.s.WeakSeats == 0 {
				return false
			}
			*last = h.acceptAll()
			return h.s.Deal == 2 && h.s.WeakSeats != 0
		}
	}

	t.Run("cap reached", func(t *testing.T) {
		var ev []Event
		h := findSeed(t, 2000, "weak seats in two deals", twoWeakDeals(1, &ev))
		accepter := payload[RedealStarted](t, ev).Accepter
		hd := payload[HandsDealt](t, ev)
		if hd.RedealOffered || len(hd.WeakSeats) == 0 || hd.Deadline != 0 {
			t.Errorf("capped deal: offered %v, weak %v, deadline %d", hd.RedealOffered, hd.WeakSeats, hd.Deadline)
		}
		wantEqual(t, "round_started", payload[RoundStarted](t, ev), RoundStarted{Round: 1, Starter: accepter,
			Reason: ReasonAcceptedRedeal, Multiplier: 2, Deadline: t0 + 3000})
		if h.s.Awaiting != 0 {
			t.Errorf("awaiting %v without an offer", h.s.Awaiting.Seats())
		}
	})

	t.Run("second redeal", func(t *testing.T) {
		var ev []Event
		h := findSeed(t, 2000, "weak seats in two deals", twoWeakDeals(0, &ev))
		first := h.s.LatestAccepter
		e := h.reject(Redeal{PlayerID: playerID(h.s.Awaiting.Seats()[0]), Deal: 1, Accept: true}, CodeStaleDeal)
		wantDetails(t, e, map[string]any{"deal": 2})
		want := firstAccepter(first, h.s.WeakSeats) // the search starts at the latest accepter
		ev = h.acceptAll()
		wantEqual(t, "redeal_started", payload[RedealStarted](t, ev),
			RedealStarted{Deal: 2, Accepter: want, Multiplier: 3, Redeals: 2})
		hd := payload[HandsDealt](t, ev)
		wantEqual(t, "deal, multiplier", []int{hd.Deal, hd.Multiplier}, []int{3, 3})
	})
}

func TestRedealSearchStartLaterRound(t *testing.T) {
	// round 2: the search starts at the previous round's last-turn winner,
	// which here gives another accepter than GENERAL_RED's holder would
	var want int
	h := findSeed(t, 300, "a redeal offer in round 2", func(h *harness) bool {
		h.room(fastConfig(), "hhh")
		h.start()
		h.run(func(s *State) bool { return s.Round == 2 })
		if h.s.Phase != PhasePreparation || h.s.LastTurnWinner == 0 {
			return false
		}
		want = firstAccepter(h.s.LastTurnWinner, h.s.WeakSeats)
		return want != firstAccepter(h.s.generalRedSeat(), h.s.WeakSeats)
	})
	wantEqual(t, "round 2 multiplier", h.s.Multiplier, 1)
	deal := h.s.Deal
	ev := h.acceptAll()
	wantEqual(t, "redeal_started", payload[RedealStarted](t, ev),
		RedealStarted{Deal: deal, Accepter: want, Multiplier: 2, Redeals: 1})
}

// ---- 5. disconnect, reconnect, leave ----

func dataOf(events []Event) []Payload {
	out := make([]Payload, len(events))
	for i, e := range events {
		out[i] = e.Data
	}
	return out
}

func TestWaitingConnections(t *testing.T) {
	t.Run("grace expiry moves the host", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "h..")
		wantEqual(t, "disconnect", dataOf(h.do(Disconnect{PlayerID: "p1"})),
			[]Payload{PlayerDisconnected{Seat: 1, GraceDeadline: t0 + 15_000}})
		wantTypes(t, h.do(Disconnect{PlayerID: "p1"})) // already disconnected
		wantEqual(t, "next deadline", NextDeadline(h.s), t0+15_000)
		wantTypes(t, h.tickAt(t0+14_999))
		wantEqual(t, "expiry", dataOf(h.tickAt(t0+15_000)), []Payload{
			PlayerLeft{Seat: 1, Reason: ReasonGraceExpired}, HostChanged{FromSeat: 1, ToSeat: 2, Reason: ReasonGraceExpired}})
		wantEqual(t, "seat 1", h.s.Seats[0], SeatState{Occupant: Open, Declared: -1})
		wantEqual(t, "host, next deadline", []any{h.s.HostSeat, NextDeadline(h.s)}, []any{2, Instant(0)})
		h.reject(Start{PlayerID: "p1"}, CodeNotSeated)
		h.do(SetSeat{PlayerID: "p2", Seat: 3, Bot: true})
		wantEqual(t, "p1 back", payload[PlayerJoined](t, h.do(Join{Player: Player{PlayerID: "p1"}})).Seat, 1)
	})

	t.Run("reconnect cancels the grace", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "h..")
		h.do(Disconnect{PlayerID: "p1"})
		h.at(1000)
		wantEqual(t, "reconnect", dataOf(h.do(Reconnect{PlayerID: "p1"})), []Payload{PlayerReconnected{Seat: 1}})
		wantTypes(t, h.do(Reconnect{PlayerID: "p1"})) // connected already
		wantTypes(t, h.tickAt(t0+15_000))
		wantEqual(t, "seat 1 connected", h.s.Seats[0].Connected, true)
	})

	t.Run("host passes to a human within grace", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "bhh")
		h.do(Disconnect{PlayerID: "p3"})
		wantEqual(t, "leave", dataOf(h.do(Leave{PlayerID: "p1"})), []Payload{
			PlayerLeft{Seat: 1, Reason: ReasonLeft}, HostChanged{FromSeat: 1, ToSeat: 3, Reason: ReasonLeft}})
	})

	t.Run("a member leaves", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "h..")
		wantEqual(t, "leave", dataOf(h.do(Leave{PlayerID: "p2"})), []Payload{PlayerLeft{Seat: 2, Reason: ReasonLeft}})
		wantEqual(t, "seat 2", h.s.Seats[1].Occupant, Open)
		h.reject(Leave{PlayerID: "p2"}, CodeNotSeated)
		wantEqual(t, "last leave", dataOf(h.do(Leave{PlayerID: "p1"})), []Payload{
			PlayerLeft{Seat: 1, Reason: ReasonLeft}, RoomClosed{Reason: CloseEmpty}})
	})

	t.Run("the last human's grace closes the room", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "bb.")
		h.do(Disconnect{PlayerID: "p1"})
		wantEqual(t, "expiry", dataOf(h.tickAt(t0+15_000)), []Payload{
			PlayerLeft{Seat: 1, Reason: ReasonGraceExpired}, RoomClosed{Reason: CloseEmpty}})
		if !h.s.Closed || h.s.CloseReason != CloseEmpty || NextDeadline(h.s) != 0 {
			t.Errorf("closed %v %q, next deadline %d", h.s.Closed, h.s.CloseReason, NextDeadline(h.s))
		}
		h.reject(Join{Player: Player{PlayerID: "p9"}}, CodeRoomNotFound)
		h.reject(Reconnect{PlayerID: "p1"}, CodeNotSeated)
		wantTypes(t, h.tickAt(t0+100_000))
		wantTypes(t, h.do(BotTurn{}))
	})

	t.Run("a grace begun while waiting runs on into the game", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "hbb")
		h.do(Disconnect{PlayerID: "p2"})
		h.at(1000)
		h.start()
		ev := h.tickAt(t0 + 15_000)
		if !slices.Contains(dataOf(ev), Payload(SeatControlChanged{Seat: 2, Controller: Bot, Reason: ReasonGraceExpired})) {
			t.Fatalf("no takeover of seat 2 in %v", typesOf(ev))
		}
		if payloads[PlayerLeft](ev) != nil || h.s.Seats[1].Occupant != Human {
			t.Error("a grace expiring in the game opened the seat")
		}
	})
}

// seat1Starts finds a room of spec whose round 1 stands at once with seat 1
// as starter (declaration order 1, 2, 3, 4).
func seat1Starts(t *testing.T, spec string) *harness {
	t.Helper()
	return findSeed(t, 200, "seat 1 starting round 1", func(h *harness) bool {
		h.room(slowConfig(), spec)
		h.start()
		return h.s.Phase == PhaseRoundStart && h.s.Starter == 1
	})
}

// legalDeclare is a declaration seat may make now.
func (h *harness) legalDeclare(seat int) Declare {
	return Declare{PlayerID: playerID(seat), Value: BotStrategy{}.Declare(ViewOf(h.s, seat), nil)}
}

func TestGameGraceExpiry(t *testing.T) {
	h := seat1Starts(t, "hhb")
	h.tickAt(t0 + 3000)
	wantEqual(t, "declarer, deadline", []any{h.s.Current, h.s.Deadline}, []any{1, t0 + 33_000})

	h.at(4000)
	wantEqual(t, "p2 disconnects", dataOf(h.do(Disconnect{PlayerID: "p2"})),
		[]Payload{PlayerDisconnected{Seat: 2, GraceDeadline: t0 + 19_000}})
	h.at(5000)
	wantEqual(t, "p1 disconnects", dataOf(h.do(Disconnect{PlayerID: "p1"})),
		[]Payload{PlayerDisconnected{Seat: 1, GraceDeadline: t0 + 20_000}}) // p3 is connected: no abandon
	if h.s.Deadline != t0+33_000 || h.s.Seats[0].Controller != Human {
		t.Fatal("a disconnect changed the declarer's deadline or control")
	}

	wantEqual(t, "p2's grace", dataOf(h.tickAt(t0+19_000)),
		[]Payload{SeatControlChanged{Seat: 2, Controller: Bot, Reason: ReasonGraceExpired}})

	// seat 1 owes: the bot declares at once, and the host moves past the
	// disconnected seat 2 to seat 3
	ev := h.tickAt(t0 + 20_000)
	wantTypes(t, ev, "seat_control_changed", "host_changed", "declared")
	wantEqual(t, "takeover", dataOf(ev)[:2], []Payload{
		SeatControlChanged{Seat: 1, Controller: Bot, Reason: ReasonGraceExpired},
		HostChanged{FromSeat: 1, ToSeat: 3, Reason: ReasonGraceExpired}})
	d := ev[2].Data.(Declared)
	wantEqual(t, "declared", []any{d.Seat, d.By, d.Next, d.Deadline}, []any{1, ByBot, SeatRef(2), Instant(0)})
	wantEqual(t, "bots owing", BotsOwing(h.s).Seats(), []int{2})

	// p2 returns while its seat owes: control comes back at once, the
	// pending bot action is void and the (absent) deadline stays
	h.at(21_000)
	wantEqual(t, "p2 reconnects", dataOf(h.do(Reconnect{PlayerID: "p2"})), []Payload{
		PlayerReconnected{Seat: 2}, SeatControlChanged{Seat: 2, Controller: Human, Reason: ReasonReconnected}})
	wantEqual(t, "bots owing, deadline", []any{BotsOwing(h.s), h.s.Deadline}, []any{SeatSet(0), Instant(0)})
	wantTypes(t, h.do(BotTurn{}))
	d = payload[Declared](t, h.do(h.legalDeclare(2)))
	wantEqual(t, "p2 declares", []any{d.By, d.Next, d.Deadline}, []any{ByPlayer, SeatRef(3), t0 + 51_000})

	wantEqual(t, "p1 reconnects", dataOf(h.do(Reconnect{PlayerID: "p1"})), []Payload{
		PlayerReconnected{Seat: 1}, SeatControlChanged{Seat: 1, Controller: Human, Reason: ReasonReconnected}})
	wantEqual(t, "host stays", h.s.HostSeat, 3)
}

func TestLeaveMidGame(t *testing.T) {
	h := seat1Starts(t, "hhb")
	h.tickAt(t0 + 3000)
	h.do(h.legalDeclare(1))

	// p2 owes the declaration: it leaves and the bot declares at once
	h.at(4000)
	ev := h.do(Leave{PlayerID: "p2"})
	wantTypes(t, ev, "player_left", "seat_control_changed", "declared")
	wantEqual(t, "leave", dataOf(ev)[:2], []Payload{PlayerLeft{Seat: 2, Reason: ReasonLeft},
		SeatControlChanged{Seat: 2, Controller: Bot, Reason: ReasonLeft}})
	wantEqual(t, "declared by", []any{ev[2].Data.(Declared).Seat, by(ev[2])}, []any{2, ByBot})
	st := h.s.Seats[1]
	wantEqual(t, "seat 2", []any{st.Occupant, st.PlayerID, st.Left, st.Connected, st.Controller},
		[]any{Human, "p2", true, false, Bot})

	h.reject(Declare{PlayerID: "p2", Value: 99}, CodeNotInControl)
	h.reject(Play{PlayerID: "p2", Pieces: []int{99}}, CodeWrongPhase)
	h.reject(Join{Player: Player{PlayerID: "p2"}}, CodeGameAlreadyStarted)
	for _, cmd := range []Command{Reconnect{PlayerID: "p2"}, Disconnect{PlayerID: "p2"}, Leave{PlayerID: "p2"}} {
		h.reject(cmd, CodeNotSeated)
	}

	// the host leaves: the role goes to the next connected human
	wantEqual(t, "host leaves", dataOf(h.do(Leave{PlayerID: "p1"})), []Payload{
		PlayerLeft{Seat: 1, Reason: ReasonLeft}, SeatControlChanged{Seat: 1, Controller: Bot, Reason: ReasonLeft},
		HostChanged{FromSeat: 1, ToSeat: 3, Reason: ReasonLeft}})

	// the last connected human leaves: the abandon timer starts, the host
	// role has nowhere to go
	h.at(5000)
	ev = h.do(Leave{PlayerID: "p3"})
	wantTypes(t, ev, "player_left", "seat_control_changed", "declared")
	wantEqual(t, "last leave", ev[0].Data, Payload(PlayerLeft{Seat: 3, Reason: ReasonLeft, AbandonDeadline: t0 + 65_000}))
	wantEqual(t, "host, abandon, next", []any{h.s.HostSeat, h.s.AbandonDeadline, NextDeadline(h.s)},
		[]any{3, t0 + 65_000, t0 + 65_000})
	wantTypes(t, h.tickAt(t0+64_999))
	wantEqual(t, "abandon", dataOf(h.tickAt(t0+65_000)), []Payload{RoomClosed{Reason: CloseAbandoned}})
	if !h.s.Closed || h.s.Deadline != 0 || h.s.AbandonDeadline != 0 || NextDeadline(h.s) != 0 {
		t.Error("a closed room keeps deadlines")
	}
	h.reject(Declare{PlayerID: "p3", Value: 1}, CodeWrongPhase)
	wantTypes(t, h.do(BotTurn{}))
}

func TestAbandon(t *testing.T) {
	host := &Player{PlayerID: "p1", Name: "P1"}

	t.Run("the last connected human disconnects", func(t *testing.T) {
		h := newHarness(t, 1)
		h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: slowConfig()})
		h.reject(Close{Reason: CloseAbandoned}, CodeInvalidField)
		h.at(1000)
		wantEqual(t, "disconnect", dataOf(h.do(Disconnect{PlayerID: "p1"})), []Payload{
			PlayerDisconnected{Seat: 1, GraceDeadline: t0 + 16_000, AbandonDeadline: t0 + 61_000}})
		h.at(2000)
		wantEqual(t, "reconnect", dataOf(h.do(Reconnect{PlayerID: "p1"})), []Payload{PlayerReconnected{Seat: 1}})
		wantEqual(t, "abandon cancelled", h.s.AbandonDeadline, Instant(0))

		h.at(3000)
		h.do(Disconnect{PlayerID: "p1"})
		ev := h.tickAt(t0 + 62_999)
		if !slices.Contains(dataOf(ev), Payload(SeatControlChanged{Seat: 1, Controller: Bot, Reason: ReasonGraceExpired})) {
			t.Errorf("no takeover in %v", typesOf(ev))
		}
		if payloads[RoomClosed](ev) != nil || h.s.Closed {
			t.Fatal("closed before the abandon deadline")
		}
		ev = h.tickAt(t0 + 63_000)
		wantEqual(t, "closing", ev[len(ev)-1].Data, Payload(RoomClosed{Reason: CloseAbandoned}))
	})

	t.Run("the server may close an abandoned room", func(t *testing.T) {
		h := newHarness(t, 1)
		h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: slowConfig()})
		h.do(Disconnect{PlayerID: "p1"})
		wantEqual(t, "close", dataOf(h.do(Close{Reason: CloseAbandoned})), []Payload{RoomClosed{Reason: CloseAbandoned}})
	})

	t.Run("game_over replaces the abandon deadline", func(t *testing.T) {
		h := newHarness(t, 1)
		h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: fastConfig()})
		h.at(1000)
		ev := h.do(Leave{PlayerID: "p1"}) // the bots play the whole game at once
		wantEqual(t, "leave", ev[0].Data, Payload(PlayerLeft{Seat: 1, Reason: ReasonLeft, AbandonDeadline: t0 + 61_000}))
		over := ev[len(ev)-1].Data.(GameOver)
		wantEqual(t, "game_over abandon", []Instant{over.AbandonDeadline, h.s.AbandonDeadline},
			[]Instant{t0 + 301_000, t0 + 301_000})
		wantTypes(t, h.tickAt(t0+61_000))
		wantEqual(t, "abandon", dataOf(h.tickAt(t0+301_000)), []Payload{RoomClosed{Reason: CloseAbandoned}})
	})

	t.Run("after game over", func(t *testing.T) {
		h := newHarness(t, 2)
		h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: fastConfig()})
		h.run(func(s *State) bool { return s.Phase == PhaseGameOver })
		if h.s.AbandonDeadline != 0 {
			t.Errorf("abandon deadline %d with the host connected", h.s.AbandonDeadline)
		}
		e := h.reject(Declare{PlayerID: "p1", Value: 1}, CodeWrongPhase)
		wantDetails(t, e, map[string]any{"phase": PhaseGameOver})
		h.reject(Play{PlayerID: "p1", Pieces: []int{0}}, CodeWrongPhase)
		h.reject(Redeal{PlayerID: "p1"}, CodeWrongPhase)
		wantTypes(t, h.do(BotTurn{}))

		now := h.env.Now + 1000
		h.env.Now = now
		wantEqual(t, "disconnect", dataOf(h.do(Disconnect{PlayerID: "p1"})), []Payload{
			PlayerDisconnected{Seat: 1, AbandonDeadline: now + 300_000}}) // no grace after the game
		wantEqual(t, "reconnect", dataOf(h.do(Reconnect{PlayerID: "p1"})), []Payload{PlayerReconnected{Seat: 1}})
		wantEqual(t, "leave", dataOf(h.do(Leave{PlayerID: "p1"})), []Payload{
			PlayerLeft{Seat: 1, Reason: ReasonLeft, AbandonDeadline: now + 300_000}})
		st := h.s.Seats[0]
		wantEqual(t, "seat 1", []any{st.Occupant, st.Left, st.Controller}, []any{Human, true, Human})
	})

	t.Run("a canary room is never abandoned", func(t *testing.T) {
		h := newHarness(t, 1)
		h.do(CreateRoom{RoomID: "C", Config: fastConfig()})
		for seat := 1; seat <= numSeats; seat++ {
			h.do(SetSeat{AsServer: true, Seat: seat, Bot: true})
		}
		ev := h.do(Start{AsServer: true})
		wantEqual(t, "game over", []any{h.s.Phase, ev[len(ev)-1].Data.(GameOver).AbandonDeadline}, []any{PhaseGameOver, Instant(0)})
		wantEqual(t, "deadlines", []Instant{h.s.AbandonDeadline, NextDeadline(h.s)}, []Instant{0, 0})
		h.reject(Close{Reason: CloseAbandoned}, CodeInvalidField)
		wantEqual(t, "failed", dataOf(h.do(Close{Reason: CloseFailed})), []Payload{RoomClosed{Reason: CloseFailed}})
	})
}

// ---- 6. bot think delay ----

func TestBotTurn(t *testing.T) {
	host := &Player{PlayerID: "p1", Name: "P1"}

	t.Run("nothing owed", func(t *testing.T) {
		h := newHarness(t, 1)
		h.room(slowConfig(), "bbb")
		wantTypes(t, h.do(BotTurn{}))
	})

	t.Run("bots declare one BotTurn at a time", func(t *testing.T) {
		h := findSeed(t, 200, "a bot starting round 1", func(h *harness) bool {
			h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: slowConfig()})
			return h.s.Phase == PhaseRoundStart && h.s.Starter != 1
		})
		wantTypes(t, h.do(BotTurn{})) // round_start: nobody owes
		wantTypes(t, h.tickAt(t0+3000), "declaration_started")
		wantEqual(t, "bot declarer", []any{BotsOwing(h.s).Seats(), h.s.Deadline}, []any{[]int{h.s.Starter}, Instant(0)})
		wantTypes(t, h.tickAt(t0+100_000)) // a bot's decision has no deadline
		for h.s.Current != 1 {
			seat := h.s.Current
			ev := h.do(BotTurn{})
			wantTypes(t, ev, "declared")
			wantEqual(t, "declared", []any{ev[0].Data.(Declared).Seat, by(ev[0])}, []any{seat, ByBot})
		}
		wantTypes(t, h.do(BotTurn{})) // the human owes
		wantEqual(t, "human deadline", h.s.Deadline, h.env.Now+30_000)
		ev := h.do(h.legalDeclare(1))
		if len(payloads[Declared](ev)) != 1 || payloads[Played](ev) != nil {
			t.Errorf("bots acted without BotTurn: %v", typesOf(ev))
		}
	})

	t.Run("bot redeal answers in seat order", func(t *testing.T) {
		var botsWeak []int
		h := findSeed(t, 20_000, "two weak bot seats", func(h *harness) bool {
			h.do(CreateRoom{RoomID: "R", Host: host, QuickPlay: true, Config: slowConfig()})
			botsWeak = slices.DeleteFunc(h.s.WeakSeats.Seats(), func(n int) bool { return n == 1 })
			return len(botsWeak) >= 2
		})
		ev := h.do(BotTurn{})
		if len(ev) < len(botsWeak) {
			t.Fatalf("events %v", typesOf(ev))
		}
		for i, seat := range botsWeak {
			d, ok := ev[i].Data.(RedealDecided)
			if !ok || d.Seat != seat || d.By != ByBot || d.Deal != 1 {
				t.Errorf("event %d: %+v, want seat %d's answer by bot", i, ev[i].Data, seat)
			}
		}
		if h.s.WeakSeats.Has(1) {
			wantEqual(t, "events", len(ev), len(botsWeak))
		}
	})
}
