package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
)

// TestObsManualTriggerQueryValidation: on the wired server, the manual
// trigger's wait (0–30) and dry_run (true/false) are validated with 400
// INVALID_FIELD naming the field, and a valid dry run answers 200 without
// running anything (protocol §11.9).
func TestObsManualTriggerQueryValidation(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil), faultHooks{system: newObsSystem(40)})
	base := "http://" + srv.addr + "/recovery/trigger/stale_connections"
	for _, c := range []struct{ query, field string }{
		{"?wait=31", "wait"},
		{"?wait=-1", "wait"},
		{"?wait=soon", "wait"},
		{"?dry_run=maybe", "dry_run"},
	} {
		resp, body := obsDo(t, "POST", base+c.query, srv.token, nil)
		var e struct {
			Error struct {
				Code    string         `json:"code"`
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "INVALID_FIELD" || e.Error.Details["field"] != c.field {
			t.Errorf("POST %s: %d %s, want 400 INVALID_FIELD for %s", c.query, resp.StatusCode, body, c.field)
		}
	}
	resp, body := obsDo(t, "POST", base+"?dry_run=true&wait=0", srv.token, nil)
	var dry map[string]any
	json.Unmarshal(body, &dry)
	if resp.StatusCode != http.StatusOK || dry["dry_run"] != true || dry["procedure"] != "stale_connections" {
		t.Fatalf("dry run: %d %s", resp.StatusCode, body)
	}
	_, status := obsJSON(t, srv, "/recovery/status")
	if hist, _ := status["recent_history"].([]any); len(hist) != 0 {
		t.Errorf("a dry run left history: %v", hist)
	}
}
