package monitor

import (
	"fmt"
	"time"
)

// checkIndex numbers the 15 checks of observability §1.2 in table order.
type checkIndex int

const (
	chkCPU checkIndex = iota
	chkMemory
	chkDisk
	chkRSS
	chkGoroutines
	chkConnections
	chkPending
	chkDeliveryRate
	chkFailureRate
	chkDBResponse
	chkDBAppend
	chkRooms
	chkPlayers
	chkRoomFaults
	chkCanary
	numChecks
)

// NumChecks is the number of health checks.
const NumChecks = int(numChecks)

// componentIndex numbers the nine components of §1.4: the seven keys of
// /health/detailed's metrics, then runtime and game.
type componentIndex int

const (
	compMemory componentIndex = iota
	compCPU
	compDisk
	compWebsocket
	compMessages
	compDatabase
	compCanary
	compRuntime
	compGame
	numComponents
)

// NumComponents is the number of health components.
const NumComponents = int(numComponents)

var componentNames = [numComponents]string{
	"memory", "cpu", "disk", "websocket", "messages", "database", "canary", "runtime", "game",
}

// thresholdOp is the comparison a threshold uses, exactly as §1.2 writes it.
type thresholdOp uint8

const (
	opNone    thresholdOp = iota // that level has no numeric threshold
	opAtLeast                    // ≥
	opAbove                      // >
	opBelow                      // <
)

func (op thresholdOp) holds(v, limit float64) bool {
	switch op {
	case opAtLeast:
		return v >= limit
	case opAbove:
		return v > limit
	case opBelow:
		return v < limit
	default:
		return false
	}
}

func (op thresholdOp) symbol() string {
	switch op {
	case opAtLeast:
		return "≥"
	case opAbove:
		return ">"
	case opBelow:
		return "<"
	default:
		return ""
	}
}

// Threshold is a check's warning and critical limit (monitor.<check>.warn
// and .crit). A level whose operator is "—" in §1.2 ignores its field; for
// system:process_rss and game:rooms a limit of 0 switches that level off.
type Threshold struct{ Warn, Crit float64 }

type checkSpec struct {
	id             string
	unit           string
	component      componentIndex
	essential      bool // the canary's flag also depends on whether it runs
	warnOp, critOp thresholdOp
	zeroOff        bool
	defaults       Threshold
}

var checkSpecs = [numChecks]checkSpec{
	chkCPU:          {"system:cpu", "percent", compCPU, false, opAtLeast, opAtLeast, false, Threshold{80, 95}},
	chkMemory:       {"system:memory", "percent", compMemory, false, opAtLeast, opAtLeast, false, Threshold{75, 90}},
	chkDisk:         {"system:disk", "percent", compDisk, false, opAtLeast, opAtLeast, false, Threshold{90, 95}},
	chkRSS:          {"system:process_rss", "bytes", compRuntime, false, opAtLeast, opAtLeast, true, Threshold{0, 0}},
	chkGoroutines:   {"system:goroutines", "goroutines", compRuntime, false, opAtLeast, opAtLeast, false, Threshold{10000, 50000}},
	chkConnections:  {"websocket:connections", "connections", compWebsocket, false, opAtLeast, opAtLeast, false, Threshold{1000, 1500}},
	chkPending:      {"websocket:pending", "frames", compWebsocket, false, opAbove, opAbove, false, Threshold{100, 500}},
	chkDeliveryRate: {"websocket:delivery_rate", "percent", compMessages, false, opBelow, opNone, false, Threshold{95, 0}},
	chkFailureRate:  {"websocket:failure_rate", "percent", compMessages, false, opAbove, opAbove, false, Threshold{10, 15}},
	chkDBResponse:   {"database:response", "ms", compDatabase, true, opAbove, opAbove, false, Threshold{500, 2000}},
	chkDBAppend:     {"database:append", "ms", compDatabase, true, opAbove, opAbove, false, Threshold{500, 2000}},
	chkRooms:        {"game:rooms", "rooms", compGame, false, opAtLeast, opAtLeast, true, Threshold{0, 0}},
	chkPlayers:      {"game:players", "seats", compGame, false, opNone, opNone, false, Threshold{}},
	chkRoomFaults:   {"game:room_faults", "faults", compGame, false, opAtLeast, opAtLeast, false, Threshold{1, 3}},
	chkCanary:       {"canary:game", "ms", compCanary, true, opAbove, opNone, false, Threshold{5000, 0}},
}

// checkIndexByID finds a check by its id.
func checkIndexByID(id string) (checkIndex, bool) {
	for i := range checkSpecs {
		if checkSpecs[i].id == id {
			return checkIndex(i), true
		}
	}
	return 0, false
}

// Config holds the monitor.* keys of observability §0 that the health
// monitor reads. Start from DefaultConfig; zero fields take the defaults.
type Config struct {
	// Schedule is the same value the scheduler gets; the monitor uses it to
	// stamp each snapshot with the interval that follows it.
	Schedule       SchedulerConfig
	RecoverSamples int           // monitor.recover_samples
	HistorySize    int           // monitor.history.size
	TrendWindow    int           // monitor.trend.window
	TrendHorizon   time.Duration // monitor.trend.horizon
	MinFrames      int64         // monitor.ws.min_frames
	// Thresholds by check id; a check missing here keeps its §1.2 values.
	Thresholds map[string]Threshold
}

// DefaultConfig is every key at its default.
func DefaultConfig() Config {
	th := make(map[string]Threshold, numChecks)
	for _, s := range checkSpecs {
		th[s.id] = s.defaults
	}
	return Config{
		Schedule:       SchedulerConfig{Default: 30 * time.Second, Min: 10 * time.Second, Max: 120 * time.Second},
		RecoverSamples: 2,
		HistorySize:    720,
		TrendWindow:    20,
		TrendHorizon:   30 * time.Minute,
		MinFrames:      50,
		Thresholds:     th,
	}
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Schedule.Default == 0 {
		c.Schedule.Default = d.Schedule.Default
	}
	if c.Schedule.Min == 0 {
		c.Schedule.Min = d.Schedule.Min
	}
	if c.Schedule.Max == 0 {
		c.Schedule.Max = d.Schedule.Max
	}
	if c.RecoverSamples == 0 {
		c.RecoverSamples = d.RecoverSamples
	}
	if c.HistorySize == 0 {
		c.HistorySize = d.HistorySize
	}
	if c.TrendWindow == 0 {
		c.TrendWindow = d.TrendWindow
	}
	if c.TrendHorizon == 0 {
		c.TrendHorizon = d.TrendHorizon
	}
	if c.MinFrames == 0 {
		c.MinFrames = d.MinFrames
	}
	switch {
	case c.RecoverSamples < 1 || c.RecoverSamples > maxRecoverSamples:
		return c, fmt.Errorf("monitor.recover_samples %d: want 1..%d", c.RecoverSamples, maxRecoverSamples)
	case c.HistorySize < 1:
		return c, fmt.Errorf("monitor.history.size %d: want at least 1", c.HistorySize)
	case c.TrendWindow < 2:
		return c, fmt.Errorf("monitor.trend.window %d: want at least 2", c.TrendWindow)
	}
	for id := range c.Thresholds {
		if _, ok := checkIndexByID(id); !ok {
			return c, fmt.Errorf("monitor thresholds: unknown check %q", id)
		}
	}
	return c, nil
}

// checkLimits are one check's thresholds as configured, resolved once.
type checkLimits struct {
	warn, crit         float64
	hasWarn, hasCrit   bool
	warnJSON, critJSON *float64 // nil where that level has no threshold
}

func resolveLimits(c Config) *[numChecks]checkLimits {
	out := new([numChecks]checkLimits)
	for i, s := range checkSpecs {
		th, ok := c.Thresholds[s.id]
		if !ok {
			th = s.defaults
		}
		l := checkLimits{warn: th.Warn, crit: th.Crit}
		l.hasWarn = s.warnOp != opNone && !(s.zeroOff && th.Warn == 0)
		l.hasCrit = s.critOp != opNone && !(s.zeroOff && th.Crit == 0)
		out[i] = l
		if l.hasWarn {
			out[i].warnJSON = &out[i].warn
		}
		if l.hasCrit {
			out[i].critJSON = &out[i].crit
		}
	}
	return out
}

// gradeValue rates a numeric value against a check's limits with its operators.
func gradeValue(idx checkIndex, l *checkLimits, v float64) Level {
	s := &checkSpecs[idx]
	if l.hasCrit && s.critOp.holds(v, l.crit) {
		return LevelCritical
	}
	if l.hasWarn && s.warnOp.holds(v, l.warn) {
		return LevelWarning
	}
	return LevelHealthy
}

// breachNote describes the limit a non-healthy value crossed, e.g. " (≥ 75)".
func breachNote(idx checkIndex, l *checkLimits, level Level) string {
	s := &checkSpecs[idx]
	switch level {
	case LevelCritical:
		if l.hasCrit {
			return fmt.Sprintf(" (%s %s)", s.critOp.symbol(), formatLimit(l.crit))
		}
	case LevelWarning:
		if l.hasWarn {
			return fmt.Sprintf(" (%s %s)", s.warnOp.symbol(), formatLimit(l.warn))
		}
	}
	return ""
}

func formatLimit(v float64) string { return fmt.Sprintf("%g", v) }
