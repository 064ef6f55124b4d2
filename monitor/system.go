package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
)

// MemoryReading is one value of system:memory (§1.1).
type MemoryReading struct {
	Percent                               float64 // used / limit × 100
	UsedBytes, LimitBytes, AvailableBytes uint64
	Source                                string // MemorySource*
}

// DiskReading is one value of system:disk.
type DiskReading struct {
	Percent   float64
	FreeBytes uint64
}

// SystemSource is the machine side of the monitor (§1.1). Only the monitor
// calls it, each method under its own timeout; no method may sleep.
type SystemSource interface {
	CPUPercent(ctx context.Context) (float64, error)
	Memory(ctx context.Context) (MemoryReading, error)
	Disk(ctx context.Context) (DiskReading, error)
	ProcessRSS(ctx context.Context) (uint64, error)
	Goroutines(ctx context.Context) (int, error)
}

// hostSystem reads gopsutil and the cgroup files below root.
type hostSystem struct {
	root    string
	dataDir string
	clock   Clock // wall time between cgroup CPU readings
	proc    *process.Process
	procErr error

	mu        sync.Mutex
	cpuUsage  time.Duration // cgroup CPU time at cpuAt
	cpuAt     time.Time
	cpuPrimed bool
}

// NewSystemSource reads the real machine; dataDir is the directory whose
// filesystem system:disk watches. It primes the CPU delta at once, so the
// first sample has a value without ever sleeping.
func NewSystemSource(dataDir string) SystemSource {
	return newHostSystem("/", dataDir, WallClock{})
}

func newHostSystem(root, dataDir string, clock Clock) *hostSystem {
	h := &hostSystem{root: root, dataDir: dataDir, clock: clock}
	h.proc, h.procErr = process.NewProcess(int32(os.Getpid()))
	// Priming only records the starting point of both deltas; a failure
	// here recurs, and is reported, on the first real reading.
	_, _ = h.CPUPercent(context.Background())
	return h
}

var errCPUPriming = errors.New("cpu: first reading only primes the delta")

func (h *hostSystem) CPUPercent(ctx context.Context) (float64, error) {
	q, err := readCgroupCPU(h.root)
	if err != nil {
		return 0, fmt.Errorf("cpu: %w", err)
	}
	if q.limited {
		return h.cgroupCPUPercent(q)
	}
	v, err := cpu.PercentWithContext(ctx, 0, false)
	if err != nil {
		return 0, fmt.Errorf("cpu: %w", err)
	}
	if len(v) == 0 {
		return 0, errors.New("cpu: no value")
	}
	return clampPercent(v[0]), nil
}

// cgroupCPUPercent is the cgroup's CPU time since the previous reading over
// the wall time since then and the quota's cores.
func (h *hostSystem) cgroupCPUPercent(q cgroupCPU) (float64, error) {
	now := h.clock.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	prevUsage, prevAt, primed := h.cpuUsage, h.cpuAt, h.cpuPrimed
	h.cpuUsage, h.cpuAt, h.cpuPrimed = q.usage, now, true
	wall := now.Sub(prevAt)
	if !primed || wall <= 0 || q.cores <= 0 {
		return 0, errCPUPriming
	}
	return clampPercent((q.usage - prevUsage).Seconds() / wall.Seconds() / q.cores * 100), nil
}

func (h *hostSystem) Memory(ctx context.Context) (MemoryReading, error) {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return MemoryReading{}, fmt.Errorf("memory: %w", err)
	}
	r, found, err := readCgroupMemory(h.root, vm.Total)
	if err != nil {
		return MemoryReading{}, fmt.Errorf("memory: %w", err)
	}
	if found {
		return r, nil
	}
	return MemoryReading{
		Percent:        clampPercent(vm.UsedPercent),
		UsedBytes:      vm.Used,
		LimitBytes:     vm.Total,
		AvailableBytes: vm.Available,
		Source:         MemorySourceHost,
	}, nil
}

func (h *hostSystem) Disk(ctx context.Context) (DiskReading, error) {
	u, err := disk.UsageWithContext(ctx, h.dataDir)
	if err != nil {
		return DiskReading{}, fmt.Errorf("disk %s: %w", h.dataDir, err)
	}
	return DiskReading{Percent: clampPercent(u.UsedPercent), FreeBytes: u.Free}, nil
}

func (h *hostSystem) ProcessRSS(ctx context.Context) (uint64, error) {
	if h.procErr != nil {
		return 0, fmt.Errorf("process rss: %w", h.procErr)
	}
	info, err := h.proc.MemoryInfoWithContext(ctx)
	if err != nil {
		return 0, fmt.Errorf("process rss: %w", err)
	}
	return info.RSS, nil
}

func (h *hostSystem) Goroutines(context.Context) (int, error) { return runtime.NumGoroutine(), nil }

// memoryLimitShare is the part of a cgroup memory limit given to the Go
// runtime as its soft limit (§1.1).
const memoryLimitShare = 0.85

// ApplyMemoryLimit sets the runtime's soft memory limit to 85 % of the
// process's cgroup memory limit, unless GOMEMLIMIT is set or no cgroup limit
// exists. It returns the limit it set, 0 when it set none.
func ApplyMemoryLimit() (int64, error) {
	vm, err := mem.VirtualMemory()
	if err != nil {
		return 0, fmt.Errorf("apply memory limit: %w", err)
	}
	return applyMemoryLimit("/", vm.Total, os.Getenv, debug.SetMemoryLimit)
}

func applyMemoryLimit(root string, hostTotal uint64, getenv func(string) string, set func(int64) int64) (int64, error) {
	// The runtime treats an empty GOMEMLIMIT as unset; any other value,
	// "off" included, is the operator's choice.
	if getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	r, found, err := readCgroupMemory(root, hostTotal)
	if err != nil {
		return 0, fmt.Errorf("apply memory limit: %w", err)
	}
	if !found {
		return 0, nil
	}
	limit := int64(float64(r.LimitBytes) * memoryLimitShare)
	set(limit)
	return limit, nil
}
