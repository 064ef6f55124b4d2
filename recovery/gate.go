package recovery

import "time"

// hourWindow is the rolling window of the attempts gate.
const hourWindow = time.Hour

// scope is the gating state of one scope key: the procedure, plus the room
// id for per-room procedures (§5.2). Guarded by Manager.mu.
type scope struct {
	proc             procedure
	starts           []time.Time // starts of executed attempts in the last hour, oldest first
	lastEnd          time.Time   // end of the last finished attempt; zero when none
	running          int64       // id of the running attempt; 0 when none
	exhaustedAlertAt time.Time   // last "recovery exhausted" alert; zero when none
}

func scopeKey(p procedure, target string) string {
	if p.PerRoom {
		return p.Name + "/" + target
	}
	return p.Name
}

// pruneStarts drops starts that left the hourly window.
func (s *scope) pruneStarts(now time.Time) {
	cut := 0
	for cut < len(s.starts) && !s.starts[cut].After(now.Add(-hourWindow)) {
		cut++
	}
	s.starts = s.starts[cut:]
}

// cooldownLeft is how long the cooldown still runs at now.
func (s *scope) cooldownLeft(now time.Time, pc ProcedureConfig) time.Duration {
	if s.lastEnd.IsZero() {
		return 0
	}
	return max(pc.Cooldown-now.Sub(s.lastEnd), 0)
}

// hourlyLeft is how long until the attempts gate opens at now: the time
// until enough starts leave the window to bring the count below the max.
func (s *scope) hourlyLeft(now time.Time, pc ProcedureConfig) time.Duration {
	s.pruneStarts(now)
	n := len(s.starts)
	if n < pc.MaxAttempts {
		return 0
	}
	if pc.MaxAttempts < 1 {
		return hourWindow
	}
	return s.starts[n-pc.MaxAttempts].Add(hourWindow).Sub(now)
}

// idle reports whether the scope holds nothing a gate or alert still needs.
func (s *scope) idle(now time.Time, pc ProcedureConfig) bool {
	return s.running == 0 && s.cooldownLeft(now, pc) == 0 && s.hourlyLeft(now, pc) == 0 &&
		(s.exhaustedAlertAt.IsZero() || now.Sub(s.exhaustedAlertAt) >= hourWindow)
}

// scopeLocked returns the scope of key, creating it (and sweeping idle
// scopes, so per-room keys stay bounded by the rooms that need them).
func (m *Manager) scopeLocked(now time.Time, p procedure, key string) *scope {
	if s, ok := m.scopes[key]; ok {
		return s
	}
	for k, s := range m.scopes {
		if s.idle(now, m.cfg.procedureConfig(s.proc)) {
			delete(m.scopes, k)
		}
	}
	s := &scope{proc: p}
	m.scopes[key] = s
	return s
}

// gateLocked runs gates 1-4 of §5.2 in order; nil admits.
func (m *Manager) gateLocked(now time.Time, p procedure, key string) *rejection {
	pc := m.cfg.procedureConfig(p)
	if !m.cfg.Enabled || !pc.Enabled {
		return &rejection{reason: ReasonDisabled}
	}
	s := m.scopeLocked(now, p, key)
	if left := s.cooldownLeft(now, pc); left > 0 {
		return &rejection{reason: ReasonCooldown, retry: left}
	}
	if left := s.hourlyLeft(now, pc); left > 0 {
		return &rejection{reason: ReasonHourlyLimit, retry: left}
	}
	if s.running != 0 {
		return &rejection{reason: ReasonInProgress}
	}
	return nil
}

// nextAllowedLocked is the end of the cooldown or of the hourly window of
// key, whichever is later; zero when neither blocks at now.
func (m *Manager) nextAllowedLocked(now time.Time, key string) time.Time {
	s, ok := m.scopes[key]
	if !ok {
		return time.Time{}
	}
	pc := m.cfg.procedureConfig(s.proc)
	left := max(s.cooldownLeft(now, pc), s.hourlyLeft(now, pc))
	if left == 0 {
		return time.Time{}
	}
	return now.Add(left)
}
