package monitor

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var metricTestRoutes = []struct{ Method, Route string }{
	{"GET", "/health"}, {"POST", "/recovery/trigger/:name"}, {"GET", HTTPRouteUnmatched},
}

func newScrapedMetrics(t testing.TB) *Metrics {
	m := NewMetrics(BuildInfo{Version: "1.2.3", Revision: "abc123", GoVersion: "go1.26.0"})
	m.PrecreateHTTP(metricTestRoutes)
	return m
}

// scrape fetches /metrics over loopback the way a Prometheus server asks for
// it: preferring protobuf, which the handler must decline.
func scrapeMetrics(t testing.TB, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type = %q, want text/plain; version=0.0.4", ct)
	}
	return string(body)
}

func parseMetricFamilies(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return families
}

func TestMetricsScrapeHasEveryCatalogueFamily(t *testing.T) {
	if len(metricCatalogue) != 64 {
		t.Fatalf("test metricCatalogue lists %d names, §8.1 has 64", len(metricCatalogue))
	}
	families := parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t)))

	project := 0
	for name := range families {
		if strings.HasPrefix(name, "liaptui_") {
			project++
		}
	}
	if project != len(metricCatalogue) {
		t.Errorf("scrape has %d liaptui_ families, want %d", project, len(metricCatalogue))
	}
	for _, want := range metricCatalogue {
		mf, ok := families[want.name]
		if !ok {
			t.Errorf("%s missing from the scrape", want.name)
			continue
		}
		if mf.GetType() != want.kind {
			t.Errorf("%s type %v, want %v", want.name, mf.GetType(), want.kind)
		}
		if len(mf.GetMetric()) == 0 {
			t.Errorf("%s has no series", want.name)
		}
		wantLabels := slices.Sorted(slices.Values(want.labels))
		for _, series := range mf.GetMetric() {
			var got []string
			for _, lp := range series.GetLabel() {
				got = append(got, lp.GetName())
			}
			slices.Sort(got)
			if !slices.Equal(got, wantLabels) {
				t.Errorf("%s series labels %v, want %v", want.name, got, wantLabels)
				break
			}
		}
	}
}

func TestMetricsScrapeHasNoUnboundedLabels(t *testing.T) {
	for name, mf := range parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t))) {
		for _, series := range mf.GetMetric() {
			for _, lp := range series.GetLabel() {
				if lp.GetName() == "room_id" || lp.GetName() == "player_id" {
					t.Errorf("%s carries label %s", name, lp.GetName())
				}
			}
		}
	}
}

func TestMetricsScrapeHasRuntimeAndProcessCollectors(t *testing.T) {
	families := parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t)))
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds", "process_resident_memory_bytes"} {
		if _, ok := families[name]; !ok {
			t.Errorf("%s missing from the scrape", name)
		}
	}
}

func TestMetricsScrapePassesPromlint(t *testing.T) {
	problems, err := promlint.New(strings.NewReader(scrapeMetrics(t, newScrapedMetrics(t)))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// fieldName applies the naming rule other packages rely on.
func metricFieldName(metric string) string {
	base := strings.TrimSuffix(strings.TrimPrefix(metric, "liaptui_"), "_total")
	var b strings.Builder
	for _, part := range strings.Split(base, "_") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func TestMetricsFieldsFollowTheNamingRuleAndLabelOrder(t *testing.T) {
	m := NewMetrics(BuildInfo{})
	value := reflect.ValueOf(m).Elem()
	wantTypes := map[dto.MetricType][2]reflect.Type{ // unlabelled, labelled
		kindCounter:   {reflect.TypeFor[prometheus.Counter](), reflect.TypeFor[*prometheus.CounterVec]()},
		kindGauge:     {reflect.TypeFor[prometheus.Gauge](), reflect.TypeFor[*prometheus.GaugeVec]()},
		kindHistogram: {reflect.TypeFor[prometheus.Histogram](), reflect.TypeFor[*prometheus.HistogramVec]()},
	}
	for _, want := range metricCatalogue {
		field := value.FieldByName(metricFieldName(want.name))
		if !field.IsValid() {
			t.Errorf("%s: no field %s", want.name, metricFieldName(want.name))
			continue
		}
		labelled := 0
		if len(want.labels) > 0 {
			labelled = 1
		}
		if wantType := wantTypes[want.kind][labelled]; field.Type() != wantType {
			t.Errorf("%s: field %s is %v, want %v", want.name, metricFieldName(want.name), field.Type(), wantType)
			continue
		}
		if labelled == 1 {
			checkLabelOrder(t, want, field)
		}
	}
}

// checkLabelOrder creates a series with the values "0", "1", … and reads
// back which label name received which position.
func checkLabelOrder(t *testing.T, want metricCatalogueEntry, vec reflect.Value) {
	t.Helper()
	args := make([]reflect.Value, len(want.labels))
	for i := range args {
		args[i] = reflect.ValueOf(strconv.Itoa(i))
	}
	series := vec.MethodByName("WithLabelValues").Call(args)[0].Interface().(prometheus.Metric)
	var pb dto.Metric
	if err := series.Write(&pb); err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(want.labels))
	for _, lp := range pb.GetLabel() {
		i, _ := strconv.Atoi(lp.GetValue())
		got[i] = lp.GetName()
	}
	if !slices.Equal(got, want.labels) {
		t.Errorf("%s label order %v, want %v", want.name, got, want.labels)
	}
}

func TestMetricsClosedLabelSetsArePrecreated(t *testing.T) {
	families := parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t)))
	tests := []struct {
		name   string
		series int
	}{
		{"liaptui_health_status", (15 + 9 + 1) * 4},
		{"liaptui_health_transitions_total", (15 + 9 + 1) * 4},
		{"liaptui_monitor_samples_total", (2 + 7) * 3},
		{"liaptui_monitor_wakeups_total", 7},
		{"liaptui_ws_connections_closed_total", 10},
		{"liaptui_ws_frames_failed_total", 3},
		{"liaptui_ws_commands_total", (13 + 1) * 2},
		{"liaptui_ws_command_duration_seconds", 13 + 1},
		{"liaptui_ws_errors_total", 32},
		{"liaptui_rooms", 3},
		{"liaptui_players", 3},
		{"liaptui_room_events_total", 22},
		{"liaptui_recovery_attempts_total", 7 * 3},
		{"liaptui_recovery_rejections_total", 7 * 5},
		{"liaptui_recovery_duration_seconds", 7},
		{"liaptui_store_append_errors_total", 7},
		{"liaptui_alerts_total", 4},
		{"liaptui_http_requests_total", len(metricTestRoutes)},
		{"liaptui_http_request_duration_seconds", len(metricTestRoutes)},
	}
	for _, tt := range tests {
		if got := len(families[tt.name].GetMetric()); got != tt.series {
			t.Errorf("%s has %d series, want %d", tt.name, got, tt.series)
		}
	}
}

func TestMetricsInitialValues(t *testing.T) {
	families := parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t)))

	build := families["liaptui_build_info"].GetMetric()
	if len(build) != 1 || build[0].GetGauge().GetValue() != 1 {
		t.Fatalf("liaptui_build_info = %v, want one series at 1", build)
	}
	wantBuild := map[string]string{"version": "1.2.3", "revision": "abc123", "goversion": "go1.26.0"}
	for _, lp := range build[0].GetLabel() {
		if wantBuild[lp.GetName()] != lp.GetValue() {
			t.Errorf("build_info %s=%q, want %q", lp.GetName(), lp.GetValue(), wantBuild[lp.GetName()])
		}
	}

	// Every subject starts unknown (§1.4 "initial").
	for _, series := range families["liaptui_health_status"].GetMetric() {
		want := 0.0
		if seriesLabel(series, "state") == "unknown" {
			want = 1
		}
		if series.GetGauge().GetValue() != want {
			t.Errorf("health_status{%s,%s} = %v, want %v", seriesLabel(series, "check"), seriesLabel(series, "state"),
				series.GetGauge().GetValue(), want)
		}
	}
}

func TestMetricsHistogramBuckets(t *testing.T) {
	families := parseMetricFamilies(t, scrapeMetrics(t, newScrapedMetrics(t)))
	tests := []struct {
		name string
		want []float64
	}{
		{"liaptui_ws_send_latency_seconds", []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}},
		{"liaptui_canary_duration_seconds", []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30}},
		{"liaptui_store_batch_events", []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}},
	}
	for _, tt := range tests {
		var got []float64
		for _, b := range families[tt.name].GetMetric()[0].GetHistogram().GetBucket() {
			got = append(got, b.GetUpperBound())
		}
		if want := append(tt.want, math.Inf(1)); !slices.Equal(got, want) {
			t.Errorf("%s buckets %v, want %v", tt.name, got, want)
		}
	}
}

func TestSetHealthStateMovesTheOne(t *testing.T) {
	m := NewMetrics(BuildInfo{})
	for _, state := range []string{"critical", "warning", "healthy", "unknown"} {
		m.SetHealthState("system:memory", state)
		for _, level := range HealthStates {
			want := 0.0
			if level == state {
				want = 1
			}
			if got := readGauge(t, m.HealthStatus.WithLabelValues("system:memory", level)); got != want {
				t.Errorf("after %s: state %s = %v, want %v", state, level, got, want)
			}
		}
	}
	if got := readGauge(t, m.HealthStatus.WithLabelValues("system:cpu", "unknown")); got != 1 {
		t.Errorf("another check moved: system:cpu unknown = %v", got)
	}
}

func TestMetricsRegistriesAreIndependent(t *testing.T) {
	a, b := NewMetrics(BuildInfo{}), NewMetrics(BuildInfo{})
	a.GamesStarted.Inc()
	if a.Registry() == b.Registry() || a.Registry() == prometheus.DefaultRegisterer {
		t.Fatal("registries are shared")
	}
	if got := readCounter(t, b.GamesStarted); got != 0 {
		t.Errorf("second registry sees %v games", got)
	}
}

func seriesLabel(series *dto.Metric, name string) string {
	for _, lp := range series.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func readGauge(t testing.TB, g prometheus.Gauge) float64 {
	t.Helper()
	var pb dto.Metric
	if err := g.Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetGauge().GetValue()
}

func readCounter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var pb dto.Metric
	if err := c.Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetCounter().GetValue()
}

func BenchmarkMetricsScrape(b *testing.B) {
	m := newScrapedMetrics(b)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
