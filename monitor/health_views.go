package monitor

import (
	"encoding/json"
	"fmt"
	"strings"
)

// snapshotViews are the parts of /health/detailed that depend on the
// snapshot alone, encoded once when it is published so that serving it
// costs no more than copying bytes.
type snapshotViews struct {
	metrics, checks, components, trend json.RawMessage
}

// The seven health.metrics entries of protocol §11.5, fields in the
// example's order.
type scalarMetric struct {
	Name          string   `json:"name"`
	Status        Level    `json:"status"`
	Value         *float64 `json:"value"`
	Threshold     *float64 `json:"threshold"`
	WarnThreshold *float64 `json:"warn_threshold"`
	CritThreshold *float64 `json:"crit_threshold"`
	Unit          string   `json:"unit"`
	Message       string   `json:"message"`
}

type objectMetric[V, T any] struct {
	Name          string `json:"name"`
	Status        Level  `json:"status"`
	Value         V      `json:"value"`
	Threshold     T      `json:"threshold"`
	WarnThreshold T      `json:"warn_threshold"`
	CritThreshold T      `json:"crit_threshold"`
	Unit          string `json:"unit,omitempty"`
	Message       string `json:"message"`
}

type websocketValue struct {
	Connections *int64 `json:"connections"`
	Pending     *int64 `json:"pending"`
}

type websocketLimits struct {
	Connections *float64 `json:"connections"`
	Pending     *float64 `json:"pending"`
}

type messagesValue struct {
	DeliveryRate *float64 `json:"delivery_rate"`
	FailureRate  *float64 `json:"failure_rate"`
}

type messagesLimits = messagesValue

type databaseValue struct {
	Accessible  *bool    `json:"accessible"`
	ResponseMs  *float64 `json:"response_ms"`
	AppendP99Ms *float64 `json:"append_p99_ms"`
}

type databaseLimits struct {
	ResponseMs  *float64 `json:"response_ms"`
	AppendP99Ms *float64 `json:"append_p99_ms"`
}

type canaryValue struct {
	Passed     *bool    `json:"passed"`
	DurationMs *int64   `json:"duration_ms"`
	LastRun    *float64 `json:"last_run"`
}

type canaryLimits struct {
	DurationMs *float64 `json:"duration_ms"`
}

type detailedMetrics struct {
	Memory    scalarMetric                                  `json:"memory"`
	CPU       scalarMetric                                  `json:"cpu"`
	Disk      scalarMetric                                  `json:"disk"`
	Websocket objectMetric[websocketValue, websocketLimits] `json:"websocket"`
	Messages  objectMetric[messagesValue, messagesLimits]   `json:"messages"`
	Database  objectMetric[databaseValue, databaseLimits]   `json:"database"`
	Canary    objectMetric[canaryValue, canaryLimits]       `json:"canary"`
}

type checkView struct {
	Raw     Level    `json:"raw"`
	Status  Level    `json:"status"`
	Value   any      `json:"value"`
	Unit    string   `json:"unit"`
	Warn    *float64 `json:"warn"`
	Crit    *float64 `json:"crit"`
	Message string   `json:"message"`
	Stale   bool     `json:"stale"`
}

type componentsView struct {
	Runtime Level `json:"runtime"`
	Game    Level `json:"game"`
}

type trendView struct {
	Memory      Trend `json:"memory"`
	Connections Trend `json:"connections"`
	ProcessRSS  Trend `json:"process_rss"`
	Goroutines  Trend `json:"goroutines"`
}

func buildViews(s *Snapshot, lim *[numChecks]checkLimits) (snapshotViews, error) {
	var v snapshotViews
	var err error
	if v.metrics, err = json.Marshal(buildMetrics(s, lim)); err != nil {
		return v, fmt.Errorf("encode health metrics: %w", err)
	}
	checks := make(map[string]checkView, numChecks)
	for _, c := range s.Checks {
		checks[c.ID] = checkView{Raw: c.Raw, Status: c.Status, Value: c.Value, Unit: c.Unit,
			Warn: c.Warn, Crit: c.Crit, Message: c.Message, Stale: c.Stale}
	}
	if v.checks, err = json.Marshal(checks); err != nil {
		return v, fmt.Errorf("encode health checks: %w", err)
	}
	if v.components, err = json.Marshal(componentsView{
		Runtime: s.Components[compRuntime].Status, Game: s.Components[compGame].Status,
	}); err != nil {
		return v, fmt.Errorf("encode health components: %w", err)
	}
	if v.trend, err = json.Marshal(trendView{
		Memory: s.Trends[trendMemory], Connections: s.Trends[trendConnections],
		ProcessRSS: s.Trends[trendRSS], Goroutines: s.Trends[trendGoroutines],
	}); err != nil {
		return v, fmt.Errorf("encode health trend: %w", err)
	}
	return v, nil
}

func buildMetrics(s *Snapshot, lim *[numChecks]checkLimits) detailedMetrics {
	scalar := func(name string, idx checkIndex, comp componentIndex, series Series) scalarMetric {
		l := &lim[idx]
		return scalarMetric{Name: name, Status: s.Components[comp].Status, Value: s.present(series),
			Threshold: l.critJSON, WarnThreshold: l.warnJSON, CritThreshold: l.critJSON,
			Unit: "percent", Message: s.Checks[idx].Message}
	}
	m := detailedMetrics{
		Memory: scalar("memory_usage", chkMemory, compMemory, SeriesMemory),
		CPU:    scalar("cpu_usage", chkCPU, compCPU, SeriesCPU),
		Disk:   scalar("disk_usage", chkDisk, compDisk, SeriesDisk),
	}

	wsCrit := websocketLimits{lim[chkConnections].critJSON, lim[chkPending].critJSON}
	m.Websocket = objectMetric[websocketValue, websocketLimits]{Name: "websocket",
		Status:    s.Components[compWebsocket].Status,
		Value:     websocketValue{s.presentInt(SeriesConnections), s.presentInt(SeriesPending)},
		Threshold: wsCrit, WarnThreshold: websocketLimits{lim[chkConnections].warnJSON, lim[chkPending].warnJSON},
		CritThreshold: wsCrit,
		Message:       s.componentMessage(compWebsocket, "WebSocket: %s connections, %s pending", SeriesConnections, SeriesPending)}

	msgCrit := messagesLimits{lim[chkDeliveryRate].critJSON, lim[chkFailureRate].critJSON}
	m.Messages = objectMetric[messagesValue, messagesLimits]{Name: "message_delivery",
		Status:    s.Components[compMessages].Status,
		Value:     messagesValue{s.present(SeriesDeliveryRate), s.present(SeriesFailureRate)},
		Threshold: msgCrit, WarnThreshold: messagesLimits{lim[chkDeliveryRate].warnJSON, lim[chkFailureRate].warnJSON},
		CritThreshold: msgCrit, Unit: "percent",
		Message: s.componentMessage(compMessages, "Delivery %s%%, failures %s%%", SeriesDeliveryRate, SeriesFailureRate)}

	dbCrit := databaseLimits{lim[chkDBResponse].critJSON, lim[chkDBAppend].critJSON}
	db := databaseValue{ResponseMs: s.present(SeriesDBResponseMs), AppendP99Ms: s.present(SeriesAppendP99Ms)}
	if resp := s.Checks[chkDBResponse]; resp.Raw != LevelUnknown {
		accessible := resp.Value != nil // a ping that failed or timed out has no value
		db.Accessible = &accessible
	}
	m.Database = objectMetric[databaseValue, databaseLimits]{Name: "database",
		Status: s.Components[compDatabase].Status, Value: db,
		Threshold: dbCrit, WarnThreshold: databaseLimits{lim[chkDBResponse].warnJSON, lim[chkDBAppend].warnJSON},
		CritThreshold: dbCrit, Message: s.componentMessage(compDatabase, "")}

	canaryCrit := canaryLimits{lim[chkCanary].critJSON}
	m.Canary = objectMetric[canaryValue, canaryLimits]{Name: "canary",
		Status: s.Components[compCanary].Status, Value: s.canary,
		Threshold: canaryCrit, WarnThreshold: canaryLimits{lim[chkCanary].warnJSON}, CritThreshold: canaryCrit,
		Message: s.Checks[chkCanary].Message}
	return m
}

// present is the series' value for JSON, nil when missing or not finite.
func (s *Snapshot) present(series Series) *float64 {
	if v, ok := s.Value(series); ok {
		return FiniteOrNil(v)
	}
	return nil
}

func (s *Snapshot) presentInt(series Series) *int64 {
	if v, ok := s.Value(series); ok {
		n := int64(v)
		return &n
	}
	return nil
}

// componentMessage is a summary while the component is healthy and its
// values are present; otherwise the messages of its checks that are not
// healthy or are stale, which say what is wrong or missing.
func (s *Snapshot) componentMessage(comp componentIndex, summary string, series ...Series) string {
	if s.Components[comp].Status == LevelHealthy {
		args := make([]any, len(series))
		complete := true
		for i, se := range series {
			v, ok := s.Value(se)
			complete = complete && ok
			args[i] = formatSummary(se, v)
		}
		switch {
		case complete && summary != "":
			return fmt.Sprintf(summary, args...)
		case complete:
			return s.Checks[firstCheckOf(comp)].Message
		}
	}
	var notes []string
	for i := range s.Checks {
		if c := &s.Checks[i]; checkSpecs[i].component == comp && (c.Status != LevelHealthy || c.Stale) {
			notes = append(notes, c.Message)
		}
	}
	return strings.Join(notes, "; ")
}

func firstCheckOf(comp componentIndex) checkIndex {
	for i := range checkSpecs {
		if checkSpecs[i].component == comp {
			return checkIndex(i)
		}
	}
	return 0
}

func formatSummary(s Series, v float64) string {
	switch s {
	case SeriesConnections, SeriesPending:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}
