package monitor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// advancePast checks the sender is still waiting just before wait, then lets
// the wait end.
func (f *alertFixture) advancePast(t *testing.T, r *alertReceiver, wait time.Duration) {
	t.Helper()
	before := r.count()
	if wait > 0 {
		f.clock.Advance(wait - time.Nanosecond)
		if f.clock.Pending() != 1 || r.count() != before {
			t.Fatalf("retried before %v", wait)
		}
	}
	f.clock.Advance(time.Nanosecond)
}

func TestAlertServerErrorRetriedThenDeliveredOnce(t *testing.T) {
	r := newAlertReceiver(t, alertReply{status: 500}, alertReply{status: 500})
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	f.run(t)
	f.notifier.Notify(criticalAlert("a"))
	f.awaitRequests(t, r, 1, 1)
	f.advancePast(t, r, time.Second)
	f.awaitRequests(t, r, 2, 1)
	f.advancePast(t, r, 2*time.Second)
	alertEventually(t, "delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })

	f.notifier.Notify(criticalAlert("b"))
	alertEventually(t, "second delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 2 })
	var subjects []string
	for _, req := range r.all() {
		subjects = append(subjects, req.payload.Subject)
	}
	if !slices.Equal(subjects, []string{"a", "a", "a", "b"}) || f.outcomes.get(AlertOutcomeFailed) != 0 {
		t.Fatalf("requests %v, failed %d", subjects, f.outcomes.get(AlertOutcomeFailed))
	}
}

func TestAlertGivesUpAfterFiveAttemptsWithJitteredBackoff(t *testing.T) {
	for _, jitter := range []float64{0.8, 1, 1.2} {
		t.Run(strconv.FormatFloat(jitter, 'f', -1, 64), func(t *testing.T) {
			var script []alertReply
			for range 6 {
				script = append(script, alertReply{status: 503})
			}
			r := newAlertReceiver(t, script...)
			f := newAlertFixture(t, AlertConfig{URL: r.srv.URL, Jitter: func() float64 { return jitter }})
			f.run(t)
			f.notifier.Notify(criticalAlert("a"))
			for i, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
				f.awaitRequests(t, r, i+1, 1)
				f.advancePast(t, r, time.Duration(float64(base)*jitter))
			}
			alertEventually(t, "give-up", func() bool { return f.outcomes.get(AlertOutcomeFailed) == 1 })
			if r.count() != 5 || f.clock.Pending() != 0 || f.outcomes.get(AlertOutcomeDelivered) != 0 {
				t.Fatalf("%d attempts, %d timers armed", r.count(), f.clock.Pending())
			}
		})
	}
}

func TestAlertRetriesOnlyRetryableStatuses(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
	}{
		{408, true}, {429, true}, {500, true}, {502, true}, {503, true},
		{400, false}, {401, false}, {404, false}, {410, false}, {422, false},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			r := newAlertReceiver(t, alertReply{status: tc.status})
			f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
			f.run(t)
			f.notifier.Notify(criticalAlert("a"))
			if tc.retryable {
				f.awaitRequests(t, r, 1, 1)
				f.advancePast(t, r, time.Second)
				alertEventually(t, "delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })
				return
			}
			alertEventually(t, "give-up", func() bool { return f.outcomes.get(AlertOutcomeFailed) == 1 })
			f.notifier.Notify(criticalAlert("b")) // the queue goes on
			alertEventually(t, "next delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })
			if r.count() != 2 {
				t.Fatalf("%d requests, want 2: a 4xx is not retried", r.count())
			}
		})
	}
}

func TestAlertHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		wait         time.Duration
	}{
		{"seconds", "30", 30 * time.Second},
		{"capped", "120", 60 * time.Second},
		{"huge", "99999999999999", 60 * time.Second},
		{"far date", alertTestStart.Add(2 * time.Hour).UTC().Format(http.TimeFormat), 60 * time.Second},
		{"date", alertTestStart.Add(10 * time.Second).UTC().Format(http.TimeFormat), 10 * time.Second},
		{"past date", alertTestStart.Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
		{"zero", "0", 0},
		{"invalid", "soon", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newAlertReceiver(t, alertReply{status: 429, retryAfter: tc.header})
			f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
			f.run(t)
			f.notifier.Notify(criticalAlert("a"))
			if tc.wait > 0 {
				f.awaitRequests(t, r, 1, 1)
				f.advancePast(t, r, tc.wait)
			}
			alertEventually(t, "delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })
			if r.count() != 2 {
				t.Fatalf("%d requests, want 2", r.count())
			}
		})
	}
}

func TestAlertRedirectLimit(t *testing.T) {
	var hops int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hops++
		http.Redirect(w, req, fmt.Sprintf("/hook/secret-%d", hops), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	f := newAlertFixture(t, AlertConfig{URL: srv.URL + "/hook/secret-0"})
	f.run(t)
	f.notifier.Notify(criticalAlert("a"))
	alertEventually(t, "give-up", func() bool { return f.outcomes.get(AlertOutcomeFailed) == 1 })
	if f.clock.Pending() != 0 {
		t.Fatal("a redirect loop is retried")
	}
	srv.Close() // waits for the handler, so hops is safe to read
	if hops != 1+webhookMaxRedirects {
		t.Fatalf("%d requests, want the original and 3 redirects", hops)
	}
}

// TestAlertLogsHostNeverPath drives every logged failure: a 4xx, a redirect
// loop and a refused connection through all its retries.
func TestAlertLogsHostNeverPath(t *testing.T) {
	const secret = "T0P-SECRET-PATH"
	rejecting := newAlertReceiver(t, alertReply{status: 400})
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/hooks/"+secret+"/again", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirecting.Close)
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()

	for _, base := range []string{rejecting.srv.URL, redirecting.URL, refused.URL} {
		f := newAlertFixture(t, AlertConfig{URL: base + "/hooks/" + secret + "?token=" + secret})
		f.run(t)
		f.notifier.Notify(criticalAlert("a"))
		for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
			alertEventually(t, "a retry wait or the give-up", func() bool {
				return f.clock.Pending() == 1 || f.outcomes.get(AlertOutcomeFailed) == 1
			})
			if f.outcomes.get(AlertOutcomeFailed) == 1 {
				break
			}
			f.clock.Advance(wait)
		}
		alertEventually(t, "give-up", func() bool { return f.outcomes.get(AlertOutcomeFailed) == 1 })

		logs := f.logs.String()
		host := strings.TrimPrefix(base, "http://")
		if strings.Contains(logs, secret) || strings.Contains(logs, base) {
			t.Fatalf("log shows the webhook URL:\n%s", logs)
		}
		if !strings.Contains(logs, `"webhook_host":"`+host+`"`) || !strings.Contains(logs, `"msg":"alert delivery failed"`) {
			t.Fatalf("log lacks the host or the failure:\n%s", logs)
		}
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["alert_suppress"] != true || rec["component"] != "alert" {
				t.Fatalf("line without alert_suppress=true: %s", line)
			}
		}
	}
}
