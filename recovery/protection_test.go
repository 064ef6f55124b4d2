package recovery

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"
)

// TestProtection: system_overload enters the mode and runs the
// memory_pressure actions; the mode ends automatically after the minimum
// duration and 3 good samples in a row, or at an admin's request.
func TestProtection(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.checks.set(checkCPU, "critical", 97)
	h.checks.set(checkMemory, "critical", 96)
	h.run()
	ctx := context.Background()
	h.m.Trigger(ctx, SystemOverload, "", "monitor", map[string]any{"cpu": 97, "memory": 96})

	ev := h.nextEvent()
	want := map[string]any{"reason": SystemOverload, "observed": map[string]any{"cpu": 97.0, "memory": 96.0}}
	if ev.typ != "protection_entered" || !reflect.DeepEqual(ev.payload, want) {
		t.Fatalf("event %s %#v", ev.typ, ev.payload)
	}
	if !h.m.Protection() {
		t.Fatal("protection not active")
	}
	if st := h.m.ProtectionState(); st != (ProtectionState{Active: true, Since: t0, Reason: SystemOverload}) {
		t.Fatalf("state %+v", st)
	}
	h.clock.waitTimer(30*time.Second, 1)
	h.checks.set(checkCPU, "healthy", 40)
	h.clock.Advance(30 * time.Second)
	e := h.nextEntry()
	if !e.Success || e.Actions["protection_entered"] != 1 || h.hub.sweeps != 1 || h.store.drops != 1 || len(h.freed) != 1 {
		t.Fatalf("entry %+v, sweeps %d drops %d", e, h.hub.sweeps, h.store.drops)
	}
	<-h.wakes
	if logs := h.logsWith("protection mode entered"); len(logs) != 1 || logs[0].level.String() != "ERROR" {
		t.Fatalf("entry logs %+v", logs)
	}
	alerts := h.alerts.all()
	if len(alerts) != 2 || alerts[0].kind != "protection" || alerts[0].severity != "critical" || alerts[0].to != "on" ||
		alerts[1].kind != "recovery" || alerts[1].subject != SystemOverload {
		t.Fatalf("alerts %+v", alerts)
	}

	// t0+30s: good samples before the minimum duration count but do not end it.
	for range 3 {
		h.m.ObserveSample(ctx, 50, 50)
	}
	h.clock.Advance(90 * time.Second) // t0+2m: the minimum duration
	for _, s := range [][2]float64{{50, 90}, {50, 50}, {math.NaN(), 50}, {50, 50}, {94.9, 89.9}} {
		h.m.ObserveSample(ctx, s[0], s[1])
		if !h.m.Protection() {
			t.Fatalf("protection ended at sample %v before 3 good samples in a row", s)
		}
	}
	h.m.ObserveSample(ctx, 10, 10) // third good one in a row
	if h.m.Protection() {
		t.Fatal("protection still on after 3 good samples past the minimum duration")
	}
	ev = h.nextEvent()
	if ev.typ != "protection_exited" || !reflect.DeepEqual(ev.payload, map[string]any{"ended_by": "auto", "duration_ms": int64(120_000)}) {
		t.Fatalf("event %s %#v", ev.typ, ev.payload)
	}
	if logs := h.logsWith("protection mode exited"); len(logs) != 1 || logs[0].level.String() != "WARN" {
		t.Fatalf("exit logs %+v", logs)
	}
	if st := h.m.ProtectionState(); st != (ProtectionState{}) {
		t.Fatalf("state after exit %+v", st)
	}

	if !h.m.enterProtection(ctx, SystemOverload, map[string]any{"cpu": 99.0, "memory": 99.0}) {
		t.Fatal("re-entry refused")
	}
	if h.m.enterProtection(ctx, SystemOverload, nil) {
		t.Fatal("entered twice")
	}
	h.nextEvent()
	h.clock.Advance(time.Second)
	if !h.m.ExitProtection(ctx) || h.m.ExitProtection(ctx) {
		t.Fatal("admin exit: want true, then false")
	}
	ev = h.nextEvent()
	if ev.typ != "protection_exited" || !reflect.DeepEqual(ev.payload, map[string]any{"ended_by": "admin", "duration_ms": int64(1000)}) {
		t.Fatalf("event %s %#v", ev.typ, ev.payload)
	}
	if n := len(h.alerts.all()); n != 5 {
		t.Fatalf("%d alerts, want 5 (entry, attempt, exit, entry, exit)", n)
	}
}

// TestOverloadStillOverloaded: the verdict needs the trigger condition gone.
func TestOverloadStillOverloaded(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.checks.set(checkCPU, "critical", 97)
	h.checks.set(checkMemory, "critical", 96)
	h.run()
	h.m.Trigger(context.Background(), SystemOverload, "", "monitor", nil)
	h.nextEvent() // protection_entered
	h.clock.waitTimer(30*time.Second, 1)
	h.clock.Advance(30 * time.Second)
	if e := h.nextEntry(); e.Success || deref(e.ErrorMessage) != "still overloaded: cpu 97.0%, memory 96.0%" {
		t.Fatalf("entry %+v", e)
	}
}
