package monitor

// Closed label sets of the metric catalogue (observability §8.1). Every
// labelled family pre-creates one series per value so that dashboards never
// see a missing series; code that increments a family uses these values and
// nothing else, which keeps the label cardinality fixed.

// HealthStates are the status levels of §1.4, in precedence order.
var HealthStates = []string{"healthy", "warning", "unknown", "critical"}

// CheckIDs are the 15 checks of §1.2.
var CheckIDs = []string{
	"system:cpu", "system:memory", "system:disk", "system:process_rss", "system:goroutines",
	"websocket:connections", "websocket:pending", "websocket:delivery_rate", "websocket:failure_rate",
	"database:response", "database:append",
	"game:rooms", "game:players", "game:room_faults",
	"canary:game",
}

// ComponentIDs are the nine components of §1.4.
var ComponentIDs = []string{
	"memory", "cpu", "disk", "websocket", "messages", "database", "canary", "runtime", "game",
}

// HealthOverall is the check label of the overall status.
const HealthOverall = "overall"

// HealthSubjects are the values of the check label of liaptui_health_status
// and liaptui_health_transitions_total: every check, every component, overall.
var HealthSubjects = concatLabels(CheckIDs, ComponentIDs, []string{HealthOverall})

// Sample triggers besides the wake reasons.
const (
	TriggerStartup  = "startup"
	TriggerSchedule = "schedule"
)

// WakeReasons are the reasons owners pass to Wake (§2.2).
var WakeReasons = []string{"pending", "failures", "connections", "store", "room_fault", "canary", "recovery"}

// SampleTriggers are the values of the trigger label of liaptui_monitor_samples_total.
var SampleTriggers = concatLabels([]string{TriggerStartup, TriggerSchedule}, WakeReasons)

// SampleOutcomes are the values of the outcome label of
// liaptui_monitor_samples_total, indexed by SampleOutcome.
var SampleOutcomes = []string{"healthy", "degraded", "error"}

// WsCloseReasons are the reasons a WebSocket connection ends.
var WsCloseReasons = []string{
	"normal", "replaced", "hello_timeout", "heartbeat_timeout", "slow_consumer",
	"write_error", "bad_frame", "internal", "shutdown", "stale",
}

// WsFrameFailures are the fates of §1.3 that count as failed.
var WsFrameFailures = []string{"queue_full", "write_error", "discarded"}

// WsCommandUnknown labels inbound frames whose type is not one of the
// protocol's commands, so a client cannot mint label values.
const WsCommandUnknown = "unknown"

// WsCommands are the client→server command types of protocol §4, plus
// WsCommandUnknown.
var WsCommands = []string{
	"hello", "ping", "lobby.subscribe", "lobby.unsubscribe",
	"room.create", "room.join", "room.leave", "room.seat", "room.start",
	"game.redeal", "game.declare", "game.play", "room.resync",
	WsCommandUnknown,
}

// WsCommandOutcomes are the replies a command ends with.
var WsCommandOutcomes = []string{"ack", "error"}

// WsErrorCodes are the protocol §10 codes that travel in WebSocket error messages.
var WsErrorCodes = []string{
	"BAD_MESSAGE", "UNKNOWN_TYPE", "INVALID_FIELD", "NOT_AUTHENTICATED", "ALREADY_AUTHENTICATED",
	"INVALID_TOKEN", "RATE_LIMITED", "ROOM_NOT_FOUND", "ROOM_FULL", "GAME_ALREADY_STARTED",
	"ALREADY_IN_ROOM", "NOT_HOST", "SEAT_OCCUPIED", "SEAT_NOT_BOT", "SEATS_NOT_FILLED",
	"NOT_SEATED", "WRONG_PHASE", "NOT_IN_CONTROL", "NOT_YOUR_TURN", "STALE_DEAL",
	"REDEAL_NOT_OFFERED", "ALREADY_DECIDED", "INVALID_VALUE", "DECLARATION_FORBIDDEN", "UNKNOWN_PIECE",
	"DUPLICATE_PIECE", "WRONG_PIECE_COUNT", "PIECE_NOT_IN_HAND", "INVALID_PLAY", "SEQ_OUT_OF_RANGE",
	"UNAVAILABLE", "INTERNAL",
}

// WsResyncModes are the ways a resync is answered (protocol §8).
var WsResyncModes = []string{"events", "view"}

// RoomStates are the live room states counted by liaptui_rooms.
var RoomStates = []string{"waiting", "playing", "finished"}

// PlayerKinds are the seat occupants counted by liaptui_players.
var PlayerKinds = []string{"human_connected", "human_away", "bot"}

// GameOutcomes are the ways a started game ends.
var GameOutcomes = []string{"completed", "abandoned", "failed"}

// RoomEventTypes are the room event types of rules §20.2.
var RoomEventTypes = []string{
	"room_created", "player_joined", "bot_added", "bot_removed",
	"game_started", "hands_dealt", "redeal_decided", "redeal_started", "round_started",
	"declaration_started", "declared", "turn_started", "played", "turn_won", "round_scored",
	"game_over", "player_disconnected", "player_reconnected", "player_left",
	"seat_control_changed", "host_changed", "room_closed",
}

// RoomRebuildTriggers are the causes of an actor rebuild.
var RoomRebuildTriggers = []string{"panic", "corruption", "startup"}

// ReplayReasons are the callers of a stream fold.
var ReplayReasons = []string{"startup", "rebuild", "state", "canary"}

// CanaryOutcomes are the results of a canary game.
var CanaryOutcomes = []string{"pass", "fail", "timeout"}

// StoreStreams are the kinds of stream events are committed to.
var StoreStreams = []string{"room", "system", "canary"}

// StoreAppendErrors are the reasons an append fails.
var StoreAppendErrors = []string{"conflict", "fenced", "invalid", "overloaded", "unavailable", "closed", "io"}

// StoreReadOps are the read-pool queries.
var StoreReadOps = []string{"ping", "since", "load", "stats", "cleanup"}

// CleanupTriggers start a retention run.
var CleanupTriggers = []string{"schedule", "manual"}

// ProcedureNames are the seven recovery procedures of §5.1.
var ProcedureNames = []string{
	"stale_connections", "high_pending_messages", "room_state_corruption", "client_desync",
	"database_connection_loss", "memory_pressure", "system_overload",
}

// RecoveryOutcomes are the results of an executed attempt.
var RecoveryOutcomes = []string{"success", "failure", "timeout"}

// RecoveryRejections are the gate refusals of §5.2.
var RecoveryRejections = []string{"disabled", "cooldown", "hourly_limit", "in_progress", "queue_full"}

// ProtectionRefusals are the requests protection mode refuses (§5.5): the
// WebSocket commands by type, the HTTP routes by a short name.
var ProtectionRefusals = []string{"hello", "room.create", "room.join", "room.start", "room_state", "store_cleanup", "logs"}

// AlertOutcomes are the fates of a webhook alert.
var AlertOutcomes = []string{"delivered", "failed", "dropped", "deduplicated"}

// LogLevels are the record levels of §7.1.
var LogLevels = []string{"DEBUG", "INFO", "WARN", "ERROR"}

// LogSinks are the sinks of the handler chain (§7.2).
var LogSinks = []string{"stdout", "file", "ring", "alert"}

// SlowOps are the operations timed against a threshold (§7.5).
var SlowOps = []string{
	"http", "ws_command", "room_event", "store_append", "store_read", "replay", "monitor_sample", "webhook",
}

// HTTPRouteUnmatched is the route label of requests no route matched.
const HTTPRouteUnmatched = "unmatched"

// ServiceNames are the supervised services that restart after a failure (§9.1).
var ServiceNames = []string{"alert", "recovery", "canary", "monitor", "retention", "lobby"}

func concatLabels(sets ...[]string) []string {
	var all []string
	for _, set := range sets {
		all = append(all, set...)
	}
	return all
}
