package recovery

import (
	"context"
	"fmt"
	"time"
)

// Monitor check ids the re-checks read (observability §1.2).
const (
	checkCPU              = "system:cpu"
	checkMemory           = "system:memory"
	checkDatabaseResponse = "database:response"
)

// Success thresholds of §5.1.
const (
	pendingTarget  = 100  // total pending frames at most
	memoryTarget   = 90.0 // memory percent below
	overloadLimit  = 95.0 // CPU and memory percent both above: still overloaded
	pingTarget     = 500 * time.Millisecond
	viewResyncName = "forced_resync" // room.view reason of client_desync
	rebuildReason  = "corruption"    // room_rebuilt reason of room_state_corruption
)

// plan binds a's procedure to the live objects.
func (m *Manager) plan(a *attempt) plan {
	switch a.proc.Name {
	case StaleConnections:
		return m.staleConnectionsPlan()
	case HighPendingMessages:
		return m.highPendingPlan()
	case RoomStateCorruption:
		return m.roomCorruptionPlan(a.target)
	case ClientDesync:
		return m.clientDesyncPlan(a.target)
	case DatabaseConnectionLoss:
		return m.databasePlan()
	case MemoryPressure:
		return plan{read: m.readMemory, act: func(ctx context.Context, _ map[string]any) (map[string]int64, recheckFunc, error) {
			actions, err := m.releaseMemory(ctx)
			return actions, m.memoryRecheck, err
		}}
	default:
		return m.overloadPlan()
	}
}

func (m *Manager) staleConnectionsPlan() plan {
	read := func(context.Context) map[string]any {
		return map[string]any{"stale": m.deps.Hub.StaleConnections()}
	}
	return plan{read: read, act: func(ctx context.Context, _ map[string]any) (map[string]int64, recheckFunc, error) {
		// The sweep unregisters what it closes before it returns, so a
		// stale count of 0 afterwards also means none is left in the map.
		closed := m.deps.Hub.SweepStale(ctx)
		recheck := func(context.Context) verdict {
			stale := m.deps.Hub.StaleConnections()
			v := verdict{after: map[string]any{"stale": stale}, ok: stale == 0}
			if !v.ok {
				v.why = fmt.Sprintf("%d stale connections", stale)
			}
			return v
		}
		return map[string]int64{"connections_closed": int64(closed)}, recheck, nil
	}}
}

func (m *Manager) highPendingPlan() plan {
	read := func(context.Context) map[string]any {
		return map[string]any{"pending": m.deps.Hub.PendingFrames()}
	}
	return plan{read: read, act: func(context.Context, map[string]any) (map[string]int64, recheckFunc, error) {
		removed, dropped := m.deps.Hub.Coalesce()
		recheck := func(context.Context) verdict {
			pending := m.deps.Hub.PendingFrames()
			v := verdict{after: map[string]any{"pending": pending}, ok: pending <= pendingTarget}
			if !v.ok {
				v.why = fmt.Sprintf("%d frames still pending (target at most %d)", pending, pendingTarget)
			}
			return v
		}
		return map[string]int64{"frames_removed": int64(removed), "consumers_dropped": int64(dropped)}, recheck, nil
	}}
}

func roomFields(h RoomHealth) map[string]any {
	invariants := "ok"
	if h.InvariantErr != nil {
		invariants = h.InvariantErr.Error()
	}
	return map[string]any{"live": h.Live, "incarnation": h.Incarnation, "stuck": h.Stuck, "invariants": invariants}
}

func (m *Manager) roomCorruptionPlan(roomID string) plan {
	rooms := m.deps.Rooms
	read := func(context.Context) map[string]any { return roomFields(rooms.Inspect(roomID, m.clock.Now())) }
	return plan{read: read, act: func(ctx context.Context, _ map[string]any) (map[string]int64, recheckFunc, error) {
		old := rooms.Inspect(roomID, m.clock.Now()).Incarnation
		incarnation, closed, err := rooms.Rebuild(ctx, roomID, rebuildReason)
		if err != nil {
			return nil, nil, fmt.Errorf("rebuild room %s: %w", roomID, err)
		}
		if closed {
			recheck := func(context.Context) verdict {
				return verdict{after: map[string]any{"live": false, "closed": true},
					why: "room closed as failed: its stored stream does not fold or fails the invariants"}
			}
			return map[string]int64{"rooms_rebuilt": 0, "rooms_closed": 1}, recheck, nil
		}
		recheck := func(context.Context) verdict {
			h := rooms.Inspect(roomID, m.clock.Now())
			v := verdict{after: roomFields(h)}
			switch {
			case !h.Live:
				v.why = "room no longer live"
			case h.Incarnation < incarnation || incarnation <= old:
				v.why = fmt.Sprintf("incarnation %d not above %d", h.Incarnation, old)
			case h.InvariantErr != nil:
				v.why = "invariants fail: " + h.InvariantErr.Error()
			case h.Stuck:
				v.why = "room still stuck"
			default:
				v.ok = true
			}
			return v
		}
		return map[string]int64{"rooms_rebuilt": 1, "rooms_closed": 0}, recheck, nil
	}}
}

// desyncRooms is the room of the trigger, or every live room when none.
func (m *Manager) desyncRooms(roomID string) []string {
	if roomID != "" {
		return []string{roomID}
	}
	return m.deps.Rooms.LiveRoomIDs()
}

func (m *Manager) clientDesyncPlan(roomID string) plan {
	read := func(context.Context) map[string]any {
		return map[string]any{"rooms": len(m.desyncRooms(roomID))}
	}
	return plan{read: read, act: func(ctx context.Context, _ map[string]any) (map[string]int64, recheckFunc, error) {
		rooms := m.desyncRooms(roomID)
		pushed := 0
		waits := make([]func(context.Context) error, 0, len(rooms))
		for _, id := range rooms {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			n, written := m.deps.Hub.PushView(id, viewResyncName)
			pushed += n
			waits = append(waits, written)
		}
		// ctx of the re-check carries recheckTimeout: all views within 5 s.
		recheck := func(ctx context.Context) verdict {
			unconfirmed, firstErr := 0, error(nil)
			for _, written := range waits {
				if err := written(ctx); err != nil {
					unconfirmed++
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			v := verdict{after: map[string]any{"views_pushed": pushed, "rooms_unconfirmed": unconfirmed}, ok: unconfirmed == 0}
			if !v.ok {
				v.why = fmt.Sprintf("views of %d rooms not written within %s: %v", unconfirmed, recheckTimeout, firstErr)
			}
			return v
		}
		return map[string]int64{"rooms": int64(len(rooms)), "views_pushed": int64(pushed)}, recheck, nil
	}}
}

func (m *Manager) databasePlan() plan {
	read := func(ctx context.Context) map[string]any {
		r := m.deps.Checks.Recheck(ctx, []string{checkDatabaseResponse})[checkDatabaseResponse]
		return map[string]any{"database_response": rawOf(r), "response_ms": valueOf(r)}
	}
	return plan{read: read, act: func(ctx context.Context, _ map[string]any) (map[string]int64, recheckFunc, error) {
		if err := m.deps.Store.Reopen(ctx); err != nil {
			return nil, nil, fmt.Errorf("reopen store: %w", err)
		}
		return map[string]int64{"reopened": 1}, m.databaseRecheck, nil
	}}
}

// databaseRecheck: SELECT 1 on the new pool under 500 ms. The other half
// of the criterion, a committed probe append of store_reopened, is part of
// a successful Reopen.
func (m *Manager) databaseRecheck(ctx context.Context) verdict {
	start := m.clock.Now()
	err := m.deps.Store.Ping(ctx)
	elapsed := m.clock.Now().Sub(start)
	v := verdict{after: map[string]any{"ping_ms": elapsed.Milliseconds()}}
	switch {
	case err != nil:
		v.why = "ping: " + err.Error()
	case elapsed >= pingTarget:
		v.why = fmt.Sprintf("ping took %d ms (target below %d ms)", elapsed.Milliseconds(), pingTarget.Milliseconds())
	default:
		v.after["probe_append"] = "committed"
		v.ok = true
	}
	return v
}

func rawOf(r Reading) string {
	if r.Raw == "" {
		return "unknown"
	}
	return r.Raw
}

// valueOf is the reading's value, nil (JSON null) when unknown.
func valueOf(r Reading) any {
	if !r.Known() {
		return nil
	}
	return r.Value
}

func (m *Manager) readMemory(ctx context.Context) map[string]any {
	r := m.deps.Checks.Recheck(ctx, []string{checkMemory})[checkMemory]
	return map[string]any{"memory": valueOf(r)}
}

func (m *Manager) memoryRecheck(ctx context.Context) verdict {
	r := m.deps.Checks.Recheck(ctx, []string{checkMemory})[checkMemory]
	v := verdict{after: map[string]any{"memory": valueOf(r)}, ok: r.Known() && r.Value < memoryTarget}
	switch {
	case !r.Known():
		v.why = "memory unknown"
	case !v.ok:
		v.why = fmt.Sprintf("memory %.1f%% (target below %.0f%%)", r.Value, memoryTarget)
	}
	return v
}

// releaseMemory is the action of memory_pressure, in the order of §5.1;
// the sweep and the coalescing are not gated as procedures of their own.
func (m *Manager) releaseMemory(ctx context.Context) (map[string]int64, error) {
	actions := map[string]int64{"connections_closed": int64(m.deps.Hub.SweepStale(ctx))}
	removed, dropped := m.deps.Hub.Coalesce()
	actions["frames_removed"], actions["consumers_dropped"] = int64(removed), int64(dropped)
	if err := ctx.Err(); err != nil {
		return actions, err
	}
	actions["rooms_closed"] = int64(m.deps.Rooms.CloseIdleFinished(ctx))
	if err := ctx.Err(); err != nil {
		return actions, err
	}
	actions["cache_entries_dropped"] = int64(m.deps.Store.DropCaches())
	m.deps.FreeOSMemory()
	return actions, nil
}

func (m *Manager) readLoad(ctx context.Context) (cpu, memory Reading) {
	got := m.deps.Checks.Recheck(ctx, []string{checkCPU, checkMemory})
	return got[checkCPU], got[checkMemory]
}

func (m *Manager) overloadPlan() plan {
	read := func(ctx context.Context) map[string]any {
		cpu, memory := m.readLoad(ctx)
		return map[string]any{"cpu": valueOf(cpu), "memory": valueOf(memory)}
	}
	act := func(ctx context.Context, before map[string]any) (map[string]int64, recheckFunc, error) {
		entered := m.enterProtection(ctx, SystemOverload, before)
		actions, err := m.releaseMemory(ctx)
		actions["protection_entered"] = 0
		if entered {
			actions["protection_entered"] = 1
		}
		return actions, m.overloadRecheck, err
	}
	return plan{read: read, act: act}
}

// overloadRecheck: the trigger condition (CPU > 95 and memory > 95) no
// longer holds; an unknown reading cannot show that.
func (m *Manager) overloadRecheck(ctx context.Context) verdict {
	cpu, memory := m.readLoad(ctx)
	v := verdict{after: map[string]any{"cpu": valueOf(cpu), "memory": valueOf(memory)}}
	switch {
	case !cpu.Known() || !memory.Known():
		v.why = "cpu or memory unknown"
	case cpu.Value > overloadLimit && memory.Value > overloadLimit:
		v.why = fmt.Sprintf("still overloaded: cpu %.1f%%, memory %.1f%%", cpu.Value, memory.Value)
	default:
		v.ok = true
	}
	return v
}
