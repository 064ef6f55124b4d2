package room

import (
	"sync"
	"sync/atomic"

	"liaptui/game"
)

// Rebuild triggers: the reason of Rebuild and of room_rebuilt, and the
// trigger label of the rebuild counter (startup: Restore).
const (
	RebuildPanic      = "panic"
	RebuildCorruption = "corruption"
	RebuildStartup    = "startup"
)

// Outcomes of a started game (liaptui_games_finished_total).
const (
	OutcomeCompleted = "completed"
	OutcomeAbandoned = game.CloseAbandoned
	OutcomeFailed    = game.CloseFailed
)

// Replay reasons of Options.OnReplay (liaptui_replay_duration_seconds).
const (
	ReplayStartup = "startup"
	ReplayRebuild = "rebuild"
	ReplayCanary  = "canary"
)

// RoomCounters are the registry's running totals since it was made, for the
// Prometheus counters of observability §8.1. Canary rooms are not counted.
// The maps are copies; GamesFinished and Rebuilds hold every key of their
// closed sets, EventsAppended the event types seen so far.
type RoomCounters struct {
	GamesStarted      int64
	GamesFinished     map[string]int64 // by outcome: completed, abandoned, failed
	EventsAppended    map[string]int64 // room events stored, by type
	ActorPanics       int64
	Rebuilds          map[string]int64 // by trigger: panic, corruption, startup
	InvariantFailures int64
}

// Counters reads the running totals.
func (g *Registry) Counters() RoomCounters {
	c := &g.sig.counters
	out := RoomCounters{GamesStarted: c.gamesStarted.Load(), ActorPanics: c.panics.Load(),
		InvariantFailures: c.invariantFailures.Load(),
		GamesFinished: map[string]int64{OutcomeCompleted: c.completed.Load(), OutcomeAbandoned: c.abandoned.Load(),
			OutcomeFailed: c.failed.Load()},
		Rebuilds: map[string]int64{RebuildPanic: c.rebuildsPanic.Load(),
			RebuildCorruption: c.rebuildsCorruption.Load(), RebuildStartup: c.rebuildsStartup.Load()},
		EventsAppended: map[string]int64{}}
	c.events.Range(func(k, v any) bool {
		out.EventsAppended[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

type counters struct {
	gamesStarted                                       atomic.Int64
	completed, abandoned, failed                       atomic.Int64
	panics, invariantFailures                          atomic.Int64
	rebuildsPanic, rebuildsCorruption, rebuildsStartup atomic.Int64
	events                                             sync.Map // event type -> *atomic.Int64
}

func (c *counters) rebuild(trigger string) {
	switch trigger {
	case RebuildPanic:
		c.rebuildsPanic.Add(1)
	case RebuildCorruption:
		c.rebuildsCorruption.Add(1)
	case RebuildStartup:
		c.rebuildsStartup.Add(1)
	}
}

// stored counts events a room stored after the state before.
func (c *counters) stored(before game.State, evs []Committed) {
	prev := before
	for _, e := range evs {
		n, ok := c.events.Load(e.Event.Type())
		if !ok {
			n, _ = c.events.LoadOrStore(e.Event.Type(), new(atomic.Int64))
		}
		n.(*atomic.Int64).Add(1)
		switch d := e.Event.Data.(type) {
		case game.GameStarted:
			c.gamesStarted.Add(1)
		case game.GameOver:
			c.completed.Add(1)
		case game.RoomClosed:
			if inGame(prev.Phase) && d.Reason == game.CloseAbandoned {
				c.abandoned.Add(1)
			} else if inGame(prev.Phase) && d.Reason == game.CloseFailed {
				c.failed.Add(1)
			}
		}
		prev = e.State
	}
}

// inGame is true from preparation through scoring: a started game that has
// not reached game over.
func inGame(p game.Phase) bool {
	return p != "" && p != game.PhaseWaiting && p != game.PhaseGameOver
}
