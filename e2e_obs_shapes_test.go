package main

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The examples of protocol.md §11.4, §11.5, §11.9 and §11.10, verbatim: the
// seed's shapes the wired server's bodies must carry (fields are only added).
const (
	obsRecoveryExample = `{"success":true,"is_active":true,"total_procedures":7,"recent_attempts":3,"success_rate":66.7,"protection":{"active":false,"since":null,"reason":null},
 "procedures":{"memory_pressure":{"description":"free memory held by dead connections, backlogs, idle rooms, caches","enabled":true,"max_attempts":3,"cooldown_seconds":60,"severity":"high","recent_attempts":2,"action":"release_memory","trigger":"memory usage above 90%","last_attempt_at":1764244500.2,"next_allowed_at":null}},
 "recent_history":[{"id":41,"procedure_name":"high_pending_messages","action":"disconnect_slow_consumers","target":null,"timestamp":1764244400.7,"timestamp_iso":"2025-11-27T11:53:20.7Z","success":true,"result":"success","source":"auto","raised_by":"monitor","duration_ms":2103,"error_message":null,"actions":{"frames_removed":88},"check_before":{"pending":150},"check_after":{"pending":12},"context":{"pending_messages":150},"correlation_id":"51d7a0e9c2b4f836"}]}`

	obsStoreStatsExample = `{"success":true,
 "statistics":{"total_events":48211,"current_sequence":48297,"rooms_with_events":612,"events_last_24h":9120,"room_stats":{"K7MPQ3":311},"room_stats_truncated":true,"event_type_stats":{"played":20480,"declared":5120},"system_events":88,"live_rooms":14,"finished_rooms":590,"oldest_event_at":1763640000.0,"newest_event_at":1764245007.3,"db_size_bytes":18874368,"wal_size_bytes":4194304},
 "health":{"status":"healthy","database_accessible":true,"total_events":48211,"current_sequence":48297,"last_check":1764244990.0,"response_ms":1.4},
 "retention":{"older_than_days":7,"last_cleanup":{"at":1764201600.0,"dry_run":false,"deleted_rooms":40,"deleted_events":9211,"deleted_system_events":12},"next_cleanup_at":1764288000.0},
 "writer":{"queue_depth":0,"queue_capacity":4096,"batches_total":30112,"avg_batch_events":1.6,"append_p50_ms":0.1,"append_p99_ms":2.5,"last_commit_at":1764245007.3,"last_error":null,"last_error_at":null,"degraded":false,"synchronous":"normal","schema_version":1},
 "features":{"event_persistence":true,"state_reconstruction":true,"client_recovery":true}}`
)

// TestObsHealthBodiesCarryTheSeedShapes: on the wired server, after one
// game, one manual recovery attempt and one cleanup, the bodies of /health,
// /health/detailed, /recovery/status and /event-store/stats carry every
// field of the protocol's examples with the same JSON types.
func TestObsHealthBodiesCarryTheSeedShapes(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), obsFastEnv(nil), faultHooks{system: newObsSystem(40)})
	obsWaitSampled(t, srv)
	cs := e2eHumanRoom(t, srv.addr, "Ana")
	e2eDrive(t, srv.addr, cs, 400, func(v map[string]any) bool { return v["phase"] == "turn" })
	base := "http://" + srv.addr
	if resp, body := obsDo(t, "POST", base+"/recovery/trigger/high_pending_messages?wait=10", srv.token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("manual high_pending_messages: %d %s", resp.StatusCode, body)
	}
	if resp, body := obsDo(t, "POST", base+"/event-store/cleanup", srv.token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("cleanup: %d %s", resp.StatusCode, body)
	}
	// Wait for a sample that sees the player's connection.
	e2eWaitFor(t, 20*time.Second, "a sample after the game started", func() bool {
		_, d := obsJSON(t, srv, "/health/detailed")
		metrics := d["health"].(map[string]any)["metrics"].(map[string]any)
		v, _ := metrics["websocket"].(map[string]any)["value"].(map[string]any)
		return v["connections"] == float64(1)
	})

	code, health := obsJSON(t, srv, "/health")
	if code != http.StatusOK || health["status"] != "healthy" {
		t.Fatalf("/health: %d %v", code, health)
	}
	obsCheckShape(t, "/health", obsExample(t, "protocol-health.json"), health, obsRules{})

	code, detailed := obsJSON(t, srv, "/health/detailed?history=5")
	if code != http.StatusOK {
		t.Fatalf("/health/detailed: %d", code)
	}
	obsCheckShape(t, "/health/detailed", obsExample(t, "protocol-detailed.json"), detailed, obsRules{
		dynamic: obsSet("$.health.checks", "$.health.trend"),
		// Check values, units and thresholds differ from check to check.
		open: obsSet("$.health.checks.*.value", "$.health.checks.*.warn", "$.health.checks.*.crit"),
	})
	h := detailed["health"].(map[string]any)
	for _, c := range []struct {
		field string
		want  []string
	}{
		{"metrics", []string{"canary", "cpu", "database", "disk", "memory", "messages", "websocket"}},
		{"components", []string{"game", "runtime"}},
		{"trend", []string{"connections", "goroutines", "memory", "process_rss"}},
	} {
		if got := obsKeys(h[c.field]); !slices.Equal(got, c.want) {
			t.Errorf("health.%s keys %v, want %v", c.field, got, c.want)
		}
	}
	if n := len(obsKeys(h["checks"])); n != 15 {
		t.Errorf("health.checks has %d checks, want 15", n)
	}
	history, _ := h["history"].([]any)
	if len(history) == 0 || len(history) > 5 {
		t.Fatalf("history=5 gave %d entries", len(history))
	}
	for _, p := range history {
		if got := obsKeys(p); !slices.Equal(got, []string{"connections", "cpu", "disk", "memory", "overall_status", "pending", "timestamp"}) {
			t.Errorf("history entry keys %v", got)
		}
	}

	code, recovery := obsJSON(t, srv, "/recovery/status")
	if code != http.StatusOK {
		t.Fatalf("/recovery/status: %d", code)
	}
	if hist, _ := recovery["recent_history"].([]any); len(hist) == 0 {
		t.Fatalf("/recovery/status has no history after a manual attempt: %v", recovery)
	}
	obsCheckShape(t, "/recovery/status", obsRecoveryExample, recovery, obsRules{
		dynamic:  obsSet("$.procedures"),
		nullable: obsSet("$.procedures.*.last_attempt_at"),
		// Each procedure reports its own actions, readings and context.
		open: obsSet("$.recent_history[].actions", "$.recent_history[].check_before",
			"$.recent_history[].check_after", "$.recent_history[].context"),
	})
	if got := obsKeys(recovery["procedures"]); len(got) != 7 {
		t.Errorf("procedures %v, want seven", got)
	}

	code, stats := obsJSON(t, srv, "/event-store/stats")
	if code != http.StatusOK {
		t.Fatalf("/event-store/stats: %d", code)
	}
	obsCheckShape(t, "/event-store/stats", obsStoreStatsExample, stats, obsRules{
		dynamic: obsSet("$.statistics.room_stats", "$.statistics.event_type_stats"),
	})
}

// obsExample reads an example of protocol §11.4 or §11.5, kept verbatim with
// the monitor's golden files.
func obsExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("monitor", "testdata", "health", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
