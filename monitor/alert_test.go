package monitor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAlertDeliversStatusChangeWithAllFields(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL + "/hook", Service: "liaptui", Instance: "eu-1", Version: "1.2.3"})
	f.run(t)
	a := Alert{Kind: AlertKindHealth, Severity: AlertSeverityCritical, Subject: "system:memory", From: "warning", To: "critical",
		Observed: "92.1 % (≥ 90)", Message: "memory_pressure started", CorrelationID: "0123456789abcdef"}
	f.notifier.Notify(a)
	alertEventually(t, "delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })

	got := r.all()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	req := got[0]
	if req.method != "POST" || req.contentType != "application/json" || req.userAgent != "liaptui/1.2.3" || req.path != "/hook" {
		t.Fatalf("request %s %s, Content-Type %q, User-Agent %q", req.method, req.path, req.contentType, req.userAgent)
	}
	want := webhookPayload{
		Text:    "[liaptui eu-1] CRITICAL system:memory 92.1 % (≥ 90) — memory_pressure started",
		Service: "liaptui", Instance: "eu-1", Kind: "health", Severity: "critical", Subject: "system:memory",
		From: "warning", To: "critical", Observed: "92.1 % (≥ 90)", Message: "memory_pressure started",
		At: "2025-03-01T12:00:00Z", DedupKey: dedupKey(a), Repeats: 0, CorrelationID: "0123456789abcdef",
	}
	if req.payload != want {
		t.Fatalf("payload\n got %+v\nwant %+v", req.payload, want)
	}
	keys := make([]string, 0, len(req.fields))
	for k := range req.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"at", "correlation_id", "dedup_key", "from", "instance", "kind", "message", "observed",
		"repeats", "service", "severity", "subject", "text", "to"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("JSON keys %v, want %v", keys, wantKeys)
	}
}

func TestAlertDedupKey(t *testing.T) {
	base := criticalAlert("system:memory")
	if len(dedupKey(base)) != 16 || dedupKey(base) != dedupKey(base) {
		t.Fatalf("key %q is not a stable 16-hex hash", dedupKey(base))
	}
	same := base
	same.Severity, same.Message, same.Observed, same.From = AlertSeverityWarning, "other", "1", "healthy"
	if dedupKey(same) != dedupKey(base) {
		t.Fatal("key depends on more than kind, subject and target state")
	}
	for name, change := range map[string]func(*Alert){
		"kind":       func(a *Alert) { a.Kind = AlertKindRecovery },
		"subject":    func(a *Alert) { a.Subject = "system:cpu" },
		"target":     func(a *Alert) { a.To = "unknown" },
		"resolution": func(a *Alert) { a.Resolution = true },
	} {
		other := base
		change(&other)
		if dedupKey(other) == dedupKey(base) {
			t.Errorf("changing %s keeps the key", name)
		}
	}
}

func TestAlertText(t *testing.T) {
	for _, tc := range []struct {
		instance string
		alert    Alert
		want     string
	}{
		{"eu-1", Alert{Severity: "critical", Subject: "system:memory", Observed: "92.1 % (≥ 90)", Message: "memory_pressure started"},
			"[liaptui eu-1] CRITICAL system:memory 92.1 % (≥ 90) — memory_pressure started"},
		{"eu-1", Alert{Severity: "warning", Subject: "overall", From: "healthy", To: "warning"},
			"[liaptui eu-1] WARNING overall healthy → warning"},
		{"", Alert{Severity: "info", Subject: "memory_pressure", Message: "succeeded"},
			"[liaptui] INFO memory_pressure — succeeded"},
	} {
		if got := alertText("liaptui", tc.instance, tc.alert); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestAlertGivenTextIsSentVerbatim(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	f.run(t)
	a := criticalAlert("log")
	a.Text = "custom line"
	f.notifier.Notify(a)
	alertEventually(t, "delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 1 })
	if got := r.all()[0].payload.Text; got != "custom line" {
		t.Fatalf("text %q", got)
	}
}

func TestAlertDedupCarriesRepeats(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	f.run(t)
	a := criticalAlert("system:memory")
	warn := a
	warn.Severity, warn.To = AlertSeverityWarning, "warning"
	notify := func(a Alert, delivered, deduplicated int) {
		t.Helper()
		f.notifier.Notify(a)
		alertEventually(t, "outcomes", func() bool {
			return f.outcomes.get(AlertOutcomeDelivered) == delivered && f.outcomes.get(AlertOutcomeDeduplicated) == deduplicated
		})
	}
	notify(a, 1, 0)
	notify(a, 1, 1)
	notify(warn, 2, 1) // another target state is another key
	f.clock.Advance(10*time.Minute - time.Nanosecond)
	notify(a, 2, 2) // still inside the window
	f.clock.Advance(time.Nanosecond)
	notify(a, 3, 2) // the window has passed: sent, carrying both repeats
	notify(a, 3, 3)
	f.clock.Advance(10 * time.Minute)
	notify(a, 4, 3)

	var repeats []int
	for _, req := range r.all() {
		repeats = append(repeats, req.payload.Repeats)
	}
	if !slices.Equal(repeats, []int{0, 0, 2, 1}) {
		t.Fatalf("repeats %v, want [0 0 2 1]", repeats)
	}
}

func TestAlertResolutionSentWhenProblemWasSent(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	f.run(t)
	critical := criticalAlert("system:memory")
	warning := Alert{Kind: AlertKindHealth, Severity: AlertSeverityWarning, Subject: "system:memory", From: "healthy", To: "warning"}
	resolved := Alert{Kind: AlertKindHealth, Severity: AlertSeverityInfo, Subject: "system:memory", From: "critical", To: "healthy", Resolution: true}
	steps := []struct {
		alert Alert
		sent  bool
	}{
		{critical, true},
		{resolved, true},  // its own key
		{critical, false}, // problem inside its window
		{resolved, false}, // no problem sent since the last resolution
		{warning, true},
		{resolved, true}, // a problem was sent after the last resolution
		{resolved, false},
	}
	delivered, deduplicated := 0, 0
	for i, s := range steps {
		f.clock.Advance(time.Minute)
		f.notifier.Notify(s.alert)
		if s.sent {
			delivered++
		} else {
			deduplicated++
		}
		alertEventually(t, "step "+string(rune('0'+i)), func() bool {
			return f.outcomes.get(AlertOutcomeDelivered) == delivered && f.outcomes.get(AlertOutcomeDeduplicated) == deduplicated
		})
	}
	got := r.all()
	var to []string
	for _, req := range got {
		to = append(to, req.payload.To)
	}
	if !slices.Equal(to, []string{"critical", "healthy", "warning", "healthy"}) {
		t.Fatalf("sent targets %v", to)
	}
	if got[3].payload.Repeats != 1 || got[3].payload.DedupKey == got[0].payload.DedupKey {
		t.Fatalf("second resolution: repeats %d, key %s (problem key %s)", got[3].payload.Repeats, got[3].payload.DedupKey, got[0].payload.DedupKey)
	}
}

func TestAlertQueueBoundDropsOldestNonCritical(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL, QueueSize: 3})
	alert := func(subject, severity string) Alert {
		return Alert{Kind: AlertKindLog, Severity: severity, Subject: subject, To: severity}
	}
	f.notifier.Notify(alert("a", AlertSeverityCritical))
	f.notifier.Notify(alert("b", AlertSeverityWarning))
	f.notifier.Notify(alert("c", AlertSeverityInfo))
	f.notifier.Notify(alert("d", AlertSeverityCritical)) // drops b
	f.notifier.Notify(alert("e", AlertSeverityCritical)) // drops c
	f.notifier.Notify(alert("f", AlertSeverityCritical)) // all critical: drops a
	if d := f.notifier.QueueDepth(); d != 3 {
		t.Fatalf("queue depth %d, want 3", d)
	}
	if d := f.outcomes.get(AlertOutcomeDropped); d != 3 {
		t.Fatalf("dropped %d, want 3", d)
	}
	if err := f.notifier.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, req := range r.all() {
		subjects = append(subjects, req.payload.Subject)
	}
	if !slices.Equal(subjects, []string{"d", "e", "f"}) {
		t.Fatalf("delivered %v, want [d e f]", subjects)
	}
	if !strings.Contains(f.logs.String(), `"msg":"alerts dropped, queue full"`) || !strings.Contains(f.logs.String(), `"dropped":3`) {
		t.Fatalf("drops not logged:\n%s", f.logs)
	}
}

func TestAlertPerMinuteCap(t *testing.T) {
	r := newAlertReceiver(t)
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL, MaxPerMinute: 2})
	f.run(t)
	for _, s := range []string{"a", "b", "c"} {
		f.notifier.Notify(criticalAlert(s))
	}
	f.awaitRequests(t, r, 2, 1)
	f.clock.Advance(time.Minute - time.Nanosecond)
	if f.clock.Pending() != 1 || r.count() != 2 {
		t.Fatalf("third send before a minute passed: %d requests", r.count())
	}
	f.clock.Advance(time.Nanosecond)
	alertEventually(t, "third delivery", func() bool { return f.outcomes.get(AlertOutcomeDelivered) == 3 })
	if got := r.all()[2].payload; got.Subject != "c" || got.At != "2025-03-01T12:00:00Z" {
		t.Fatalf("third alert %s at %s: want c stamped when notified", got.Subject, got.At)
	}
}

func TestAlertFlushOnShutdownSendsInterruptedAndQueued(t *testing.T) {
	r := newAlertReceiver(t, alertReply{status: 500})
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	stop := f.run(t)
	f.notifier.Notify(criticalAlert("a"))
	f.awaitRequests(t, r, 1, 1) // waiting to retry
	stop()
	if d, p := f.notifier.QueueDepth(), f.clock.Pending(); d != 1 || p != 0 {
		t.Fatalf("after stop: queue %d (want the interrupted alert back), timers %d", d, p)
	}
	f.notifier.Notify(criticalAlert("b"))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := f.notifier.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, req := range r.all() {
		subjects = append(subjects, req.payload.Subject)
	}
	if !slices.Equal(subjects, []string{"a", "a", "b"}) || f.outcomes.get(AlertOutcomeDelivered) != 2 || f.notifier.QueueDepth() != 0 {
		t.Fatalf("requests %v, delivered %d", subjects, f.outcomes.get(AlertOutcomeDelivered))
	}
}

func TestAlertFlushBoundedByContext(t *testing.T) {
	r := newAlertReceiver(t, alertReply{status: 503})
	f := newAlertFixture(t, AlertConfig{URL: r.srv.URL})
	f.notifier.Notify(criticalAlert("a"))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.notifier.Flush(ctx) }()
	f.awaitRequests(t, r, 1, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush = %v, want context.Canceled", err)
	}
	if f.notifier.QueueDepth() != 1 || f.outcomes.get(AlertOutcomeFailed) != 0 {
		t.Fatalf("queue %d, failed %d: the unsent alert must stay queued", f.notifier.QueueDepth(), f.outcomes.get(AlertOutcomeFailed))
	}
}

func TestAlertDisabled(t *testing.T) {
	for _, url := range []string{"", "ftp://example.com/x", "http://[::1/secret-part"} {
		f := newAlertFixture(t, AlertConfig{URL: url})
		f.notifier.Notify(criticalAlert("a"))
		if f.notifier.QueueDepth() != 0 {
			t.Errorf("%q: alert queued by a disabled notifier", url)
		}
		if err := f.notifier.Flush(t.Context()); err != nil {
			t.Errorf("%q: Flush = %v", url, err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		f.notifier.Run(ctx) // returns at once
		if strings.Contains(f.logs.String(), "secret-part") {
			t.Errorf("%q: URL logged: %s", url, f.logs)
		}
	}
}
