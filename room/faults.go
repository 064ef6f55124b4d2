package room

import "liaptui/game"

// Faults break rooms on purpose so that supervision, recovery and the canary
// can be tested end to end, in this package and in others (observability
// §10). Go shares no _test.go code between packages, so the hook points are
// these nil checks on the actor's path; the faults themselves live in the
// tests. Production leaves Options.Faults nil. Every hook runs on the room's
// actor and may be nil.
type Faults struct {
	// BeforeDecide runs before a command or timer step is decided, with the
	// live state: it may block (a stuck actor), panic (an actor failure) or
	// change the state (in-memory corruption).
	BeforeDecide func(roomID string, cmd game.Command, live *game.State)
	// AfterApply runs after each of a step's events is applied to the next
	// state, before the invariant check: it may change that state (a
	// corruption the check catches, or a rule violation the canary catches).
	AfterApply func(roomID string, ev game.Event, next *game.State)
	// AfterAppend runs once a step's events are stored, before they are
	// applied to the room: a panic here leaves stored events unapplied.
	AfterAppend func(roomID string, cmd game.Command)
}

func (f *Faults) beforeDecide(id string, cmd game.Command, live *game.State) {
	if f != nil && f.BeforeDecide != nil {
		f.BeforeDecide(id, cmd, live)
	}
}

func (f *Faults) afterApply(id string, ev game.Event, next *game.State) {
	if f != nil && f.AfterApply != nil {
		f.AfterApply(id, ev, next)
	}
}

func (f *Faults) afterAppend(id string, cmd game.Command) {
	if f != nil && f.AfterAppend != nil {
		f.AfterAppend(id, cmd)
	}
}
