package monitor

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLogFailingSinkDoesNotStopTheOthers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stdout interface{ Write([]byte) (int, error) }
	}{
		{"error", failingWriter{}},
		{"panic", panickingWriter{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "liaptui.log")
			f := newLogFixture(t, LogConfig{File: file, Stdout: tc.stdout})
			lg := f.logging.For(ComponentMain)
			for range 3 {
				lg.Lifecycle(context.Background(), "ready")
			}
			if got := len(ringLines(f.logging)); got != 3 {
				t.Fatalf("ring holds %d lines, want 3", got)
			}
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(splitLogLines(string(text))); got != 3 {
				t.Fatalf("file holds %d lines, want 3", got)
			}
			if !slices.Equal(f.rec.sinkErrors, []string{SinkStdout, SinkStdout, SinkStdout}) {
				t.Fatalf("sink errors %v", f.rec.sinkErrors)
			}
			notices := f.stderr.lines()
			if len(notices) != 1 {
				t.Fatalf("stderr got %d notices within a minute, want 1: %q", len(notices), notices)
			}
			if n := decodeLine(t, notices[0]); n["sink"] != SinkStdout || n["msg"] != "log sink failed" {
				t.Fatalf("notice %v", n)
			}

			f.clock.Advance(time.Minute)
			lg.Lifecycle(context.Background(), "ready")
			notices = f.stderr.lines()
			if len(notices) != 2 {
				t.Fatalf("stderr got %d notices after a minute, want 2", len(notices))
			}
			if n := decodeLine(t, notices[1]); n["suppressed"] != float64(2) {
				t.Fatalf("second notice %v, want suppressed 2", n)
			}
		})
	}
}

func TestLogFileWritesAfterCloseCountAsSinkErrors(t *testing.T) {
	f := newLogFixture(t, LogConfig{File: filepath.Join(t.TempDir(), "liaptui.log")})
	if err := f.logging.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.logging.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	f.logging.For(ComponentMain).Lifecycle(context.Background(), "stopped")
	if !slices.Equal(f.rec.sinkErrors, []string{SinkFile}) || len(f.stdout.lines()) != 1 {
		t.Fatalf("sink errors %v, stdout %q", f.rec.sinkErrors, f.stdout.lines())
	}
}

func TestLogAlertRouting(t *testing.T) {
	ctx := WithCorrelationID(context.Background(), "00000000000000cc")
	tests := []struct {
		name    string
		log     func(lg *Log, l *Logging)
		alerted bool
	}{
		{"error", func(lg *Log, _ *Logging) { lg.Error(ctx, "append failed", errors.New("disk full")) }, true},
		{"panic", func(lg *Log, _ *Logging) { lg.Panic(ctx, "boom", []byte("goroutine 1")) }, true},
		{"error with alert_suppress", func(lg *Log, _ *Logging) {
			lg.Error(ctx, "webhook failed", errors.New("timeout"), SuppressAlert())
		}, false},
		{"bound alert_suppress", func(_ *Log, l *Logging) {
			l.Logger().With(slog.Bool("alert_suppress", true)).ErrorContext(ctx, "notifier down")
		}, false},
		{"security WARN high", func(lg *Log, _ *Logging) {
			lg.Warn(ctx, CategorySecurity, "probe", slog.String("severity", SeverityHigh))
		}, true},
		{"security WARN medium", func(lg *Log, _ *Logging) { lg.OriginRejected(ctx, "https://evil.example") }, false},
		{"security INFO high", func(lg *Log, _ *Logging) {
			lg.Info(ctx, CategorySecurity, "probe", slog.String("severity", SeverityHigh))
		}, false},
		{"game WARN high", func(lg *Log, _ *Logging) {
			lg.Warn(ctx, CategoryGame, "odd", slog.String("severity", SeverityHigh))
		}, false},
		{"health to critical", func(lg *Log, _ *Logging) {
			lg.HealthChanged(ctx, HealthChangeLine{Check: "system:memory", From: "warning", To: "critical", Value: 92.1})
		}, false},
		{"recovery failure", func(lg *Log, _ *Logging) {
			lg.RecoveryAttempt(ctx, RecoveryAttemptLine{Procedure: "memory_pressure", Result: "failure"})
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLogFixture(t, LogConfig{})
			tc.log(f.logging.For(ComponentStore), f.logging)
			if len(f.stdout.lines()) != 1 {
				t.Fatalf("stdout got %q", f.stdout.lines())
			}
			if got := len(f.rec.alerts); got != map[bool]int{true: 1, false: 0}[tc.alerted] {
				t.Fatalf("alerted %d times, want alerted=%v", got, tc.alerted)
			}
		})
	}
}

func TestLogAlertRecordIsEnrichedAndRedacted(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	ctx := WithRoomID(WithCorrelationID(context.Background(), "00000000000000dd"), "K7MPQ3")
	f.logging.For(ComponentHTTP).Error(ctx, "request failed", errors.New("boom"), slog.String("authorization", "Bearer t0ps3cret"))
	if len(f.rec.alerts) != 1 {
		t.Fatalf("got %d alerts", len(f.rec.alerts))
	}
	got := map[string]string{}
	f.rec.alerts[0].Attrs(func(a slog.Attr) bool {
		got[a.Key] = a.Value.String()
		return true
	})
	want := map[string]string{
		"category": "error", "component": "http", "correlation_id": "00000000000000dd", "room_id": "K7MPQ3",
		"error": "boom", "authorization": Redacted,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("alert %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestLogHealthAndRecoveryLevels(t *testing.T) {
	tests := []struct {
		name string
		log  func(lg *Log)
		want string
	}{
		{"health improvement", func(lg *Log) {
			lg.HealthChanged(context.Background(), HealthChangeLine{From: "critical", To: "warning"})
		}, "INFO"},
		{"health to warning", func(lg *Log) {
			lg.HealthChanged(context.Background(), HealthChangeLine{From: "healthy", To: "warning"})
		}, "WARN"},
		{"health to unknown", func(lg *Log) {
			lg.HealthChanged(context.Background(), HealthChangeLine{From: "healthy", To: "unknown"})
		}, "ERROR"},
		{"health recovered", func(lg *Log) {
			lg.HealthChanged(context.Background(), HealthChangeLine{From: "warning", To: "healthy"})
		}, "INFO"},
		{"recovery medium success", func(lg *Log) {
			lg.RecoveryAttempt(context.Background(), RecoveryAttemptLine{Severity: "medium", Result: "success"})
		}, "INFO"},
		{"recovery high success", func(lg *Log) {
			lg.RecoveryAttempt(context.Background(), RecoveryAttemptLine{Severity: "high", Result: "success"})
		}, "WARN"},
		{"recovery timeout", func(lg *Log) {
			lg.RecoveryAttempt(context.Background(), RecoveryAttemptLine{Severity: "low", Result: "timeout", Error: "deadline"})
		}, "ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLogFixture(t, LogConfig{})
			tc.log(f.logging.For(ComponentMonitor))
			lines := f.stdout.lines()
			if len(lines) != 1 || !strings.Contains(lines[0], `"level":"`+tc.want+`"`) {
				t.Fatalf("got %q, want level %s", lines, tc.want)
			}
		})
	}
}
