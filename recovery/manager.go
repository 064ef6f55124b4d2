package recovery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"liaptui/monitor"
)

// inboxSize bounds the triggers waiting for admission (§5.2).
const inboxSize = 64

// Sources of an attempt (§5.4).
const (
	sourceAuto   = "auto"
	sourceManual = "manual"
)

// Manager is the recovery manager. Trigger, TriggerManual, Status, Attempt,
// Protection and the other methods are safe for concurrent use.
type Manager struct {
	cfg   Config
	deps  Deps
	clock monitor.Clock
	log   *slog.Logger

	inbox chan request
	wg    sync.WaitGroup // running attempts of the current Run

	mu      sync.Mutex
	active  atomic.Bool   // Run is running; written under mu, read freely
	stopped chan struct{} // closed when the current Run has returned
	scopes  map[string]*scope
	lastRun map[string]procRun // per procedure
	running map[int64]*attempt
	history *ring
	nextID  int64

	counters   counters
	protection protection
}

var _ monitor.Recoverer = (*Manager)(nil)

// procRun is the newest attempt of a procedure, for /recovery/status.
type procRun struct {
	start time.Time
	key   string
}

// request is one trigger waiting in the inbox.
type request struct {
	proc     procedure
	target   string
	source   string
	raisedBy string
	context  map[string]any
	causeID  string         // correlation id of the code that raised it
	reply    chan admission // manual triggers only; buffered
}

// admission answers a manual request: the attempt started, or why not.
type admission struct {
	attempt *attempt
	refused *rejection
}

// New makes a manager; cfg starts from DefaultConfig. A non-positive history
// size takes the default.
func New(cfg Config, deps Deps, clock monitor.Clock) *Manager {
	if cfg.HistorySize < 1 {
		cfg.HistorySize = DefaultHistorySize
	}
	if deps.FreeOSMemory == nil {
		deps.FreeOSMemory = debug.FreeOSMemory
	}
	stopped := make(chan struct{})
	close(stopped)
	return &Manager{
		cfg:     cfg,
		deps:    deps,
		clock:   clock,
		log:     deps.Logger.With("category", "system", "component", "recovery"),
		inbox:   make(chan request, inboxSize),
		stopped: stopped,
		scopes:  make(map[string]*scope),
		lastRun: make(map[string]procRun),
		running: make(map[int64]*attempt),
		history: newRing(cfg.HistorySize),
		counters: counters{
			rejections: make(map[RejectionKey]int64),
			attempts:   make(map[AttemptKey]AttemptCount),
		},
	}
}

// Run admits triggers until ctx ends, then waits for the running attempts
// (cancelled with ctx) and returns. Triggers raised before Run wait in the
// inbox.
func (m *Manager) Run(ctx context.Context) error {
	stopped := make(chan struct{})
	m.mu.Lock()
	if m.active.Load() {
		m.mu.Unlock()
		return ErrAlreadyRunning
	}
	m.active.Store(true)
	m.stopped = stopped
	m.mu.Unlock()
	defer func() {
		m.wg.Wait()
		m.mu.Lock()
		m.active.Store(false)
		m.mu.Unlock()
		m.drainInbox()
		close(stopped)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case req := <-m.inbox:
			m.admit(ctx, req)
		}
	}
}

// drainInbox refuses what is left in the inbox after Run stopped.
func (m *Manager) drainInbox() {
	for {
		select {
		case req := <-m.inbox:
			if req.reply != nil {
				req.reply <- admission{refused: &rejection{reason: reasonNotRunning, retry: queueFullRetry}}
			}
		default:
			return
		}
	}
}

// Trigger raises an automatic trigger (monitor.Recoverer); it never blocks.
func (m *Manager) Trigger(ctx context.Context, procedure, target, raisedBy string, observed map[string]any) {
	p, ok := lookupProcedure(procedure)
	if !ok {
		m.log.LogAttrs(ctx, slog.LevelError, "unknown recovery procedure",
			slog.String("procedure", procedure), slog.String("raised_by", raisedBy))
		return
	}
	if p.Name == RoomStateCorruption && target == "" {
		m.log.LogAttrs(ctx, slog.LevelError, "recovery trigger without a room",
			slog.String("procedure", procedure), slog.String("raised_by", raisedBy))
		return
	}
	req := request{proc: p, target: target, source: sourceAuto, raisedBy: raisedBy,
		context: observed, causeID: monitor.CorrelationID(ctx)}
	select {
	case m.inbox <- req:
	default:
		m.rejected(ctx, req, rejection{reason: ReasonQueueFull, retry: queueFullRetry})
	}
}

// admit runs the gates for req on the Run goroutine and starts the attempt.
func (m *Manager) admit(ctx context.Context, req request) {
	a, refused := m.gate(ctx, req, true)
	if req.reply != nil {
		req.reply <- admission{attempt: a, refused: refused}
	}
	if a == nil {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.execute(ctx, a)
	}()
}

// gate runs gates 1-4 for req; with start it also admits: the attempt is
// recorded as started and running. Refusals are counted and logged here.
func (m *Manager) gate(ctx context.Context, req request, start bool) (*attempt, *rejection) {
	now := m.clock.Now()
	key := scopeKey(req.proc, req.target)
	m.mu.Lock()
	refused := m.gateLocked(now, req.proc, key)
	exhausted := false
	if refused != nil && refused.reason == ReasonHourlyLimit {
		s := m.scopes[key]
		if s.exhaustedAlertAt.IsZero() || now.Sub(s.exhaustedAlertAt) >= hourWindow {
			s.exhaustedAlertAt = now
			exhausted = true
		}
	}
	var a *attempt
	if refused == nil && start {
		a = m.startLocked(now, req, key)
	}
	m.mu.Unlock()
	if exhausted {
		m.exhausted(ctx, req)
	}
	if refused != nil {
		m.rejected(ctx, req, *refused)
	}
	return a, refused
}

func (m *Manager) startLocked(now time.Time, req request, key string) *attempt {
	m.nextID++
	a := &attempt{
		id: m.nextID, proc: req.proc, key: key, target: req.target, source: req.source,
		raisedBy: req.raisedBy, context: req.context, start: now,
		correlationID: monitor.NewCorrelationID(), done: make(chan struct{}),
	}
	s := m.scopes[key]
	s.starts = append(s.starts, now)
	s.running = a.id
	m.lastRun[req.proc.Name] = procRun{start: now, key: key}
	m.running[a.id] = a
	return a
}

// rejected counts and logs a refused trigger: DEBUG when automatic, INFO
// when manual (§5.2). Rejections are neither attempts nor history.
func (m *Manager) rejected(ctx context.Context, req request, r rejection) {
	m.counters.rejected(req.proc.Name, r.reason)
	if m.deps.Metrics != nil {
		m.deps.Metrics.Rejected(req.proc.Name, r.reason)
	}
	level := slog.LevelDebug
	if req.source == sourceManual {
		level = slog.LevelInfo
	}
	m.log.LogAttrs(ctx, level, "recovery trigger rejected",
		slog.String("procedure", req.proc.Name), slog.String("target", req.target),
		slog.String("reason", r.reason), slog.String("source", req.source),
		slog.String("raised_by", req.raisedBy), slog.Int64("retry_after_ms", r.retry.Milliseconds()))
}

// exhausted reports the first hourly-limit refusal of a scope in an hour:
// an ERROR line and a webhook alert. The line carries alert_suppress so the
// log alert route does not send it a second time.
func (m *Manager) exhausted(ctx context.Context, req request) {
	maxAttempts := m.cfg.procedureConfig(req.proc).MaxAttempts
	m.log.LogAttrs(ctx, slog.LevelError, "recovery exhausted",
		slog.String("procedure", req.proc.Name), slog.String("target", req.target),
		slog.Int("max_attempts", maxAttempts), slog.Bool("alert_suppress", true))
	m.deps.Alerts.Notify("recovery", "critical", req.proc.Name, "", "exhausted",
		fmt.Sprintf("%d attempts in the last hour", maxAttempts),
		fmt.Sprintf("recovery exhausted: %s reached %d attempts in the last hour%s",
			req.proc.Name, maxAttempts, targetSuffix(req.target)),
		req.causeID)
}

func targetSuffix(target string) string {
	if target == "" {
		return ""
	}
	return " (" + target + ")"
}
