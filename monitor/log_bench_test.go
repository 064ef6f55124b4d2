package monitor

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// BenchmarkLogInfo is one INFO line through the whole chain to a discarded
// stdout and the ring.
func BenchmarkLogInfo(b *testing.B) {
	l, err := NewLogging(LogConfig{Stdout: io.Discard, Stderr: io.Discard}, WallClock{}, LogHooks{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	lg := l.For(ComponentRoom)
	ctx := WithRoomID(WithCorrelationID(context.Background(), NewCorrelationID()), "K7MPQ3")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lg.GameEvent(ctx, "piece_played", slog.Int("seq", i), slog.Int("seat", 2))
	}
}
