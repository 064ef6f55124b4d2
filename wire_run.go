package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"liaptui/events"
	"liaptui/monitor"
)

// run serves until ctx ends: listener, crash recovery, services, readiness
// (observability §9.1), then the ordered shutdown of §9.2.
func (s *server) run(ctx context.Context) error {
	log := s.obs.component(monitor.ComponentMain)
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.store.Close(context.Background())
		return err
	}
	if wrap := s.cfg.faults.wrapListener; wrap != nil {
		ln = wrap(ln)
	}
	s.http.Echo().Listener = ln
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Start(s.cfg.Addr) }()
	log.Info("listening", "category", "system", "addr", ln.Addr().String(), "data_dir", s.cfg.DataDir)

	ctx = monitor.WithCorrelationID(ctx, monitor.NewCorrelationID())
	unclean := s.previousRunUnclean(ctx, log)
	start := s.clock.Now()
	report, err := s.registry.Restore(ctx)
	if err != nil {
		return errors.Join(err, s.shutdown(log, nil))
	}
	s.store.AppendSystem(ctx, "store_recovered", map[string]any{"rooms_resumed": report.Resumed,
		"rooms_failed": report.Failed, "duration_ms": s.clock.Now().Sub(start).Milliseconds()})
	log.InfoContext(ctx, "store recovered", "category", "system", "rooms_resumed", report.Resumed,
		"rooms_failed", report.Failed, "duration_ms", s.clock.Now().Sub(start).Milliseconds())

	services, stopServices := context.WithCancel(context.WithoutCancel(ctx))
	supervised := map[string]func(context.Context){"lobby": s.hub.Run, "alert": s.obs.notifier.Run,
		"monitor": s.scheduler.Run, "retention": s.retention.Run,
		"recovery": func(ctx context.Context) { _ = s.recovery.Run(ctx) }}
	// A disabled canary's Run returns at once, which the supervisor would
	// take for a failure.
	if s.canary.Enabled() {
		s.canary.RunOnce(services) // the first canary game ends before the first sample (§9.1)
		supervised["canary"] = s.canary.Run
	}
	for name, run := range supervised {
		s.services.start(services, name, run)
	}
	s.store.AppendSystem(ctx, "server_started", map[string]any{"version": version, "pid": os.Getpid(),
		"synchronous": s.cfg.StoreSynchronous, "unclean_previous": unclean})
	s.http.SetReady()

	select {
	case <-ctx.Done():
		s.stopCause = context.Cause(ctx).Error()
		log.Info("shutting down", "category", "system", "cause", s.stopCause)
	case err = <-serveErr:
		s.stopCause = "http server stopped"
		log.Error("http server stopped", "category", "error", "error", err)
	}
	return errors.Join(err, s.shutdown(log, func(c context.Context) error { stopServices(); return s.services.wait(c) }))
}

// previousRunUnclean reports whether the last _system event is not the
// clean-shutdown marker, and then checks the database file (§6.7 step 1).
func (s *server) previousRunUnclean(ctx context.Context, log *slog.Logger) bool {
	info, err := s.store.Stream(ctx, events.SystemStream)
	if err != nil || info.HeadSeq == 0 {
		return false // a new store
	}
	page, err := s.store.Since(ctx, events.SystemStream, info.HeadSeq-1, 1)
	if err != nil || len(page.Events) == 0 || page.Events[0].Type == "server_stopped" {
		return false
	}
	result, err := s.store.QuickCheck(ctx)
	log.WarnContext(ctx, "the previous run ended uncleanly", "category", "system", "quick_check", result, "error", err)
	return true
}

// shutdown runs the steps of observability §9.2, each within its bound; a
// second signal skips to flushing the store with a 2 s bound.
func (s *server) shutdown(log *slog.Logger, stopServices func(context.Context) error) error {
	// Listen for the second signal before anything shows that shutdown has
	// begun (readiness off), so a signal sent after that is never missed.
	hurry := make(chan os.Signal, 1)
	signal.Notify(hurry, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(hurry)
	began := s.clock.Now()
	s.http.Drain()
	// shutdown.timeout bounds the whole shutdown; each step has its own
	// bound inside it.
	ctx, cancel := context.WithTimeout(monitor.WithCorrelationID(context.Background(), monitor.NewCorrelationID()),
		s.cfg.ShutdownTimeout)
	defer cancel()
	s.store.AppendSystem(ctx, "server_stopping", map[string]any{"signal": s.stopCause})

	var failed []error
	hurried := false
	step := func(name string, bound time.Duration, f func(context.Context) error) {
		if hurried && name != "store" {
			return
		}
		if hurried {
			bound = 2 * time.Second
		}
		sctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- f(sctx) }()
		select {
		case err := <-done:
			if err != nil {
				log.Error("shutdown step failed", "category", "system", "step", name, "error", err)
				failed = append(failed, fmt.Errorf("%s: %w", name, err))
			}
		case <-hurry:
			// A second signal: leave this step running and flush the store.
			hurried = true
			failed = append(failed, fmt.Errorf("%s: %w", name, errSecondSignal))
		}
	}
	if d := s.cfg.ShutdownDelay; d > 0 {
		step("delay", d, func(c context.Context) error {
			t := s.clock.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C():
			case <-c.Done():
			}
			return nil
		})
	}
	if stopServices != nil {
		step("services", 2*time.Second, stopServices)
	}
	step("http", 5*time.Second, s.http.Shutdown)
	step("rooms", 5*time.Second, s.registry.Close)
	step("websockets", 5*time.Second, func(c context.Context) error { return s.hub.Shutdown(c, 5*time.Second) })
	step("store", 5*time.Second, func(c context.Context) error {
		if err := s.store.FinishSystem(c); err != nil {
			return err
		}
		if _, err := s.store.Append(c, events.SystemStream, 0, events.AnyHead, []events.NewEvent{{Type: "server_stopped",
			SchemaVersion: 1, Payload: []byte(fmt.Sprintf(`{"duration_ms":%d}`, s.clock.Now().Sub(began).Milliseconds()))}}); err != nil {
			return err
		}
		return s.store.Close(c)
	})
	step("notifier", 2*time.Second, s.obs.notifier.Flush)
	if len(failed) > 0 {
		return fmt.Errorf("%w: %w", errUncleanShutdown, errors.Join(failed...))
	}
	log.Info("stopped", "category", "system", "duration_ms", s.clock.Now().Sub(began).Milliseconds())
	return nil
}

var (
	errSecondSignal    = errors.New("second signal")
	errUncleanShutdown = errors.New("shutdown did not finish in its bounds")
)
