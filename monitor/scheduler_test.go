package monitor

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestSchedulerWorkedTimeline reproduces observability §2.3 row by row.
func TestSchedulerWorkedTimeline(t *testing.T) {
	const (
		H = SampleHealthy
		D = SampleDegraded
		E = SampleError // the sampler hangs past its deadline
	)
	rows := []struct {
		at       int64 // ms
		trigger  string
		outcome  SampleOutcome
		streak   int
		interval int64 // ms
	}{
		{0, "startup", H, 1, 30000},
		{30000, "schedule", H, 2, 30000},
		{60000, "schedule", H, 3, 30000},
		{90000, "schedule", H, 4, 30000},
		{120000, "schedule", H, 5, 30000},
		{150000, "schedule", H, 6, 36000},
		{186000, "schedule", H, 7, 43200},
		{229200, "schedule", H, 8, 51840},
		{281040, "schedule", H, 9, 62208},
		{343248, "schedule", H, 10, 74649},
		{417897, "schedule", D, 0, 37324},
		{431000, "pending", D, 0, 18662},
		{449662, "schedule", D, 0, 10000},
		{452062, "recovery", D, 0, 10000},
		{462062, "schedule", H, 1, 10000},
		{472062, "schedule", H, 2, 10000},
		{482062, "schedule", E, 0, 30000},
		{512062, "schedule", H, 1, 30000},
		{542062, "schedule", H, 2, 30000},
		{572062, "schedule", H, 3, 30000},
		{602062, "schedule", H, 4, 30000},
		{632062, "schedule", H, 5, 30000},
		{662062, "schedule", H, 6, 36000},
		{698062, "schedule", H, 7, 43200},
		{741262, "schedule", H, 8, 51840},
		{793102, "schedule", H, 9, 62208},
		{855310, "schedule", H, 10, 74649},
		{929959, "schedule", H, 11, 89578},
		{1019537, "schedule", H, 12, 107493},
		{1127030, "schedule", H, 13, 120000},
	}
	h := startScheduler(t, testSchedulerConfig)
	for i, row := range rows {
		h.advanceTo(schedMS(row.at))
		if row.trigger != TriggerStartup && row.trigger != TriggerSchedule {
			h.s.Wake(row.trigger)
		}
		call := h.expectSample(schedMS(row.at), row.trigger)
		var wait time.Duration
		if row.outcome == E {
			h.clock.Advance(testSchedulerConfig.SampleTimeout)
			wait = h.nextArmed()
			call.reply <- SampleHealthy // the late answer is discarded
			h.waitSamplerReturned()
		} else {
			wait = h.answer(call, row.outcome)
		}
		h.expectState(row.streak, schedMS(row.interval))
		// The next sample is due at this sample's start + I.
		if due := schedMS(row.at + row.interval); wait != due-h.now() {
			t.Fatalf("row %d: next sample armed in %v, want at %v", i+1, wait, due)
		}
	}
}

func TestSchedulerUpdateRules(t *testing.T) {
	H, D, E := SampleHealthy, SampleDegraded, SampleError
	tests := []struct {
		name     string
		outcomes []SampleOutcome
		streak   int
		interval time.Duration
	}{
		{"first five healthy keep the default", []SampleOutcome{H, H, H, H, H}, 5, 30 * time.Second},
		{"sixth healthy grows by 6/5", []SampleOutcome{H, H, H, H, H, H}, 6, 36 * time.Second},
		{"degraded halves", []SampleOutcome{D}, 0, 15 * time.Second},
		{"floor at min", []SampleOutcome{D, D, D, D}, 0, 10 * time.Second},
		{"cap at max", repeatSampleOutcome(H, 20), 20, 120 * time.Second},
		{"halving floors whole ms", append(repeatSampleOutcome(H, 10), D), 0, schedMS(37324)},
		{"error resets after growth", append(repeatSampleOutcome(H, 8), E), 0, 30 * time.Second},
		{"error resets after the floor", []SampleOutcome{D, D, D, E}, 0, 30 * time.Second},
		{"degraded breaks the streak", []SampleOutcome{H, H, H, H, H, D, H, H, H, H, H}, 5, 15 * time.Second},
		{"unknown outcome counts as error", []SampleOutcome{D, SampleOutcome(7)}, 0, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScheduler(testSchedulerConfig, NewFakeClock(time.Time{}), nil)
			for _, o := range tt.outcomes {
				s.update(o)
			}
			if s.Streak() != tt.streak || s.Interval() != tt.interval {
				t.Fatalf("S=%d I=%v, want S=%d I=%v", s.Streak(), s.Interval(), tt.streak, tt.interval)
			}
		})
	}
}

func repeatSampleOutcome(o SampleOutcome, n int) []SampleOutcome {
	out := make([]SampleOutcome, n)
	for i := range out {
		out[i] = o
	}
	return out
}

func TestSchedulerWakeInsideMinGapIsDeferred(t *testing.T) {
	h := startScheduler(t, testSchedulerConfig)
	h.answer(h.expectSample(0, TriggerStartup), SampleHealthy)

	h.advanceTo(schedMS(200))
	h.s.Wake("store")
	if gap := h.nextArmed(); gap != schedMS(800) {
		t.Fatalf("wake at 0.200 deferred by %v, want 800ms", gap)
	}
	h.advanceTo(schedMS(1000))
	wait := h.answer(h.expectSample(schedMS(1000), "store"), SampleHealthy)
	// The woken sample reschedules from its own start.
	if wait != 30*time.Second {
		t.Fatalf("after the woken sample next in %v, want 30s", wait)
	}
	h.expectState(2, 30*time.Second)
}

func TestSchedulerWakeOutsideMinGapSamplesAtOnce(t *testing.T) {
	h := startScheduler(t, testSchedulerConfig)
	h.answer(h.expectSample(0, TriggerStartup), SampleHealthy)
	h.advanceTo(schedMS(7500))
	h.s.Wake("connections")
	wait := h.answer(h.expectSample(schedMS(7500), "connections"), SampleDegraded)
	if wait != 15*time.Second {
		t.Fatalf("next in %v, want 15s", wait)
	}
}

func TestSchedulerWakesCoalesce(t *testing.T) {
	h := startScheduler(t, testSchedulerConfig)
	var hooked []string
	h.s.OnWake(func(reason string) { hooked = append(hooked, reason) })
	h.answer(h.expectSample(0, TriggerStartup), SampleHealthy)

	h.advanceTo(schedMS(500))
	h.s.Wake("pending")
	h.nextArmed() // the min-gap timer: the scheduler holds "pending"
	h.s.Wake("store")
	h.s.Wake("canary")
	h.advanceTo(schedMS(1000))
	wait := h.answer(h.expectSample(schedMS(1000), "pending"), SampleHealthy)
	if wait != 30*time.Second {
		t.Fatalf("a coalesced wake caused another wait (%v)", wait)
	}
	// No further woken sample: the next one is the scheduled one.
	h.advanceTo(schedMS(31000))
	h.answer(h.expectSample(schedMS(31000), TriggerSchedule), SampleHealthy)
	if len(hooked) != 3 {
		t.Fatalf("OnWake saw %v, want all three requests", hooked)
	}
}

func TestSchedulerWakeDuringSampleRunsAfterIt(t *testing.T) {
	h := startScheduler(t, testSchedulerConfig)
	call := h.expectSample(0, TriggerStartup)
	h.s.Wake("recovery")
	h.s.Wake("store")
	h.answer(call, SampleHealthy) // the scheduled wait, then at once the wake:
	if gap := h.nextArmed(); gap != time.Second {
		t.Fatalf("wake during the sample waits %v, want the 1s gap", gap)
	}
	h.advanceTo(time.Second)
	h.answer(h.expectSample(time.Second, "recovery"), SampleHealthy)
}

func TestSchedulerPanicIsAnError(t *testing.T) {
	clock := &armingClock{FakeClock: NewFakeClock(time.Time{}), armed: make(chan time.Duration, 16)}
	samples := 0
	s := NewScheduler(testSchedulerConfig, clock, func(context.Context, string) SampleOutcome {
		samples++
		if samples == 1 {
			return SampleDegraded
		}
		panic("collector bug")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	schedAwait(t, clock.armed, "sample 1 deadline")
	if wait := schedAwait(t, clock.armed, "wait after sample 1"); wait != 15*time.Second {
		t.Fatalf("after degraded next in %v, want 15s", wait)
	}
	clock.Advance(15 * time.Second)
	schedAwait(t, clock.armed, "sample 2 deadline")
	if wait := schedAwait(t, clock.armed, "wait after sample 2"); wait != 30*time.Second {
		t.Fatalf("after a panic next in %v, want the 30s reset", wait)
	}
	if s.Streak() != 0 || s.Interval() != 30*time.Second {
		t.Fatalf("S=%d I=%v after a panic", s.Streak(), s.Interval())
	}
	cancel()
	schedAwait(t, done, "Run to return")
}

func TestSchedulerHungSamplerIsNotCalledTwice(t *testing.T) {
	h := startScheduler(t, testSchedulerConfig)
	hung := h.expectSample(0, TriggerStartup)
	h.clock.Advance(5 * time.Second)
	if wait := h.nextArmed(); wait != 25*time.Second {
		t.Fatalf("after the deadline next in %v, want 25s", wait)
	}
	h.expectState(0, 30*time.Second)

	// Still hung at the next due time: no call (no sample deadline armed),
	// the sample counts as an error.
	h.advanceTo(30 * time.Second)
	if wait := h.nextArmed(); wait != 30*time.Second {
		t.Fatalf("skipped sample armed %v, want the 30s wait", wait)
	}
	select {
	case call := <-h.calls:
		t.Fatalf("sampler called again while hung (trigger %q)", call.trigger)
	default:
	}
	h.expectState(0, 30*time.Second)

	hung.reply <- SampleHealthy
	h.waitSamplerReturned()
	h.advanceTo(60 * time.Second)
	h.answer(h.expectSample(60*time.Second, TriggerSchedule), SampleHealthy)
	h.expectState(1, 30*time.Second)
}

func TestSchedulerRunStopsOnCancelWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	h := startScheduler(t, testSchedulerConfig)
	h.answer(h.expectSample(0, TriggerStartup), SampleHealthy)
	h.advanceTo(30 * time.Second)
	h.answer(h.expectSample(30*time.Second, TriggerSchedule), SampleHealthy)
	h.stop()
	if pending := h.clock.Pending(); pending != 0 {
		t.Fatalf("%d timers left armed", pending)
	}
	schedEventually(t, func() bool { return runtime.NumGoroutine() <= before }, "the scheduler's goroutines to exit")
}

func TestSchedulerCancelDuringSampleReturns(t *testing.T) {
	clock := NewFakeClock(time.Time{})
	started := make(chan struct{})
	s := NewScheduler(testSchedulerConfig, clock, func(ctx context.Context, _ string) SampleOutcome {
		close(started)
		<-ctx.Done()
		return SampleError
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	schedAwait(t, started, "the sample")
	cancel()
	schedAwait(t, done, "Run to return")
	if clock.Pending() != 0 {
		t.Fatalf("%d timers left armed", clock.Pending())
	}
}

func TestNewSchedulerDefaults(t *testing.T) {
	s := NewScheduler(SchedulerConfig{}, NewFakeClock(time.Time{}), nil)
	want := SchedulerConfig{Default: 30 * time.Second, Min: 10 * time.Second, Max: 120 * time.Second,
		MinGap: time.Second, SampleTimeout: 5 * time.Second}
	if s.cfg != want || s.Interval() != 30*time.Second || s.Streak() != 0 {
		t.Fatalf("defaults %+v I=%v S=%d", s.cfg, s.Interval(), s.Streak())
	}
}

func TestSampleOutcomeString(t *testing.T) {
	for o, want := range map[SampleOutcome]string{SampleHealthy: "healthy", SampleDegraded: "degraded", SampleError: "error"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(o), o.String(), want)
		}
	}
}
