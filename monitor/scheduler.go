package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// SampleOutcome is what one sample tells the scheduler (observability §2.1).
type SampleOutcome int

const (
	SampleHealthy  SampleOutcome = iota
	SampleDegraded               // raw overall warning or critical
	SampleError                  // the sampler panicked or missed its deadline
)

// String is the outcome label of liaptui_monitor_samples_total.
func (o SampleOutcome) String() string {
	if o < 0 || int(o) >= len(SampleOutcomes) {
		return fmt.Sprintf("SampleOutcome(%d)", int(o))
	}
	return SampleOutcomes[o]
}

// SchedulerConfig holds the monitor.interval.* and monitor.min_gap keys;
// zero fields take the defaults 30 s, 10 s, 120 s, 1 s and 5 s.
type SchedulerConfig struct{ Default, Min, Max, MinGap, SampleTimeout time.Duration }

// Sampler takes one sample. trigger is TriggerStartup, TriggerSchedule or a
// wake reason. ctx is cancelled when the sample's deadline passes.
type Sampler func(ctx context.Context, trigger string) SampleOutcome

// Scheduler runs the sampler on the adaptive interval of §2.1 and on the
// wake-ups of §2.2.
type Scheduler struct {
	cfg    SchedulerConfig
	clock  Clock
	sample Sampler
	wakes  chan string
	onWake atomic.Pointer[func(reason string)]
	// sampling is true from a sampler call until it returns, also after the
	// call was abandoned, so a hung sampler is never called twice.
	sampling atomic.Bool

	mu         sync.Mutex
	intervalMS int64
	streak     int
}

// NewScheduler makes a scheduler; Run starts it.
func NewScheduler(cfg SchedulerConfig, clock Clock, sample Sampler) *Scheduler {
	cfg.Default = durationOr(cfg.Default, 30*time.Second)
	cfg.Min = durationOr(cfg.Min, 10*time.Second)
	cfg.Max = durationOr(cfg.Max, 120*time.Second)
	cfg.MinGap = durationOr(cfg.MinGap, time.Second)
	cfg.SampleTimeout = durationOr(cfg.SampleTimeout, 5*time.Second)
	return &Scheduler{
		cfg:        cfg,
		clock:      clock,
		sample:     sample,
		wakes:      make(chan string, 1),
		intervalMS: cfg.Default.Milliseconds(),
	}
}

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// OnWake sets a hook called for every Wake, coalesced or not (it feeds
// liaptui_monitor_wakeups_total). Set it before Run.
func (s *Scheduler) OnWake(f func(reason string)) { s.onWake.Store(&f) }

// Wake asks for a sample soon. It never blocks; wakes that arrive while one
// is pending coalesce into it.
func (s *Scheduler) Wake(reason string) {
	if f := s.onWake.Load(); f != nil {
		(*f)(reason)
	}
	select {
	case s.wakes <- reason:
	default:
	}
}

// Interval is I after the last sample.
func (s *Scheduler) Interval() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.intervalMS) * time.Millisecond
}

// Streak is S, the number of consecutive healthy samples.
func (s *Scheduler) Streak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streak
}

// Run samples at once (trigger "startup"), then at start-of-sample + I or
// when woken, until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	trigger := TriggerStartup
	for {
		start := s.clock.Now()
		s.drainWake() // a wake pending now is answered by this sample
		outcome := s.runSample(ctx, trigger)
		if ctx.Err() != nil {
			return
		}
		interval := s.update(outcome)
		var ok bool
		if trigger, ok = s.waitNext(ctx, start, max(interval, s.cfg.MinGap)); !ok {
			return
		}
	}
}

func (s *Scheduler) drainWake() {
	select {
	case <-s.wakes:
	default:
	}
}

// runSample calls the sampler under the sample deadline. A sampler that
// misses it is abandoned, not awaited: its goroutine ends when it returns.
func (s *Scheduler) runSample(ctx context.Context, trigger string) SampleOutcome {
	if !s.sampling.CompareAndSwap(false, true) {
		return SampleError // the abandoned call has still not returned
	}
	sampleCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := s.clock.NewTimer(s.cfg.SampleTimeout)
	defer deadline.Stop()
	done := make(chan SampleOutcome, 1)
	go func() {
		outcome := s.callSampler(sampleCtx, trigger)
		s.sampling.Store(false) // before done: the next sample may start at once
		done <- outcome
	}()
	select {
	case outcome := <-done:
		return outcome
	case <-deadline.C():
		return SampleError
	}
}

func (s *Scheduler) callSampler(ctx context.Context, trigger string) (outcome SampleOutcome) {
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(ctx, "monitor sample panicked", "category", "error", "component", "monitor",
				"trigger", trigger, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			outcome = SampleError
		}
	}()
	return s.sample(ctx, trigger)
}

// update applies the §2.1 table in whole milliseconds and returns the new I.
func (s *Scheduler) update(outcome SampleOutcome) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch outcome {
	case SampleHealthy:
		s.streak++
		if s.streak > 5 {
			s.intervalMS = min(s.cfg.Max.Milliseconds(), s.intervalMS*6/5)
		}
	case SampleDegraded:
		s.intervalMS = max(s.cfg.Min.Milliseconds(), s.intervalMS/2)
		s.streak = 0
	default:
		s.intervalMS = s.cfg.Default.Milliseconds()
		s.streak = 0
	}
	return time.Duration(s.intervalMS) * time.Millisecond
}

// waitNext waits until lastStart+interval, or for a wake (deferred to the
// end of the min gap after lastStart), and returns the next trigger; false
// when ctx ended.
func (s *Scheduler) waitNext(ctx context.Context, lastStart time.Time, interval time.Duration) (string, bool) {
	wait := lastStart.Add(interval).Sub(s.clock.Now())
	if wait <= 0 { // the sample ran past the next start
		return TriggerSchedule, ctx.Err() == nil
	}
	due := s.clock.NewTimer(wait)
	defer due.Stop()
	select {
	case <-ctx.Done():
		return "", false
	case <-due.C():
		return TriggerSchedule, true
	case reason := <-s.wakes:
		gapLeft := lastStart.Add(s.cfg.MinGap).Sub(s.clock.Now())
		if gapLeft <= 0 {
			return reason, true
		}
		gapEnd := s.clock.NewTimer(gapLeft)
		defer gapEnd.Stop()
		select {
		case <-ctx.Done():
			return "", false
		case <-gapEnd.C():
			return reason, true
		}
	}
}
