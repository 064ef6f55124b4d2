package main

import (
	"context"
	"math"
	"os"
	"time"

	"liaptui/monitor"
	"liaptui/recovery"
)

// sampleObserver runs after every published sample: it sets the gauges the
// monitor measures (observability §2.4) and raises the recovery triggers
// whose condition a sample decides (§5.1 "monitor sample").
type sampleObserver struct {
	metrics  *monitor.Metrics
	recovery *recovery.Manager
	hub      interface{ StaleConnections() int }
	rooms    interface{ Stuck(now time.Time) []string }
	clock    monitor.Clock
	// storeFile is the database path; its size and its WAL's are gauges.
	storeFile string

	pendingHigh int // consecutive samples with websocket:pending raw above 100
}

func (o *sampleObserver) observe(s *monitor.Snapshot) {
	m := o.metrics
	v := func(series monitor.Series) float64 { return s.Values[series] }
	setIfKnown := func(g interface{ Set(float64) }, x float64) {
		if !math.IsNaN(x) {
			g.Set(x)
		}
	}
	setIfKnown(m.SystemCpuUtilizationRatio, v(monitor.SeriesCPU)/100)
	setIfKnown(m.SystemMemoryUtilizationRatio, v(monitor.SeriesMemory)/100)
	setIfKnown(m.SystemMemoryUsedBytes, v(monitor.SeriesMemoryUsed))
	setIfKnown(m.SystemMemoryLimitBytes, v(monitor.SeriesMemoryLimit))
	setIfKnown(m.DataDiskUtilizationRatio, v(monitor.SeriesDisk)/100)
	setIfKnown(m.DataDiskFreeBytes, v(monitor.SeriesDiskFree))
	m.MonitorSamples.WithLabelValues(s.Trigger, s.Outcome.String()).Inc()
	m.MonitorSampleDurationSeconds.Observe(s.Duration.Seconds())
	m.MonitorIntervalSeconds.Set(s.IntervalAfter.Seconds())
	m.StoreDbSizeBytes.Set(float64(fileSize(o.storeFile)))
	m.StoreWalSizeBytes.Set(float64(fileSize(o.storeFile + "-wal")))
	if o.recovery == nil || s.Outcome == monitor.SampleError {
		return
	}
	ctx := monitor.WithCorrelationID(context.Background(), monitor.NewCorrelationID())
	raw := func(id string) monitor.Level {
		c, _ := s.Check(id)
		return c.Raw
	}
	trigger := func(procedure, target string, observed map[string]any) {
		o.recovery.Trigger(ctx, procedure, target, "monitor", observed)
	}
	if raw("websocket:failure_rate") == monitor.LevelCritical || o.hub.StaleConnections() > 0 {
		trigger(recovery.StaleConnections, "", map[string]any{"failure_rate": jsonSafe(v(monitor.SeriesFailureRate))})
	}
	if raw("websocket:pending") == monitor.LevelWarning || raw("websocket:pending") == monitor.LevelCritical {
		o.pendingHigh++
	} else {
		o.pendingHigh = 0
	}
	if o.pendingHigh >= 2 {
		trigger(recovery.HighPendingMessages, "", map[string]any{"pending_messages": jsonSafe(v(monitor.SeriesPending))})
	}
	for _, id := range o.rooms.Stuck(o.clock.Now()) {
		trigger(recovery.RoomStateCorruption, id, map[string]any{"stuck": true})
	}
	if raw("database:response") == monitor.LevelCritical {
		trigger(recovery.DatabaseConnectionLoss, "", map[string]any{"response_ms": jsonSafe(v(monitor.SeriesDBResponseMs))})
	}
	cpu, mem := v(monitor.SeriesCPU), v(monitor.SeriesMemory)
	if mem > 90 {
		trigger(recovery.MemoryPressure, "", map[string]any{"memory_percent": mem})
	}
	if cpu > 95 && mem > 95 {
		trigger(recovery.SystemOverload, "", map[string]any{"cpu_percent": cpu, "memory_percent": mem})
	}
	o.recovery.ObserveSample(ctx, cpu, mem)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
