package monitor

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var updateHealthGolden = flag.Bool("update-health-golden", false, "rewrite monitor/testdata/health/*")

// protocolExample reads an example of protocol §11.4 or §11.5, verbatim
// (the root package's end-to-end shape tests read the same files).
func protocolExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "health", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bodyRig takes two samples 30 s apart with the protocol example's values.
func bodyRig(t testing.TB) (r *healthRig, now, start time.Time) {
	r = newHealthRig(t, DefaultConfig())
	r.store.set(func(s *healthFakeStore) { s.latency = 1400 * time.Microsecond })
	r.sample(t, TriggerStartup)
	r.clock.Advance(healthEpoch.Add(30 * time.Second).Sub(r.clock.Now())) // the ping moved it by 1.4 ms
	r.sample(t, TriggerSchedule)
	now = healthEpoch.Add(40*time.Second + 125*time.Millisecond)
	return r, now, healthEpoch.Add(-time.Hour)
}

func TestHealthBody(t *testing.T) {
	r, now, start := bodyRig(t)
	body := r.mon.Snapshot().HealthBody(now, start, "1.0.0")
	if body.HTTPStatus() != http.StatusOK || body.UptimeFormatted != "01:00:40" {
		t.Fatalf("status %d uptime %q", body.HTTPStatus(), body.UptimeFormatted)
	}
	checkHealthGolden(t, "health.json", healthJSON(t, body))
	assertHealthShape(t, protocolExample(t, "protocol-health.json"), healthJSON(t, body))

	for _, c := range []struct {
		level Level
		code  int
	}{{LevelHealthy, 200}, {LevelWarning, 200}, {LevelCritical, 503}, {LevelUnknown, 503}} {
		if got := (HealthResponse{Status: c.level}).HTTPStatus(); got != c.code {
			t.Errorf("%s: %d", c.level, got)
		}
	}
	placeholder := newHealthRig(t, DefaultConfig()).mon.Snapshot().HealthBody(now, start, "1.0.0")
	if placeholder.Status != LevelUnknown || placeholder.CheckedAt != nil || placeholder.HTTPStatus() != 503 {
		t.Fatalf("before the first sample: %+v", placeholder)
	}
	stalled := r.mon.Snapshot().HealthBody(now.Add(time.Hour), start, "1.0.0")
	if stalled.Status != LevelUnknown || stalled.HTTPStatus() != 503 {
		t.Fatalf("stalled: %+v", stalled)
	}
}

func TestFormatUptime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "00:00:00", 3600400 * time.Millisecond: "01:00:00", 59*time.Minute + 59*time.Second: "00:59:59",
		100*time.Hour + 61*time.Second: "100:01:01",
	} {
		if got := formatUptime(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestDetailedBody(t *testing.T) {
	r, now, start := bodyRig(t)
	s := r.mon.Snapshot()
	body := healthJSON(t, s.DetailedBody(now, start, 2))
	checkHealthGolden(t, "detailed.json", body)
	assertHealthShape(t, protocolExample(t, "protocol-detailed.json"), body)

	var decoded struct {
		Health struct {
			Metrics    map[string]json.RawMessage `json:"metrics"`
			Checks     map[string]json.RawMessage `json:"checks"`
			Components map[string]string          `json:"components"`
			Trend      map[string]json.RawMessage `json:"trend"`
			History    []HistoryPoint             `json:"history"`
		} `json:"health"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatal(err)
	}
	h := decoded.Health
	if keys := healthSortedKeys(h.Metrics); keys != "canary cpu database disk memory messages websocket" {
		t.Errorf("metrics keys %s", keys)
	}
	if len(h.Checks) != NumChecks {
		t.Errorf("%d checks", len(h.Checks))
	}
	if keys := healthSortedKeys(h.Trend); keys != "connections goroutines memory process_rss" {
		t.Errorf("trend keys %s", keys)
	}
	if len(h.Components) != 2 || h.Components["runtime"] != "healthy" || h.Components["game"] != "healthy" {
		t.Errorf("components %v", h.Components)
	}
	if len(h.History) != 2 || h.History[0].Timestamp != float64(healthEpoch.Unix()) || *h.History[1].Memory != 45.2 {
		t.Errorf("history %+v", h.History)
	}
	for _, path := range []string{"health.consecutive_healthy", "health.metrics.websocket.value.connections",
		"health.metrics.websocket.value.pending", "health.metrics.canary.value.duration_ms"} {
		if n := healthNumberAt(t, body, path); strings.ContainsAny(n, ".eE") {
			t.Errorf("%s is %s, not an int", path, n)
		}
	}
	if bytes.Contains(healthJSON(t, s.DetailedBody(now, start, 0)), []byte(`"history"`)) {
		t.Error("history present without the query")
	}
	if got := s.DetailedBody(now, start, 5000).Health.History; len(*got) != 2 {
		t.Errorf("history beyond the ring: %d", len(*got))
	}
}

func TestDetailedBodyCanaryDisabledAndFailures(t *testing.T) {
	r := newHealthRig(t, DefaultConfig())
	r.canary.set(func(c *healthFakeCanary) { c.state.Enabled = false })
	r.store.set(func(s *healthFakeStore) { s.pingErr = fmt.Errorf("disk I/O error") })
	s := r.sample(t, TriggerStartup)
	var body struct {
		Health struct {
			Overall string `json:"overall_status"`
			Metrics struct {
				Canary struct {
					Status  string          `json:"status"`
					Value   json.RawMessage `json:"value"`
					Message string          `json:"message"`
				} `json:"canary"`
				Database struct {
					Status string          `json:"status"`
					Value  json.RawMessage `json:"value"`
				} `json:"database"`
			} `json:"metrics"`
		} `json:"health"`
	}
	if err := json.Unmarshal(healthJSON(t, s.DetailedBody(healthEpoch, healthEpoch, 0)), &body); err != nil {
		t.Fatal(err)
	}
	m := body.Health.Metrics
	if m.Canary.Status != "healthy" || m.Canary.Message != "Canary disabled" ||
		string(m.Canary.Value) != `{"passed":null,"duration_ms":null,"last_run":null}` {
		t.Errorf("disabled canary %+v", m.Canary)
	}
	if m.Database.Status != "critical" || string(m.Database.Value) != `{"accessible":false,"response_ms":null,"append_p99_ms":2.5}` ||
		body.Health.Overall != "critical" {
		t.Errorf("failed ping %+v overall %s", m.Database, body.Health.Overall)
	}
}

func TestSeedMetricsText(t *testing.T) {
	r, now, start := bodyRig(t)
	text := r.mon.Snapshot().SeedMetricsText(now, start)
	checkHealthGolden(t, "metrics.txt", text)
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if !bytes.HasSuffix(text, []byte("\n")) || len(lines) != 27 {
		t.Fatalf("%d lines:\n%s", len(lines), text)
	}
	for i, name := range []string{"liap_memory_usage_percent", "liap_cpu_usage_percent", "liap_disk_usage_percent",
		"liap_websocket_connections_total", "liap_websocket_pending_messages_total", "liap_rooms_total",
		"liap_active_games_total", "liap_health_status", "liap_uptime_seconds"} {
		help, typ, sample := lines[3*i], lines[3*i+1], lines[3*i+2]
		if !strings.HasPrefix(help, "# HELP "+name+" ") || typ != "# TYPE "+name+" gauge" || !strings.HasPrefix(sample, name+" ") {
			t.Errorf("series %d:\n%s\n%s\n%s", i, help, typ, sample)
		}
	}
	placeholder := string(newHealthRig(t, DefaultConfig()).mon.Snapshot().SeedMetricsText(now, start))
	if !strings.Contains(placeholder, "liap_memory_usage_percent NaN\n") || !strings.Contains(placeholder, "liap_health_status 3\n") {
		t.Fatalf("before the first sample:\n%s", placeholder)
	}
}

func healthJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkHealthGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var indented bytes.Buffer
		if err := json.Indent(&indented, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		got = append(indented.Bytes(), '\n')
	}
	path := filepath.Join("testdata", "health", name)
	if *updateHealthGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-health-golden)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// assertShape checks that every field of the example is in got, with the
// same JSON type (null for null).
func assertHealthShape(t *testing.T, example string, got []byte) {
	t.Helper()
	var want, have any
	if err := json.Unmarshal([]byte(example), &want); err != nil {
		t.Fatalf("example: %v", err)
	}
	if err := json.Unmarshal(got, &have); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, w, h any)
	walk = func(path string, w, h any) {
		if fmt.Sprintf("%T", w) != fmt.Sprintf("%T", h) {
			t.Errorf("%s: %T in the example, %T here", path, w, h)
			return
		}
		if wm, ok := w.(map[string]any); ok {
			hm := h.(map[string]any)
			for k, wv := range wm {
				hv, ok := hm[k]
				if !ok {
					t.Errorf("%s.%s missing", path, k)
					continue
				}
				walk(path+"."+k, wv, hv)
			}
		}
	}
	walk("$", want, have)
}

func healthNumberAt(t *testing.T, body []byte, path string) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(path, ".") {
		v = v.(map[string]any)[k]
	}
	return string(v.(json.Number))
}

func healthSortedKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}
