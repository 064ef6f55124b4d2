package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var logTestStart = time.Date(2025, 11, 27, 12, 0, 0, 0, time.UTC)

// logCapture is a concurrency-safe sink writer for tests.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// lines are the captured lines without their newlines.
func (c *logCapture) lines() []string {
	return splitLogLines(c.String())
}

func splitLogLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

type panickingWriter struct{}

func (panickingWriter) Write([]byte) (int, error) { panic("writer exploded") }

// logRecorder collects hook calls.
type logRecorder struct {
	mu         sync.Mutex
	levels     []slog.Level
	sinkErrors []string
	alerts     []slog.Record
	slow       []string
}

func (r *logRecorder) hooks() LogHooks {
	return LogHooks{
		Record:    func(l slog.Level) { r.mu.Lock(); r.levels = append(r.levels, l); r.mu.Unlock() },
		SinkError: func(s string) { r.mu.Lock(); r.sinkErrors = append(r.sinkErrors, s); r.mu.Unlock() },
		Alert: func(_ context.Context, rec slog.Record) {
			r.mu.Lock()
			r.alerts = append(r.alerts, rec)
			r.mu.Unlock()
		},
		Slow: func(op string) { r.mu.Lock(); r.slow = append(r.slow, op); r.mu.Unlock() },
	}
}

func (r *logRecorder) alertMessages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var msgs []string
	for _, a := range r.alerts {
		msgs = append(msgs, a.Message)
	}
	return msgs
}

type logFixture struct {
	logging *Logging
	stdout  *logCapture
	stderr  *logCapture
	clock   *FakeClock
	rec     *logRecorder
}

// newLogFixture builds a chain writing to captures; cfg's Stdout and Stderr
// are filled in when nil.
func newLogFixture(t testing.TB, cfg LogConfig) *logFixture {
	t.Helper()
	f := &logFixture{stdout: &logCapture{}, stderr: &logCapture{}, clock: NewFakeClock(logTestStart), rec: &logRecorder{}}
	if cfg.Stdout == nil {
		cfg.Stdout = f.stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = f.stderr
	}
	l, err := NewLogging(cfg, f.clock, f.rec.hooks())
	if err != nil {
		t.Fatalf("NewLogging: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	f.logging = l
	return f
}

// decodeLine parses one JSON line.
func decodeLine(t testing.TB, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("line is not one JSON object: %v\n%s", err, line)
	}
	return m
}

// ringLines are all ring entries, newest first.
func ringLines(l *Logging) []string {
	entries, _ := l.Ring().Query(LogQuery{MinLevel: slog.LevelDebug, Limit: 1 << 20})
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = string(e)
	}
	return out
}
