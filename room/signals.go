package room

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"liaptui/game"
	"liaptui/monitor"
)

// WakeRoomFault is the monitor wake-up reason rooms raise on an invariant
// failure or an actor panic (observability §2.2).
const WakeRoomFault = "room_fault"

// ProcedureRoomCorruption is the recovery procedure rooms trigger, and
// RaisedByRoom the raised_by they give (observability §5.1, §5.4).
const (
	ProcedureRoomCorruption = "room_state_corruption"
	RaisedByRoom            = "room"
)

// Reasons of room_unrecoverable (rules §20.3).
const (
	UnrecoverableFold     = "fold_error"
	UnrecoverableInvalid  = "invariant_failure"
	UnrecoverableTimeout  = "timeout"
	UnrecoverablePanicked = "repeated_panics"
)

// faultSpan is how long check 14 remembers invariant failures and panics.
const faultSpan = 5 * time.Minute

// faultCap bounds each list of remembered faults; more within faultSpan
// reads as faultCap, far above the critical threshold anyway.
const faultCap = 1024

// signals is where the rooms of a registry report what the rest of the
// server watches: the monitor's wake-up, recovery triggers, _system events,
// log lines, counters and the recent faults. The registry owns it and every
// room holds it (one source of truth, observability §0). Canary rooms tell
// nothing here: their faults fail the canary run instead.
type signals struct {
	opts     Options
	log      *slog.Logger
	counters counters
	recent   faultWindow
}

func newSignals(opts Options) *signals {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &signals{opts: opts, log: log}
}

// panicked records a recovered actor panic (observability §9.1).
func (s *signals) panicked(ctx context.Context, roomID string, recovered any, stack []byte) {
	s.counters.panics.Add(1)
	s.recent.add(&s.recent.panics, s.opts.Clock.Now())
	s.log.ErrorContext(ctx, "room actor panicked", "category", "error", "component", "room",
		"correlation_id", monitor.CorrelationID(ctx), "room_id", roomID, "error", fmt.Sprint(recovered), "stack", string(stack))
	s.wake()
}

// invariantFailed records a failed invariant check, live or in a replay.
func (s *signals) invariantFailed(ctx context.Context, roomID string, cause error) {
	s.counters.invariantFailures.Add(1)
	s.recent.add(&s.recent.invariants, s.opts.Clock.Now())
	s.log.ErrorContext(ctx, "room invariant check failed", "category", "error", "component", "room",
		"correlation_id", monitor.CorrelationID(ctx), "room_id", roomID, "error", cause.Error())
	s.wake()
}

func (s *signals) wake() {
	if s.opts.Wake != nil {
		s.opts.Wake(WakeRoomFault)
	}
}

// canRecover says whether a corruption goes to the recovery manager; without
// one the room rebuilds itself at once.
func (s *signals) canRecover() bool { return s.opts.Recover != nil }

// raiseCorruption triggers room_state_corruption for a room (observability
// §5.1 triggers (a) and (c)); the trigger never blocks.
func (s *signals) raiseCorruption(ctx context.Context, roomID string, observed map[string]any) {
	s.opts.Recover(ctx, ProcedureRoomCorruption, roomID, RaisedByRoom, observed)
}

// rebuilt reports a running room rebuilt from its stream: counter, log and
// room_rebuilt in _system (rules §20.3). panicText is "" unless the trigger
// is a panic.
func (s *signals) rebuilt(ctx context.Context, roomID, trigger string, head, incarnation int64, panicText string) {
	s.counters.rebuild(trigger)
	s.log.WarnContext(ctx, "room rebuilt", "category", "system", "component", "room",
		"correlation_id", monitor.CorrelationID(ctx), "room_id", roomID, "reason", trigger, "seq", head,
		"incarnation", incarnation)
	s.appendSystem(ctx, "room_rebuilt", roomRebuilt{RoomID: roomID, Reason: trigger, HeadSeq: head,
		Incarnation: incarnation, Panic: panicText})
}

// unrecoverable reports a room closed as failed: ERROR log (alerted) and
// room_unrecoverable in _system.
func (s *signals) unrecoverable(ctx context.Context, roomID, reason string, cause error) {
	attrs := []any{"category", "error", "component", "room", "correlation_id", monitor.CorrelationID(ctx),
		"room_id", roomID, "reason", reason}
	if cause != nil {
		attrs = append(attrs, "error", cause.Error())
	}
	s.log.ErrorContext(ctx, "room unrecoverable, closed as failed", attrs...)
	s.appendSystem(ctx, "room_unrecoverable", roomUnrecoverable{RoomID: roomID, Reason: reason})
}

func (s *signals) appendSystem(ctx context.Context, typ string, payload any) {
	if s.opts.System != nil {
		s.opts.System.AppendSystem(ctx, typ, payload)
	}
}

// replayed reports how long one fold of a stream took.
func (s *signals) replayed(reason string, d time.Duration) {
	if s.opts.OnReplay != nil {
		s.opts.OnReplay(reason, d)
	}
}

// logCommand writes the one game line of a command (observability §7.4):
// accepted, or rejected with its error code. Timer steps are no commands.
func (s *signals) logCommand(ctx context.Context, roomID string, cmd game.Command, seat, events int, err error) {
	name, ok := commandType(cmd)
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("category", "game"), slog.String("component", "room")}
	if corr := monitor.CorrelationID(ctx); corr != "" {
		attrs = append(attrs, slog.String("correlation_id", corr))
	}
	if roomID != "" {
		attrs = append(attrs, slog.String("room_id", roomID))
	}
	attrs = append(attrs, slog.String("command", name), slog.Int("seat", seat))
	if err != nil {
		attrs = append(attrs, slog.String("code", game.CodeOf(err)))
		s.log.LogAttrs(ctx, slog.LevelInfo, "command rejected", attrs...)
		return
	}
	attrs = append(attrs, slog.Int("events", events))
	s.log.LogAttrs(ctx, slog.LevelInfo, "command accepted", attrs...)
}

// commandType is a command's name in logs (the protocol's type for player
// commands); false for timer steps.
func commandType(cmd game.Command) (string, bool) {
	switch cmd.(type) {
	case game.CreateRoom:
		return "room.create", true
	case game.Join:
		return "room.join", true
	case game.SetSeat:
		return "room.seat", true
	case game.Start:
		return "room.start", true
	case game.Leave:
		return "room.leave", true
	case game.Redeal:
		return "game.redeal", true
	case game.Declare:
		return "game.declare", true
	case game.Play:
		return "game.play", true
	case game.Disconnect:
		return "disconnect", true
	case game.Reconnect:
		return "reconnect", true
	case game.Close:
		return "close", true
	}
	return "", false
}

// roomRebuilt and roomUnrecoverable are the _system payloads of rules §20.3.
type roomRebuilt struct {
	RoomID      string `json:"room_id"`
	Reason      string `json:"reason"`
	HeadSeq     int64  `json:"head_seq"`
	Incarnation int64  `json:"incarnation"`
	Panic       string `json:"panic,omitempty"`
}

type roomUnrecoverable struct {
	RoomID string `json:"room_id"`
	Reason string `json:"reason"`
}

// faultWindow keeps the instants of the recent invariant failures and actor
// panics, oldest first, for check 14.
type faultWindow struct {
	mu         sync.Mutex
	invariants []time.Time
	panics     []time.Time
}

func (w *faultWindow) add(list *[]time.Time, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := append(*list, at)
	drop := 0
	for drop < len(l) && (at.Sub(l[drop]) >= faultSpan || len(l)-drop > faultCap) {
		drop++
	}
	*list = append(l[:0], l[drop:]...)
}

// counts are the faults within faultSpan before now.
func (w *faultWindow) counts(now time.Time) (invariants, panics int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	within := func(l []time.Time) int {
		n := 0
		for _, t := range l {
			if age := now.Sub(t); age >= 0 && age < faultSpan {
				n++
			}
		}
		return n
	}
	return within(w.invariants), within(w.panics)
}
