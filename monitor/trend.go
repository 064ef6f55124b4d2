package monitor

import (
	"fmt"
	"math"
	"time"
)

// The trend warning rule of observability §3; window and horizon are
// configurable, these are not.
const (
	trendMinSamples = 10
	trendMinSpan    = 5 * time.Minute
	trendMinR2      = 0.6
	trendClearAfter = 2 // samples with the condition false
)

type trendKind int

const (
	trendMemory trendKind = iota
	trendConnections
	trendRSS
	trendGoroutines
	numTrends
)

// NumTrends is the number of trend series.
const NumTrends = int(numTrends)

type trendSpec struct {
	key    string // key in /health/detailed's trend
	series Series
	check  checkIndex // whose critical threshold the eta aims at
	raises bool       // a trend warning raises the check (memory, connections)
	label  string
	unit   string // of the slope in messages
}

var trendSpecs = [numTrends]trendSpec{
	trendMemory:      {"memory", SeriesMemory, chkMemory, true, "memory", " points/h"},
	trendConnections: {"connections", SeriesConnections, chkConnections, true, "connections", "/h"},
	trendRSS:         {"process_rss", SeriesRSS, chkRSS, false, "process RSS", " bytes/h"},
	trendGoroutines:  {"goroutines", SeriesGoroutines, chkGoroutines, false, "goroutines", "/h"},
}

// Trend is one series' fit over the last monitor.trend.window samples.
type Trend struct {
	Key                  string   `json:"-"`
	SlopePerHour         float64  `json:"slope_per_hour"`
	R2                   float64  `json:"r2"`
	Samples              int      `json:"samples"`
	EtaToCriticalSeconds *float64 `json:"eta_to_critical_seconds"`
	Warning              bool     `json:"warning"`
	// Message describes an active trend warning.
	Message string `json:"-"`
}

// lineFit is an ordinary least squares fit of value against time.
type lineFit struct {
	slopePerSecond float64
	fittedLast     float64 // the fitted value at the newest point's time
	r2             float64
	span           time.Duration
}

// fitLine fits points (oldest first). Fewer than two points, or all at one
// instant, give a zero slope; a flat series has r² 0.
func fitLine(points []trendPoint) lineFit {
	n := float64(len(points))
	if len(points) < 2 {
		return lineFit{fittedLast: lastValue(points)}
	}
	origin := points[0].unixSec // small x keeps the sums exact enough
	var sumX, sumY float64
	for _, p := range points {
		sumX += p.unixSec - origin
		sumY += p.value
	}
	meanX, meanY := sumX/n, sumY/n
	var sxx, sxy, syy float64
	for _, p := range points {
		dx, dy := p.unixSec-origin-meanX, p.value-meanY
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	lastX := points[len(points)-1].unixSec - origin
	fit := lineFit{span: time.Duration(lastX * float64(time.Second))}
	if sxx == 0 {
		fit.fittedLast = meanY
		return fit
	}
	fit.slopePerSecond = sxy / sxx
	fit.fittedLast = meanY + fit.slopePerSecond*(lastX-meanX)
	if syy > 0 {
		fit.r2 = sxy * sxy / (sxx * syy)
	}
	return fit
}

func lastValue(points []trendPoint) float64 {
	if len(points) == 0 {
		return 0
	}
	return points[len(points)-1].value
}

// trendOf reports a fit and whether it meets the warning condition: enough
// samples over enough time, rising with r² ≥ 0.6, reaching crit within
// horizon.
func trendOf(spec *trendSpec, points []trendPoint, l *checkLimits, horizon time.Duration) (Trend, bool) {
	fit := fitLine(points)
	t := Trend{Key: spec.key, SlopePerHour: fit.slopePerSecond * 3600, R2: fit.r2, Samples: len(points)}
	if fit.slopePerSecond <= 0 || !l.hasCrit {
		return t, false
	}
	eta := max(0, (l.crit-fit.fittedLast)/fit.slopePerSecond)
	t.EtaToCriticalSeconds = &eta
	cond := len(points) >= trendMinSamples && fit.span >= trendMinSpan &&
		fit.r2 >= trendMinR2 && eta <= horizon.Seconds()
	if cond {
		t.Message = fmt.Sprintf("%s rising %.1f%s, critical in about %.0f min", spec.label, t.SlopePerHour, spec.unit, eta/60)
	}
	return t, cond
}

// trendLatch holds a trend warning until its condition has been false for
// trendClearAfter samples in a row.
type trendLatch struct {
	active  bool
	falses  int
	message string
}

func (l *trendLatch) update(cond bool, message string) {
	if cond {
		l.active, l.falses, l.message = true, 0, message
		return
	}
	l.falses++
	if l.falses >= trendClearAfter {
		l.active, l.message = false, ""
	}
}

// trendTracker computes the four trends each sample.
type trendTracker struct {
	window  int
	horizon time.Duration
	latches [numTrends]trendLatch
	scratch []trendPoint
}

func newTrendTracker(window int, horizon time.Duration) *trendTracker {
	return &trendTracker{window: window, horizon: horizon, scratch: make([]trendPoint, 0, window)}
}

// update fits each series over the ring's latest window−1 entries plus the
// sample being taken (values, at unixMs), and advances the latches.
func (tt *trendTracker) update(h *History, unixMs int64, values *[numSeries]float64, lim *[numChecks]checkLimits) [numTrends]Trend {
	var out [numTrends]Trend
	for k := range trendSpecs {
		spec := &trendSpecs[k]
		pts := h.points(spec.series, tt.window-1, tt.scratch[:0])
		if v := values[spec.series]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			pts = append(pts, trendPoint{float64(unixMs) / 1000, v})
		}
		tt.scratch = pts[:0]
		t, cond := trendOf(spec, pts, &lim[spec.check], tt.horizon)
		if spec.raises {
			latch := &tt.latches[k]
			latch.update(cond, t.Message)
			t.Warning, t.Message = latch.active, latch.message
		} else {
			t.Message = ""
		}
		out[k] = t
	}
	return out
}
