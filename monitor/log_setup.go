package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	slogmulti "github.com/samber/slog-multi"
)

// Sink names, the values of liaptui_log_sink_errors_total{sink}.
const (
	SinkStdout = "stdout"
	SinkFile   = "file"
	SinkRing   = "ring"
	SinkAlert  = "alert"
)

// logTimeLayout is RFC 3339 with all nine fraction digits, so that lines
// sort as text (protocol §11.11 shows this form).
const logTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Logging is the process's handler chain of observability §7.2:
// enrich → redact → count → fanout to stdout, file, ring and alert.
type Logging struct {
	cfg         LogConfig
	clock       Clock
	hooks       LogHooks
	logger      *slog.Logger
	ring        *LogRing
	file        *logFile // nil without log.file
	stderr      *slog.Logger
	sinkNotices *logLimiter // one stderr notice per sink per minute
	limiter     *logLimiter // hot-path WARN lines
	admin       *adminFailures
}

// NewLogging builds the chain. The clock times rate limits, slow operations
// and ring queries; record times are slog's. Close releases the file.
func NewLogging(cfg LogConfig, clock Clock, hooks LogHooks) (*Logging, error) {
	cfg = cfg.withDefaults()
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	l := &Logging{
		cfg:         cfg,
		clock:       clock,
		hooks:       hooks.withDefaults(),
		ring:        newLogRing(cfg.RingSize, cfg.RingBytes),
		sinkNotices: newLogLimiter(clock, sinkNoticeWindow),
		limiter:     newLogLimiter(clock, logLimitWindow),
		admin:       newAdminFailures(clock),
	}
	l.stderr = slog.New(slog.NewJSONHandler(cfg.Stderr, jsonLineOptions(slog.LevelDebug))).With(
		slog.String(logKeyCategory, CategoryError), slog.String(logKeyComponent, ComponentMain))

	sinks := []slog.Handler{l.guard(SinkStdout, slog.NewJSONHandler(cfg.Stdout, jsonLineOptions(cfg.Level)))}
	if cfg.File != "" {
		f, err := openLogFile(cfg.File, cfg.FileMaxBytes, cfg.FileBackups)
		if err != nil {
			return nil, fmt.Errorf("log file sink: %w", err)
		}
		l.file = f
		sinks = append(sinks, l.guard(SinkFile, slog.NewJSONHandler(f, jsonLineOptions(cfg.Level))))
	}
	sinks = append(sinks,
		l.guard(SinkRing, newRingSink(l.ring, cfg.RingLevel, clock)),
		l.guard(SinkAlert, slogmulti.Router().Add(&alertHandler{alert: l.hooks.Alert, frames: logFrames{{}}}, alertworthy).Handler()),
	)
	count := slogmulti.NewHandleInlineMiddleware(func(ctx context.Context, r slog.Record, next func(context.Context, slog.Record) error) error {
		l.hooks.Record(r.Level)
		return next(ctx, r)
	})
	l.logger = slog.New(slogmulti.Pipe(enrichMiddleware, redactMiddleware(), count).Handler(slogmulti.Fanout(sinks...)))
	return l, nil
}

// Logger is the chain's logger, for code that needs a *slog.Logger; lines
// without category or component get system and main.
func (l *Logging) Logger() *slog.Logger { return l.logger }

// Ring is the in-memory ring GET /logs reads.
func (l *Logging) Ring() *LogRing { return l.ring }

// SlowThreshold is log.slow.<op>: 100 ms unless configured, webhook 2 s.
func (l *Logging) SlowThreshold(op string) time.Duration { return l.cfg.slowThreshold(op) }

// Close syncs and closes the log file; later file writes count as sink errors.
func (l *Logging) Close() error {
	if l.file == nil {
		return nil
	}
	if err := l.file.Close(); err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	return nil
}

// guard wraps a sink so that its errors and panics are counted and noted on
// stderr instead of reaching the caller or the other sinks.
func (l *Logging) guard(sink string, h slog.Handler) slog.Handler {
	return slogmulti.RecoverHandlerError(func(_ context.Context, _ slog.Record, err error) {
		l.sinkFailed(sink, err)
	})(h)
}

func (l *Logging) sinkFailed(sink string, err error) {
	l.hooks.SinkError(sink)
	ok, suppressed := l.sinkNotices.allow(sink)
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("sink", sink), slog.String("error", err.Error())}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int(logKeySuppressed, suppressed))
	}
	l.stderr.LogAttrs(context.Background(), slog.LevelError, "log sink failed", attrs...)
}

func jsonLineOptions(level slog.Leveler) *slog.HandlerOptions {
	return &slog.HandlerOptions{Level: level, ReplaceAttr: lineBuiltins}
}

// lineBuiltins writes the record time in UTC and, because with a
// ReplaceAttr the level arrives as a slog.Level that would otherwise go
// through json.Marshal, the level as its plain name.
func lineBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		if a.Value.Kind() == slog.KindTime {
			return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(logTimeLayout))
		}
	case slog.LevelKey:
		if level, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(slog.LevelKey, level.String())
		}
	}
	return a
}

// alertworthy is the alert route of §7.2: ERROR records, and security
// records of WARN and above with severity=high, unless alert_suppress=true.
func alertworthy(_ context.Context, r slog.Record) bool {
	var category, severity string
	suppress := false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case logKeyCategory:
			category = a.Value.String()
		case logKeySeverity:
			severity = a.Value.String()
		case logKeyAlertSuppress:
			v := a.Value.Resolve()
			suppress = v.Kind() == slog.KindBool && v.Bool()
		}
		return true
	})
	if suppress {
		return false
	}
	return r.Level >= slog.LevelError ||
		(r.Level >= slog.LevelWarn && category == CategorySecurity && severity == SeverityHigh)
}

// alertHandler hands each routed record to the notifier hook, which
// enqueues without blocking.
type alertHandler struct {
	alert  func(ctx context.Context, r slog.Record)
	frames logFrames
}

func (h *alertHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (h *alertHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.frames.bare() {
		flat := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
		flat.AddAttrs(h.frames.flatten(r)...)
		r = flat
	}
	h.alert(ctx, r)
	return nil
}

func (h *alertHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &alertHandler{alert: h.alert, frames: h.frames.withAttrs(attrs)}
}

func (h *alertHandler) WithGroup(name string) slog.Handler {
	return &alertHandler{alert: h.alert, frames: h.frames.withGroup(name)}
}
