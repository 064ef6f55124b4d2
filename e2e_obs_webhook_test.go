package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// obsHook is a webhook receiver on loopback: it answers 500 to the first
// overall→critical health alert and 200 to everything else, and records
// every request.
type obsHook struct {
	mu       sync.Mutex
	failed   bool
	requests []obsHookRequest
	bad      []string // requests that broke the webhook contract
}

type obsHookRequest struct {
	status int
	alert  map[string]any
}

func (h *obsHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var a map[string]any
	err := json.Unmarshal(body, &a)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil:
		h.bad = append(h.bad, "body is not a JSON object: "+string(body))
	case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("User-Agent") != "liaptui/"+version:
		h.bad = append(h.bad, r.Method+" "+r.Header.Get("Content-Type")+" "+r.Header.Get("User-Agent"))
	case a["text"] == "" || a["dedup_key"] == "":
		h.bad = append(h.bad, "alert without text or dedup_key: "+string(body))
	}
	status := http.StatusOK
	if !h.failed && a["kind"] == "health" && a["subject"] == "overall" && a["to"] == "critical" {
		h.failed, status = true, http.StatusInternalServerError
	}
	h.requests = append(h.requests, obsHookRequest{status: status, alert: a})
	w.WriteHeader(status)
}

// accepted counts the requests answered 200 by dedup key.
func (h *obsHook) accepted() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := map[string]int{}
	for _, r := range h.requests {
		if r.status == http.StatusOK {
			n[r.alert["dedup_key"].(string)]++
		}
	}
	return n
}

// TestObsWebhookDeliversRetriesAndDoesNotDuplicate: memory at 92 % turns the
// overall status critical; its alert reaches a loopback receiver, which
// answers 500 once; the notifier retries and the receiver gets the same
// alert again, and once the queue is empty every alert was accepted exactly
// once and counted as delivered. The webhook's path (a secret) is never
// logged.
func TestObsWebhookDeliversRetriesAndDoesNotDuplicate(t *testing.T) {
	hook := &obsHook{}
	receiver := httptest.NewServer(hook)
	t.Cleanup(receiver.Close)
	const secretPath = "/hooks/T0KEN-IN-THE-PATH"
	system := newObsSystem(40)
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"),
		obsFastEnv(map[string]string{"LIAP_ALERT_WEBHOOK": receiver.URL + secretPath}), faultHooks{system: system})
	obsWaitStatus(t, srv, "healthy")

	system.setMemory(92)
	obsWaitStatus(t, srv, "critical")
	var key string
	e2eWaitFor(t, 30*time.Second, "the overall→critical alert, retried after the 500", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		var first *obsHookRequest
		for i, r := range hook.requests {
			if r.alert["subject"] != "overall" || r.alert["to"] != "critical" {
				continue
			}
			if first == nil {
				first = &hook.requests[i]
				continue
			}
			if r.alert["dedup_key"] == first.alert["dedup_key"] && r.status == http.StatusOK {
				key = r.alert["dedup_key"].(string)
				return first.status == http.StatusInternalServerError
			}
		}
		return false
	})
	e2eWaitFor(t, 30*time.Second, "an empty alert queue with every accepted alert counted as delivered", func() bool {
		f := obsFamilies(t, obsScrape(t, srv, "/metrics"))
		total := 0
		for _, n := range hook.accepted() {
			total += n
		}
		return obsCounter(f, "liaptui_alert_queue_depth", nil) == 0 &&
			obsCounter(f, "liaptui_alerts_total", map[string]string{"outcome": "delivered"}) == float64(total)
	})
	for k, n := range hook.accepted() {
		if n != 1 {
			t.Errorf("alert %s was accepted %d times", k, n)
		}
	}
	if hook.accepted()[key] != 1 {
		t.Errorf("the overall→critical alert was not delivered once")
	}
	hook.mu.Lock()
	for _, b := range hook.bad {
		t.Errorf("webhook request: %s", b)
	}
	for _, r := range hook.requests {
		text, _ := r.alert["text"].(string)
		if r.alert["subject"] == "overall" && !strings.Contains(text, "CRITICAL") {
			t.Errorf("overall alert text %q does not say CRITICAL", text)
		}
		if strings.Contains(text, "<nil>") || r.alert["observed"] == "<nil>" {
			t.Errorf("alert %v shows a missing value as <nil>", r.alert)
		}
	}
	hook.mu.Unlock()
	if srv.logs.Contains(secretPath) || srv.logs.Contains("T0KEN-IN-THE-PATH") {
		t.Error("a log line holds the webhook URL's path")
	}
}
