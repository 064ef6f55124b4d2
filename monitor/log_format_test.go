package monitor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var lineTime = regexp.MustCompile(`^\{"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)",`)

func TestLogLineGoldenInEverySink(t *testing.T) {
	file := filepath.Join(t.TempDir(), "liaptui.log")
	f := newLogFixture(t, LogConfig{File: file})
	ctx := WithConnID(WithPlayerID(WithRoomID(WithCorrelationID(context.Background(), "9c41e0a27fd35b18"), "K7MPQ3"), "p_7kq2m9x4dw3h"), "c_01")

	f.logging.For(ComponentRoom).GameEvent(ctx, "declared", slog.Int64("seq", 11))

	const want = `"level":"INFO","msg":"declared","category":"game","component":"room",` +
		`"correlation_id":"9c41e0a27fd35b18","room_id":"K7MPQ3","player_id":"p_7kq2m9x4dw3h","conn_id":"c_01",` +
		`"event_type":"declared","seq":11}`
	if err := f.logging.Close(); err != nil {
		t.Fatal(err)
	}
	fileText, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for sink, lines := range map[string][]string{
		"stdout": f.stdout.lines(), "file": splitLogLines(string(fileText)), "ring": ringLines(f.logging),
	} {
		if len(lines) != 1 {
			t.Fatalf("%s has %d lines, want 1: %q", sink, len(lines), lines)
		}
		m := lineTime.FindStringSubmatch(lines[0])
		if m == nil {
			t.Fatalf("%s line does not start with a UTC nanosecond time: %s", sink, lines[0])
		}
		if _, err := time.Parse(time.RFC3339Nano, m[1]); err != nil {
			t.Fatalf("%s time %q: %v", sink, m[1], err)
		}
		if got := lines[0][len(m[0]):]; got != want {
			t.Errorf("%s line\n got %s\nwant %s", sink, got, want)
		}
	}
}

func TestLogRecordTimeIsWrittenInUTCWithNineDigits(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	at := time.Date(2025, 11, 27, 13, 3, 26, 210_000_000, time.FixedZone("CET", 3600))
	r := slog.NewRecord(at, slog.LevelWarn, "stalled", 0)
	if err := f.logging.Logger().Handler().Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	const want = `{"time":"2025-11-27T12:03:26.210000000Z","level":"WARN","msg":"stalled","category":"system","component":"main"}`
	if got := f.stdout.lines(); len(got) != 1 || got[0] != want {
		t.Fatalf("got %q\nwant %s", got, want)
	}
}

func TestLogEnrichFromContext(t *testing.T) {
	base := WithCorrelationID(context.Background(), "00000000000000aa")
	tests := []struct {
		name string
		log  func(l *Logging)
		want string // the line after its time
	}{
		{"no ids in the context", func(l *Logging) {
			l.For(ComponentHub).Info(context.Background(), CategoryWebSocket, "tick")
		}, `"level":"INFO","msg":"tick","category":"websocket","component":"hub"}`},
		{"ids from the context", func(l *Logging) {
			l.For(ComponentHub).Info(WithConnID(WithRoomID(base, "R1"), "c9"), CategoryWebSocket, "tick")
		}, `"level":"INFO","msg":"tick","category":"websocket","component":"hub","correlation_id":"00000000000000aa","room_id":"R1","conn_id":"c9"}`},
		{"an explicit id wins and is not repeated", func(l *Logging) {
			l.For(ComponentRoom).Info(WithRoomID(base, "R1"), CategoryGame, "moved", slog.String("room_id", "R2"))
		}, `"level":"INFO","msg":"moved","category":"game","component":"room","correlation_id":"00000000000000aa","room_id":"R2"}`},
		{"ids stay flat inside groups; defaults fill category and component", func(l *Logging) {
			l.Logger().WithGroup("req").With("method", "GET").InfoContext(WithPlayerID(base, "p1"), "served", "status", 200)
		}, `"level":"INFO","msg":"served","category":"system","component":"main","correlation_id":"00000000000000aa","player_id":"p1","req":{"method":"GET","status":200}}`},
		{"bound category and component move to the front", func(l *Logging) {
			l.Logger().With("op", "x", "component", "store").InfoContext(base, "saved", "category", "system")
		}, `"level":"INFO","msg":"saved","category":"system","component":"store","correlation_id":"00000000000000aa","op":"x"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLogFixture(t, LogConfig{})
			tc.log(f.logging)
			lines := f.stdout.lines()
			if len(lines) != 1 {
				t.Fatalf("got %d lines", len(lines))
			}
			m := lineTime.FindStringSubmatch(lines[0])
			if m == nil || lines[0][len(m[0]):] != tc.want {
				t.Fatalf("line\n got %s\nwant …%s", lines[0], tc.want)
			}
		})
	}
}

func TestLogLevelsPerSink(t *testing.T) {
	f := newLogFixture(t, LogConfig{Level: slog.LevelWarn, RingLevel: slog.LevelDebug})
	lg := f.logging.For(ComponentHub)
	ctx := context.Background()
	lg.CommandHandled(ctx, "play", "ack", time.Millisecond)
	lg.Connected(ctx, "10.0.0.1:4000")
	lg.SlowConsumer(ctx)

	if got := f.stdout.lines(); len(got) != 1 || !strings.Contains(got[0], `"msg":"slow consumer"`) {
		t.Fatalf("stdout at WARN got %q", got)
	}
	if got := ringLines(f.logging); len(got) != 3 {
		t.Fatalf("ring at DEBUG holds %d lines, want 3", len(got))
	}
	if len(f.rec.levels) != 3 {
		t.Fatalf("counted %d records, want 3", len(f.rec.levels))
	}
}

func TestLogDebugIsSkippedWhenNoSinkWantsIt(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	f.logging.For(ComponentRoom).PlayerAction(context.Background(), "play", "ack")
	if f.stdout.String() != "" || len(ringLines(f.logging)) != 0 || len(f.rec.levels) != 0 {
		t.Fatal("a DEBUG line reached the chain with every sink at INFO")
	}
}
