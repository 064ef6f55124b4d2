package monitor

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// CheckResult is one check in a snapshot (observability §1.2, §1.4).
type CheckResult struct {
	ID     string
	Raw    Level // from this sample alone
	Status Level // reported: hysteresis and trend applied
	// Value is the check's reading: float64, int64 or one of the *Value
	// structs below; nil when it could not be obtained.
	Value   any
	Unit    string
	Warn    *float64 // nil where the level has no threshold
	Crit    *float64
	Message string
	// Stale marks a reported status kept from before a single raw unknown.
	Stale bool
	// Trend marks a healthy check raised to warning by its trend (§3).
	Trend bool
}

// AppendValue is the value of database:append.
type AppendValue struct {
	P99Ms          *float64 `json:"p99_ms"` // null with no append in the window
	OldestQueuedMs float64  `json:"oldest_queued_ms"`
	QueueDepth     int      `json:"queue_depth"`
	CommitErrors   int64    `json:"commit_errors"`
	Degraded       bool     `json:"degraded"`
}

// RoomsValue is the value of game:rooms.
type RoomsValue struct {
	Rooms              int      `json:"rooms"`
	ActiveGames        int      `json:"active_games"`
	RoomsPerActiveGame *float64 `json:"rooms_per_active_game"`
}

// PlayersValue is the value of game:players; BotShare is a percentage.
type PlayersValue struct {
	HumansConnected int      `json:"humans_connected"`
	HumansAway      int      `json:"humans_away"`
	Bots            int      `json:"bots"`
	BotShare        *float64 `json:"bot_share"`
}

// canaryDisabledMessage is check 15's message while canary.period is 0.
const canaryDisabledMessage = "Canary disabled"

// evaluator judges one sample's inputs against the configured limits.
type evaluator struct {
	limits    *[numChecks]checkLimits
	minFrames int64
}

// evaluate gives a check's raw result; Status is left for the caller.
func (e *evaluator) evaluate(idx checkIndex, in *sampleInputs) CheckResult {
	s := &checkSpecs[idx]
	l := &e.limits[idx]
	r := CheckResult{ID: s.id, Unit: s.unit, Warn: l.warnJSON, Crit: l.critJSON}
	switch idx {
	case chkCPU:
		e.percent(&r, idx, in.cpu.value, in.cpu.err, "CPU usage")
	case chkMemory:
		e.percent(&r, idx, in.memory.value.Percent, in.memory.err, "Memory usage")
	case chkDisk:
		e.percent(&r, idx, in.disk.value.Percent, in.disk.err, "Disk usage")
	case chkRSS:
		e.count(&r, idx, int64(in.rss.value), in.rss.err, "Process RSS: %s", formatBytes(in.rss.value))
	case chkGoroutines:
		e.count(&r, idx, int64(in.goroutines.value), in.goroutines.err, "Goroutines: %d", in.goroutines.value)
	case chkConnections:
		e.count(&r, idx, in.hub.value.connections, in.hub.err, "WebSocket connections: %d", in.hub.value.connections)
	case chkPending:
		e.count(&r, idx, in.hub.value.pending, in.hub.err, "Pending outbound frames: %d", in.hub.value.pending)
	case chkDeliveryRate, chkFailureRate:
		e.delivery(&r, idx, in)
	case chkDBResponse:
		e.dbResponse(&r, in)
	case chkDBAppend:
		e.dbAppend(&r, in)
	case chkRooms:
		e.rooms(&r, in)
	case chkPlayers:
		e.players(&r, in)
	case chkRoomFaults:
		e.roomFaults(&r, in)
	case chkCanary:
		e.canary(&r, in)
	}
	return r
}

func markUnknown(r *CheckResult, what string, err error) {
	r.Raw, r.Value, r.Message = LevelUnknown, nil, fmt.Sprintf("%s unavailable: %v", what, err)
}

func (e *evaluator) percent(r *CheckResult, idx checkIndex, v float64, err error, what string) {
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("collector returned %v", v)
	}
	if err != nil {
		markUnknown(r, what, err)
		return
	}
	r.Raw, r.Value = gradeValue(idx, &e.limits[idx], v), v
	r.Message = fmt.Sprintf("%s: %.1f%%%s", what, v, breachNote(idx, &e.limits[idx], r.Raw))
}

func (e *evaluator) count(r *CheckResult, idx checkIndex, v int64, err error, format string, args ...any) {
	if err != nil {
		markUnknown(r, checkSpecs[idx].id, err)
		return
	}
	r.Raw, r.Value = gradeValue(idx, &e.limits[idx], float64(v)), v
	r.Message = fmt.Sprintf(format, args...) + breachNote(idx, &e.limits[idx], r.Raw)
}

// delivery judges checks 8 and 9, healthy as "low traffic" below
// monitor.ws.min_frames resolved frames.
func (e *evaluator) delivery(r *CheckResult, idx checkIndex, in *sampleInputs) {
	if in.hub.err != nil {
		markUnknown(r, "delivery window", in.hub.err)
		return
	}
	d := in.hub.value.delivery
	rate, what := d.DeliveryRate(), "Delivery rate"
	if idx == chkFailureRate {
		rate, what = d.FailureRate(), "Failure rate"
	}
	r.Value = rate
	if d.Resolved() < e.minFrames {
		r.Raw = LevelHealthy
		r.Message = fmt.Sprintf("Low traffic: %d frames resolved in 60 s (< %d)", d.Resolved(), e.minFrames)
		return
	}
	r.Raw = gradeValue(idx, &e.limits[idx], rate)
	r.Message = fmt.Sprintf("%s: %.1f%% of %d frames%s", what, rate, d.Resolved(), breachNote(idx, &e.limits[idx], r.Raw))
}

// dbResponse is critical on a ping error or timeout, not unknown (§1.2).
func (e *evaluator) dbResponse(r *CheckResult, in *sampleInputs) {
	switch err := in.ping.err; {
	case errors.Is(err, errNoSource):
		markUnknown(r, "event store", err)
	case err != nil:
		r.Raw, r.Message = LevelCritical, fmt.Sprintf("Event store ping failed: %v", err)
	default:
		ms := durationMillis(in.ping.value)
		r.Raw, r.Value = gradeValue(chkDBResponse, &e.limits[chkDBResponse], ms), ms
		r.Message = fmt.Sprintf("Event store answered in %.1f ms%s", ms, breachNote(chkDBResponse, &e.limits[chkDBResponse], r.Raw))
	}
}

// dbAppend grades the worse of the append p99 and the oldest queued age;
// with no append in the window only the age counts.
func (e *evaluator) dbAppend(r *CheckResult, in *sampleInputs) {
	if in.store.err != nil {
		markUnknown(r, "event store writer", in.store.err)
		return
	}
	h := in.store.value
	l := &e.limits[chkDBAppend]
	oldest := durationMillis(h.OldestQueued)
	v := AppendValue{OldestQueuedMs: oldest, QueueDepth: h.QueueDepth, CommitErrors: h.CommitErrors, Degraded: h.Degraded}
	worst := oldest
	msg := fmt.Sprintf("Append p99 n/a, oldest queued %.0f ms", oldest)
	if h.Append.Count > 0 {
		v.P99Ms = FiniteOrNil(h.Append.P99Ms)
		worst = max(worst, h.Append.P99Ms)
		msg = fmt.Sprintf("Append p99 %s ms, oldest queued %.0f ms", formatLimit(h.Append.P99Ms), oldest)
	}
	r.Value = v
	r.Raw = gradeValue(chkDBAppend, l, worst)
	msg += breachNote(chkDBAppend, l, r.Raw)
	switch {
	case h.Degraded:
		r.Raw, msg = LevelCritical, msg+"; store degraded"
	case h.CommitErrors > 0:
		r.Raw, msg = LevelCritical, fmt.Sprintf("%s; %d commit errors in 60 s", msg, h.CommitErrors)
	}
	r.Message = msg
}

func (e *evaluator) rooms(r *CheckResult, in *sampleInputs) {
	if in.rooms.err != nil {
		markUnknown(r, "room registry", in.rooms.err)
		return
	}
	c := in.rooms.value
	v := RoomsValue{Rooms: c.Waiting + c.Playing + c.Finished, ActiveGames: c.Playing}
	if c.Playing > 0 {
		per := float64(v.Rooms) / float64(c.Playing)
		v.RoomsPerActiveGame = &per
	}
	r.Value = v
	r.Raw = gradeValue(chkRooms, &e.limits[chkRooms], float64(v.Rooms))
	r.Message = fmt.Sprintf("Rooms: %d live, %d active games%s", v.Rooms, v.ActiveGames, breachNote(chkRooms, &e.limits[chkRooms], r.Raw))
}

// players is informational: always healthy once read.
func (e *evaluator) players(r *CheckResult, in *sampleInputs) {
	if in.rooms.err != nil {
		markUnknown(r, "room registry", in.rooms.err)
		return
	}
	c := in.rooms.value
	v := PlayersValue{HumansConnected: c.HumansConnected, HumansAway: c.HumansAway, Bots: c.Bots}
	if seats := c.HumansConnected + c.HumansAway + c.Bots; seats > 0 {
		share := float64(c.Bots) / float64(seats) * 100
		v.BotShare = &share
	}
	r.Raw, r.Value = LevelHealthy, v
	r.Message = fmt.Sprintf("Seats: %d humans connected, %d away, %d bots", c.HumansConnected, c.HumansAway, c.Bots)
}

func (e *evaluator) roomFaults(r *CheckResult, in *sampleInputs) {
	if in.rooms.err != nil {
		markUnknown(r, "room registry", in.rooms.err)
		return
	}
	c := in.rooms.value
	n := int64(c.Stuck + c.InvariantFailures + c.Panics)
	r.Raw, r.Value = gradeValue(chkRoomFaults, &e.limits[chkRoomFaults], float64(n)), n
	r.Message = fmt.Sprintf("Room faults: %d stuck, %d invariant failures, %d panics in 5 min%s",
		c.Stuck, c.InvariantFailures, c.Panics, breachNote(chkRoomFaults, &e.limits[chkRoomFaults], r.Raw))
}

// canary applies check 15: critical on 2 consecutive failures or no pass
// for 3 periods; warning on a slow last run or any failure among the last 3.
func (e *evaluator) canary(r *CheckResult, in *sampleInputs) {
	if errors.Is(in.canary.err, errNoSource) || (in.canary.err == nil && !in.canary.value.Enabled) {
		r.Raw, r.Message = LevelHealthy, canaryDisabledMessage
		return
	}
	if in.canary.err != nil {
		markUnknown(r, "canary", in.canary.err)
		return
	}
	st := in.canary.value
	runs := st.Recent // newest last
	since := st.LastPass
	if since.IsZero() {
		since = st.Started
	}
	starved := st.Period > 0 && !since.IsZero() && in.now.Sub(since) > 3*st.Period
	if len(runs) == 0 {
		r.Raw, r.Message = LevelUnknown, "Canary not yet run"
		if starved {
			r.Raw, r.Message = LevelCritical, "Canary: no run for 3 periods"
		}
		return
	}
	last := runs[len(runs)-1]
	ms := durationMillis(last.Duration)
	r.Value = ms
	l := &e.limits[chkCanary]
	failures := 0
	for _, run := range runs {
		if !run.Passed() {
			failures++
		}
	}
	switch {
	case len(runs) >= 2 && !last.Passed() && !runs[len(runs)-2].Passed():
		r.Raw, r.Message = LevelCritical, fmt.Sprintf("Canary: 2 consecutive failures, last: %s", last.Err)
	case starved:
		r.Raw, r.Message = LevelCritical, fmt.Sprintf("Canary: no pass for 3 periods (%s)", 3*st.Period)
	case !last.Passed():
		r.Raw, r.Message = LevelWarning, fmt.Sprintf("Canary game failed: %s", last.Err)
	case failures > 0:
		r.Raw, r.Message = LevelWarning, fmt.Sprintf("Canary game passed in %.0f ms; %d of the last %d runs failed", ms, failures, len(runs))
	case l.hasWarn && checkSpecs[chkCanary].warnOp.holds(ms, l.warn):
		r.Raw, r.Message = LevelWarning, fmt.Sprintf("Canary game passed in %.0f ms%s", ms, breachNote(chkCanary, l, LevelWarning))
	default:
		r.Raw, r.Message = LevelHealthy, fmt.Sprintf("Canary game passed in %.0f ms", ms)
	}
}

func durationMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func formatBytes(b uint64) string {
	const mib = 1 << 20
	return fmt.Sprintf("%.1f MiB", float64(b)/mib)
}
