// Package recovery is the recovery manager of observability §5: seven
// procedures, their gating and execution, the attempt history, manual
// triggers and emergency protection mode. It reaches the hub, the room
// registry, the store and the monitor only through the small interfaces of
// deps.go, wired in main.go.
package recovery

import "time"

// Procedure names (observability §5.1).
const (
	StaleConnections       = "stale_connections"
	HighPendingMessages    = "high_pending_messages"
	RoomStateCorruption    = "room_state_corruption"
	ClientDesync           = "client_desync"
	DatabaseConnectionLoss = "database_connection_loss"
	MemoryPressure         = "memory_pressure"
	SystemOverload         = "system_overload"
)

// procedure is the fixed description of one procedure; MaxAttempts and
// Cooldown are the defaults that Config may override.
type procedure struct {
	Name        string
	Action      string
	Description string
	Severity    string // medium, high, critical
	Trigger     string // the trigger condition as /recovery/status shows it
	MaxAttempts int    // executed attempts per rolling hour
	Cooldown    time.Duration
	PerRoom     bool // gating scope: the procedure plus the room id
	Timeout     time.Duration
	Settle      time.Duration // wait between the action and the re-check
}

// procedureTable is §5.1 in order; ProcedureNames and the status body keep it.
var procedureTable = []procedure{
	{
		Name: StaleConnections, Action: "close_stale_connections",
		Description: "close connections whose heartbeat or writer is dead",
		Severity:    "medium", Trigger: "websocket failure rate above 15% or stale connections present",
		MaxAttempts: 5, Cooldown: 30 * time.Second, Timeout: 10 * time.Second, Settle: 2 * time.Second,
	},
	{
		Name: HighPendingMessages, Action: "disconnect_slow_consumers",
		Description: "coalesce superseded queued frames, drop consumers still backed up",
		Severity:    "medium", Trigger: "more than 100 pending outbound frames on 2 consecutive samples",
		MaxAttempts: 3, Cooldown: 60 * time.Second, Timeout: 10 * time.Second, Settle: 2 * time.Second,
	},
	{
		Name: RoomStateCorruption, Action: "restart_room",
		Description: "rebuild a room actor from its stream, or close the room",
		Severity:    "high", Trigger: "room invariant failure, stuck room, append conflict or live state differing from replay",
		MaxAttempts: 2, Cooldown: 120 * time.Second, PerRoom: true, Timeout: 30 * time.Second, Settle: 5 * time.Second,
	},
	{
		Name: ClientDesync, Action: "force_resync",
		Description: "push a fresh view to lagging members",
		Severity:    "medium", Trigger: "client sequence gap above 10",
		MaxAttempts: 3, Cooldown: 30 * time.Second, PerRoom: true, Timeout: 5 * time.Second,
	},
	{
		Name: DatabaseConnectionLoss, Action: "reconnect_database",
		Description: "reopen the read pool and the writer connection",
		Severity:    "high", Trigger: "database response critical, or store I/O, busy, closed or corrupt errors",
		MaxAttempts: 5, Cooldown: 10 * time.Second, Timeout: 30 * time.Second,
	},
	{
		Name: MemoryPressure, Action: "release_memory",
		Description: "free memory held by dead connections, backlogs, idle rooms, caches",
		Severity:    "high", Trigger: "memory usage above 90%",
		MaxAttempts: 3, Cooldown: 60 * time.Second, Timeout: 30 * time.Second, Settle: 5 * time.Second,
	},
	{
		Name: SystemOverload, Action: "shed_load",
		Description: "enter emergency protection mode",
		Severity:    "critical", Trigger: "CPU above 95% and memory above 95%",
		MaxAttempts: 1, Cooldown: 300 * time.Second, Timeout: 5 * time.Second, Settle: 30 * time.Second,
	},
}

// ProcedureNames returns the seven names in the order of §5.1.
func ProcedureNames() []string {
	names := make([]string, len(procedureTable))
	for i, p := range procedureTable {
		names[i] = p.Name
	}
	return names
}

func lookupProcedure(name string) (procedure, bool) {
	for _, p := range procedureTable {
		if p.Name == name {
			return p, true
		}
	}
	return procedure{}, false
}

// ProcedureConfig is the configurable part of a procedure
// (recovery.<name>.enabled / .max_attempts / .cooldown).
type ProcedureConfig struct {
	Enabled     bool
	MaxAttempts int
	Cooldown    time.Duration
}

// Config is the recovery.* configuration (observability §0).
type Config struct {
	Enabled bool
	// Procedures by name; a missing name takes its defaults.
	Procedures            map[string]ProcedureConfig
	HistorySize           int
	ProtectionMinDuration time.Duration
}

// DefaultHistorySize is recovery.history.size.
const DefaultHistorySize = 500

// DefaultConfig is every recovery.* key at its default.
func DefaultConfig() Config {
	procs := make(map[string]ProcedureConfig, len(procedureTable))
	for _, p := range procedureTable {
		procs[p.Name] = ProcedureConfig{Enabled: true, MaxAttempts: p.MaxAttempts, Cooldown: p.Cooldown}
	}
	return Config{
		Enabled:               true,
		Procedures:            procs,
		HistorySize:           DefaultHistorySize,
		ProtectionMinDuration: 2 * time.Minute,
	}
}

// procedureConfig is the configuration in force for name.
func (c Config) procedureConfig(p procedure) ProcedureConfig {
	if pc, ok := c.Procedures[p.Name]; ok {
		return pc
	}
	return ProcedureConfig{Enabled: true, MaxAttempts: p.MaxAttempts, Cooldown: p.Cooldown}
}
