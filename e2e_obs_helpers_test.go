package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"liaptui/monitor"
)

// Helpers of the observability end-to-end tests (e2e_obs*_test.go): a
// system source whose memory the test sets, fast monitor settings, HTTP
// calls and a recursive comparison of JSON shapes.

// obsSystem is a monitor.SystemSource with settable CPU and memory
// percentages and healthy disk, RSS and goroutine readings.
type obsSystem struct {
	cpuBits, memoryBits atomic.Uint64 // math.Float64bits of the percentages
	reads               atomic.Int64  // Memory calls, one per sample
}

func newObsSystem(memoryPercent float64) *obsSystem {
	s := &obsSystem{}
	s.set(12.5, memoryPercent)
	return s
}

func (s *obsSystem) set(cpuPercent, memoryPercent float64) {
	s.cpuBits.Store(math.Float64bits(cpuPercent))
	s.setMemory(memoryPercent)
}

func (s *obsSystem) setMemory(percent float64) { s.memoryBits.Store(math.Float64bits(percent)) }

func (s *obsSystem) CPUPercent(context.Context) (float64, error) {
	return math.Float64frombits(s.cpuBits.Load()), nil
}

func (s *obsSystem) Memory(context.Context) (monitor.MemoryReading, error) {
	s.reads.Add(1)
	p := math.Float64frombits(s.memoryBits.Load())
	const limit = 8 << 30
	used := uint64(p / 100 * limit)
	return monitor.MemoryReading{Percent: p, UsedBytes: used, LimitBytes: limit, AvailableBytes: limit - used,
		Source: monitor.MemorySourceHost}, nil
}

func (s *obsSystem) Disk(context.Context) (monitor.DiskReading, error) {
	return monitor.DiskReading{Percent: 40, FreeBytes: 60 << 30}, nil
}

func (s *obsSystem) ProcessRSS(context.Context) (uint64, error) { return 64 << 20, nil }

func (s *obsSystem) Goroutines(context.Context) (int, error) { return 100, nil }

// obsFastEnv is e2eEnv with a monitor that samples every few hundred
// milliseconds, so a changed reading shows up quickly; extra overrides.
func obsFastEnv(extra map[string]string) map[string]string {
	env := e2eEnv(map[string]string{
		"LIAP_MONITOR_INTERVAL_DEFAULT": "200ms",
		"LIAP_MONITOR_INTERVAL_MIN":     "100ms",
		"LIAP_MONITOR_INTERVAL_MAX":     "400ms",
		"LIAP_MONITOR_MIN_GAP":          "50ms",
	})
	maps.Copy(env, extra)
	return env
}

// obsDo sends a request with an optional bearer token and body, and returns
// the response with its body read.
func obsDo(t *testing.T, method, url, token string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp, b
}

// obsJSON GETs a public route and decodes its JSON body; it returns the
// status too.
func obsJSON(t *testing.T, srv *e2eServer, path string) (int, map[string]any) {
	t.Helper()
	resp, body := e2eGet(t, "http://"+srv.addr+path, nil)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %s: %v", path, body, err)
	}
	return resp.StatusCode, v
}

// obsStatus is /health's status and HTTP code.
func obsStatus(t *testing.T, srv *e2eServer) (string, int) {
	t.Helper()
	code, body := obsJSON(t, srv, "/health")
	s, _ := body["status"].(string)
	return s, code
}

// obsWaitStatus polls /health until it reports status.
func obsWaitStatus(t *testing.T, srv *e2eServer, status string) int {
	t.Helper()
	var code int
	e2eWaitFor(t, 20*time.Second, "/health status "+status, func() bool {
		var got string
		got, code = obsStatus(t, srv)
		return got == status
	})
	return code
}

// obsWaitSampled waits until the monitor has published its first sample.
func obsWaitSampled(t *testing.T, srv *e2eServer) {
	t.Helper()
	e2eWaitFor(t, 20*time.Second, "the first health sample", func() bool {
		_, body := obsJSON(t, srv, "/health")
		return body["checked_at"] != nil
	})
}

// obsRules relax obsShape at given paths ("$" is the body; ".*" an entry
// of a dynamic object; "[]" an array element).
type obsRules struct {
	// dynamic objects are keyed by ids: each entry is compared with the
	// example's first entry.
	dynamic map[string]bool
	// nullable values may be null where the example has a value.
	nullable map[string]bool
	// open values may have any type (they differ by check or procedure).
	open map[string]bool
}

// obsShape lists every place where got lacks a field of want or holds a
// value of another JSON type, recursing through objects and arrays. A null
// in want stands for a field whose type the example leaves open; an array
// element of got is compared with want's first element.
func obsShape(path string, want, got any, r obsRules) []string {
	if want == nil || r.open[path] {
		return nil
	}
	if got == nil {
		if r.nullable[path] {
			return nil
		}
		return []string{fmt.Sprintf("%s: null, want %s", path, obsKind(want))}
	}
	if obsKind(want) != obsKind(got) {
		return []string{fmt.Sprintf("%s: %s, want %s", path, obsKind(got), obsKind(want))}
	}
	var problems []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if r.dynamic[path] {
			keys := slices.Sorted(maps.Keys(w))
			for _, k := range slices.Sorted(maps.Keys(g)) {
				problems = append(problems, obsShape(path+".*", w[keys[0]], g[k], r)...)
			}
			return problems
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			v, ok := g[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			problems = append(problems, obsShape(path+"."+k, w[k], v, r)...)
		}
	case []any:
		for _, v := range got.([]any) {
			problems = append(problems, obsShape(path+"[]", w[0], v, r)...)
		}
	}
	return problems
}

func obsKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// obsSet is a set of paths.
func obsSet(paths ...string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		m[p] = true
	}
	return m
}

// obsCheckShape fails the test when body does not carry example's fields
// with their JSON types.
func obsCheckShape(t *testing.T, route, example string, body map[string]any, r obsRules) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(example), &want); err != nil {
		t.Fatalf("%s example: %v", route, err)
	}
	if problems := obsShape("$", want, body, r); len(problems) > 0 {
		sort.Strings(problems)
		b, _ := json.Marshal(body)
		t.Errorf("%s does not carry the example's fields and types:\n  %s\nbody: %s", route,
			strings.Join(problems, "\n  "), b)
	}
}

// obsKeys are an object's keys, sorted.
func obsKeys(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}
