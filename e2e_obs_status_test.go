package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
)

// obsReadyChecks are the six /readyz checks of protocol §11.7.
var obsReadyChecks = []string{"canary", "draining", "event_store", "monitor", "protection", "startup_restore"}

// obsCheckReadyz fails unless /readyz answers code with status and exactly
// the six checks, each {status, message}, none failing when ready.
func obsCheckReadyz(t *testing.T, srv *e2eServer, code int, status string) map[string]any {
	t.Helper()
	got, body := obsJSON(t, srv, "/readyz")
	if got != code || body["status"] != status || len(body) != 2 {
		t.Fatalf("/readyz: %d %v, want %d with status %s and checks only", got, body, code, status)
	}
	checks, _ := body["checks"].(map[string]any)
	if keys := obsKeys(checks); !slices.Equal(keys, obsReadyChecks) {
		t.Fatalf("/readyz checks %v, want %v", keys, obsReadyChecks)
	}
	for name, c := range checks {
		c, _ := c.(map[string]any)
		s, _ := c["status"].(string)
		_, hasMessage := c["message"].(string)
		if len(c) != 2 || !hasMessage || !slices.Contains([]string{"ok", "fail", "skipped"}, s) {
			t.Errorf("/readyz check %s is %v, want {status: ok|fail|skipped, message: string}", name, c)
		}
		if status == "ready" && s == "fail" {
			t.Errorf("/readyz is ready with check %s failing", name)
		}
	}
	return checks
}

// TestObsHealthAnswers503WhileCritical: /health follows the monitor's
// samples: 200 while healthy, 503 with the same body shape once a sample
// read memory at 92 % (critical), 200 again after it came down. Memory
// alone never fails /readyz; /livez is always {"status":"ok"}.
func TestObsHealthAnswers503WhileCritical(t *testing.T) {
	system := newObsSystem(40)
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), obsFastEnv(nil), faultHooks{system: system})

	resp, body := e2eGet(t, "http://"+srv.addr+"/livez", nil)
	if resp.StatusCode != http.StatusOK || !e2eJSONEqual(body, []byte(`{"status":"ok"}`)) ||
		resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("/livez: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if code := obsWaitStatus(t, srv, "healthy"); code != http.StatusOK {
		t.Fatalf("/health healthy answered %d", code)
	}
	obsCheckReadyz(t, srv, http.StatusOK, "ready")

	system.setMemory(92)
	if code := obsWaitStatus(t, srv, "critical"); code != http.StatusServiceUnavailable {
		t.Fatalf("/health critical answered %d, want 503", code)
	}
	_, health := obsJSON(t, srv, "/health")
	obsCheckShape(t, "/health (critical)", obsExample(t, "protocol-health.json"), health, obsRules{})
	_, detailed := obsJSON(t, srv, "/health/detailed")
	h := detailed["health"].(map[string]any)
	memory := h["metrics"].(map[string]any)["memory"].(map[string]any)
	if h["overall_status"] != "critical" || memory["status"] != "critical" || memory["value"] != float64(92) {
		b, _ := json.Marshal(h["metrics"])
		t.Fatalf("/health/detailed while memory is at 92 %%: overall %v, metrics %s", h["overall_status"], b)
	}
	// /health/detailed is always 200, whatever the status.
	if resp, _ := e2eGet(t, "http://"+srv.addr+"/health/detailed", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("/health/detailed while critical: %d", resp.StatusCode)
	}
	obsCheckReadyz(t, srv, http.StatusOK, "ready")

	system.setMemory(40)
	if code := obsWaitStatus(t, srv, "healthy"); code != http.StatusOK {
		t.Fatalf("/health after recovery answered %d", code)
	}
}
