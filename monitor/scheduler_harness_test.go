package monitor

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// armingClock is a FakeClock that reports every timer the scheduler arms, so
// a test knows the scheduler is waiting before it advances time.
type armingClock struct {
	*FakeClock
	armed chan time.Duration
}

func (c *armingClock) NewTimer(d time.Duration) Timer {
	t := c.FakeClock.NewTimer(d) // armed before the test hears of it
	c.armed <- d
	return t
}

type sampleCall struct {
	at      time.Duration // since the harness start
	trigger string
	reply   chan SampleOutcome
}

type schedulerHarness struct {
	t      *testing.T
	clock  *armingClock
	start  time.Time
	s      *Scheduler
	calls  chan sampleCall
	cancel context.CancelFunc
	done   chan struct{}
	// released ends unanswered sampler calls when the harness stops, so a
	// failed test does not leave Run waiting on them.
	released chan struct{}
	stopOnce sync.Once
}

// schedWatchdog bounds a wait on the scheduler goroutine so a broken scheduler
// fails the test instead of hanging it; it never asserts timing.
const schedWatchdog = time.Minute

func schedAwait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := WallClock{}.NewTimer(schedWatchdog)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C():
		t.Fatalf("gave up waiting for %s", what)
		var zero T
		return zero
	}
}

// schedEventually spins until cond holds, bounded by schedWatchdog.
func schedEventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	timer := WallClock{}.NewTimer(schedWatchdog)
	defer timer.Stop()
	for !cond() {
		select {
		case <-timer.C():
			t.Fatalf("gave up waiting for %s", what)
		default:
			runtime.Gosched()
		}
	}
}

var testSchedulerConfig = SchedulerConfig{
	Default: 30 * time.Second, Min: 10 * time.Second, Max: 120 * time.Second,
	MinGap: time.Second, SampleTimeout: 5 * time.Second,
}

// startScheduler runs a scheduler whose sampler hands every call to the test
// and returns what the test replies; it ignores ctx, like a hung syscall.
func startScheduler(t *testing.T, cfg SchedulerConfig) *schedulerHarness {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := &schedulerHarness{
		t:        t,
		clock:    &armingClock{FakeClock: NewFakeClock(start), armed: make(chan time.Duration, 16)},
		start:    start,
		calls:    make(chan sampleCall, 16),
		done:     make(chan struct{}),
		released: make(chan struct{}),
	}
	h.s = NewScheduler(cfg, h.clock, func(_ context.Context, trigger string) SampleOutcome {
		call := sampleCall{at: h.clock.Now().Sub(start), trigger: trigger, reply: make(chan SampleOutcome)}
		h.calls <- call
		select {
		case outcome := <-call.reply:
			return outcome
		case <-h.released:
			return SampleError
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		h.s.Run(ctx)
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *schedulerHarness) now() time.Duration { return h.clock.Now().Sub(h.start) }

func (h *schedulerHarness) advanceTo(at time.Duration) { h.clock.Advance(at - h.now()) }

// nextArmed is the duration of the next timer the scheduler arms.
func (h *schedulerHarness) nextArmed() time.Duration {
	h.t.Helper()
	return schedAwait(h.t, h.clock.armed, "the scheduler to arm a timer")
}

// expectSample receives the next sampler call, checks when and why it came,
// and consumes the sample deadline timer armed just before it.
func (h *schedulerHarness) expectSample(at time.Duration, trigger string) sampleCall {
	h.t.Helper()
	call := schedAwait(h.t, h.calls, "a sample at "+at.String())
	if call.at != at || call.trigger != trigger {
		h.t.Fatalf("sample at %v trigger %q, want %v %q", call.at, call.trigger, at, trigger)
	}
	if d := h.nextArmed(); d != testSchedulerConfig.SampleTimeout {
		h.t.Fatalf("sample deadline %v, want %v", d, testSchedulerConfig.SampleTimeout)
	}
	return call
}

// answer completes a call and returns the wait the scheduler then arms.
func (h *schedulerHarness) answer(call sampleCall, outcome SampleOutcome) time.Duration {
	h.t.Helper()
	call.reply <- outcome
	return h.nextArmed()
}

func (h *schedulerHarness) expectState(streak int, interval time.Duration) {
	h.t.Helper()
	if s, i := h.s.Streak(), h.s.Interval(); s != streak || i != interval {
		h.t.Fatalf("S=%d I=%v, want S=%d I=%v", s, i, streak, interval)
	}
}

// waitSamplerReturned waits until an abandoned sampler call has returned.
func (h *schedulerHarness) waitSamplerReturned() {
	schedEventually(h.t, func() bool { return !h.s.sampling.Load() }, "the abandoned sampler to return")
}

func (h *schedulerHarness) stop() {
	h.stopOnce.Do(func() {
		h.cancel()
		close(h.released)
		schedAwait(h.t, h.done, "Run to return after cancel")
	})
}

func schedMS(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
