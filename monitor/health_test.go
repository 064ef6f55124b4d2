package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSampleFirstSnapshot(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	before := r.mon.Snapshot()
	if before == nil || before.Taken() || before.Overall != LevelUnknown {
		t.Fatalf("placeholder %+v", before)
	}
	s := r.sample(t, TriggerStartup)
	if s.Seq != 1 || !s.TakenAt.Equal(healthEpoch) || s.Trigger != TriggerStartup || s.Outcome != SampleHealthy {
		t.Fatalf("snapshot header %d %v %q %s", s.Seq, s.TakenAt, s.Trigger, s.Outcome)
	}
	if s.Overall != LevelHealthy || s.OverallRaw != LevelHealthy || s.OverallMessage != "all checks healthy" {
		t.Fatalf("overall %s/%s %q", s.Overall, s.OverallRaw, s.OverallMessage)
	}
	for _, c := range s.Checks {
		if c.Status != LevelHealthy || c.Raw != LevelHealthy || c.Stale {
			t.Errorf("%s: %s/%s %q", c.ID, c.Raw, c.Status, c.Message)
		}
	}
	for i, c := range s.Components {
		if c.Name != componentNames[i] || c.Status != LevelHealthy {
			t.Errorf("component %s: %s", c.Name, c.Status)
		}
	}
	if s.IntervalAfter != 30*time.Second || s.Streak != 1 {
		t.Fatalf("I %v S %d", s.IntervalAfter, s.Streak)
	}
	if v, ok := s.Value(SeriesRooms); !ok || v != 10 {
		t.Fatalf("rooms %v %v", v, ok)
	}
	if v, _ := s.Value(SeriesFramesPerSecond); !healthNear(v, 1000.0/60) {
		t.Fatalf("frames/s %v", v)
	}
	if s.MemorySource != MemorySourceCgroupV2 || r.mon.History().Len() != 1 {
		t.Fatalf("memory source %q history %d", s.MemorySource, r.mon.History().Len())
	}
	if c, ok := s.Check("database:response"); !ok || c.Value == nil {
		t.Fatalf("database:response %+v", c)
	}
	if _, ok := s.Component("runtime"); !ok {
		t.Fatal("no runtime component")
	}
}

func TestSampleReportsEachChangeOnceInOrder(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	var got []Change
	var samples []uint64
	r.mon.OnChange(func(c Change) { got = append(got, c) })
	r.mon.OnSample(func(s *Snapshot) {
		if len(got) == 0 && s.Seq == 1 {
			t.Error("OnSample ran before the changes of its sample")
		}
		samples = append(samples, s.Seq)
	})
	r.sample(t, TriggerStartup)
	if len(got) != NumChecks+NumComponents+1 {
		t.Fatalf("%d changes on the first sample", len(got))
	}
	for i, c := range got {
		var want string
		var kind ChangeKind
		switch {
		case i < NumChecks:
			want, kind = checkSpecs[i].id, ChangeCheck
		case i < NumChecks+NumComponents:
			want, kind = componentNames[i-NumChecks], ChangeComponent
		default:
			want, kind = "overall", ChangeOverall
		}
		if c.Subject != want || c.Kind != kind || c.From != LevelUnknown || c.To != LevelHealthy || c.SampleSeq != 1 {
			t.Fatalf("change %d: %+v, want %s", i, c, want)
		}
	}
	got = nil
	r.clock.Advance(30 * time.Second)
	r.sample(t, TriggerSchedule)
	if len(got) != 0 {
		t.Fatalf("unchanged sample reported %+v", got)
	}
	r.system.set(func(f *healthFakeSystem) { f.memory.Percent = 80 })
	r.clock.Advance(30 * time.Second)
	r.sample(t, TriggerSchedule)
	if len(got) != 3 {
		t.Fatalf("memory warning gave %+v", got)
	}
	for i, subject := range []string{"system:memory", "memory", "overall"} {
		c := got[i]
		if c.Subject != subject || c.From != LevelHealthy || c.To != LevelWarning || c.SampleSeq != 3 || c.Trend {
			t.Fatalf("change %d: %+v", i, c)
		}
	}
	if got[0].Value != 80.0 || got[0].Message != "Memory usage: 80.0% (≥ 75)" || got[2].Message != "system:memory: Memory usage: 80.0% (≥ 75)" {
		t.Fatalf("change content %+v", got)
	}
	if len(samples) != 3 {
		t.Fatalf("OnSample saw %v", samples)
	}
}

// TestWorkedTimelineReportedStatus replays rows 10-17 of §2.3: memory,
// pending and a failed sample, with the scheduler's I and S before each
// sample, checking the reported overall and the I and S each snapshot
// carries.
func TestWorkedTimelineReportedStatus(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	var before struct {
		interval time.Duration
		streak   int
	}
	r.mon.SetSchedule(func() (time.Duration, int) { return before.interval, before.streak })
	var overallChanges []uint64
	r.mon.OnChange(func(c Change) {
		if c.Kind == ChangeOverall {
			overallChanges = append(overallChanges, c.SampleSeq)
		}
	})
	rows := []struct {
		at          int64 // ms since start
		memory      float64
		pending     int64
		fail        bool
		reported    Level
		stale       bool
		interval    time.Duration
		streak      int
		overallSeen bool
	}{
		{343248, 50, 3, false, LevelHealthy, false, ms(74649), 10, true},
		{417897, 78, 3, false, LevelWarning, false, ms(37324), 0, true},
		{431000, 78, 140, false, LevelWarning, false, ms(18662), 0, false},
		{449662, 92, 140, false, LevelCritical, false, ms(10000), 0, true},
		{452062, 84, 3, false, LevelCritical, false, ms(10000), 0, false},
		{462062, 68, 3, false, LevelWarning, false, ms(10000), 1, true},
		{472062, 68, 3, false, LevelHealthy, false, ms(10000), 2, true},
		{482062, 68, 3, true, LevelHealthy, true, ms(30000), 0, false},
	}
	before.interval, before.streak = ms(62208), 9
	for i, row := range rows {
		r.clock.Advance(healthEpoch.Add(ms(row.at)).Sub(r.clock.Now()))
		r.system.set(func(f *healthFakeSystem) { f.memory.Percent = row.memory })
		r.hub.set(func(h *healthFakeHub) { h.pending = row.pending })
		ctx, cancel := context.WithCancel(context.Background())
		if row.fail {
			cancel() // the sample's deadline has passed
		}
		_, err := r.mon.Sample(ctx, TriggerSchedule)
		cancel()
		if (err != nil) != row.fail {
			t.Fatalf("row %d: err %v", i, err)
		}
		s := r.mon.Snapshot()
		if s.Overall != row.reported || s.Checks[chkMemory].Stale != row.stale {
			t.Fatalf("row %d: reported %s stale %v, want %s %v", i, s.Overall, s.Checks[chkMemory].Stale, row.reported, row.stale)
		}
		if s.IntervalAfter != row.interval || s.Streak != row.streak {
			t.Fatalf("row %d: I %v S %d, want %v %d", i, s.IntervalAfter, s.Streak, row.interval, row.streak)
		}
		before.interval, before.streak = s.IntervalAfter, s.Streak
	}
	// Overall changes: the first sample (unknown → healthy), then rows 11,
	// 13, 15 and 16 of the table.
	if want := []uint64{1, 2, 4, 6, 7}; len(overallChanges) != len(want) || overallChanges[1] != 2 ||
		overallChanges[2] != 4 || overallChanges[3] != 6 || overallChanges[4] != 7 {
		t.Fatalf("overall changed at samples %v, want %v", overallChanges, want)
	}
}

func TestErrorSampleRecordsNulls(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.sample(t, TriggerStartup)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw, err := r.mon.Sample(ctx, TriggerSchedule)
	if err == nil || !errors.Is(err, context.Canceled) || raw != LevelUnknown {
		t.Fatalf("raw %s err %v", raw, err)
	}
	s := r.mon.Snapshot()
	if s.Outcome != SampleError || s.Err == "" || s.Overall != LevelHealthy {
		t.Fatalf("outcome %s err %q overall %s", s.Outcome, s.Err, s.Overall)
	}
	for _, c := range s.Checks {
		if c.Raw != LevelUnknown || !c.Stale || c.Status != LevelHealthy {
			t.Errorf("%s: raw %s status %s stale %v", c.ID, c.Raw, c.Status, c.Stale)
		}
	}
	entries := s.History(5)
	last := entries[len(entries)-1]
	for i, v := range last.Values {
		if !math.IsNaN(v) {
			t.Errorf("series %d recorded %v in an error sample", i, v)
		}
	}
	if len(entries) != 2 || last.Seq != 2 || last.OverallRaw != LevelUnknown || last.Overall != LevelHealthy {
		t.Fatalf("history %+v", entries)
	}
	var body struct {
		Health struct {
			Metrics map[string]struct {
				Status  string          `json:"status"`
				Value   json.RawMessage `json:"value"`
				Message string          `json:"message"`
			} `json:"metrics"`
		} `json:"health"`
	}
	if err := json.Unmarshal(healthJSON(t, s.DetailedBody(healthEpoch, healthEpoch, 0)), &body); err != nil {
		t.Fatal(err)
	}
	ws := body.Health.Metrics["websocket"]
	if ws.Status != "healthy" || string(ws.Value) != `{"connections":null,"pending":null}` ||
		strings.Contains(ws.Message, "NaN") || !strings.Contains(ws.Message, "unavailable") {
		t.Fatalf("websocket after an error sample: %+v", ws)
	}
}

func TestHungCollectorIsNotCalledAgain(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	hang, entered := make(chan struct{}), make(chan struct{}, 1)
	r.system.set(func(f *healthFakeSystem) { f.hang, f.entered = hang, entered })
	done := make(chan error, 1)
	go func() {
		_, err := r.mon.Sample(context.Background(), TriggerStartup)
		done <- err
	}()
	<-entered                      // the collector's 1 s timer is armed before the call
	r.clock.Advance(time.Second)   // and expires
	if err := <-done; err != nil { // the sample goes on without the CPU
		t.Fatal(err)
	}
	if c := r.mon.Snapshot().Checks[chkCPU]; c.Raw != LevelUnknown || !strings.Contains(c.Message, "timed out after 1s") {
		t.Fatalf("hung cpu: %s %q", c.Raw, c.Message)
	}
	r.sample(t, TriggerSchedule)
	if n := r.system.calls[0].Load(); n != 1 {
		t.Fatalf("hung collector called %d times", n)
	}
	if c := r.mon.Snapshot().Checks[chkCPU]; c.Raw != LevelUnknown || !strings.Contains(c.Message, "previous call still running") {
		t.Fatalf("busy cpu: %s %q", c.Raw, c.Message)
	}
	r.system.set(func(f *healthFakeSystem) { f.hang = nil })
	close(hang)
	for r.mon.col.guards.cpu.busy.Load() { // the abandoned call returns now
		runtime.Gosched()
	}
	r.sample(t, TriggerSchedule)
	if c := r.mon.Snapshot().Checks[chkCPU]; c.Raw != LevelHealthy || c.Status != LevelHealthy || r.system.calls[0].Load() != 2 {
		t.Fatalf("recovered cpu: %s/%s after %d calls", c.Raw, c.Status, r.system.calls[0].Load())
	}
}

func TestSourcePanicMakesItsChecksUnknown(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.mon.col.src.Rooms = healthPanickingRooms{}
	s := r.sample(t, TriggerStartup)
	for _, idx := range []checkIndex{chkRooms, chkPlayers, chkRoomFaults} {
		if c := s.Checks[idx]; c.Raw != LevelUnknown || !strings.Contains(c.Message, "panicked: registry broke") {
			t.Errorf("%s: %s %q", c.ID, c.Raw, c.Message)
		}
	}
	if s.Components[compGame].Status != LevelWarning || s.Overall != LevelWarning {
		t.Fatalf("non-essential unknowns: game %s overall %s", s.Components[compGame].Status, s.Overall)
	}
}

type healthPanickingRooms struct{}

func (healthPanickingRooms) RoomCounts(time.Time) RoomCounts { panic("registry broke") }

func TestComponentsAndEssentialChecks(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.hub.set(func(h *healthFakeHub) { h.connections, h.pending = 1000, 501 })
	s := r.sample(t, TriggerStartup)
	if ws := s.Components[compWebsocket]; ws.Status != LevelCritical || ws.Message != s.Checks[chkPending].Message {
		t.Fatalf("websocket %s %q", ws.Status, ws.Message)
	}
	if s.Components[compMessages].Status != LevelHealthy || s.Overall != LevelCritical {
		t.Fatalf("messages %s overall %s", s.Components[compMessages].Status, s.Overall)
	}

	// An essential check unknown makes the overall unknown.
	r = newHealthRig(t, DefaultConfig())
	r.mon.col.src.Store = nil
	s = r.sample(t, TriggerStartup)
	if s.Components[compDatabase].Status != LevelUnknown || s.Overall != LevelUnknown {
		t.Fatalf("no store: database %s overall %s", s.Components[compDatabase].Status, s.Overall)
	}

	// The canary is essential while enabled: not yet run is unknown...
	r = newHealthRig(t, DefaultConfig())
	r.canary.set(func(c *healthFakeCanary) {
		c.state.Recent = nil
		c.state.LastPass = time.Time{}
		c.state.Started = healthEpoch
	})
	if s = r.sample(t, TriggerStartup); s.Overall != LevelUnknown || s.Checks[chkCanary].Message != "Canary not yet run" {
		t.Fatalf("canary not yet run: overall %s", s.Overall)
	}
	// ...and disabled it is healthy and not essential.
	r.canary.set(func(c *healthFakeCanary) { c.state.Enabled = false })
	r.clock.Advance(10 * time.Second)
	if s = r.sample(t, TriggerSchedule); s.Overall != LevelHealthy || s.Checks[chkCanary].Message != "Canary disabled" {
		t.Fatalf("canary disabled: overall %s %q", s.Overall, s.Checks[chkCanary].Message)
	}
}

func TestHandlersNeverSample(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.sample(t, TriggerStartup)
	calls, pings := r.collectorCalls(), r.store.pings.Load()
	start := healthEpoch.Add(-time.Hour)
	for i := range 1000 {
		now := healthEpoch.Add(time.Duration(i) * time.Millisecond)
		s := r.mon.Snapshot()
		for _, body := range []any{s.HealthBody(now, start, "1.0.0"), s.DetailedBody(now, start, 720)} {
			if _, err := json.Marshal(body); err != nil {
				t.Fatal(err)
			}
		}
		_ = s.SeedMetricsText(now, start)
		_, _ = r.mon.Current(now)
	}
	if r.collectorCalls() != calls || r.store.pings.Load() != pings {
		t.Fatalf("reads sampled: %d collector calls, %d pings", r.collectorCalls()-calls, r.store.pings.Load()-pings)
	}
}

func TestRecheckRunsOnlyWhatItIsAsked(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.sample(t, TriggerStartup)
	seq, historyLen := r.mon.Snapshot().Seq, r.mon.History().Len()
	cpu, memory, pings, hub := r.system.calls[0].Load(), r.system.calls[1].Load(), r.store.pings.Load(), r.hub.calls.Load()
	r.system.set(func(f *healthFakeSystem) { f.memory.Percent = 95 })

	got := r.mon.Recheck(context.Background(), []string{"system:memory", "database:response", "system:nope"})
	if len(got) != 2 {
		t.Fatalf("recheck gave %d results", len(got))
	}
	if m := got["system:memory"]; m.Raw != LevelCritical || m.Status != LevelCritical || m.Value != 95.0 {
		t.Fatalf("memory %+v", m)
	}
	if d := got["database:response"]; d.Raw != LevelHealthy {
		t.Fatalf("database %+v", d)
	}
	if r.system.calls[1].Load() != memory+1 || r.store.pings.Load() != pings+1 ||
		r.system.calls[0].Load() != cpu || r.hub.calls.Load() != hub {
		t.Fatal("recheck ran collectors it was not asked for")
	}
	s := r.mon.Snapshot()
	if s.Seq != seq || r.mon.History().Len() != historyLen || s.Checks[chkMemory].Status != LevelHealthy {
		t.Fatal("recheck touched the snapshot or the history")
	}
	// Nor the hysteresis: the next sample still sees a first critical.
	r.clock.Advance(30 * time.Second)
	r.system.set(func(f *healthFakeSystem) { f.memory.Percent = 50 })
	if s := r.sample(t, TriggerSchedule); s.Checks[chkMemory].Status != LevelHealthy {
		t.Fatalf("memory after recheck: %s", s.Checks[chkMemory].Status)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RecoverSamples = 99
	if _, err := New(cfg, Sources{}, NewFakeClock(healthEpoch), nil); err == nil {
		t.Fatal("recover_samples 99 accepted")
	}
	m, err := New(Config{}, Sources{}, NewFakeClock(healthEpoch), nil)
	if err != nil || m.cfg.HistorySize != 720 || m.cfg.TrendWindow != 20 || m.cfg.MinFrames != 50 || m.Snapshot().IntervalAfter != 30*time.Second {
		t.Fatalf("zero config: %v %+v", err, m.cfg)
	}
}

func TestCurrentAppliesTheStaleRule(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	if l, msg := r.mon.Current(healthEpoch); l != LevelUnknown || msg != NoSampleMessage {
		t.Fatalf("before the first sample: %s %q", l, msg)
	}
	r.sample(t, TriggerStartup)
	if l, _ := r.mon.Current(healthEpoch.Add(70 * time.Second)); l != LevelHealthy {
		t.Fatalf("fresh: %s", l)
	}
	if l, msg := r.mon.Current(healthEpoch.Add(71 * time.Second)); l != LevelUnknown || msg != MonitorStalledMessage {
		t.Fatalf("stalled: %s %q", l, msg)
	}
}

// TestBackToBackCallsNeverFindTheGuardBusy: a collector that returned is
// free for the very next call.
func TestBackToBackCallsNeverFindTheGuardBusy(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	for i := range 200 {
		got := r.mon.Recheck(context.Background(), []string{"system:cpu", "database:response"})
		if got["system:cpu"].Raw != LevelHealthy || got["database:response"].Raw != LevelHealthy {
			t.Fatalf("call %d: %+v", i, got)
		}
	}
}

func BenchmarkSample(b *testing.B) {
	r := newHealthRig(b, DefaultConfig())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.mon.Sample(ctx, TriggerSchedule); err != nil {
			b.Fatal(err)
		}
		r.clock.Advance(30 * time.Second)
	}
}

func BenchmarkHealthBody(b *testing.B) {
	r, now, start := bodyRig(b)
	s := r.mon.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s.HealthBody(now, start, "1.0.0")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetailedBody(b *testing.B) {
	r, now, start := bodyRig(b)
	s := r.mon.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s.DetailedBody(now, start, 0)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeedMetricsText(b *testing.B) {
	r, now, start := bodyRig(b)
	s := r.mon.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.SeedMetricsText(now, start)
	}
}
