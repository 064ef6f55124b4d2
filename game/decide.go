package game

import "fmt"

// maxSteps bounds the events one command may cause. A whole fast-mode game of
// four bots is far below it; reaching it means a rule loop, reported as an
// internal error rather than hanging the room.
const maxSteps = 100_000

// Decide turns a command into the events it causes, or rejects it (rules §6).
// A rejection carries a code (CodeOf) and causes nothing. Decide is pure: it
// folds each event it makes with Apply to decide the next, so the caller gets
// the same state by applying the returned events.
func Decide(s State, cmd Command, env Env) ([]Event, error) {
	d := decider{s: s, env: env}
	if err := d.run(cmd); err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, d.err
	}
	return d.events, nil
}

type decider struct {
	s      State
	env    Env
	events []Event
	err    error
}

// emit appends an event and folds it into the working state.
func (d *decider) emit(p Payload) {
	if d.err != nil {
		return
	}
	if len(d.events) >= maxSteps {
		d.err = reject(CodeInternal, nil, "command caused more than %d events", maxSteps)
		return
	}
	e := Event{At: d.env.Now, Data: p}
	next, err := Apply(d.s, e)
	if err != nil {
		d.err = &Error{Code: CodeInternal, Message: err.Error(), Details: map[string]any{}}
		return
	}
	d.s = next
	d.events = append(d.events, e)
}

func (d *decider) run(cmd Command) error {
	if _, ok := cmd.(CreateRoom); !ok && !d.s.Created {
		return reject(CodeRoomNotFound, nil, "the room does not exist")
	}
	switch c := cmd.(type) {
	case CreateRoom:
		return d.createRoom(c)
	case Join:
		return d.join(c)
	case SetSeat:
		return d.setSeat(c)
	case Start:
		return d.start(c)
	case Redeal:
		return d.redealCommand(c)
	case Declare:
		return d.declareCommand(c)
	case Play:
		return d.playCommand(c)
	case Disconnect:
		return d.disconnect(c.PlayerID)
	case Reconnect:
		return d.reconnect(c.PlayerID)
	case Leave:
		return d.leave(c.PlayerID)
	case BotTurn:
		if !d.s.Closed {
			d.botsAct(ByBot)
			d.settle()
		}
		return nil
	case Tick:
		d.fireDueTimers()
		return nil
	case Close:
		return d.close(c.Reason)
	}
	return reject(CodeInternal, nil, "unknown command %T", cmd)
}

// settle lets bots act at once while their think delay is 0 (fast mode).
func (d *decider) settle() {
	for d.err == nil && !d.s.Closed && d.s.Config.BotDelayMs == 0 && BotsOwing(d.s) != 0 {
		d.botsAct(ByBot)
	}
}

// ---- room layer (phase waiting) ----

func (d *decider) createRoom(c CreateRoom) error {
	if d.s.Created {
		return reject(CodeWrongPhase, map[string]any{"phase": d.s.Phase}, "room %s exists already", d.s.RoomID)
	}
	if c.RoomID == "" {
		return reject(CodeInvalidField, map[string]any{"field": "room_id", "reason": "empty"}, "a room needs an id")
	}
	if err := c.Config.Validate(); err != nil {
		return err
	}
	created := RoomCreated{RoomID: c.RoomID, QuickPlay: c.QuickPlay && c.Host != nil, Config: c.Config.Effective()}
	if c.Host != nil {
		host := *c.Host
		created.Host, created.HostSeat = &host, 1
	}
	d.emit(created)
	if created.QuickPlay {
		for seat := 2; seat <= numSeats; seat++ {
			d.emit(BotAdded{Seat: seat, Name: botName(seat)})
		}
		d.startGame()
		d.settle()
	}
	return nil
}

func botName(seat int) string { return fmt.Sprintf("Bot %d", seat) }

func (d *decider) join(c Join) error {
	s := &d.s
	held := s.seatOfPlayer(c.Player.PlayerID)
	switch {
	case s.Closed || !s.Hosted:
		return reject(CodeRoomNotFound, nil, "room %s is not open", s.RoomID)
	case held != 0 && !s.seat(held).Left: // one who left a started game may not rejoin it
		return reject(CodeAlreadyInRoom, map[string]any{"room_id": s.RoomID}, "you already hold a seat in room %s", s.RoomID)
	case s.Phase != PhaseWaiting:
		return reject(CodeGameAlreadyStarted, nil, "the game in room %s has started", s.RoomID)
	}
	seat, replaced := 0, false
	for n := 1; n <= numSeats && seat == 0; n++ {
		if s.seat(n).Occupant == Open {
			seat = n
		}
	}
	for n := numSeats; n >= 1 && seat == 0; n-- {
		if s.seat(n).Occupant == Bot {
			seat, replaced = n, true
		}
	}
	if seat == 0 {
		return reject(CodeRoomFull, nil, "room %s has four human players", s.RoomID)
	}
	d.emit(PlayerJoined{Seat: seat, PlayerID: c.Player.PlayerID, Name: c.Player.Name, ReplacedBot: replaced})
	return nil
}

// hostCheck is the NOT_SEATED, GAME_ALREADY_STARTED, NOT_HOST prefix of the
// host-only commands.
func (d *decider) hostCheck(playerID string, asServer bool) error {
	s := &d.s
	if s.Closed {
		return reject(CodeRoomNotFound, nil, "room %s is closed", s.RoomID)
	}
	seat := s.seatOfPlayer(playerID)
	if !asServer && (seat == 0 || s.seat(seat).Left) {
		return reject(CodeNotSeated, nil, "you hold no seat in room %s", s.RoomID)
	}
	if s.Phase != PhaseWaiting {
		return reject(CodeGameAlreadyStarted, nil, "the game in room %s has started", s.RoomID)
	}
	if !asServer && seat != s.HostSeat {
		return reject(CodeNotHost, nil, "only the host may do this")
	}
	return nil
}

func (d *decider) setSeat(c SetSeat) error {
	if c.Seat < 1 || c.Seat > numSeats {
		return reject(CodeInvalidField, map[string]any{"field": "data.seat", "reason": "must be 1..4"}, "seat must be 1..4")
	}
	if err := d.hostCheck(c.PlayerID, c.AsServer); err != nil {
		return err
	}
	occupant := d.s.seat(c.Seat).Occupant
	if c.Bot {
		if occupant != Open {
			return reject(CodeSeatOccupied, nil, "seat %d is not open", c.Seat)
		}
		d.emit(BotAdded{Seat: c.Seat, Name: botName(c.Seat)})
		return nil
	}
	if occupant != Bot {
		return reject(CodeSeatNotBot, nil, "seat %d holds no bot", c.Seat)
	}
	d.emit(BotRemoved{Seat: c.Seat})
	return nil
}

func (d *decider) start(c Start) error {
	if err := d.hostCheck(c.PlayerID, c.AsServer); err != nil {
		return err
	}
	for n := 1; n <= numSeats; n++ {
		if d.s.seat(n).Occupant == Open {
			return reject(CodeSeatsNotFilled, nil, "seat %d is open", n)
		}
	}
	d.startGame()
	d.settle()
	return nil
}

func (d *decider) startGame() {
	s := &d.s
	started := GameStarted{HostSeat: SeatRef(s.HostSeat), Config: s.Config}
	for i := range s.Seats {
		st := &s.Seats[i]
		started.Seats[i] = StartedSeat{Seat: i + 1, Name: st.Name, Bot: st.Occupant == Bot}
		if st.Occupant == Human {
			id := st.PlayerID
			started.Seats[i].PlayerID = &id
		}
	}
	d.emit(started)
	d.deal(1)
}

// ---- connections and leaving (rules §17) ----

// memberSeat finds the seat of a player who has not left.
func (d *decider) memberSeat(playerID string) (int, error) {
	seat := d.s.seatOfPlayer(playerID)
	if seat == 0 || d.s.seat(seat).Left {
		return 0, reject(CodeNotSeated, nil, "you hold no seat in room %s", d.s.RoomID)
	}
	if d.s.Closed {
		return 0, reject(CodeWrongPhase, map[string]any{"phase": d.s.Phase}, "room %s is closed", d.s.RoomID)
	}
	return seat, nil
}

// abandonDeadline is the deadline an event records when, after it, no
// connected human remains in a started room; 0 otherwise or when one runs.
func (d *decider) abandonDeadline(gone int) Instant {
	s := &d.s
	if !s.Hosted || !s.Phase.started() || s.AbandonDeadline != 0 {
		return 0
	}
	for i := range s.Seats {
		if i+1 != gone && s.Seats[i].humanPresent() {
			return 0
		}
	}
	if s.Phase == PhaseGameOver {
		return d.after(s.Config.AbandonAfterGameMs)
	}
	return d.after(s.Config.AbandonInGameMs)
}

func (d *decider) after(ms int) Instant { return d.env.Now + Instant(ms) }

func (d *decider) disconnect(playerID string) error {
	seat, err := d.memberSeat(playerID)
	if err != nil || !d.s.seat(seat).Connected {
		return err
	}
	var grace Instant
	if d.s.Phase != PhaseGameOver {
		grace = d.after(d.s.Config.DisconnectGraceMs)
	}
	d.emit(PlayerDisconnected{Seat: seat, GraceDeadline: grace, AbandonDeadline: d.abandonDeadline(seat)})
	return nil
}

func (d *decider) reconnect(playerID string) error {
	seat, err := d.memberSeat(playerID)
	if err != nil || d.s.seat(seat).Connected {
		return err
	}
	d.emit(PlayerReconnected{Seat: seat})
	if d.s.Phase.inGame() && d.s.seat(seat).Controller == Bot {
		d.emit(SeatControlChanged{Seat: seat, Controller: Human, Reason: ReasonReconnected})
	}
	return nil
}

func (d *decider) leave(playerID string) error {
	seat, err := d.memberSeat(playerID)
	if err != nil {
		return err
	}
	switch {
	case d.s.Phase == PhaseWaiting:
		d.emit(PlayerLeft{Seat: seat, Reason: ReasonLeft})
		d.afterWaitingSeatOpened(seat, ReasonLeft)
	case d.s.Phase.inGame():
		d.emit(PlayerLeft{Seat: seat, Reason: ReasonLeft, AbandonDeadline: d.abandonDeadline(seat)})
		d.takeOver(seat, ReasonLeft)
	default:
		d.emit(PlayerLeft{Seat: seat, Reason: ReasonLeft, AbandonDeadline: d.abandonDeadline(seat)})
		d.passHost(seat, ReasonLeft)
	}
	d.settle()
	return nil
}

// afterWaitingSeatOpened closes an empty waiting room or moves its host to
// the next human occupant in rotation (rules §17.1).
func (d *decider) afterWaitingSeatOpened(seat int, reason string) {
	to := d.nextSeat(seat, func(st *SeatState) bool { return st.Occupant == Human })
	switch {
	case to == 0:
		d.emit(RoomClosed{Reason: CloseEmpty})
	case d.s.HostSeat == seat:
		d.emit(HostChanged{FromSeat: seat, ToSeat: to, Reason: reason})
	}
}

// takeOver hands a seat to the bot logic during the game (rules §17.2).
func (d *decider) takeOver(seat int, reason string) {
	d.emit(SeatControlChanged{Seat: seat, Controller: Bot, Reason: reason})
	d.passHost(seat, reason)
	if owes(&d.s, seat) {
		d.botAct(seat, ByBot)
	}
}

// passHost moves the host role from seat to the next connected human in
// rotation; with none it stays.
func (d *decider) passHost(seat int, reason string) {
	if d.s.HostSeat != seat {
		return
	}
	if to := d.nextSeat(seat, (*SeatState).humanPresent); to != 0 {
		d.emit(HostChanged{FromSeat: seat, ToSeat: to, Reason: reason})
	}
}

// nextSeat is the first other seat in rotation after seat that matches.
func (d *decider) nextSeat(seat int, match func(*SeatState) bool) int {
	order := rotationFrom(seat)
	for _, n := range order[1:] {
		if match(d.s.seat(n)) {
			return n
		}
	}
	return 0
}

func (d *decider) close(reason string) error {
	s := &d.s
	if s.Closed {
		return reject(CodeWrongPhase, map[string]any{"phase": s.Phase}, "room %s is closed", s.RoomID)
	}
	switch {
	case reason == CloseFailed:
	case reason == CloseAbandoned && s.AbandonDeadline != 0:
	default:
		return reject(CodeInvalidField, map[string]any{"field": "reason", "reason": "not allowed now"},
			"cannot close room %s as %q", s.RoomID, reason)
	}
	d.emit(RoomClosed{Reason: reason})
	return nil
}

// ---- timers (rules §6.3) ----

// fireDueTimers fires, earliest first, every timer due at Env.Now. A timer
// the state no longer holds is simply not there: stale timers do nothing.
func (d *decider) fireDueTimers() {
	for d.err == nil && !d.s.Closed {
		kind, seat, at := nextTimer(&d.s)
		if at == 0 || at > d.env.Now {
			return
		}
		switch kind {
		case timerPhase:
			d.phaseTimerExpired()
		case timerGrace:
			d.graceExpired(seat)
		case timerAbandon:
			d.emit(RoomClosed{Reason: CloseAbandoned})
		}
		d.settle()
	}
}

type timerKind int

const (
	timerPhase timerKind = iota
	timerGrace
	timerAbandon
)

// nextTimer is the earliest armed timer: the phase timer, a seat's grace or
// the abandon timer; ties go in that order, graces by seat.
func nextTimer(s *State) (timerKind, int, Instant) {
	kind, seat, at := timerPhase, 0, s.Deadline
	consider := func(k timerKind, n int, t Instant) {
		if t != 0 && (at == 0 || t < at) {
			kind, seat, at = k, n, t
		}
	}
	for i := range s.Seats {
		consider(timerGrace, i+1, s.Seats[i].GraceDeadline)
	}
	consider(timerAbandon, 0, s.AbandonDeadline)
	return kind, seat, at
}

// NextDeadline is the instant the room must next send Tick, 0 for none.
func NextDeadline(s State) Instant {
	if s.Closed {
		return 0
	}
	_, _, at := nextTimer(&s)
	return at
}

func (d *decider) phaseTimerExpired() {
	s := &d.s
	switch s.Phase {
	case PhasePreparation:
		// the last answer may resolve the cycle with a new deal, whose
		// window is not the one that expired
		deal := s.Deal
		for _, seat := range s.Awaiting.Seats() {
			if d.s.Deal == deal && d.s.Decisions[seat-1] == Undecided {
				d.decideRedeal(seat, false, ByTimeout)
			}
		}
	case PhaseRoundStart:
		d.startDeclaration()
	case PhaseDeclaration, PhaseTurn:
		d.botAct(s.Current, ByTimeout)
	case PhaseTurnResults:
		d.afterTurnResults()
	case PhaseScoring:
		d.afterScoring()
	}
}

func (d *decider) graceExpired(seat int) {
	switch {
	case d.s.Phase == PhaseWaiting:
		d.emit(PlayerLeft{Seat: seat, Reason: ReasonGraceExpired})
		d.afterWaitingSeatOpened(seat, ReasonGraceExpired)
	case d.s.Phase.inGame():
		d.takeOver(seat, ReasonGraceExpired)
	}
}

// humanDeadline is the decision deadline for seat: timeout ms from now for a
// human-controlled seat, none for a bot or a zero timeout.
func (d *decider) humanDeadline(seat, timeoutMs int) Instant {
	if seat == 0 || timeoutMs == 0 || d.s.seat(seat).Controller != Human {
		return 0
	}
	return d.after(timeoutMs)
}

func (d *decider) pause(ms int) Instant {
	if ms == 0 {
		return 0
	}
	return d.after(ms)
}

// ---- helpers shared by the game commands ----

// seatFor runs the common prefix of the game commands' checks:
// NOT_SEATED, WRONG_PHASE, NOT_IN_CONTROL.
func (d *decider) seatFor(playerID string, phase Phase) (int, error) {
	s := &d.s
	seat := s.seatOfPlayer(playerID)
	if seat == 0 {
		return 0, reject(CodeNotSeated, nil, "you hold no seat in room %s", s.RoomID)
	}
	if s.Closed || s.Phase != phase {
		return 0, reject(CodeWrongPhase, map[string]any{"phase": s.Phase},
			"this command is not accepted in phase %s", s.Phase)
	}
	if s.seat(seat).Controller != Human {
		return 0, reject(CodeNotInControl, nil, "seat %d is played by the bot", seat)
	}
	return seat, nil
}

func (d *decider) notYourTurn(seat int) error {
	return reject(CodeNotYourTurn, map[string]any{"actor_seats": []int{d.s.Current}},
		"seat %d is not the current %s", seat, map[Phase]string{PhaseDeclaration: "declarer", PhaseTurn: "player"}[d.s.Phase])
}
