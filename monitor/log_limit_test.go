package monitor

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestLogHotPathWarningsAreRateLimited(t *testing.T) {
	c1 := WithConnID(context.Background(), "c1")
	c2 := WithConnID(context.Background(), "c2")
	tests := []struct {
		name  string
		same  func(lg *Log) // repeated: one key
		other func(lg *Log) // a different key
	}{
		{"DeliveryFailed per connection",
			func(lg *Log) { lg.DeliveryFailed(c1, "queue_full") },
			func(lg *Log) { lg.DeliveryFailed(c2, "queue_full") }},
		{"RateLimited per scope and connection",
			func(lg *Log) { lg.RateLimited(c1, "commands") },
			func(lg *Log) { lg.RateLimited(c1, "hello") }},
		{"SlowOperation per op",
			func(lg *Log) { lg.SlowOperation(c1, "store_append", 150*time.Millisecond, 100*time.Millisecond) },
			func(lg *Log) { lg.SlowOperation(c1, "store_read", 150*time.Millisecond, 100*time.Millisecond) }},
		{"AuthFailed per address",
			func(lg *Log) { lg.AuthFailed(c1, "player", "10.0.0.1:4000") },
			func(lg *Log) { lg.AuthFailed(c1, "player", "10.0.0.2:4000") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLogFixture(t, LogConfig{})
			lg := f.logging.For(ComponentHub)
			for range 4 {
				tc.same(lg)
				f.clock.Advance(time.Second)
			}
			tc.other(lg)
			if got := len(f.stdout.lines()); got != 2 {
				t.Fatalf("wrote %d lines, want one per key", got)
			}
			f.clock.Advance(6 * time.Second) // 10 s after the first line
			tc.same(lg)
			lines := f.stdout.lines()
			if len(lines) != 3 {
				t.Fatalf("wrote %d lines, want a third after 10 s", len(lines))
			}
			if first, last := decodeLine(t, lines[0]), decodeLine(t, lines[2]); first["suppressed"] != nil || last["suppressed"] != float64(3) {
				t.Fatalf("suppressed first %v, last %v; want none, then 3", first["suppressed"], last["suppressed"])
			}
			tc.same(lg)
			if len(f.stdout.lines()) != 3 {
				t.Fatal("the window restarted badly")
			}
		})
	}
}

func TestLogSlowOperationCountsEveryOccurrence(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	lg := f.logging.For(ComponentStore)
	for range 3 {
		lg.SlowOperation(context.Background(), "store_append", time.Second, 100*time.Millisecond)
	}
	if !slices.Equal(f.rec.slow, []string{"store_append", "store_append", "store_append"}) || len(f.stdout.lines()) != 1 {
		t.Fatalf("slow hook %v, lines %d", f.rec.slow, len(f.stdout.lines()))
	}
	m := decodeLine(t, f.stdout.lines()[0])
	if m["category"] != CategoryPerformance || m["level"] != "WARN" || m["op"] != "store_append" ||
		m["duration_ms"] != float64(1000) || m["threshold_ms"] != float64(100) {
		t.Fatalf("line %v", m)
	}
}

func TestLogTimedUsesConfiguredThresholds(t *testing.T) {
	tests := []struct {
		op   string
		took time.Duration
		slow map[string]time.Duration
		want bool
	}{
		{"store_read", 100 * time.Millisecond, nil, false},
		{"store_read", 101 * time.Millisecond, nil, true},
		{"store_read", 150 * time.Millisecond, map[string]time.Duration{"store_read": 200 * time.Millisecond}, false},
		{"http", 50 * time.Millisecond, map[string]time.Duration{"http": 20 * time.Millisecond}, true},
		{"webhook", 1500 * time.Millisecond, nil, false},
		{"webhook", 2500 * time.Millisecond, nil, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %v %v", tc.op, tc.took, tc.slow), func(t *testing.T) {
			f := newLogFixture(t, LogConfig{Slow: tc.slow})
			done := f.logging.For(ComponentStore).Timed(context.Background(), tc.op)
			f.clock.Advance(tc.took)
			done()
			logged, counted := len(f.stdout.lines()) == 1, len(f.rec.slow) == 1
			if logged != tc.want || counted != tc.want {
				t.Fatalf("logged %v, counted %v, want %v", logged, counted, tc.want)
			}
			if tc.want {
				m := decodeLine(t, f.stdout.lines()[0])
				if m["duration_ms"] != float64(tc.took.Milliseconds()) {
					t.Fatalf("duration_ms %v", m["duration_ms"])
				}
			}
		})
	}
}

func severities(t *testing.T, f *logFixture) []string {
	var out []string
	for _, line := range f.stdout.lines() {
		out = append(out, decodeLine(t, line)["severity"].(string))
	}
	return out
}

func TestLogAdminAuthFailuresEscalate(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	lg := f.logging.For(ComponentHTTP)
	ctx := context.Background()
	for i := range 4 {
		lg.AuthFailed(ctx, AuthKindAdmin, fmt.Sprintf("10.0.0.1:%d", 4000+i)) // one host, many ports
		lg.AuthFailed(ctx, AuthKindAdmin, "10.0.0.2:4000")
		f.clock.Advance(10 * time.Second)
	}
	if got := severities(t, f); slices.Contains(got, SeverityHigh) || len(f.rec.alerts) != 0 {
		t.Fatalf("escalated before the fifth failure: %v", got)
	}
	lg.AuthFailed(ctx, AuthKindAdmin, "10.0.0.1:4999")
	got := severities(t, f)
	if got[len(got)-1] != SeverityHigh || slices.Index(got, SeverityHigh) != len(got)-1 {
		t.Fatalf("severities %v, want the fifth failure high", got)
	}
	if msgs := f.rec.alertMessages(); !slices.Equal(msgs, []string{"auth failed"}) {
		t.Fatalf("alerts %v", msgs)
	}
	if last := decodeLine(t, f.stdout.lines()[len(got)-1]); last["remote"] != "10.0.0.1:4999" || last["kind"] != AuthKindAdmin {
		t.Fatalf("escalated line %v", last)
	}
}

func TestLogAdminAuthFailuresSpreadOverMoreThanAMinuteStayMedium(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	lg := f.logging.For(ComponentHTTP)
	for range 6 {
		lg.AuthFailed(context.Background(), AuthKindAdmin, "10.0.0.1")
		f.clock.Advance(15 * time.Second)
	}
	for range 5 {
		lg.AuthFailed(context.Background(), "player", "10.0.0.3")
	}
	got := severities(t, f)
	if slices.Contains(got, SeverityHigh) || len(f.rec.alerts) != 0 {
		t.Fatalf("severities %v, alerts %d", got, len(f.rec.alerts))
	}
	if got[0] != SeverityMedium || got[len(got)-1] != SeverityLow {
		t.Fatalf("severities %v, want admin medium and player low", got)
	}
}

func TestLogLimiterStaysBounded(t *testing.T) {
	clock := NewFakeClock(logTestStart)
	l := newLogLimiter(clock, logLimitWindow)
	for i := range 3 * logLimitMaxKeys {
		if ok, _ := l.allow(fmt.Sprint("conn-", i)); !ok {
			t.Fatalf("a new key %d was suppressed", i)
		}
	}
	if len(l.entries) >= logLimitMaxKeys {
		t.Fatalf("limiter holds %d keys, bound %d", len(l.entries), logLimitMaxKeys)
	}
	clock.Advance(logLimitWindow)
	l.allow("fresh")
	if len(l.entries) >= logLimitMaxKeys {
		t.Fatalf("limiter holds %d keys after a window", len(l.entries))
	}
	if ok, _ := l.allow("fresh"); ok {
		t.Fatal("a key inserted after eviction was not limited")
	}

	a := newAdminFailures(clock)
	for i := range 3 * logLimitMaxKeys {
		a.record(fmt.Sprint("10.1.", i/256, ".", i%256))
	}
	if len(a.times) >= logLimitMaxKeys {
		t.Fatalf("admin failure tracker holds %d addresses", len(a.times))
	}
}

func TestLogContextHelpers(t *testing.T) {
	ctx := WithConnID(WithPlayerID(WithRoomID(context.Background(), "R"), "P"), "C")
	if RoomID(ctx) != "R" || PlayerID(ctx) != "P" || ConnID(ctx) != "C" {
		t.Fatalf("got %q %q %q", RoomID(ctx), PlayerID(ctx), ConnID(ctx))
	}
	bg := context.Background()
	if RoomID(bg) != "" || PlayerID(bg) != "" || ConnID(bg) != "" {
		t.Fatal("an empty context carries ids")
	}
	seen := map[string]bool{}
	for range 1000 {
		id := NewCorrelationID()
		if len(id) != 16 || seen[id] {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
	}
}
