package monitor

import (
	"math"
	"time"
)

// Snapshot is the immutable result of one sample (observability §1.5),
// published through an atomic pointer. Readers must not modify it.
type Snapshot struct {
	Seq      uint64 // 0: the placeholder before the first sample
	TakenAt  time.Time
	Duration time.Duration
	Trigger  string
	Outcome  SampleOutcome
	Err      string // why an error sample failed

	Checks         [NumChecks]CheckResult // in the order of §1.2
	Components     [NumComponents]ComponentResult
	OverallRaw     Level
	Overall        Level // reported
	OverallMessage string

	// IntervalAfter and Streak are I and S of §2.1 after this sample.
	IntervalAfter time.Duration
	Streak        int

	Trends       [NumTrends]Trend
	Values       [NumSeries]float64 // NaN where the sample had no value
	MemorySource string

	canary  canaryValue // the last canary run, for /health/detailed
	history *History
	views   snapshotViews
}

// ComponentResult is one of the nine components of §1.4.
type ComponentResult struct {
	Name        string
	Raw, Status Level
	// Message and Value are those of the component's worst check (the
	// first in §1.2 order on a tie).
	Message string
	Value   any
}

// Taken is false for the placeholder published before the first sample.
func (s *Snapshot) Taken() bool { return s.Seq > 0 }

// Check finds a check by id.
func (s *Snapshot) Check(id string) (CheckResult, bool) {
	if i, ok := checkIndexByID(id); ok {
		return s.Checks[i], true
	}
	return CheckResult{}, false
}

// Component finds a component by name.
func (s *Snapshot) Component(name string) (ComponentResult, bool) {
	for _, c := range s.Components {
		if c.Name == name {
			return c, true
		}
	}
	return ComponentResult{}, false
}

// Value is the sample's value of series; false when it had none.
func (s *Snapshot) Value(series Series) (float64, bool) {
	if series < 0 || series >= numSeries {
		return 0, false
	}
	v := s.Values[series]
	return v, !math.IsNaN(v)
}

// Stale reports whether at now the snapshot is older than 2 × its interval
// + 10 s, or is the placeholder.
func (s *Snapshot) Stale(now time.Time) bool {
	return !s.Taken() || Stalled(s.TakenAt, s.IntervalAfter, now)
}

// Status is the overall reported status to serve at now: unknown with
// "no sample yet" or "monitor stalled" when the snapshot is not current.
func (s *Snapshot) Status(now time.Time) (Level, string) {
	switch {
	case !s.Taken():
		return LevelUnknown, NoSampleMessage
	case Stalled(s.TakenAt, s.IntervalAfter, now):
		return LevelUnknown, MonitorStalledMessage
	default:
		return s.Overall, s.OverallMessage
	}
}

// History returns up to n of the latest history entries up to this
// snapshot, oldest first.
func (s *Snapshot) History(n int) []HistoryEntry {
	if s.history == nil || n <= 0 {
		return nil
	}
	return s.history.Last(n, s.Seq, make([]HistoryEntry, 0, min(n, s.history.Cap())))
}

// placeholderSnapshot is served before the first sample: every check
// unknown, thresholds as configured.
func placeholderSnapshot(lim *[numChecks]checkLimits, interval time.Duration, h *History) (*Snapshot, error) {
	s := &Snapshot{
		Outcome:        SampleError,
		Overall:        LevelUnknown,
		OverallRaw:     LevelUnknown,
		OverallMessage: NoSampleMessage,
		IntervalAfter:  interval,
		history:        h,
	}
	for i := range s.Checks {
		spec := &checkSpecs[i]
		s.Checks[i] = CheckResult{ID: spec.id, Raw: LevelUnknown, Status: LevelUnknown, Unit: spec.unit,
			Warn: lim[i].warnJSON, Crit: lim[i].critJSON, Message: NoSampleMessage}
	}
	for i := range s.Components {
		s.Components[i] = ComponentResult{Name: componentNames[i], Raw: LevelUnknown, Status: LevelUnknown, Message: NoSampleMessage}
	}
	for i := range s.Values {
		s.Values[i] = missingValue
	}
	for k := range s.Trends {
		s.Trends[k].Key = trendSpecs[k].key
	}
	views, err := buildViews(s, lim)
	if err != nil {
		return nil, err
	}
	s.views = views
	return s, nil
}
