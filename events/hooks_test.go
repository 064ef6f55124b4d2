package events

import (
	"context"
	"log/slog"
	"sync"
	"testing"
)

// Recorders for the store's hooks, shared by the health, reopen and system
// tests.

type trigger struct {
	procedure, target, raisedBy string
	observed                    map[string]any
}

// hookRecorder records Wake and Recover calls.
type hookRecorder struct {
	mu       sync.Mutex
	wakes    []string
	triggers []trigger
}

func (r *hookRecorder) wake(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wakes = append(r.wakes, reason)
}

func (r *hookRecorder) recover(_ context.Context, procedure, target, raisedBy string, observed map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.triggers = append(r.triggers, trigger{procedure, target, raisedBy, observed})
}

func (r *hookRecorder) wakeCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.wakes {
		if w != "store" {
			panic("wake reason " + w)
		}
	}
	return len(r.wakes)
}

func (r *hookRecorder) recorded() []trigger {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trigger(nil), r.triggers...)
}

// logCapture is a slog handler keeping records; each also goes to records.
type logCapture struct {
	records chan slog.Record
}

func newLogCapture() *logCapture { return &logCapture{records: make(chan slog.Record, 256)} }

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.records <- r.Clone()
	return nil
}

func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCapture) WithGroup(string) slog.Handler      { return c }

// next waits for the next record and returns its attributes by key.
func (c *logCapture) next(t testing.TB) (slog.Record, map[string]string) {
	t.Helper()
	r := receive(t, c.records, "log record")
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	return r, attrs
}

// none checks that no record is waiting.
func (c *logCapture) none(t testing.TB) {
	t.Helper()
	select {
	case r := <-c.records:
		t.Fatalf("unexpected log record %q", r.Message)
	default:
	}
}
