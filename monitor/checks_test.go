package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// inputsWith is a sample whose value for check idx is v.
func inputsWith(idx checkIndex, v float64) *sampleInputs {
	in := &sampleInputs{now: healthEpoch}
	switch idx {
	case chkCPU:
		in.cpu.value = v
	case chkMemory:
		in.memory.value.Percent = v
	case chkDisk:
		in.disk.value.Percent = v
	case chkRSS:
		in.rss.value = uint64(v)
	case chkGoroutines:
		in.goroutines.value = int(v)
	case chkConnections:
		in.hub.value.connections = int64(v)
	case chkPending:
		in.hub.value.pending = int64(v)
	case chkDeliveryRate:
		// 10 000 resolved frames: the rate has a resolution of 0.01 %.
		in.hub.value.delivery = DeliveryCounts{Delivered: 10000, Late: 10000 - int64(math.Round(v*100))}
	case chkFailureRate:
		failed := int64(math.Round(v * 100))
		in.hub.value.delivery = DeliveryCounts{Delivered: 10000 - failed, Failed: failed}
	case chkDBResponse:
		in.ping.value = time.Duration(math.Round(v * float64(time.Millisecond)))
	case chkDBAppend:
		in.store.value.Append = LatencySummary{Count: 1, P99Ms: v}
	case chkRooms:
		in.rooms.value.Waiting = int(v)
	case chkRoomFaults:
		in.rooms.value.Stuck = int(v)
	case chkCanary:
		d := time.Duration(math.Round(v * float64(time.Millisecond)))
		in.canary.value = CanaryState{Enabled: true, Period: time.Minute, Started: healthEpoch, LastPass: healthEpoch,
			Recent: []CanaryResult{{At: healthEpoch, Duration: d, Outcome: "pass"}}}
	}
	return in
}

func testEvaluator(t *testing.T, cfg Config) *evaluator {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return &evaluator{limits: resolveLimits(cfg), minFrames: cfg.MinFrames}
}

// opHolds is §1.2's comparison, written out independently of the code.
func specOpHolds(op string, v, limit float64) bool {
	switch op {
	case "≥":
		return v >= limit
	case ">":
		return v > limit
	case "<":
		return v < limit
	}
	return false
}

func TestCheckThresholdBoundaries(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Thresholds["system:process_rss"] = Threshold{Warn: 1000, Crit: 2000}
	cfg.Thresholds["game:rooms"] = Threshold{Warn: 100, Crit: 200}
	e := testEvaluator(t, cfg)
	rows := []struct {
		id             string
		warnOp         string
		warn           float64
		critOp         string // "" where §1.2 has no numeric critical limit
		crit, epsilon  float64
		unit           string
		wantWarnInJSON bool
	}{
		{"system:cpu", "≥", 80, "≥", 95, 0.01, "percent", true},
		{"system:memory", "≥", 75, "≥", 90, 0.01, "percent", true},
		{"system:disk", "≥", 90, "≥", 95, 0.01, "percent", true},
		{"system:process_rss", "≥", 1000, "≥", 2000, 1, "bytes", true},
		{"system:goroutines", "≥", 10000, "≥", 50000, 1, "goroutines", true},
		{"websocket:connections", "≥", 1000, "≥", 1500, 1, "connections", true},
		{"websocket:pending", ">", 100, ">", 500, 1, "frames", true},
		{"websocket:delivery_rate", "<", 95, "", 0, 0.01, "percent", true},
		{"websocket:failure_rate", ">", 10, ">", 15, 0.01, "percent", true},
		{"database:response", ">", 500, ">", 2000, 0.001, "ms", true},
		{"database:append", ">", 500, ">", 2000, 0.001, "ms", true},
		{"game:rooms", "≥", 100, "≥", 200, 1, "rooms", true},
		{"game:room_faults", "≥", 1, "≥", 3, 1, "faults", true},
		{"canary:game", ">", 5000, "", 0, 1, "ms", true},
	}
	for _, row := range rows {
		idx, ok := checkIndexByID(row.id)
		if !ok {
			t.Fatalf("no check %s", row.id)
		}
		limitsAt := []float64{row.warn}
		if row.critOp != "" {
			limitsAt = append(limitsAt, row.crit)
		}
		for _, limit := range limitsAt {
			for _, v := range []float64{limit - row.epsilon, limit, limit + row.epsilon} {
				want := LevelHealthy
				if specOpHolds(row.warnOp, v, row.warn) {
					want = LevelWarning
				}
				if row.critOp != "" && specOpHolds(row.critOp, v, row.crit) {
					want = LevelCritical
				}
				got := e.evaluate(idx, inputsWith(idx, v))
				if got.Raw != want {
					t.Errorf("%s at %v: raw %s, want %s (%s)", row.id, v, got.Raw, want, got.Message)
				}
				if got.ID != row.id || got.Unit != row.unit {
					t.Errorf("%s: id %q unit %q", row.id, got.ID, got.Unit)
				}
				if got.Warn == nil || *got.Warn != row.warn {
					t.Errorf("%s: warn %v, want %v", row.id, got.Warn, row.warn)
				}
				if (got.Crit != nil) != (row.critOp != "") || (got.Crit != nil && *got.Crit != row.crit) {
					t.Errorf("%s: crit %v, want %v (%q)", row.id, got.Crit, row.crit, row.critOp)
				}
			}
		}
	}
}

func TestCheckZeroThresholdIsOff(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	for _, idx := range []checkIndex{chkRSS, chkRooms} {
		r := e.evaluate(idx, inputsWith(idx, 1e12))
		if r.Raw != LevelHealthy || r.Warn != nil || r.Crit != nil {
			t.Errorf("%s with 0 limits: %s warn %v crit %v", r.ID, r.Raw, r.Warn, r.Crit)
		}
	}
}

func TestCheckConfiguredThresholds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Thresholds["system:memory"] = Threshold{Warn: 50, Crit: 60}
	e := testEvaluator(t, cfg)
	if r := e.evaluate(chkMemory, inputsWith(chkMemory, 55)); r.Raw != LevelWarning || *r.Warn != 50 {
		t.Fatalf("memory 55 with warn 50: %s (%v)", r.Raw, *r.Warn)
	}
	if r := e.evaluate(chkMemory, inputsWith(chkMemory, 60)); r.Raw != LevelCritical || r.Message != "Memory usage: 60.0% (≥ 60)" {
		t.Fatalf("memory 60 with crit 60: %s %q", r.Raw, r.Message)
	}
	bad := DefaultConfig()
	bad.Thresholds["system:nope"] = Threshold{}
	if _, err := bad.withDefaults(); err == nil {
		t.Fatal("unknown check id accepted")
	}
}

func TestCheckLowTrafficRule(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	awful := func(resolved int64) *sampleInputs {
		in := &sampleInputs{now: healthEpoch}
		in.hub.value.delivery = DeliveryCounts{Delivered: resolved / 2, Late: resolved / 2, Failed: resolved - resolved/2}
		return in
	}
	for _, idx := range []checkIndex{chkDeliveryRate, chkFailureRate} {
		low := e.evaluate(idx, awful(48))
		if low.Raw != LevelHealthy || !strings.HasPrefix(low.Message, "Low traffic") {
			t.Errorf("%s with 48 resolved: %s %q", low.ID, low.Raw, low.Message)
		}
		judged := e.evaluate(idx, awful(50))
		if judged.Raw == LevelHealthy {
			t.Errorf("%s with 50 resolved judged healthy: %q", judged.ID, judged.Message)
		}
	}
	cfg := DefaultConfig()
	cfg.MinFrames = 10
	if r := testEvaluator(t, cfg).evaluate(chkFailureRate, awful(12)); r.Raw != LevelCritical {
		t.Errorf("min_frames 10, 12 resolved at 50%% failures: %s", r.Raw)
	}
}

func TestCheckDatabase(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	pings := []struct {
		name string
		err  error
		want Level
	}{
		{"failed", errors.New("database is locked"), LevelCritical},
		{"timed out", fmt.Errorf("%w after 2.5s", ErrCollectorTimeout), LevelCritical},
		{"hung", ErrCollectorBusy, LevelCritical},
		{"no store", errNoSource, LevelUnknown},
	}
	for _, p := range pings {
		in := &sampleInputs{now: healthEpoch}
		in.ping.err = p.err
		if r := e.evaluate(chkDBResponse, in); r.Raw != p.want || r.Value != nil {
			t.Errorf("ping %s: %s value %v", p.name, r.Raw, r.Value)
		}
	}
	appends := []struct {
		name string
		h    StoreHealth
		want Level
	}{
		{"no append, oldest only", StoreHealth{OldestQueued: ms(400), Append: LatencySummary{P99Ms: 9999}}, LevelHealthy},
		{"no append, oldest > 500", StoreHealth{OldestQueued: ms(501)}, LevelWarning},
		{"no append, oldest at 500", StoreHealth{OldestQueued: ms(500)}, LevelHealthy},
		{"oldest > 2000", StoreHealth{OldestQueued: ms(2001), Append: LatencySummary{Count: 5, P99Ms: 1}}, LevelCritical},
		{"p99 in unbounded bucket", StoreHealth{Append: LatencySummary{Count: 5, P99Ms: math.Inf(1)}}, LevelCritical},
		{"commit error", StoreHealth{CommitErrors: 1, Append: LatencySummary{Count: 5, P99Ms: 1}}, LevelCritical},
		{"degraded", StoreHealth{Degraded: true}, LevelCritical},
		{"quiet", StoreHealth{Append: LatencySummary{Count: 5, P99Ms: 2.5}}, LevelHealthy},
	}
	for _, a := range appends {
		in := &sampleInputs{now: healthEpoch}
		in.store.value = a.h
		r := e.evaluate(chkDBAppend, in)
		if r.Raw != a.want {
			t.Errorf("append %s: %s (%q)", a.name, r.Raw, r.Message)
		}
		if v := r.Value.(AppendValue); (a.h.Append.Count == 0) != (v.P99Ms == nil) && !math.IsInf(a.h.Append.P99Ms, 1) {
			t.Errorf("append %s: p99 %v with %d appends", a.name, v.P99Ms, a.h.Append.Count)
		}
	}
}

func TestCheckRoomFaultsCountStuckRooms(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	cases := []struct {
		counts RoomCounts
		want   Level
	}{
		{RoomCounts{}, LevelHealthy},
		{RoomCounts{Stuck: 1}, LevelWarning},
		{RoomCounts{InvariantFailures: 1}, LevelWarning},
		{RoomCounts{Panics: 1}, LevelWarning},
		{RoomCounts{Stuck: 1, InvariantFailures: 1}, LevelWarning},
		{RoomCounts{Stuck: 1, InvariantFailures: 1, Panics: 1}, LevelCritical},
		{RoomCounts{Stuck: 3}, LevelCritical},
	}
	for _, c := range cases {
		in := &sampleInputs{now: healthEpoch}
		in.rooms.value = c.counts
		if r := e.evaluate(chkRoomFaults, in); r.Raw != c.want {
			t.Errorf("%+v: %s", c.counts, r.Raw)
		}
	}
}

func TestCheckGameValues(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	in := &sampleInputs{now: healthEpoch}
	in.rooms.value = RoomCounts{Waiting: 2, Playing: 4, Finished: 2, HumansConnected: 10, HumansAway: 2, Bots: 4}
	rooms := e.evaluate(chkRooms, in).Value.(RoomsValue)
	if rooms.Rooms != 8 || rooms.ActiveGames != 4 || *rooms.RoomsPerActiveGame != 2 {
		t.Errorf("rooms value %+v", rooms)
	}
	players := e.evaluate(chkPlayers, in)
	if v := players.Value.(PlayersValue); players.Raw != LevelHealthy || *v.BotShare != 25 || players.Warn != nil || players.Crit != nil {
		t.Errorf("players %s %+v", players.Raw, v)
	}
	in.rooms.value = RoomCounts{}
	if v := e.evaluate(chkRooms, in).Value.(RoomsValue); v.RoomsPerActiveGame != nil {
		t.Errorf("rooms per active game with none active: %v", *v.RoomsPerActiveGame)
	}
}

func TestCheckCanary(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	run := func(ago time.Duration, passed bool, d time.Duration) CanaryResult {
		r := CanaryResult{At: healthEpoch.Add(-ago), Duration: d, Outcome: "pass"}
		if !passed {
			r.Outcome, r.Err = "fail", "seq gap"
		}
		return r
	}
	fast := 200 * time.Millisecond
	cases := []struct {
		name string
		st   CanaryState
		want Level
		msg  string
	}{
		{"disabled", CanaryState{Enabled: false}, LevelHealthy, "Canary disabled"},
		{"not yet run", CanaryState{Enabled: true, Period: time.Minute, Started: healthEpoch}, LevelUnknown, "Canary not yet run"},
		{"never ran for 3 periods", CanaryState{Enabled: true, Period: time.Minute, Started: healthEpoch.Add(-181 * time.Second)}, LevelCritical, "Canary: no run"},
		{"passed", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch,
			Recent: []CanaryResult{run(0, true, fast)}}, LevelHealthy, "Canary game passed in 200 ms"},
		{"slow at 5000", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch,
			Recent: []CanaryResult{run(0, true, 5*time.Second)}}, LevelHealthy, "Canary game passed"},
		{"slow over 5000", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch,
			Recent: []CanaryResult{run(0, true, 5*time.Second+time.Millisecond)}}, LevelWarning, "Canary game passed in 5001 ms (> 5000)"},
		{"one failure among 3", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch,
			Recent: []CanaryResult{run(120*time.Second, false, fast), run(60*time.Second, true, fast), run(0, true, fast)}}, LevelWarning, "1 of the last 3 runs failed"},
		{"last failed", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch.Add(-time.Minute),
			Recent: []CanaryResult{run(60*time.Second, true, fast), run(0, false, fast)}}, LevelWarning, "Canary game failed: seq gap"},
		{"2 consecutive failures", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch.Add(-2 * time.Minute),
			Recent: []CanaryResult{run(60*time.Second, false, fast), run(0, false, fast)}}, LevelCritical, "2 consecutive failures"},
		{"no pass for 3 periods", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch.Add(-181 * time.Second),
			Recent: []CanaryResult{run(0, false, fast)}}, LevelCritical, "no pass for 3 periods"},
		{"no pass for exactly 3 periods", CanaryState{Enabled: true, Period: time.Minute, LastPass: healthEpoch.Add(-180 * time.Second),
			Recent: []CanaryResult{run(0, false, fast)}}, LevelWarning, "Canary game failed"},
	}
	for _, c := range cases {
		in := &sampleInputs{now: healthEpoch}
		in.canary.value = c.st
		r := e.evaluate(chkCanary, in)
		if r.Raw != c.want || !strings.Contains(r.Message, c.msg) {
			t.Errorf("%s: %s %q, want %s %q", c.name, r.Raw, r.Message, c.want, c.msg)
		}
	}
	in := &sampleInputs{now: healthEpoch}
	in.canary.err = errNoSource
	if r := e.evaluate(chkCanary, in); r.Raw != LevelHealthy || r.Message != canaryDisabledMessage {
		t.Errorf("no canary source: %s %q", r.Raw, r.Message)
	}
}

func TestCheckUnknownWhenCollectorFails(t *testing.T) {
	e := testEvaluator(t, DefaultConfig())
	in := &sampleInputs{now: healthEpoch}
	failure := fmt.Errorf("%w after 1s", ErrCollectorTimeout)
	in.cpu.err, in.memory.err, in.disk.err, in.rss.err, in.goroutines.err = failure, failure, failure, failure, failure
	in.hub.err, in.store.err, in.rooms.err, in.canary.err = ErrCollectorBusy, failure, failure, failure
	for i := range numChecks {
		if i == chkDBResponse {
			continue // a failed ping is critical, covered above
		}
		r := e.evaluate(i, in)
		if r.Raw != LevelUnknown || r.Value != nil || !strings.Contains(r.Message, "unavailable") {
			t.Errorf("%s: %s value %v %q", r.ID, r.Raw, r.Value, r.Message)
		}
	}
}

func TestCheckNonFiniteReadingIsUnknown(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.system.set(func(f *healthFakeSystem) { f.cpu = math.NaN(); f.memory.Percent = math.Inf(1) })
	s := r.sample(t, TriggerStartup)
	for _, idx := range []checkIndex{chkCPU, chkMemory} {
		if c := s.Checks[idx]; c.Raw != LevelUnknown || c.Value != nil {
			t.Errorf("%s: %s %v", c.ID, c.Raw, c.Value)
		}
	}
	if _, err := json.Marshal(s.DetailedBody(healthEpoch, healthEpoch, 1)); err != nil {
		t.Fatal(err)
	}
}
