package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Alert kinds, severities and delivery outcomes of the webhook notifier
// (observability §4); the outcomes are the values of liaptui_alerts_total{outcome}.
const (
	AlertKindHealth     = "health"
	AlertKindRecovery   = "recovery"
	AlertKindProtection = "protection"
	AlertKindLog        = "log"

	AlertSeverityInfo     = "info"
	AlertSeverityWarning  = "warning"
	AlertSeverityCritical = "critical"

	AlertOutcomeDelivered    = "delivered"
	AlertOutcomeFailed       = "failed"
	AlertOutcomeDropped      = "dropped"
	AlertOutcomeDeduplicated = "deduplicated"
)

const (
	defaultAlertDedupWindow  = 10 * time.Minute
	defaultAlertQueueSize    = 100
	defaultAlertMaxPerMinute = 20
	webhookTimeout           = 5 * time.Second
	webhookMaxRedirects      = 3
)

// AlertConfig configures the notifier (keys alert.* of observability §0).
// Zero DedupWindow, QueueSize and MaxPerMinute take the defaults.
type AlertConfig struct {
	URL          string // alert.webhook; empty disables the notifier
	Service      string // "liaptui" when empty
	Instance     string
	Version      string        // sent as User-Agent liaptui/<version>
	DedupWindow  time.Duration // 10 min
	QueueSize    int           // 100
	MaxPerMinute int           // 20
	Client       *http.Client  // nil: 5 s timeout, at most 3 redirects
	Jitter       func() float64
}

// Alert is one notification. Text is built from the other fields when empty.
type Alert struct {
	Kind          string // AlertKind*
	Severity      string // AlertSeverity*
	Subject       string // check id or procedure
	From, To      string
	Observed      string
	Message       string
	CorrelationID string
	Text          string
	// Resolution marks a return to healthy: it has its own dedup key and is
	// always sent when a problem of the same kind and subject was sent since.
	Resolution bool
}

// AlertHooks reports each alert's outcome (AlertOutcome*), e.g. to
// liaptui_alerts_total. Outcome may be called from any goroutine.
type AlertHooks struct {
	Outcome func(outcome string)
}

// Notifier posts alerts to the configured webhook from a single sender
// goroutine (Run), in order, deduplicated, rate-limited and bounded.
type Notifier struct {
	cfg    AlertConfig
	target *url.URL // nil when disabled
	clock  Clock
	log    *slog.Logger
	hooks  AlertHooks
	client *http.Client
	jitter func() float64

	mu      sync.Mutex
	queue   []queuedAlert
	dropped int // drops not yet logged by the sender
	wake    chan struct{}

	// sending is held by whoever sends (Run or Flush); it owns the fields below.
	sending   chan struct{}
	sentKeys  map[string]*sentKey
	sendSeq   uint64
	sendTimes []time.Time
}

type queuedAlert struct {
	Alert
	at  time.Time
	key string
}

// errTooManyRedirects ends a delivery: following more redirects would not help.
var errTooManyRedirects = errors.New("stopped after 3 redirects")

// NewNotifier builds a notifier; log may be nil. An unset or unusable URL
// gives a disabled notifier whose Notify does nothing.
func NewNotifier(cfg AlertConfig, clock Clock, log *slog.Logger, hooks AlertHooks) *Notifier {
	if cfg.Service == "" {
		cfg.Service = "liaptui"
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.DedupWindow <= 0 {
		cfg.DedupWindow = defaultAlertDedupWindow
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = defaultAlertQueueSize
	}
	if cfg.MaxPerMinute <= 0 {
		cfg.MaxPerMinute = defaultAlertMaxPerMinute
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		cfg:      cfg,
		clock:    clock,
		hooks:    hooks,
		client:   cfg.Client,
		jitter:   cfg.Jitter,
		wake:     make(chan struct{}, 1),
		sending:  make(chan struct{}, 1),
		sentKeys: make(map[string]*sentKey),
	}
	if n.client == nil {
		n.client = &http.Client{Timeout: webhookTimeout, CheckRedirect: limitRedirects}
	}
	if n.jitter == nil {
		n.jitter = func() float64 { return 0.8 + 0.4*rand.Float64() }
	}
	// The loop guard: the alert log sink skips alert_suppress lines, so the
	// notifier never alerts about itself. Only the host of the secret URL is logged.
	log = log.With(slog.String(logKeyCategory, CategorySystem), slog.String(logKeyComponent, ComponentAlert), SuppressAlert())
	if cfg.URL != "" {
		// The parse error text would quote the URL, so it is not logged.
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			log.Error("alert webhook URL unusable, alerts disabled")
		} else {
			n.target = u
			log = log.With(slog.String("webhook_host", u.Host))
		}
	}
	n.log = log
	return n
}

func limitRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) > webhookMaxRedirects {
		return errTooManyRedirects
	}
	return nil
}

// Notify enqueues a without blocking; the clock's time becomes its "at".
// It never logs, because the alert log sink calls it from inside a log call.
func (n *Notifier) Notify(a Alert) {
	if n.target == nil {
		return
	}
	q := queuedAlert{Alert: a, at: n.clock.Now(), key: dedupKey(a)}
	n.mu.Lock()
	n.queue = append(n.queue, q)
	dropped := n.trimLocked()
	n.mu.Unlock()
	for range dropped {
		n.outcome(AlertOutcomeDropped)
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// QueueDepth is the number of alerts waiting (liaptui_alert_queue_depth).
func (n *Notifier) QueueDepth() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.queue)
}

// trimLocked enforces the queue bound, dropping the oldest non-critical
// entry, else the oldest, and returns how many it dropped.
func (n *Notifier) trimLocked() int {
	dropped := 0
	for len(n.queue) > n.cfg.QueueSize {
		i := slices.IndexFunc(n.queue, func(q queuedAlert) bool { return q.Severity != AlertSeverityCritical })
		if i < 0 {
			i = 0
		}
		n.queue = slices.Delete(n.queue, i, i+1)
		dropped++
	}
	n.dropped += dropped
	return dropped
}

func (n *Notifier) pop() (queuedAlert, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return queuedAlert{}, false
	}
	q := n.queue[0]
	n.queue = slices.Delete(n.queue, 0, 1)
	return q, true
}

// requeue puts an interrupted alert back at the head so that delivery stays
// in order when Flush or a restarted Run takes over.
func (n *Notifier) requeue(q queuedAlert) {
	n.mu.Lock()
	n.queue = slices.Insert(n.queue, 0, q)
	dropped := n.trimLocked()
	n.mu.Unlock()
	for range dropped {
		n.outcome(AlertOutcomeDropped)
	}
}

func (n *Notifier) takeDropped() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	d := n.dropped
	n.dropped = 0
	return d
}

func (n *Notifier) outcome(o string) {
	if n.hooks.Outcome != nil {
		n.hooks.Outcome(o)
	}
}

// dedupKey hashes kind, subject and target state; a resolution gets its own key.
func dedupKey(a Alert) string {
	h := sha256.New()
	for _, part := range []string{a.Kind, a.Subject, a.To} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	if a.Resolution {
		h.Write([]byte("resolution"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// alertText is the Slack-style one-liner, e.g.
// "[liaptui eu-1] CRITICAL system:memory 92.1 % (≥ 90) — memory_pressure started".
func alertText(service, instance string, a Alert) string {
	var b strings.Builder
	b.WriteString("[" + strings.TrimSpace(service+" "+instance) + "] ")
	b.WriteString(strings.ToUpper(a.Severity))
	if a.Subject != "" {
		b.WriteString(" " + a.Subject)
	}
	switch {
	case a.Observed != "":
		b.WriteString(" " + a.Observed)
	case a.From != "" || a.To != "":
		b.WriteString(" " + a.From + " → " + a.To)
	}
	if a.Message != "" {
		b.WriteString(" — " + a.Message)
	}
	return b.String()
}

// sleep waits d on the injected clock; it fails only when ctx ends first.
func (n *Notifier) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := n.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
