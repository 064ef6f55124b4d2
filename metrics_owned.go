package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"liaptui/monitor"
	"liaptui/ws"
)

// exportOwnedMetrics replaces the catalogue families whose values the hub,
// the rooms, the store, the notifier and recovery own with collectors that
// read those owners (atomic loads, no sampling). Every closed label value is
// emitted, at 0 when its owner has not counted it.
func (s *server) exportOwnedMetrics() {
	m := s.obs.metrics
	reg := m.Registry()
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	one := func(v int64) func(emit func(int64, ...string)) {
		return func(emit func(int64, ...string)) { emit(v) }
	}
	byLabel := func(labels []string, values func() map[string]int64) func(emit func(int64, ...string)) {
		return func(emit func(int64, ...string)) {
			vals := values()
			for _, l := range labels {
				emit(vals[l], l)
			}
		}
	}
	hub, rooms, store := s.hub, s.registry, s.store
	own := func(family prometheus.Collector, kind prometheus.ValueType, read func(emit func(int64, ...string))) {
		replaceWithOwned(reg, family, kind, read)
	}
	ownFunc := func(family prometheus.Collector, kind prometheus.ValueType, v func() int64) {
		own(family, kind, func(emit func(int64, ...string)) { one(v())(emit) })
	}

	ownFunc(m.WsConnections, gauge, hub.OpenConnections)
	ownFunc(m.WsOutboundPendingFrames, gauge, hub.PendingFrames)
	ownFunc(m.WsConnectionsOpened, counter, func() int64 { return hub.Counters().ConnectionsOpened })
	own(m.WsConnectionsClosed, counter, byLabel(ws.CloseReasons(), func() map[string]int64 { return hub.Counters().ConnectionsClosed }))
	ownFunc(m.WsFramesDelivered, counter, func() int64 { return hub.Counters().FramesDelivered })
	ownFunc(m.WsFramesLate, counter, func() int64 { return hub.Counters().FramesLate })
	own(m.WsFramesFailed, counter, byLabel(ws.FailReasons(), func() map[string]int64 { return hub.Counters().FramesFailed }))
	ownFunc(m.WsFramesCoalesced, counter, func() int64 { return hub.Counters().FramesCoalesced })
	ownFunc(m.WsFramesReceived, counter, func() int64 { return hub.Counters().FramesReceived })
	own(m.WsResyncs, counter, byLabel(ws.ResyncModes(), func() map[string]int64 { return hub.Counters().Resyncs }))
	own(m.WsErrors, counter, byLabel(ws.ErrorCodes(), func() map[string]int64 { return hub.Counters().Errors }))
	own(m.WsCommands, counter, func(emit func(int64, ...string)) {
		for k, v := range hub.Counters().Commands {
			emit(v, k.Command, k.Outcome)
		}
	})
	own(m.RecoveryProtectionRefusals, counter, byLabel(monitor.ProtectionRefusals, func() map[string]int64 {
		refused := hub.Counters().ProtectionRefusals
		for what, n := range s.http.ProtectionRefusals() {
			refused[what] += n
		}
		return refused
	}))

	own(m.Rooms, gauge, func(emit func(int64, ...string)) {
		c := rooms.RoomCounts(s.clock.Now())
		emit(int64(c.Waiting), "waiting")
		emit(int64(c.Playing), "playing")
		emit(int64(c.Finished), "finished")
	})
	own(m.Players, gauge, func(emit func(int64, ...string)) {
		c := rooms.RoomCounts(s.clock.Now())
		emit(int64(c.HumansConnected), "human_connected")
		emit(int64(c.HumansAway), "human_away")
		emit(int64(c.Bots), "bot")
	})
	ownFunc(m.RoomsStuck, gauge, func() int64 { return int64(rooms.RoomCounts(s.clock.Now()).Stuck) })
	ownFunc(m.GamesStarted, counter, func() int64 { return rooms.Counters().GamesStarted })
	own(m.GamesFinished, counter, byLabel(monitor.GameOutcomes, func() map[string]int64 { return rooms.Counters().GamesFinished }))
	own(m.RoomEvents, counter, byLabel(monitor.RoomEventTypes, func() map[string]int64 { return rooms.Counters().EventsAppended }))
	ownFunc(m.RoomActorPanics, counter, func() int64 { return rooms.Counters().ActorPanics })
	own(m.RoomRebuilds, counter, byLabel(monitor.RoomRebuildTriggers, func() map[string]int64 { return rooms.Counters().Rebuilds }))
	ownFunc(m.RoomInvariantFailures, counter, func() int64 { return rooms.Counters().InvariantFailures })

	ownFunc(m.StoreQueueDepth, gauge, func() int64 { return int64(store.StoreHealth().QueueDepth) })
	own(m.StoreEventsAppended, counter, byLabel(monitor.StoreStreams, func() map[string]int64 { return store.Counters().EventsAppended }))
	own(m.StoreAppendErrors, counter, byLabel(monitor.StoreAppendErrors, func() map[string]int64 { return store.Counters().AppendErrors }))
	own(m.StoreCleanupRuns, counter, byLabel(monitor.CleanupTriggers, func() map[string]int64 { return store.Counters().CleanupRuns }))
	ownFunc(m.StoreCleanupDeletedEvents, counter, func() int64 { return store.Counters().CleanupDeletedEvents })

	ownFunc(m.AlertQueueDepth, gauge, func() int64 { return int64(s.obs.notifier.QueueDepth()) })
	ownFunc(m.RecoveryProtectionActive, gauge, func() int64 {
		if s.recovery.Protection() {
			return 1
		}
		return 0
	})
}
