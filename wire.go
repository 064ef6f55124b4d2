package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"liaptui/api"
	"liaptui/events"
	"liaptui/monitor"
	"liaptui/recovery"
	"liaptui/room"
	"liaptui/web"
	"liaptui/ws"
)

// server is every long-lived part of `liaptui serve`, wired together. Only
// this file knows all the concrete types.
type server struct {
	cfg       *serveConfig
	obs       *observability
	clock     monitor.Clock
	store     *events.Store
	registry  *room.Registry
	hub       *ws.Hub
	http      *api.Server
	monitor   *monitor.Monitor
	scheduler *monitor.Scheduler
	recovery  *recovery.Manager
	canary    *monitor.CanaryRunner
	retention *events.Retention
	services  *supervisor
	started   time.Time
	stopCause string // why shutdown began: the signal, or the HTTP server's end
}

// late holds the parts built after the ones that call them (the store and
// the rooms wake the monitor and raise recovery triggers).
type late struct {
	scheduler atomic.Pointer[monitor.Scheduler]
	recovery  atomic.Pointer[recovery.Manager]
}

func (l *late) wake(reason string) {
	if s := l.scheduler.Load(); s != nil {
		s.Wake(reason)
	}
}

func (l *late) trigger(ctx context.Context, procedure, target, raisedBy string, observed map[string]any) {
	if r := l.recovery.Load(); r != nil {
		r.Trigger(ctx, procedure, target, raisedBy, observed)
	}
}

func (l *late) protection() bool {
	r := l.recovery.Load()
	return r != nil && r.Protection()
}

func wire(ctx context.Context, cfg *serveConfig, obs *observability, adminToken string) (*server, error) {
	clock, m := obs.clock, obs.metrics
	if cfg.faults.clock != nil {
		clock = cfg.faults.clock
	}
	s := &server{cfg: cfg, obs: obs, clock: clock, started: clock.Now()}
	s.services = &supervisor{clock: clock, log: obs.component(monitor.ComponentMain),
		restarts: func(name string) { m.ServiceRestarts.WithLabelValues(name).Inc() },
		failedFn: func(name string) {
			obs.notifier.Notify(monitor.Alert{Kind: monitor.AlertKindHealth, Severity: monitor.AlertSeverityCritical,
				Subject: "service:" + name, To: "failed", Message: "service " + name + " failed more than 5 times in 5 minutes"})
		}}
	lt := &late{}
	store, err := events.Open(ctx, filepath.Join(cfg.DataDir, storeFile), events.Options{
		Synchronous: cfg.StoreSynchronous, QueueSize: cfg.StoreQueueSize, Clock: clock,
		Log: obs.component(monitor.ComponentStore), Wake: lt.wake, Recover: lt.trigger,
		OnAppend: func(d time.Duration) { m.StoreAppendDurationSeconds.Observe(d.Seconds()) },
		OnCommit: func(d time.Duration, n int) {
			m.StoreCommitDurationSeconds.Observe(d.Seconds())
			m.StoreBatchEvents.Observe(float64(n))
		},
		OnRead:        func(op string, d time.Duration) { m.StoreReadDurationSeconds.WithLabelValues(op).Observe(d.Seconds()) },
		WrapConnector: cfg.faults.wrapConnector,
	})
	if err != nil {
		return nil, err
	}
	s.store = store
	s.registry = room.NewRegistry(room.Options{Log: events.RoomLog{Store: store},
		Publisher: publisherFunc{func() room.Publisher { return s.hub }}, Clock: clock, Config: cfg.Game,
		Wake: lt.wake, Recover: lt.trigger, System: store, Logger: obs.component(monitor.ComponentRoom),
		Faults: cfg.faults.rooms,
		OnReplay: func(reason string, d time.Duration) {
			m.ReplayDurationSeconds.WithLabelValues(reason).Observe(d.Seconds())
		}})
	s.hub = ws.NewHub(ws.Config{MaxFrameBytes: cfg.WSMaxFrameBytes, HelloTimeout: cfg.WSHelloTimeout,
		PingInterval: cfg.WSPingInterval, PongTimeout: cfg.WSPongTimeout, WriteTimeout: cfg.WSWriteTimeout,
		Rate: cfg.WSRate, Burst: cfg.WSBurst, QueueSize: cfg.WSQueueSize, ResyncMaxEvents: cfg.WSResyncMaxEvents,
		LobbyInterval: cfg.WSLobbyInterval, DeliveryDeadline: cfg.MonitorDeliveryDue,
		Events:          obs.logging.For(monitor.ComponentHub),
		ConnectionsWarn: int64(cfg.Thresholds["websocket:connections"].Warn),
		ConnectionsCrit: int64(cfg.Thresholds["websocket:connections"].Crit),
		PendingWarn:     int64(cfg.Thresholds["websocket:pending"].Warn),
		Wake:            lt.wake, Recover: lt.trigger, Protection: lt.protection,
		OnSendLatency: func(d time.Duration) { m.WsSendLatencySeconds.Observe(d.Seconds()) },
		OnCommand: func(cmd string, d time.Duration) {
			m.WsCommandDurationSeconds.WithLabelValues(cmd).Observe(d.Seconds())
		},
	}, s.registry, identities{store}, history{store}, clock, obs.component(monitor.ComponentHub))

	s.canary = monitor.NewCanaryRunner(monitor.CanaryConfig{Period: cfg.CanaryPeriod}, s.registry, clock,
		obs.component(monitor.ComponentCanary), monitor.CanaryHooks{
			Finished: func(r monitor.CanaryResult) {
				m.CanaryRuns.WithLabelValues(r.Outcome).Inc()
				m.CanaryDurationSeconds.Observe(r.Duration.Seconds())
				if r.Passed() {
					m.CanaryLastSuccessTimestampSeconds.Set(float64(r.At.Add(r.Duration).Unix()))
				}
			},
			Wake: lt.wake,
			System: func(ctx context.Context, r monitor.CanaryResult) {
				store.AppendSystem(ctx, "canary_failed", map[string]any{"run": r.Run, "reason": r.Err,
					"duration_ms": r.Duration.Milliseconds()})
			},
			Allowed: func() bool { return !lt.protection() },
			Passed: func(ctx context.Context, r monitor.CanaryResult) {
				if err := store.DeleteCanary(ctx, fmt.Sprintf("_canary:%d", r.Run)); err != nil {
					obs.component(monitor.ComponentCanary).WarnContext(ctx, "canary stream not deleted",
						"category", "system", "run", r.Run, "error", err)
				}
			},
		})
	if err := s.wireMonitor(lt); err != nil {
		store.Close(context.Background())
		return nil, err
	}
	s.recovery = recovery.New(cfg.Recovery, recovery.Deps{Hub: recoveryHub{s.hub}, Rooms: recoveryRooms{s.registry},
		Store: store, Checks: recoveryChecks{s.monitor}, Events: store, Alerts: recoveryAlerts{obs.notifier},
		Logger: obs.component(monitor.ComponentRecovery), Wake: lt.wake, Metrics: recoveryMetrics{m}}, clock)
	lt.recovery.Store(s.recovery)
	s.monitor.OnSample((&sampleObserver{metrics: m, recovery: s.recovery, hub: s.hub, rooms: s.registry,
		clock: clock, storeFile: store.Path()}).observe)
	s.retention = &events.Retention{Store: store, Clock: clock, Interval: cfg.StoreCleanupEvery,
		FirstDelay: 5 * time.Minute, Days: cfg.StoreRetentionDays, HasActor: s.registry.HasActor,
		Log: obs.component(monitor.ComponentStore)}
	s.exportOwnedMetrics()

	s.http = api.New(ctx, api.Config{AdminToken: adminToken, AllowedOrigins: splitList(cfg.AllowedOrigins),
		Rate: cfg.HTTPRate, Burst: cfg.HTTPBurst, TrustedProxies: splitList(cfg.TrustedProxies), Recover: lt.trigger,
		Audit: obs.logging.For(monitor.ComponentHTTP),
		OnRequest: func(method, route string, status int, d time.Duration) {
			m.HttpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			m.HttpRequestDurationSeconds.WithLabelValues(method, route).Observe(d.Seconds())
		}}, s.hub, s.registry, store, identities{store}, clock, obs.component(monitor.ComponentHTTP))
	s.http.SetOps(api.Ops{
		Health: healthOps{mon: s.monitor, store: store, canary: s.canary, start: s.started,
			failed: s.services.Failed},
		Metrics:  m.Handler(),
		Recovery: recoveryOps{s.recovery},
		Store: storeOps{store: store, mon: s.monitor, retention: s.retention, days: cfg.StoreRetentionDays,
			hasActor: s.registry.HasActor, seated: s.registry.Seated, clock: clock, cleaning: new(atomic.Bool)},
		Logs: logOps{obs.logging.Ring()},
	})
	if err := s.http.ServeStatic(web.Files); err != nil {
		store.Close(context.Background())
		return nil, err
	}
	var routes []struct{ Method, Route string }
	for _, r := range s.http.Echo().Routes() {
		routes = append(routes, struct{ Method, Route string }{r.Method, r.Path})
	}
	m.PrecreateHTTP(routes)
	return s, nil
}

// wireMonitor builds the health monitor, its scheduler and the status-change
// actions.
func (s *server) wireMonitor(lt *late) error {
	cfg, m := s.cfg, s.obs.metrics
	mcfg := monitor.DefaultConfig()
	mcfg.Schedule = monitor.SchedulerConfig{Default: cfg.MonitorInterval, Min: cfg.MonitorIntervalMin,
		Max: cfg.MonitorIntervalMax, MinGap: cfg.MonitorMinGap}
	mcfg.RecoverSamples, mcfg.HistorySize = cfg.MonitorRecoverSamples, cfg.MonitorHistorySize
	mcfg.TrendWindow, mcfg.TrendHorizon = cfg.MonitorTrendWindow, cfg.MonitorTrendHorizon
	mcfg.MinFrames = int64(cfg.MonitorWSMinFrames)
	for id, th := range cfg.Thresholds {
		mcfg.Thresholds[id] = *th
	}
	system := cfg.faults.system
	if system == nil {
		system = monitor.NewSystemSource(cfg.DataDir)
	}
	mon, err := monitor.New(mcfg, monitor.Sources{Hub: s.hub, Rooms: s.registry, Store: s.store, Canary: s.canary,
		System: system}, s.clock, s.obs.component(monitor.ComponentMonitor))
	if err != nil {
		return err
	}
	sched := monitor.NewScheduler(mcfg.Schedule, s.clock, func(ctx context.Context, trigger string) monitor.SampleOutcome {
		return monitor.OutcomeOf(mon.Sample(ctx, trigger))
	})
	sched.OnWake(func(reason string) { m.MonitorWakeups.WithLabelValues(reason).Inc() })
	mon.SetSchedule(func() (time.Duration, int) { return sched.Interval(), sched.Streak() })
	mon.OnChange(statusActions{log: s.obs.logging.For(monitor.ComponentMonitor), metrics: m, system: s.store,
		notifier: s.obs.notifier}.changed)
	s.monitor, s.scheduler = mon, sched
	lt.scheduler.Store(sched)
	return nil
}
