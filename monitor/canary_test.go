package monitor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

type canaryHostFunc func(ctx context.Context, run int64) error

func (f canaryHostFunc) RunCanary(ctx context.Context, run int64) error { return f(ctx, run) }

func TestCanaryRunnerRecordsOutcomes(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_000_000, 0))
	base := clock.Now().UnixMilli() // run numbers continue from the start time
	var finished []CanaryResult
	var wakes, systemEvents int
	var passed []int64
	host := canaryHostFunc(func(ctx context.Context, run int64) error {
		if CorrelationID(ctx) == "" {
			t.Error("a canary run has no correlation id")
		}
		switch run - base {
		case 2:
			return errors.New("score mismatch in round 3")
		case 3:
			clock.Advance(6 * time.Second) // slow but passing
		case 4:
			clock.Advance(31 * time.Second)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	c := NewCanaryRunner(CanaryConfig{Period: time.Minute}, host, clock,
		slog.New(slog.NewTextHandler(io.Discard, nil)), CanaryHooks{
			Finished: func(r CanaryResult) { finished = append(finished, r) },
			Wake:     func(string) { wakes++ },
			System:   func(context.Context, CanaryResult) { systemEvents++ },
			Passed:   func(_ context.Context, r CanaryResult) { passed = append(passed, r.Run-base) },
		})
	ctx := context.Background()
	if r := c.RunOnce(ctx); !r.Passed() || r.Run != base+1 {
		t.Fatalf("run 1 = %+v", r)
	}
	passAt := clock.Now()
	if r := c.RunOnce(ctx); r.Outcome != "fail" || r.Err != "score mismatch in round 3" {
		t.Fatalf("run 2 = %+v", r)
	}
	if r := c.RunOnce(ctx); !r.Passed() || r.Duration != 6*time.Second {
		t.Fatalf("run 3 = %+v", r)
	}
	if r := c.RunOnce(ctx); r.Outcome != "timeout" {
		t.Fatalf("run 4 = %+v, want timeout (the host waits for its ctx)", r)
	}
	st := c.State()
	if len(st.Recent) != 3 || st.Recent[0].Run != base+2 || st.Recent[2].Run != base+4 {
		t.Fatalf("recent = %+v, want runs 2..4", st.Recent)
	}
	if !st.LastPass.Equal(passAt.Add(6 * time.Second)) {
		t.Fatalf("last pass = %v, want the end of run 3", st.LastPass)
	}
	if len(passed) != 2 || passed[0] != 1 || passed[1] != 3 {
		t.Fatalf("passed hook for runs %v, want 1 and 3 (their streams are deleted)", passed)
	}
	if len(finished) != 4 || systemEvents != 2 || wakes != 3 {
		t.Fatalf("finished %d, _system events %d, wakes %d; want 4, 2 (fail, timeout), 3 (fail, slow, timeout)",
			len(finished), systemEvents, wakes)
	}
}

func TestCanaryRunnerPeriodAndDisable(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_000_000, 0))
	runs := make(chan int64, 10)
	host := canaryHostFunc(func(_ context.Context, run int64) error { runs <- run; return nil })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	off := NewCanaryRunner(CanaryConfig{}, host, clock, log, CanaryHooks{})
	off.Run(context.Background()) // returns at once
	if off.Enabled() || len(runs) != 0 {
		t.Fatal("a canary with period 0 ran")
	}

	ctx, cancel := context.WithCancel(context.Background())
	c := NewCanaryRunner(CanaryConfig{Period: time.Minute}, host, clock, log, CanaryHooks{})
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	base := clock.Now().UnixMilli()
	if r := <-runs; r != base+1 {
		t.Fatalf("first run = %d", r)
	}
	for deadline := time.Now().Add(5 * time.Second); clock.Pending() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the runner armed no period timer")
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(time.Minute)
	if r := <-runs; r != base+2 {
		t.Fatalf("second run = %d", r)
	}
	cancel()
	<-done
}
