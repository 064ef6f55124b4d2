package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"liaptui/monitor"
)

// supervisor runs the long-lived services of observability §9.1 start 6: a
// service that panics or returns before its context ends is restarted after
// a backoff of 1 s doubling to 30 s; more than 5 failures within 5 minutes
// mark it failed (ERROR, alert, /readyz fails) and it is not restarted.
type supervisor struct {
	clock    monitor.Clock
	log      *slog.Logger
	restarts func(service string)
	failedFn func(service string)

	wg      sync.WaitGroup
	mu      sync.Mutex
	failed  []string
	running map[string]bool
}

const (
	restartFirst  = time.Second
	restartMax    = 30 * time.Second
	failureWindow = 5 * time.Minute
	failureLimit  = 5
)

// start runs service under ctx until ctx ends.
func (s *supervisor) start(ctx context.Context, name string, service func(context.Context)) {
	s.wg.Add(1)
	s.mu.Lock()
	if s.running == nil {
		s.running = map[string]bool{}
	}
	s.running[name] = true
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, name)
			s.mu.Unlock()
		}()
		backoff := restartFirst
		var failures []time.Time
		for {
			err := s.runOnce(ctx, service)
			if ctx.Err() != nil {
				return
			}
			now := s.clock.Now()
			failures = append(failures, now)
			for len(failures) > 0 && now.Sub(failures[0]) > failureWindow {
				failures = failures[1:]
			}
			if len(failures) > failureLimit {
				s.mu.Lock()
				s.failed = append(s.failed, name)
				s.mu.Unlock()
				s.log.ErrorContext(ctx, "service failed", "category", "error", "service", name,
					"failures", len(failures), "error", err)
				if s.failedFn != nil {
					s.failedFn(name)
				}
				return
			}
			s.log.WarnContext(ctx, "service restarting", "category", "system", "service", name,
				"backoff_ms", backoff.Milliseconds(), "error", err)
			if s.restarts != nil {
				s.restarts(name)
			}
			t := s.clock.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			backoff = min(2*backoff, restartMax)
		}
	}()
}

// runOnce runs the service, turning a panic or an early return into an error.
func (s *supervisor) runOnce(ctx context.Context, service func(context.Context)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			s.log.ErrorContext(ctx, "service panicked", "category", "error", "error", err.Error(), "stack", string(debug.Stack()))
		}
	}()
	service(ctx)
	if ctx.Err() == nil {
		return fmt.Errorf("stopped on its own")
	}
	return nil
}

// Failed lists the services marked failed.
func (s *supervisor) Failed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.failed...)
}

// wait returns once every service has stopped, or when ctx ends with an
// error naming the services still running (observability §9.2 step 2).
func (s *supervisor) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		running := slices.Sorted(maps.Keys(s.running))
		s.mu.Unlock()
		return fmt.Errorf("services %v did not stop: %w", running, ctx.Err())
	}
}
