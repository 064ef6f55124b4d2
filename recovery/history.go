package recovery

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Entry is one executed attempt, with the field names of GET
// /recovery/status (protocol.md §11.9); it is also the payload of the
// _system event recovery_attempted. Entries are immutable once recorded.
type Entry struct {
	ID            int64            `json:"id"`
	ProcedureName string           `json:"procedure_name"`
	Action        string           `json:"action"`
	Target        *string          `json:"target"`
	Timestamp     float64          `json:"timestamp"` // start, Unix seconds
	TimestampISO  string           `json:"timestamp_iso"`
	Success       bool             `json:"success"`
	Result        string           `json:"result"`
	Source        string           `json:"source"`
	RaisedBy      string           `json:"raised_by"`
	DurationMs    int64            `json:"duration_ms"`
	ErrorMessage  *string          `json:"error_message"`
	Actions       map[string]int64 `json:"actions"`
	CheckBefore   map[string]any   `json:"check_before"`
	CheckAfter    map[string]any   `json:"check_after"`
	Context       map[string]any   `json:"context"`
	CorrelationID string           `json:"correlation_id"`

	start time.Time
}

func newEntry(a *attempt, end time.Time, result, why string,
	actions map[string]int64, before, after map[string]any) Entry {
	e := Entry{
		ID:            a.id,
		ProcedureName: a.proc.Name,
		Action:        a.proc.Action,
		Timestamp:     epochSeconds(a.start),
		TimestampISO:  isoTime(a.start),
		Success:       result == ResultSuccess,
		Result:        result,
		Source:        a.source,
		RaisedBy:      a.raisedBy,
		DurationMs:    end.Sub(a.start).Milliseconds(),
		Actions:       actions,
		CheckBefore:   before,
		CheckAfter:    after,
		Context:       a.context,
		CorrelationID: a.correlationID,
		start:         a.start,
	}
	if a.target != "" {
		e.Target = &a.target
	}
	if why != "" {
		e.ErrorMessage = &why
	}
	if e.Actions == nil {
		e.Actions = map[string]int64{}
	}
	if e.CheckBefore == nil {
		e.CheckBefore = map[string]any{}
	}
	if e.CheckAfter == nil {
		e.CheckAfter = map[string]any{}
	}
	return e
}

// epochSeconds is t as Unix seconds with millisecond fraction (§0.1).
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// isoTime is t in RFC 3339 UTC with at most millisecond precision.
func isoTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano)
}

// formatFields renders a reading as "k=v, k=v" in key order, for alerts.
func formatFields(fields map[string]any) string {
	parts := make([]string, 0, len(fields))
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, fields[k]))
	}
	return strings.Join(parts, ", ")
}

// ring keeps the newest executed attempts (recovery.history.size).
type ring struct {
	entries []Entry
	next    int // slot of the next add
	full    bool
}

func newRing(size int) *ring { return &ring{entries: make([]Entry, size)} }

func (r *ring) add(e Entry) {
	r.entries[r.next] = e
	r.next = (r.next + 1) % len(r.entries)
	if r.next == 0 {
		r.full = true
	}
}

// len is the number of entries held.
func (r *ring) len() int {
	if r.full {
		return len(r.entries)
	}
	return r.next
}

// newest returns the i-th newest entry, 0 the newest; i < len.
func (r *ring) newest(i int) Entry {
	return r.entries[(r.next-1-i+len(r.entries))%len(r.entries)]
}
