package monitor

import (
	"math"
	"strings"
	"testing"
	"time"
)

func healthNear(a, b float64) bool { return math.Abs(a-b) < 1e-9*max(1, math.Abs(b)) }

func TestFitLineKnownSeries(t *testing.T) {
	// y = 2t + 1 at irregular times: exact fit.
	var exact []trendPoint
	for _, sec := range []float64{0, 7, 30, 31, 95} {
		exact = append(exact, trendPoint{1.7e9 + sec, 2*sec + 1})
	}
	fit := fitLine(exact)
	if !healthNear(fit.slopePerSecond, 2) || !healthNear(fit.r2, 1) || !healthNear(fit.fittedLast, 191) || fit.span != 95*time.Second {
		t.Fatalf("exact line: %+v", fit)
	}
	// (0,1) (1,3) (2,2) (3,5): slope 5.5/5 = 1.1, r² = 5.5² / (5 × 8.75).
	noisy := []trendPoint{{100, 1}, {101, 3}, {102, 2}, {103, 5}}
	fit = fitLine(noisy)
	if !healthNear(fit.slopePerSecond, 1.1) || !healthNear(fit.r2, 30.25/43.75) || !healthNear(fit.fittedLast, 2.75+1.1*1.5) {
		t.Fatalf("noisy series: %+v", fit)
	}
	if fit := fitLine([]trendPoint{{0, 5}, {60, 5}, {120, 5}}); fit.slopePerSecond != 0 || fit.r2 != 0 {
		t.Fatalf("flat series: %+v", fit)
	}
	if fit := fitLine([]trendPoint{{0, 5}}); fit.slopePerSecond != 0 || fit.fittedLast != 5 {
		t.Fatalf("one point: %+v", fit)
	}
}

func TestTrendEta(t *testing.T) {
	l := &checkLimits{crit: 90, hasCrit: true}
	var pts []trendPoint
	for i := range 11 { // 60 points per hour, 5 minutes, ending at 65 %
		pts = append(pts, trendPoint{float64(i * 30), 60 + 0.5*float64(i)})
	}
	tr, cond := trendOf(&trendSpecs[trendMemory], pts, l, 30*time.Minute)
	if !cond || !healthNear(tr.SlopePerHour, 60) || !healthNear(tr.R2, 1) || tr.Samples != 11 || !healthNear(*tr.EtaToCriticalSeconds, 1500) {
		t.Fatalf("rising memory: %+v cond %v", tr, cond)
	}
	if tr.Message != "memory rising 60.0 points/h, critical in about 25 min" {
		t.Fatalf("message %q", tr.Message)
	}
	if _, cond := trendOf(&trendSpecs[trendMemory], pts, l, 20*time.Minute); cond {
		t.Fatal("eta 25 min beyond a 20 min horizon warned")
	}
	if _, cond := trendOf(&trendSpecs[trendMemory], pts[:10], l, 30*time.Minute); cond {
		t.Fatal("10 samples over 4.5 min warned")
	}
	if tr, cond := trendOf(&trendSpecs[trendMemory], pts, &checkLimits{}, 30*time.Minute); cond || tr.EtaToCriticalSeconds != nil {
		t.Fatal("a series without a critical limit has an eta")
	}
}

// memoryRig samples every 30 s with memory set by level(k) for sample k.
func sampleMemorySeries(t *testing.T, r *healthRig, from, to int, level func(k int) float64) *Snapshot {
	t.Helper()
	var s *Snapshot
	for k := from; k < to; k++ {
		r.system.set(func(f *healthFakeSystem) { f.memory.Percent = level(k) })
		s = r.sample(t, TriggerSchedule)
		r.clock.Advance(30 * time.Second)
	}
	return s
}

func TestTrendWarningRaisesAndClears(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	var changes []Change
	r.mon.OnChange(func(c Change) {
		if c.Subject == "system:memory" {
			changes = append(changes, c)
		}
	})
	rising := func(k int) float64 { return 60 + 0.5*float64(k) }

	s := sampleMemorySeries(t, r, 0, 10, rising) // 10 samples over 4.5 min
	if c := s.Checks[chkMemory]; c.Status != LevelHealthy || c.Trend || s.Trends[trendMemory].Warning {
		t.Fatalf("after 10 samples: %s trend %v", c.Status, c.Trend)
	}
	s = sampleMemorySeries(t, r, 10, 11, rising) // 11th: 5 min span, eta 25 min
	c := s.Checks[chkMemory]
	if c.Raw != LevelHealthy || c.Status != LevelWarning || !c.Trend || !s.Trends[trendMemory].Warning {
		t.Fatalf("rising memory: raw %s status %s trend %v", c.Raw, c.Status, c.Trend)
	}
	if c.Message != "memory rising 60.0 points/h, critical in about 25 min" || s.Overall != LevelWarning {
		t.Fatalf("message %q overall %s", c.Message, s.Overall)
	}
	if len(changes) != 2 || changes[1].To != LevelWarning || !changes[1].Trend {
		t.Fatalf("changes %+v", changes)
	}

	flat := func(int) float64 { return 40 }
	s = sampleMemorySeries(t, r, 11, 12, flat) // condition false once: still raised
	if c := s.Checks[chkMemory]; c.Status != LevelWarning || !c.Trend {
		t.Fatalf("one sample without the trend: %s", c.Status)
	}
	s = sampleMemorySeries(t, r, 12, 13, flat) // twice: cleared
	if c := s.Checks[chkMemory]; c.Status != LevelHealthy || c.Trend || s.Trends[trendMemory].Warning {
		t.Fatalf("two samples without the trend: %s", c.Status)
	}
	if last := changes[len(changes)-1]; len(changes) != 3 || last.To != LevelHealthy || !last.Trend {
		t.Fatalf("changes %+v", changes)
	}
}

func TestTrendNeverRaisesToCriticalNorTouchesRuntime(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	for k := range 12 {
		r.system.set(func(f *healthFakeSystem) {
			f.memory.Percent = 76 + 0.5*float64(k) // raw warning, rising
			f.goroutines = 100 + 500*k             // steep, but reported only
			f.rss = uint64(64<<20 + k*(16<<20))    // likewise
		})
		r.sample(t, TriggerSchedule)
		r.clock.Advance(30 * time.Second)
	}
	s := r.mon.Snapshot()
	if c := s.Checks[chkMemory]; c.Status != LevelWarning || c.Trend {
		t.Fatalf("memory raw warning with a trend: %s trend %v", c.Status, c.Trend)
	}
	if !s.Trends[trendMemory].Warning {
		t.Fatal("memory trend not reported")
	}
	g := s.Trends[trendGoroutines]
	if g.Warning || !healthNear(g.SlopePerHour, 500*120) || s.Checks[chkGoroutines].Status != LevelHealthy {
		t.Fatalf("goroutines trend %+v, check %s", g, s.Checks[chkGoroutines].Status)
	}
	if rss := s.Trends[trendRSS]; rss.Warning || rss.SlopePerHour <= 0 || rss.EtaToCriticalSeconds != nil {
		t.Fatalf("rss trend %+v (no crit limit by default)", rss)
	}
}

func TestTrendConnections(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	for k := range 11 {
		r.hub.set(func(h *healthFakeHub) { h.connections = int64(700 + 20*k) }) // 2400/h, 900 at the end
		r.sample(t, TriggerSchedule)
		r.clock.Advance(30 * time.Second)
	}
	c := r.mon.Snapshot().Checks[chkConnections]
	if c.Status != LevelWarning || !c.Trend || !strings.HasPrefix(c.Message, "connections rising 2400.0/h, critical in about 15 min") {
		t.Fatalf("connections %s trend %v %q", c.Status, c.Trend, c.Message)
	}
}
