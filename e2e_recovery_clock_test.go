package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"liaptui/monitor"
)

// recClock is the server's clock in the recovery end-to-end tests: time
// moves only in Advance, so cooldowns, settle times, stale thresholds and
// grace periods pass in milliseconds. Unlike monitor.FakeClock it knows
// which timers bound work in flight (a collector call, a sample, a recovery
// action or re-check, an actor's exit): it does not move time while one of
// those is armed, so fake time never overtakes real work and a database
// ping never looks seconds long because the test jumped. The trigger
// route's wait fires after whatever else falls due at its instant, so an
// attempt whose settle ends with the wait still answers 200.
type recClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*recTimer
	made   int64
}

type recTimerKind int

const (
	recPlain  recTimerKind = iota
	recGuard               // bounds work in flight; stopped when the work ends
	recWaiter              // waits for other timers' effects
)

// recGuards and recWaiters name the functions that arm such timers.
var (
	recGuards = []string{"liaptui/monitor.guardedCall", "liaptui/monitor.(*Scheduler).runSample",
		"liaptui/recovery.(*Manager).runAction", "liaptui/recovery.(*Manager).withTimeout",
		"liaptui/room.(*Registry).waitExit"}
	recWaiters = []string{"liaptui/recovery.(*Manager).TriggerManual"}
)

// recWorkBound is how long Advance waits for work in flight before it lets
// time pass anyway (the work is then really stuck, and its guard fires).
const recWorkBound = 5 * time.Second

type recTimer struct {
	clock *recClock
	at    time.Time
	made  int64
	kind  recTimerKind
	by    string // the function that armed it
	f     func()
	ch    chan time.Time
}

func newRecClock() *recClock { return &recClock{now: time.Now()} }

func (c *recClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *recClock) NewTimer(d time.Duration) monitor.Timer { return c.add(d, nil) }

func (c *recClock) AfterFunc(d time.Duration, f func()) monitor.Timer { return c.add(d, f) }

func (c *recClock) add(d time.Duration, f func()) *recTimer {
	by, kind := recTimerKindOf()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.made++
	t := &recTimer{clock: c, at: c.now.Add(d), made: c.made, kind: kind, by: by, f: f, ch: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	return t
}

// recTimerKindOf names the function that armed a timer (the caller of
// NewTimer or AfterFunc) and classifies the timer by it.
func recTimerKindOf() (string, recTimerKind) {
	var pcs [8]uintptr
	n := runtime.Callers(4, pcs[:]) // Callers, recTimerKindOf, add, NewTimer/AfterFunc
	frame, _ := runtime.CallersFrames(pcs[:n]).Next()
	has := func(names []string) bool {
		return slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(frame.Function, s) })
	}
	switch {
	case has(recGuards):
		return frame.Function, recGuard
	case has(recWaiters):
		return frame.Function, recWaiter
	}
	return frame.Function, recPlain
}

// String lists the armed timers, for failure messages.
func (c *recClock) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "server time %s; timers:", c.now.Format(time.RFC3339Nano))
	for _, t := range c.timers {
		fmt.Fprintf(&b, "\n  +%v %s", t.at.Sub(c.now), t.by)
	}
	return b.String()
}

func (t *recTimer) C() <-chan time.Time { return t.ch }

func (t *recTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	return true
}

// Advance moves the clock by d, firing due timers one at a time in
// deadline order (waiters last at equal deadlines), each after the work in
// flight has ended; callbacks run on the caller's goroutine.
func (c *recClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		t, done := c.next(end)
		if done {
			return
		}
		if t.f != nil {
			t.f()
		} else {
			t.ch <- t.at
		}
		// Let what the timer woke start, and arm its guards, before the
		// clock moves again.
		time.Sleep(time.Millisecond)
	}
}

// next removes and returns the next timer due by end, with the clock at
// its deadline; done means none is due and the clock is at end.
func (c *recClock) next(end time.Time) (*recTimer, bool) {
	waitUntil := time.Now().Add(recWorkBound)
	for {
		c.mu.Lock()
		busy := slices.ContainsFunc(c.timers, func(t *recTimer) bool { return t.kind == recGuard })
		var due *recTimer
		for _, t := range c.timers {
			if !t.at.After(end) && (due == nil || recBefore(t, due)) {
				due = t
			}
		}
		// A waiter due now waits, too, for the work that would stop it.
		busy = busy || due != nil && due.kind == recWaiter
		if busy && time.Now().Before(waitUntil) {
			c.mu.Unlock()
			time.Sleep(time.Millisecond)
			continue
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return nil, true
		}
		c.timers = slices.DeleteFunc(c.timers, func(t *recTimer) bool { return t == due })
		if due.at.After(c.now) { // a timer armed for a past instant fires now
			c.now = due.at
		}
		c.mu.Unlock()
		return due, false
	}
}

// recBefore orders timers by deadline, waiters after the others at the
// same deadline, then by creation.
func recBefore(a, b *recTimer) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if (a.kind == recWaiter) != (b.kind == recWaiter) {
		return b.kind == recWaiter
	}
	return a.made < b.made
}
