package monitor

import (
	"fmt"
	"time"
)

// Level is a health status (observability §1.4). The numeric order is the
// aggregation precedence: healthy < warning < unknown < critical.
type Level uint8

const (
	LevelHealthy Level = iota
	LevelWarning
	LevelUnknown
	LevelCritical
)

var levelNames = [...]string{"healthy", "warning", "unknown", "critical"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// MarshalText writes the level's name, so JSON bodies carry "healthy" etc.
func (l Level) MarshalText() ([]byte, error) {
	if int(l) >= len(levelNames) {
		return nil, fmt.Errorf("monitor: invalid level %d", int(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText parses a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, name := range levelNames {
		if string(b) == name {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("monitor: unknown level %q", b)
}

// SeedCode is the value of liap_health_status (§8.2): 0 healthy,
// 1 warning, 2 critical, 3 unknown.
func (l Level) SeedCode() int {
	switch l {
	case LevelHealthy:
		return 0
	case LevelWarning:
		return 1
	case LevelCritical:
		return 2
	default:
		return 3
	}
}

// aggregateLevels applies the component and overall rule of §1.4: critical
// if any is critical; else unknown if an essential one is unknown; else
// warning if any is warning or a non-essential one is unknown; else healthy.
// It only counts, so the order of the inputs never matters.
func aggregateLevels(levels []Level, essential []bool) Level {
	var critical, essentialUnknown, degraded bool
	for i, l := range levels {
		switch l {
		case LevelCritical:
			critical = true
		case LevelUnknown:
			if essential[i] {
				essentialUnknown = true
			} else {
				degraded = true
			}
		case LevelWarning:
			degraded = true
		}
	}
	switch {
	case critical:
		return LevelCritical
	case essentialUnknown:
		return LevelUnknown
	case degraded:
		return LevelWarning
	default:
		return LevelHealthy
	}
}

// hysteresis turns one check's raw statuses into its reported status
// (§1.4 table). The zero value is a check that has never had a known value.
type hysteresis struct {
	reported Level
	known    bool // a known raw value was seen at least once
	stale    bool // the last raw was unknown and the previous status is kept
	unknowns int  // consecutive raw unknowns
	// recent holds the last known raw levels, newest first, so a descent
	// reports the worst of the last recover_samples of them.
	recent [maxRecoverSamples]Level
	filled int
}

// maxRecoverSamples bounds monitor.recover_samples.
const maxRecoverSamples = 16

// unknownAfter is the number of consecutive raw unknowns that make a check
// reported unknown (fixed by §1.4).
const unknownAfter = 2

func (h *hysteresis) observe(raw Level, recoverSamples int) {
	if raw == LevelUnknown {
		h.unknowns++
		if !h.known || h.unknowns >= unknownAfter {
			h.reported, h.stale = LevelUnknown, false
			return
		}
		h.stale = true
		return
	}
	h.unknowns, h.stale = 0, false
	copy(h.recent[1:], h.recent[:len(h.recent)-1])
	h.recent[0] = raw
	h.filled = min(h.filled+1, len(h.recent))
	if !h.known || h.reported == LevelUnknown || raw >= h.reported {
		h.known, h.reported = true, raw
		return
	}
	// Going down: the worst of the last recoverSamples known raws, so the
	// lower level is reached only after that many consecutive samples at it.
	worst := raw
	for _, l := range h.recent[:min(recoverSamples, h.filled)] {
		worst = max(worst, l)
	}
	h.reported = worst
}

// Stalled reports whether a snapshot taken at takenAt, with the interval
// interval after it, is too old to be served as is: older than
// 2 × interval + 10 s (§1.4).
func Stalled(takenAt time.Time, interval time.Duration, now time.Time) bool {
	return now.Sub(takenAt) > 2*interval+10*time.Second
}

// MonitorStalledMessage is the overall message of a stale snapshot.
const MonitorStalledMessage = "monitor stalled"

// NoSampleMessage is the overall message before the first sample.
const NoSampleMessage = "no sample yet"
