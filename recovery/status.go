package recovery

import (
	"math"
	"time"
)

// recentHistoryLimit bounds recent_history (protocol.md §11.9).
const recentHistoryLimit = 10

// StatusBody is the body of GET /recovery/status (protocol.md §11.9).
type StatusBody struct {
	Success         bool                       `json:"success"`
	IsActive        bool                       `json:"is_active"`
	TotalProcedures int                        `json:"total_procedures"`
	RecentAttempts  int                        `json:"recent_attempts"`
	SuccessRate     float64                    `json:"success_rate"`
	Protection      ProtectionBody             `json:"protection"`
	Procedures      map[string]ProcedureStatus `json:"procedures"`
	RecentHistory   []Entry                    `json:"recent_history"`
	// Attempt answers the query attempt=<id>: an Entry or a RunningAttempt.
	Attempt any `json:"attempt,omitempty"`
}

// ProtectionBody is the protection object of the status body.
type ProtectionBody struct {
	Active bool     `json:"active"`
	Since  *float64 `json:"since"` // Unix seconds
	Reason *string  `json:"reason"`
}

// ProcedureStatus is one value of the status body's procedures.
type ProcedureStatus struct {
	Description     string   `json:"description"`
	Enabled         bool     `json:"enabled"`
	MaxAttempts     int      `json:"max_attempts"`
	CooldownSeconds float64  `json:"cooldown_seconds"`
	Severity        string   `json:"severity"`
	RecentAttempts  int      `json:"recent_attempts"`
	Action          string   `json:"action"`
	Trigger         string   `json:"trigger"`
	LastAttemptAt   *float64 `json:"last_attempt_at"`
	NextAllowedAt   *float64 `json:"next_allowed_at"`
}

// RunningAttempt is the attempt query's answer while the attempt runs, and
// the 202 body of a manual trigger (with field names of its own there).
type RunningAttempt struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

func secondsPtr(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	s := epochSeconds(t)
	return &s
}

// Status builds the status body at now. recent_attempts, success_rate and
// recent_history cover the executed attempts started in the last hour;
// next_allowed_at of a per-room procedure is that of its newest attempt's
// room.
func (m *Manager) Status(now time.Time) StatusBody {
	body := StatusBody{
		Success:         true,
		IsActive:        m.active.Load(),
		TotalProcedures: len(procedureTable),
		Procedures:      make(map[string]ProcedureStatus, len(procedureTable)),
		RecentHistory:   []Entry{},
	}
	st := m.ProtectionState()
	body.Protection = ProtectionBody{Active: st.Active, Since: secondsPtr(st.Since)}
	if st.Active {
		body.Protection.Reason = &st.Reason
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	perProc := make(map[string]int, len(procedureTable))
	successes := 0
	for i := range m.history.len() {
		e := m.history.newest(i)
		if !e.start.After(now.Add(-hourWindow)) {
			continue
		}
		body.RecentAttempts++
		perProc[e.ProcedureName]++
		if e.Success {
			successes++
		}
		if len(body.RecentHistory) < recentHistoryLimit {
			body.RecentHistory = append(body.RecentHistory, e)
		}
	}
	if body.RecentAttempts > 0 {
		body.SuccessRate = math.Round(float64(successes)*1000/float64(body.RecentAttempts)) / 10
	}
	for _, p := range procedureTable {
		pc := m.cfg.procedureConfig(p)
		ps := ProcedureStatus{
			Description: p.Description, Enabled: m.cfg.Enabled && pc.Enabled,
			MaxAttempts: pc.MaxAttempts, CooldownSeconds: pc.Cooldown.Seconds(),
			Severity: p.Severity, RecentAttempts: perProc[p.Name], Action: p.Action, Trigger: p.Trigger,
		}
		if last, ok := m.lastRun[p.Name]; ok {
			ps.LastAttemptAt = secondsPtr(last.start)
			ps.NextAllowedAt = secondsPtr(m.nextAllowedLocked(now, last.key))
		}
		body.Procedures[p.Name] = ps
	}
	return body
}

// Attempt finds attempt id: its history entry once finished, running while
// it runs; ok is false when it is neither (never admitted, or dropped from
// the ring).
func (m *Manager) Attempt(id int64) (entry Entry, running bool, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.running[id]; ok {
		return Entry{}, true, true
	}
	for i := range m.history.len() {
		if e := m.history.newest(i); e.ID == id {
			return e, false, true
		}
	}
	return Entry{}, false, false
}
