package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// CanaryStats is what check 15 reads from the canary runner (§1.1);
// *CanaryRunner implements it.
type CanaryStats interface {
	State() CanaryState
}

// Sources are the objects the health monitor reads. A nil source leaves
// its checks unknown, except a nil Canary, which counts as disabled.
type Sources struct {
	Hub    HubStats
	Rooms  RoomStats
	Store  StoreStats
	Canary CanaryStats
	System SystemSource
}

// ChangeKind says what a Change is about.
type ChangeKind string

const (
	ChangeCheck     ChangeKind = "check"
	ChangeComponent ChangeKind = "component"
	ChangeOverall   ChangeKind = "overall"
)

// Change is one change of a reported status (§4). Subject is a check id, a
// component name or "overall".
type Change struct {
	Subject   string
	Kind      ChangeKind
	From, To  Level
	Value     any
	Message   string
	SampleSeq uint64
	// Trend marks a change made by a trend warning being raised or cleared.
	Trend bool
}

// Monitor is the health loop's state: it samples when the scheduler (or
// Recheck) asks, and everything else reads the published snapshot.
type Monitor struct {
	cfg    Config
	limits *[numChecks]checkLimits
	eval   evaluator
	col    healthCollectors
	clock  Clock
	log    *slog.Logger

	// sampleMu serialises samples; the fields below belong to it.
	sampleMu      sync.Mutex
	seq           uint64
	checks        [numChecks]hysteresis
	trends        *trendTracker
	interval      time.Duration
	streak        int
	canaryEnabled bool

	history  *History
	schedule atomic.Pointer[func() (time.Duration, int)]
	snap     atomic.Pointer[Snapshot]

	observersMu sync.RWMutex
	onChange    []func(Change)
	onSample    []func(*Snapshot)
}

// New builds a monitor over src. Until the first sample it publishes a
// placeholder snapshot with every check unknown.
func New(cfg Config, src Sources, clock Clock, log *slog.Logger) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("monitor config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lim := resolveLimits(cfg)
	m := &Monitor{
		cfg:           cfg,
		limits:        lim,
		eval:          evaluator{limits: lim, minFrames: cfg.MinFrames},
		col:           healthCollectors{src: src, clock: clock},
		clock:         clock,
		log:           log,
		trends:        newTrendTracker(cfg.TrendWindow, cfg.TrendHorizon),
		interval:      cfg.Schedule.Default,
		canaryEnabled: true,
		history:       newHistory(cfg.HistorySize),
	}
	placeholder, err := placeholderSnapshot(lim, cfg.Schedule.Default, m.history)
	if err != nil {
		return nil, err
	}
	m.snap.Store(placeholder)
	return m, nil
}

// SetSchedule gives the monitor the scheduler's current I and S (before
// the sample in progress updates them), so each snapshot carries the
// values after it. Without it the monitor keeps its own.
func (m *Monitor) SetSchedule(f func() (interval time.Duration, streak int)) { m.schedule.Store(&f) }

// OnChange registers f for every reported-status change, called once per
// change after the snapshot is published: checks in §1.2 order, then
// components, then overall. f runs on the sampling goroutine and must not
// call Sample.
func (m *Monitor) OnChange(f func(Change)) {
	m.observersMu.Lock()
	defer m.observersMu.Unlock()
	m.onChange = append(m.onChange, f)
}

// OnSample registers f, called with each published snapshot after the
// OnChange observers.
func (m *Monitor) OnSample(f func(*Snapshot)) {
	m.observersMu.Lock()
	defer m.observersMu.Unlock()
	m.onSample = append(m.onSample, f)
}

// Snapshot is the latest published snapshot; it never samples and is
// never nil.
func (m *Monitor) Snapshot() *Snapshot { return m.snap.Load() }

// Current is the overall status to serve at now, the stale rule applied.
func (m *Monitor) Current(now time.Time) (Level, string) { return m.Snapshot().Status(now) }

// History is the ring of samples.
func (m *Monitor) History() *History { return m.history }

// OutcomeOf tells the scheduler what a sample returned: an error resets the
// interval, a raw overall other than healthy shortens it.
func OutcomeOf(overallRaw Level, err error) SampleOutcome {
	switch {
	case err != nil:
		return SampleError
	case overallRaw == LevelHealthy:
		return SampleHealthy
	default:
		return SampleDegraded
	}
}

// Sample takes one full sample (§2.1): the system collectors one after
// another while the database ping runs beside them, then evaluation,
// hysteresis, trends, history, publication and the observers. When ctx
// ends first the sample is recorded as an error sample, every value null,
// and the error is returned.
func (m *Monitor) Sample(ctx context.Context, trigger string) (overallRaw Level, err error) {
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	start := m.clock.Now()
	in := m.col.collect(ctx, needAll)
	if ctx.Err() != nil {
		err = fmt.Errorf("monitor sample %q: %w", trigger, ctx.Err())
		m.log.WarnContext(ctx, "monitor sample did not finish", "category", "system", "trigger", trigger, "error", err)
	}
	prev := m.snap.Load()
	snap := m.judge(&in, err, start, trigger)
	snap.Duration = m.clock.Now().Sub(start)
	views, viewErr := buildViews(snap, m.limits)
	if viewErr != nil {
		return LevelUnknown, viewErr
	}
	snap.views = views
	m.snap.Store(snap)
	m.notify(prev, snap)
	return snap.OverallRaw, err
}

// judge turns one sample's inputs into the next snapshot and advances the
// hysteresis, trend and schedule state. sampleErr makes it an error sample.
func (m *Monitor) judge(in *sampleInputs, sampleErr error, start time.Time, trigger string) *Snapshot {
	m.seq++
	s := &Snapshot{Seq: m.seq, TakenAt: start, Trigger: trigger, history: m.history}
	var raw [numChecks]CheckResult
	for i := range raw {
		if sampleErr != nil {
			spec := &checkSpecs[i]
			raw[i] = CheckResult{ID: spec.id, Unit: spec.unit, Warn: m.limits[i].warnJSON, Crit: m.limits[i].critJSON}
			markUnknown(&raw[i], "sample", sampleErr)
			continue
		}
		raw[i] = m.eval.evaluate(checkIndex(i), in)
	}
	if sampleErr != nil {
		s.Err = sampleErr.Error()
		for i := range s.Values {
			s.Values[i] = missingValue
		}
	} else {
		s.Values = readingsFrom(in)
		s.MemorySource = in.memory.value.Source
		s.canary = canaryView(in)
		// A canary whose state could not be read keeps its last flag.
		if in.canary.err == nil || errors.Is(in.canary.err, errNoSource) {
			m.canaryEnabled = in.canary.err == nil && in.canary.value.Enabled
		}
	}
	s.Trends = m.trends.update(m.history, start.UnixMilli(), &s.Values, m.limits)
	essential := m.essential()
	for i := range raw {
		h := &m.checks[i]
		h.observe(raw[i].Raw, m.cfg.RecoverSamples)
		r := raw[i]
		r.Status, r.Stale = h.reported, h.stale
		s.Checks[i] = r
	}
	for k, t := range s.Trends {
		c := &s.Checks[trendSpecs[k].check]
		if trendSpecs[k].raises && t.Warning && c.Status == LevelHealthy {
			c.Status, c.Trend, c.Message = LevelWarning, true, t.Message
		}
	}
	m.aggregate(s, essential[:])
	m.advanceSchedule(s, sampleErr)
	entry := HistoryEntry{UnixMs: start.UnixMilli(), Seq: s.Seq, Trigger: trigger, OverallRaw: s.OverallRaw, Overall: s.Overall}
	for i := range s.Checks {
		entry.Checks[i] = s.Checks[i].Status
	}
	copy(entry.Values[:], s.Values[:numHistorySeries])
	m.history.append(&entry)
	return s
}

// essential is each check's essential flag for this sample: the canary's
// only while it runs (§1.2).
func (m *Monitor) essential() [numChecks]bool {
	var e [numChecks]bool
	for i := range checkSpecs {
		e[i] = checkSpecs[i].essential
	}
	e[chkCanary] = m.canaryEnabled
	return e
}

// aggregate derives the components and the overall status (§1.4).
func (m *Monitor) aggregate(s *Snapshot, essential []bool) {
	var reported, raw [numChecks]Level
	for i := range s.Checks {
		reported[i], raw[i] = s.Checks[i].Status, s.Checks[i].Raw
	}
	var levels, raws [numChecks]Level
	var flags [numChecks]bool
	for c := range s.Components {
		n := 0
		for i := range checkSpecs {
			if checkSpecs[i].component == componentIndex(c) {
				levels[n], raws[n], flags[n] = reported[i], raw[i], essential[i]
				n++
			}
		}
		comp := ComponentResult{Name: componentNames[c], Raw: aggregateLevels(raws[:n], flags[:n]),
			Status: aggregateLevels(levels[:n], flags[:n])}
		if w, ok := worstCheck(s, componentIndex(c)); ok {
			comp.Message, comp.Value = s.Checks[w].Message, s.Checks[w].Value
		}
		s.Components[c] = comp
	}
	s.Overall = aggregateLevels(reported[:], essential)
	s.OverallRaw = aggregateLevels(raw[:], essential)
	s.OverallMessage = "all checks healthy"
	if w, ok := worstCheck(s, -1); ok && s.Checks[w].Status != LevelHealthy {
		s.OverallMessage = s.Checks[w].ID + ": " + s.Checks[w].Message
	}
}

// worstCheck is the check with the highest reported level within comp
// (every check when comp is negative), the first on a tie.
func worstCheck(s *Snapshot, comp componentIndex) (checkIndex, bool) {
	best, found := checkIndex(0), false
	for i := range s.Checks {
		if comp >= 0 && checkSpecs[i].component != comp {
			continue
		}
		if !found || s.Checks[i].Status > s.Checks[best].Status {
			best, found = checkIndex(i), true
		}
	}
	return best, found
}

// advanceSchedule stamps I and S after this sample, applying §2.1 to the
// scheduler's values as it will.
func (m *Monitor) advanceSchedule(s *Snapshot, sampleErr error) {
	interval, streak := m.interval, m.streak
	if f := m.schedule.Load(); f != nil {
		interval, streak = (*f)()
	}
	s.Outcome = OutcomeOf(s.OverallRaw, sampleErr)
	m.interval, m.streak = scheduleAfter(m.cfg.Schedule, interval, streak, s.Outcome)
	s.IntervalAfter, s.Streak = m.interval, m.streak
}

// scheduleAfter is the §2.1 update in whole milliseconds.
func scheduleAfter(cfg SchedulerConfig, interval time.Duration, streak int, outcome SampleOutcome) (time.Duration, int) {
	ms := interval.Milliseconds()
	switch outcome {
	case SampleHealthy:
		streak++
		if streak > 5 {
			ms = min(cfg.Max.Milliseconds(), ms*6/5)
		}
	case SampleDegraded:
		ms, streak = max(cfg.Min.Milliseconds(), ms/2), 0
	default:
		ms, streak = cfg.Default.Milliseconds(), 0
	}
	return time.Duration(ms) * time.Millisecond, streak
}

func canaryView(in *sampleInputs) canaryValue {
	st := in.canary.value
	if in.canary.err != nil || !st.Enabled || len(st.Recent) == 0 {
		return canaryValue{}
	}
	last := st.Recent[len(st.Recent)-1]
	passed, ms, at := last.Passed(), last.Duration.Milliseconds(), unixSeconds(last.At)
	return canaryValue{Passed: &passed, DurationMs: &ms, LastRun: &at}
}

// notify calls the observers with the changes from prev to next, then with
// next itself.
func (m *Monitor) notify(prev, next *Snapshot) {
	m.observersMu.RLock()
	onChange, onSample := m.onChange, m.onSample
	m.observersMu.RUnlock()
	emit := func(c Change) {
		for _, f := range onChange {
			f(c)
		}
	}
	if len(onChange) > 0 {
		for i := range next.Checks {
			p, n := &prev.Checks[i], &next.Checks[i]
			if p.Status != n.Status {
				emit(Change{Subject: n.ID, Kind: ChangeCheck, From: p.Status, To: n.Status, Value: n.Value,
					Message: n.Message, SampleSeq: next.Seq, Trend: p.Trend || n.Trend})
			}
		}
		for i := range next.Components {
			p, n := &prev.Components[i], &next.Components[i]
			if p.Status != n.Status {
				emit(Change{Subject: n.Name, Kind: ChangeComponent, From: p.Status, To: n.Status, Value: n.Value,
					Message: n.Message, SampleSeq: next.Seq})
			}
		}
		if prev.Overall != next.Overall {
			emit(Change{Subject: HealthOverall, Kind: ChangeOverall, From: prev.Overall, To: next.Overall,
				Message: next.OverallMessage, SampleSeq: next.Seq})
		}
	}
	for _, f := range onSample {
		f(next)
	}
}

// Recheck runs only the collectors of the checks ids names and returns
// their raw results (Status equal to Raw), leaving the schedule, the
// hysteresis and the history untouched. Unknown ids are left out.
func (m *Monitor) Recheck(ctx context.Context, ids []string) map[string]CheckResult {
	var need needs
	idxs := make([]checkIndex, 0, len(ids))
	for _, id := range ids {
		if i, ok := checkIndexByID(id); ok {
			idxs = append(idxs, i)
			need |= checkNeeds[i]
		}
	}
	in := m.col.collect(ctx, need)
	out := make(map[string]CheckResult, len(idxs))
	for _, i := range idxs {
		r := m.eval.evaluate(i, &in)
		r.Status = r.Raw
		out[r.ID] = r
	}
	return out
}
