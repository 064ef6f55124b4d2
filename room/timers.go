package room

import (
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// retryDelay is how long a timer step that changed nothing (a failing
// store, or a game bug leaving a deadline due) waits before it is tried
// again; firing at once would spin the room.
const retryDelay = time.Second

// timers are the actor's clock timers: one for the state's next deadline
// (phase, grace and abandon timers, rules §6.3) and one for the bot think
// delay, which is not state (rules §19.1).
type timers struct {
	phase    monitor.Timer
	bot      monitor.Timer
	botArmed bool
	botDue   game.Instant // when the armed bot timer fires
	botKey   botKey
	botGen   uint64
}

// botKey identifies one set of owed bot decisions: while it stays the same
// the bot timer armed for it keeps running.
type botKey struct {
	owing                          game.SeatSet
	phase                          game.Phase
	round, deal, turn, plays, decl int
}

func botKeyOf(s game.State) botKey {
	return botKey{owing: game.BotsOwing(s), phase: s.Phase, round: s.Round, deal: s.Deal, turn: s.Turn,
		plays: s.NumPlays, decl: s.DeclIndex}
}

func (t *timers) stopPhase() {
	if t.phase != nil {
		t.phase.Stop()
		t.phase = nil
	}
}

func (t *timers) stopBot() {
	if t.bot != nil {
		t.bot.Stop()
		t.bot = nil
	}
	t.botArmed = false
}

func (t *timers) stopAll() {
	t.stopPhase()
	t.stopBot()
}

// arm sets the timers for the current state. retry says the step was a
// timer expiry that changed nothing: a deadline still due waits retryDelay.
func (r *Room) arm(retry bool) {
	r.armPhase(retry)
	r.armBot()
	r.publishDeadline()
}

// publishDeadline publishes the earliest instant the actor has to act on:
// the state's next deadline, or the armed bot timer. A deadline kept by a
// retry stays published as it was, so it shows as passed and unhandled.
func (r *Room) publishDeadline() {
	next := game.NextDeadline(r.state)
	if t := &r.timers; t.botArmed && (next == 0 || t.botDue < next) {
		next = t.botDue
	}
	r.published.nextDeadlineAt.Store(int64(next))
}

// rearmSpent re-arms after a step that changed nothing; only a timer's own
// step has spent its timer.
func (r *Room) rearmSpent(cmd game.Command) {
	switch cmd.(type) {
	case game.Tick, game.BotTurn:
		r.arm(true)
	}
}

// armPhase keeps exactly one clock timer at NextDeadline(state); a deadline
// already past is posted at once (rules §6.3).
func (r *Room) armPhase(retry bool) {
	r.timers.stopPhase()
	at := game.NextDeadline(r.state)
	if at == 0 {
		return
	}
	wait := time.Duration(at-r.now()) * time.Millisecond
	switch {
	case wait <= 0 && retry:
		wait = retryDelay
	case wait <= 0:
		r.postTick()
		return
	}
	r.timers.phase = r.clock.AfterFunc(wait, r.postTick)
}

// postTick runs on the clock's goroutine: it never blocks, and a tick that
// finds the slot full is not lost, since one is pending already.
func (r *Room) postTick() {
	select {
	case r.tickC <- struct{}{}:
	default:
	}
}

// armBot arms the bot think delay when bot seats came to owe decisions
// (rules §19.1) and cancels it when none owes. With a delay of 0 Decide lets
// bots act within the step, so there is nothing to arm.
func (r *Room) armBot() {
	t := &r.timers
	key := botKeyOf(r.state)
	if key.owing == 0 || r.state.Closed || r.state.Config.BotDelayMs <= 0 {
		t.stopBot()
		return
	}
	if t.botArmed && t.botKey == key {
		return
	}
	t.stopBot()
	t.botGen++
	gen := t.botGen
	t.botArmed, t.botKey = true, key
	t.botDue = r.now() + game.Instant(r.state.Config.BotDelayMs)
	t.bot = r.clock.AfterFunc(time.Duration(r.state.Config.BotDelayMs)*time.Millisecond, func() {
		r.botFired.Store(gen)
		select {
		case r.botC <- struct{}{}:
		default:
		}
	})
}

// timerStep runs a timer expiry under a correlation id of its own.
func (r *Room) timerStep(cmd game.Command) {
	r.safeStep(monitor.NewCorrelationID(), cmd, ActorSystem)
}

// botStep runs BotTurn when the bot timer that fired is the one armed now;
// an older one (its decisions were made or changed meanwhile) does nothing.
func (r *Room) botStep() {
	t := &r.timers
	if !t.botArmed || r.botFired.Load() != t.botGen {
		return
	}
	t.bot, t.botArmed = nil, false
	r.timerStep(game.BotTurn{})
}
