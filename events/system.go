package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"liaptui/monitor"
)

// systemQueueSize bounds the _system events waiting for the writer.
const systemQueueSize = 64

// systemEvent is one queued _system append; the payload is encoded when
// queued, so the caller may reuse its value.
type systemEvent struct {
	correlation string
	eventType   string
	payload     json.RawMessage
}

// systemAppender is the one goroutine that stores AppendSystem's events:
// they wait in a small queue of their own, so the writer's back-pressure
// delays them instead of blocking the caller or dropping them.
type systemAppender struct {
	queue  chan systemEvent
	mu     sync.RWMutex // held to queue; stop takes it so nothing lands after the final drain
	quit   chan struct{}
	done   chan struct{}
	ctx    context.Context // ends the appends of a Close that ran out of time
	cancel context.CancelFunc
}

func (a *systemAppender) start(s *Store) {
	a.queue, a.quit, a.done = make(chan systemEvent, systemQueueSize), make(chan struct{}), make(chan struct{})
	a.ctx, a.cancel = context.WithCancel(context.Background())
	go a.run(s)
}

// stopped makes a read-only store's appender, which refuses everything.
func (a *systemAppender) stopped() {
	a.quit, a.done = make(chan struct{}), make(chan struct{})
	a.ctx, a.cancel = context.WithCancel(context.Background())
	close(a.quit)
	close(a.done)
}

// run appends queued events until quit closes, then the rest of the queue.
func (a *systemAppender) run(s *Store) {
	defer close(a.done)
	defer a.cancel()
	for {
		select {
		case e := <-a.queue:
			a.store(s, e)
		case <-a.quit:
			for {
				select {
				case e := <-a.queue:
					a.store(s, e)
				default:
					return
				}
			}
		}
	}
}

func (a *systemAppender) store(s *Store, e systemEvent) {
	ctx := monitor.WithCorrelationID(a.ctx, e.correlation)
	_, err := s.Append(ctx, SystemStream, 0, AnyHead, []NewEvent{{Type: e.eventType, Payload: e.payload, Actor: actorSystem}})
	if err != nil {
		s.systemFailed(ctx, e.eventType, err)
	}
}

func (a *systemAppender) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	close(a.quit)
}

// wait waits for the appender to finish; when ctx ends first, the appends
// still running are cancelled.
func (a *systemAppender) wait(ctx context.Context) error {
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		a.cancel()
		return ctx.Err()
	}
}

// actorSystem is the actor of the server's own events.
const actorSystem = "system"

// AppendSystem appends an event of a rules §20.3 type to _system without
// waiting (monitor.SystemEvents): the event is encoded and queued, and
// stored in order by one goroutine with the correlation id of ctx. A
// failure (unregistered type, payload not an object, full queue, closed or
// degraded store, failed commit) is logged and never retried.
func (s *Store) AppendSystem(ctx context.Context, eventType string, payload any) {
	t, ok := types[eventType]
	if !ok || !t.system {
		s.systemFailed(ctx, eventType, fmt.Errorf("%w: %q is not a _system event type", ErrInvalid, eventType))
		return
	}
	encoded, err := json.Marshal(payload)
	switch {
	case err != nil:
		s.systemFailed(ctx, eventType, fmt.Errorf("%w: encode payload: %w", ErrInvalid, err))
		return
	case !isJSONObject(encoded):
		s.systemFailed(ctx, eventType, fmt.Errorf("%w: payload is not a JSON object", ErrInvalid))
		return
	}
	if err := s.system.offer(systemEvent{correlation: monitor.CorrelationID(ctx), eventType: eventType, payload: encoded}); err != nil {
		s.systemFailed(ctx, eventType, err)
	}
}

// offer queues e without waiting.
func (a *systemAppender) offer(e systemEvent) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	select {
	case <-a.quit:
		return ErrClosed
	default:
	}
	select {
	case a.queue <- e:
		return nil
	default:
		return fmt.Errorf("%w: %d _system events already wait", ErrOverloaded, systemQueueSize)
	}
}

// appendSystemNow appends one _system event and waits for its commit (the
// probe of Reopen).
func (s *Store) appendSystemNow(ctx context.Context, eventType string, payload any) error {
	encoded, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("%w: encode payload: %w", ErrInvalid, err)
	}
	_, err = s.Append(ctx, SystemStream, 0, AnyHead, []NewEvent{{Type: eventType, Payload: encoded, Actor: actorSystem}})
	return err
}

func (s *Store) systemFailed(ctx context.Context, eventType string, err error) {
	s.opts.Log.WarnContext(ctx, "system event not stored", "category", "system", "component", "store",
		"event_type", eventType, "error", err)
}
