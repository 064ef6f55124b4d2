package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

var errCanaryTimeout = errors.New("canary timeout")

// CanaryResult is one canary game (observability §9.3).
type CanaryResult struct {
	Run      int64
	At       time.Time // start
	Duration time.Duration
	Outcome  string // pass, fail, timeout
	Err      string
}

// Passed reports whether the run passed.
func (r CanaryResult) Passed() bool { return r.Outcome == "pass" }

// CanaryConfig configures the runner.
type CanaryConfig struct {
	Period  time.Duration // canary.period; 0 disables
	Timeout time.Duration // 30 s: the game must reach game over within it
}

// CanaryHooks tell the rest of the server about each run; nil fields are
// skipped.
type CanaryHooks struct {
	Finished func(r CanaryResult)                      // metrics
	Wake     func(reason string)                       // the monitor's "canary" wake-up
	System   func(ctx context.Context, r CanaryResult) // canary_failed to _system
	Allowed  func() bool                               // false while protection mode suspends runs
	Passed   func(ctx context.Context, r CanaryResult) // a passing run's stream is no longer needed
}

// CanaryRunner plays one internal game every period through a CanaryHost
// and keeps the latest results for check 15.
type CanaryRunner struct {
	cfg   CanaryConfig
	host  CanaryHost
	clock Clock
	log   *slog.Logger
	hooks CanaryHooks

	mu       sync.Mutex
	runs     int64
	recent   []CanaryResult // newest last, at most 3
	lastPass time.Time
	started  time.Time
}

// NewCanaryRunner builds a runner; Run starts it.
func NewCanaryRunner(cfg CanaryConfig, host CanaryHost, clock Clock, log *slog.Logger, hooks CanaryHooks) *CanaryRunner {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	// Canary streams outlive the process, so run numbers continue from the
	// start time in milliseconds rather than from 1: a restart never reuses
	// a stored _canary:<run> stream.
	now := clock.Now()
	return &CanaryRunner{cfg: cfg, host: host, clock: clock, log: log, hooks: hooks, started: now, runs: now.UnixMilli()}
}

// Enabled is false when canary.period is 0.
func (c *CanaryRunner) Enabled() bool { return c.cfg.Period > 0 }

// Run plays one game per period until ctx ends; the first at once unless a
// game was already played (startup plays the first before readiness).
func (c *CanaryRunner) Run(ctx context.Context) {
	if !c.Enabled() {
		return
	}
	c.mu.Lock()
	played := len(c.recent) > 0
	c.mu.Unlock()
	for {
		if !played && (c.hooks.Allowed == nil || c.hooks.Allowed()) {
			c.RunOnce(ctx)
		}
		played = false
		t := c.clock.NewTimer(c.cfg.Period)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// RunOnce plays one canary game now and records its result.
func (c *CanaryRunner) RunOnce(ctx context.Context) CanaryResult {
	c.mu.Lock()
	c.runs++
	run := c.runs
	c.mu.Unlock()
	id := NewCorrelationID()
	ctx = WithCorrelationID(ctx, id)
	start := c.clock.Now()
	runCtx, cancel := context.WithCancelCause(ctx)
	timer := c.clock.AfterFunc(c.cfg.Timeout, func() { cancel(errCanaryTimeout) })
	err := c.host.RunCanary(runCtx, run)
	timer.Stop()
	timedOut := errors.Is(context.Cause(runCtx), errCanaryTimeout)
	cancel(nil)
	r := CanaryResult{Run: run, At: start, Duration: c.clock.Now().Sub(start), Outcome: "pass"}
	switch {
	case timedOut:
		r.Outcome, r.Err = "timeout", fmt.Sprintf("no game over within %s", c.cfg.Timeout)
	case err != nil:
		r.Outcome, r.Err = "fail", err.Error()
	}
	c.record(r)
	if ctx.Err() != nil {
		return r // shutting down: nothing more to tell
	}
	if c.hooks.Finished != nil {
		c.hooks.Finished(r)
	}
	if r.Passed() {
		if c.hooks.Passed != nil {
			c.hooks.Passed(ctx, r)
		}
		c.log.DebugContext(ctx, "canary passed", "category", "system", "run", run, "duration_ms", r.Duration.Milliseconds())
	} else {
		c.log.ErrorContext(ctx, "canary failed", "category", "system", "run", run, "outcome", r.Outcome, "error", r.Err)
		if c.hooks.System != nil {
			c.hooks.System(ctx, r)
		}
	}
	if (!r.Passed() || r.Duration > 5*time.Second) && c.hooks.Wake != nil {
		c.hooks.Wake("canary")
	}
	return r
}

func (c *CanaryRunner) record(r CanaryResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recent = append(c.recent, r)
	if len(c.recent) > 3 {
		c.recent = c.recent[1:]
	}
	if r.Passed() {
		c.lastPass = r.At.Add(r.Duration)
	}
}

// CanaryState is what check 15 and the endpoints read.
type CanaryState struct {
	Enabled  bool
	Recent   []CanaryResult // newest last, at most 3
	LastPass time.Time      // zero before the first pass
	Started  time.Time      // when the runner was built
	Period   time.Duration
}

// State copies the runner's latest results.
func (c *CanaryRunner) State() CanaryState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CanaryState{Enabled: c.Enabled(), Recent: append([]CanaryResult(nil), c.recent...), LastPass: c.lastPass,
		Started: c.started, Period: c.cfg.Period}
}
