package monitor

import (
	"context"
	"regexp"
	"testing"
	"time"
)

func TestFakeClockFiresTimersInOrder(t *testing.T) {
	c := NewFakeClock(time.Unix(1000, 0))
	var fired []int
	c.AfterFunc(3*time.Second, func() { fired = append(fired, 3) })
	c.AfterFunc(1*time.Second, func() { fired = append(fired, 1) })
	stopped := c.AfterFunc(2*time.Second, func() { fired = append(fired, 2) })
	timer := c.NewTimer(2500 * time.Millisecond)
	if !stopped.Stop() {
		t.Fatal("Stop of an armed timer reports false")
	}
	c.Advance(2 * time.Second)
	if len(fired) != 1 || fired[0] != 1 {
		t.Fatalf("after 2s fired %v, want [1]", fired)
	}
	select {
	case <-timer.C():
		t.Fatal("timer fired early")
	default:
	}
	c.Advance(time.Second)
	if len(fired) != 2 || fired[1] != 3 {
		t.Fatalf("after 3s fired %v, want [1 3]", fired)
	}
	if got := <-timer.C(); !got.Equal(time.Unix(1002, 500_000_000)) {
		t.Fatalf("timer fired at %v", got)
	}
	if !c.Now().Equal(time.Unix(1003, 0)) || c.Pending() != 0 {
		t.Fatalf("now %v, pending %d", c.Now(), c.Pending())
	}
}

func TestCorrelationID(t *testing.T) {
	id := NewCorrelationID()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) || id == NewCorrelationID() {
		t.Fatalf("bad or repeated id %q", id)
	}
	ctx := WithCorrelationID(context.Background(), id)
	if CorrelationID(ctx) != id || CorrelationID(context.Background()) != "" {
		t.Fatal("correlation id does not round-trip through the context")
	}
}
