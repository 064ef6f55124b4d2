package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	webhookMaxAttempts   = 5
	webhookMaxRetryAfter = 60 * time.Second
	webhookBodyDrainMax  = 64 << 10
)

// webhookBackoff is the wait before attempts 2…5, each times the jitter factor.
var webhookBackoff = [webhookMaxAttempts - 1]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// sentKey is the dedup state of one key. Entries older than two windows are
// forgotten (with any repeats) so the map holds at most the sends of two windows.
type sentKey struct {
	kind, subject string
	resolution    bool
	sentAt        time.Time
	seq           uint64 // send order, to tell a problem sent after a resolution
	repeats       int
}

type webhookPayload struct {
	Text          string `json:"text"`
	Service       string `json:"service"`
	Instance      string `json:"instance"`
	Kind          string `json:"kind"`
	Severity      string `json:"severity"`
	Subject       string `json:"subject"`
	From          string `json:"from"`
	To            string `json:"to"`
	Observed      string `json:"observed"`
	Message       string `json:"message"`
	At            string `json:"at"`
	DedupKey      string `json:"dedup_key"`
	Repeats       int    `json:"repeats"`
	CorrelationID string `json:"correlation_id"`
}

// webhookError is a failed attempt; retryable ones are tried again.
type webhookError struct {
	status     int           // 0 when no response arrived
	retryAfter time.Duration // -1 when the response set none
	retryable  bool
	cause      error
}

func (e *webhookError) Error() string {
	if e.status != 0 {
		return "webhook answered " + strconv.Itoa(e.status)
	}
	return "webhook request: " + e.cause.Error()
}

func (e *webhookError) Unwrap() error { return e.cause }

// Run is the notifier's sender goroutine; it returns when ctx ends, leaving an
// interrupted alert at the head of the queue for Flush.
func (n *Notifier) Run(ctx context.Context) {
	for {
		sent, err := n.sendNext(ctx)
		if err != nil {
			return
		}
		if sent {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		}
	}
}

// Flush sends everything queued, with the usual retries and limits, until the
// queue is empty or ctx ends (shutdown gives it 2 s).
func (n *Notifier) Flush(ctx context.Context) error {
	for {
		sent, err := n.sendNext(ctx)
		if err != nil {
			return fmt.Errorf("flush alerts: %d unsent: %w", n.QueueDepth(), err)
		}
		if !sent {
			return nil
		}
	}
}

// sendNext handles the head of the queue; it reports false when the queue is
// empty and an error only when ctx ended.
func (n *Notifier) sendNext(ctx context.Context) (bool, error) {
	select {
	case n.sending <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-n.sending }()
	if d := n.takeDropped(); d > 0 {
		n.log.Warn("alerts dropped, queue full", slog.Int("dropped", d), slog.Int("queue_size", n.cfg.QueueSize))
	}
	q, ok := n.pop()
	if !ok {
		return false, nil
	}
	if err := n.send(ctx, q); err != nil {
		n.requeue(q)
		return true, err
	}
	return true, nil
}

// send dedups, waits for a send slot and delivers q; it fails only when ctx ends.
func (n *Notifier) send(ctx context.Context, q queuedAlert) error {
	now := n.clock.Now()
	n.forgetOldKeys(now)
	entry := n.sentKeys[q.key]
	if n.suppressed(q, entry, now) {
		entry.repeats++
		n.outcome(AlertOutcomeDeduplicated)
		n.log.Debug("alert deduplicated", alertAttrs(q), slog.Int("repeats", entry.repeats))
		return nil
	}
	if err := n.awaitSendSlot(ctx); err != nil {
		return err
	}
	repeats := 0
	if entry != nil {
		repeats = entry.repeats
	}
	body, _ := json.Marshal(n.payload(q, repeats)) // cannot fail: only strings and an int
	start := n.clock.Now()
	attempts, err := n.deliver(ctx, body)
	var failure *webhookError
	switch {
	case err == nil:
		n.sendSeq++
		n.sentKeys[q.key] = &sentKey{kind: q.Kind, subject: q.Subject, resolution: q.Resolution, sentAt: n.clock.Now(), seq: n.sendSeq}
		n.outcome(AlertOutcomeDelivered)
		n.log.Debug("alert delivered", alertAttrs(q), slog.Int("attempts", attempts), slog.Int("repeats", repeats),
			slog.Int64("duration_ms", n.clock.Now().Sub(start).Milliseconds()))
		return nil
	case errors.As(err, &failure):
		n.outcome(AlertOutcomeFailed)
		n.log.Warn("alert delivery failed", alertAttrs(q), slog.Int("attempts", attempts),
			slog.Int("status", failure.status), slog.String("error", failure.Error()))
		return nil
	default:
		return err
	}
}

// suppressed: the key was sent within the window, unless q is a resolution
// and a problem of its kind and subject was sent after that resolution.
func (n *Notifier) suppressed(q queuedAlert, entry *sentKey, now time.Time) bool {
	if entry == nil || now.Sub(entry.sentAt) >= n.cfg.DedupWindow {
		return false
	}
	if q.Resolution {
		for _, other := range n.sentKeys {
			if !other.resolution && other.kind == q.Kind && other.subject == q.Subject && other.seq > entry.seq {
				return false
			}
		}
	}
	return true
}

func (n *Notifier) forgetOldKeys(now time.Time) {
	for key, e := range n.sentKeys {
		if now.Sub(e.sentAt) > 2*n.cfg.DedupWindow {
			delete(n.sentKeys, key)
		}
	}
}

// awaitSendSlot keeps to MaxPerMinute sends in any minute of the clock.
func (n *Notifier) awaitSendSlot(ctx context.Context) error {
	now := n.clock.Now()
	n.sendTimes = sendsWithinMinute(n.sendTimes, now)
	if len(n.sendTimes) >= n.cfg.MaxPerMinute {
		oldest := n.sendTimes[len(n.sendTimes)-n.cfg.MaxPerMinute]
		if err := n.sleep(ctx, oldest.Add(time.Minute).Sub(now)); err != nil {
			return err
		}
		now = n.clock.Now()
		n.sendTimes = sendsWithinMinute(n.sendTimes, now)
	}
	n.sendTimes = append(n.sendTimes, now)
	return nil
}

func sendsWithinMinute(times []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(times) && now.Sub(times[i]) >= time.Minute {
		i++
	}
	return append(times[:0], times[i:]...)
}

func (n *Notifier) payload(q queuedAlert, repeats int) webhookPayload {
	text := q.Text
	if text == "" {
		text = alertText(n.cfg.Service, n.cfg.Instance, q.Alert)
	}
	return webhookPayload{
		Text: text, Service: n.cfg.Service, Instance: n.cfg.Instance,
		Kind: q.Kind, Severity: q.Severity, Subject: q.Subject, From: q.From, To: q.To,
		Observed: q.Observed, Message: q.Message, At: q.at.UTC().Format(time.RFC3339),
		DedupKey: q.key, Repeats: repeats, CorrelationID: q.CorrelationID,
	}
}

// deliver posts body until it is accepted, a permanent failure or the last
// attempt (*webhookError), or ctx ends (ctx's error).
func (n *Notifier) deliver(ctx context.Context, body []byte) (int, error) {
	for attempt := 1; ; attempt++ {
		err := n.post(ctx, body)
		var failure *webhookError
		if err == nil || !errors.As(err, &failure) || !failure.retryable || attempt == webhookMaxAttempts {
			return attempt, err
		}
		wait := failure.retryAfter
		if wait < 0 {
			wait = time.Duration(float64(webhookBackoff[attempt-1]) * n.jitter())
		}
		n.log.Debug("alert delivery retry", slog.Int("attempt", attempt), slog.Int64("wait_ms", wait.Milliseconds()),
			slog.Int("status", failure.status), slog.String("error", failure.Error()))
		if err := n.sleep(ctx, wait); err != nil {
			return attempt, err
		}
	}
}

func (n *Notifier) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.target.String(), bytes.NewReader(body))
	if err != nil {
		// The error text would quote the secret URL.
		return &webhookError{retryAfter: -1, cause: errors.New("cannot build the webhook request")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "liaptui/"+n.cfg.Version)
	resp, err := n.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &webhookError{retryAfter: -1, retryable: !errors.Is(err, errTooManyRedirects), cause: withoutURL(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookBodyDrainMax)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	s := resp.StatusCode
	return &webhookError{
		status:     s,
		retryable:  s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500,
		retryAfter: n.retryAfter(resp.Header.Get("Retry-After")),
	}
}

// retryAfter reads Retry-After (seconds or an HTTP date), capped at 60 s; -1 when absent or invalid.
func (n *Notifier) retryAfter(v string) time.Duration {
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case secs < 0:
			return -1
		case secs >= int64(webhookMaxRetryAfter/time.Second): // also keeps huge values from overflowing
			return webhookMaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(n.clock.Now()), 0), webhookMaxRetryAfter)
	}
	return -1
}

// withoutURL strips the *url.Error wrapper, whose text quotes the secret URL.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// alertAttrs are flat, as every log field is (observability §7.1).
func alertAttrs(q queuedAlert) slog.Attr {
	attrs := []slog.Attr{slog.String("kind", q.Kind), slog.String("severity", q.Severity),
		slog.String("subject", q.Subject), slog.String("to", q.To), slog.String("dedup_key", q.key)}
	if q.CorrelationID != "" {
		attrs = append(attrs, slog.String("correlation_id", q.CorrelationID))
	}
	return slog.GroupAttrs("", attrs...)
}
