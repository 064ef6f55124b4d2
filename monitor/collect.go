package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Per-call bounds of §2.1: system collectors one after another, each under
// collectorTimeout, while the database ping runs beside them.
const (
	collectorTimeout = time.Second
	pingTimeout      = 2500 * time.Millisecond
)

var (
	// ErrCollectorBusy is reported instead of calling a collector whose
	// previous call has not returned, so a hung syscall never piles up.
	ErrCollectorBusy = errors.New("previous call still running")
	// ErrCollectorTimeout is a call that did not return within its bound.
	ErrCollectorTimeout = errors.New("timed out")
	errNoSource         = errors.New("no source")
)

// callGuard marks a collector whose call is in flight, including a call
// abandoned after its timeout.
type callGuard struct{ busy atomic.Bool }

type callResult[T any] struct {
	value T
	err   error
}

// guardedCall runs f under timeout on the injected clock. An abandoned call
// keeps its guard busy until f returns; its goroutine ends then.
func guardedCall[T any](ctx context.Context, clock Clock, g *callGuard, timeout time.Duration,
	f func(context.Context) (T, error)) (T, error) {
	var zero T
	if !g.busy.CompareAndSwap(false, true) {
		return zero, ErrCollectorBusy
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	expired := make(chan struct{})
	timer := clock.AfterFunc(timeout, func() { close(expired) })
	defer timer.Stop()
	done := make(chan callResult[T], 1)
	go func() {
		v, err := callRecovering(callCtx, f)
		// Free the guard before the result is seen, so a call that follows
		// this one at once never finds it busy.
		g.busy.Store(false)
		done <- callResult[T]{v, err}
	}()
	select {
	case r := <-done:
		return r.value, r.err
	case <-expired:
		return zero, fmt.Errorf("%w after %s", ErrCollectorTimeout, timeout)
	case <-ctx.Done():
		return zero, fmt.Errorf("sample ended: %w", ctx.Err())
	}
}

// callRecovering turns a panic of foreign code into an error.
func callRecovering[T any](ctx context.Context, f func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panicked: %v", r)
		}
	}()
	return f(ctx)
}

// readRecovering reads an O(1) source in place, a panic becoming an error.
func readRecovering[T any](read func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panicked: %v", r)
		}
	}()
	return read(), nil
}

// needs selects the inputs a set of checks reads.
type needs uint16

const (
	needCPU needs = 1 << iota
	needMemory
	needDisk
	needRSS
	needGoroutines
	needHub
	needPing
	needStore
	needRooms
	needCanary
	needAll = needCanary<<1 - 1
)

var checkNeeds = [numChecks]needs{
	chkCPU: needCPU, chkMemory: needMemory, chkDisk: needDisk, chkRSS: needRSS,
	chkGoroutines: needGoroutines, chkConnections: needHub, chkPending: needHub,
	chkDeliveryRate: needHub, chkFailureRate: needHub, chkDBResponse: needPing,
	chkDBAppend: needStore, chkRooms: needRooms, chkPlayers: needRooms,
	chkRoomFaults: needRooms, chkCanary: needCanary,
}

// measured is one input of a sample; err is non-nil when it is missing.
type measured[T any] struct {
	value T
	err   error
}

func (m measured[T]) ok() bool { return m.err == nil }

type hubReading struct {
	connections, pending int64
	delivery             DeliveryCounts
}

// sampleInputs is everything one sample read, before any judgement.
type sampleInputs struct {
	now        time.Time
	cpu        measured[float64]
	memory     measured[MemoryReading]
	disk       measured[DiskReading]
	rss        measured[uint64]
	goroutines measured[int]
	hub        measured[hubReading]
	ping       measured[time.Duration]
	store      measured[StoreHealth]
	rooms      measured[RoomCounts]
	canary     measured[CanaryState]
}

// healthCollectors holds the sources and one guard per collector.
type healthCollectors struct {
	src   Sources
	clock Clock
	// mu makes a Recheck and a sample take turns, so neither finds the
	// other's call in flight and reports it as hung.
	mu     sync.Mutex
	guards struct {
		cpu, memory, disk, rss, goroutines, ping callGuard
	}
}

// collect reads what need selects: the ping in its own goroutine, the
// system collectors one after another meanwhile, then the O(1) sources.
func (c *healthCollectors) collect(ctx context.Context, need needs) sampleInputs {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := sampleInputs{now: c.clock.Now()}
	none := errNoSource
	in.cpu.err, in.memory.err, in.disk.err, in.rss.err, in.goroutines.err = none, none, none, none, none
	in.hub.err, in.ping.err, in.store.err, in.rooms.err, in.canary.err = none, none, none, none, none

	var pinged chan measured[time.Duration]
	if need&needPing != 0 && c.src.Store != nil {
		pinged = make(chan measured[time.Duration], 1)
		go func() { pinged <- c.ping(ctx) }()
	}
	if sys := c.src.System; sys != nil {
		if need&needCPU != 0 {
			in.cpu.value, in.cpu.err = guardedCall(ctx, c.clock, &c.guards.cpu, collectorTimeout, sys.CPUPercent)
		}
		if need&needMemory != 0 {
			in.memory.value, in.memory.err = guardedCall(ctx, c.clock, &c.guards.memory, collectorTimeout, sys.Memory)
		}
		if need&needDisk != 0 {
			in.disk.value, in.disk.err = guardedCall(ctx, c.clock, &c.guards.disk, collectorTimeout, sys.Disk)
		}
		if need&needRSS != 0 {
			in.rss.value, in.rss.err = guardedCall(ctx, c.clock, &c.guards.rss, collectorTimeout, sys.ProcessRSS)
		}
		if need&needGoroutines != 0 {
			in.goroutines.value, in.goroutines.err = guardedCall(ctx, c.clock, &c.guards.goroutines, collectorTimeout, sys.Goroutines)
		}
	}
	if hub := c.src.Hub; hub != nil && need&needHub != 0 {
		in.hub.value, in.hub.err = readRecovering(func() hubReading {
			return hubReading{connections: hub.OpenConnections(), pending: hub.PendingFrames(), delivery: hub.Delivery()}
		})
	}
	if store := c.src.Store; store != nil && need&needStore != 0 {
		in.store.value, in.store.err = readRecovering(store.StoreHealth)
	}
	if rooms := c.src.Rooms; rooms != nil && need&needRooms != 0 {
		in.rooms.value, in.rooms.err = readRecovering(func() RoomCounts { return rooms.RoomCounts(in.now) })
	}
	if canary := c.src.Canary; canary != nil && need&needCanary != 0 {
		in.canary.value, in.canary.err = readRecovering(canary.State)
	}
	if pinged != nil {
		in.ping = <-pinged
	}
	return in
}

// ping times one SELECT 1 on the read pool.
func (c *healthCollectors) ping(ctx context.Context) measured[time.Duration] {
	d, err := guardedCall(ctx, c.clock, &c.guards.ping, pingTimeout, func(ctx context.Context) (time.Duration, error) {
		start := c.clock.Now()
		err := c.src.Store.Ping(ctx)
		return c.clock.Now().Sub(start), err
	})
	return measured[time.Duration]{value: d, err: err}
}
