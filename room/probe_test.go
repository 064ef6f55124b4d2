package room

import (
	"context"
	"sync"
	"time"
)

// probe records what a registry reports through its hooks.
type probe struct {
	mu       sync.Mutex
	wakes    []string
	triggers []trigger
	system   []systemEvent
	replays  map[string]int
}

type trigger struct {
	procedure, target, raisedBy string
	observed                    map[string]any
}

type systemEvent struct {
	typ     string
	payload any
}

func newProbe() *probe { return &probe{replays: map[string]int{}} }

// attach wires the probe into a harness; recover says whether the registry
// gets a recovery manager.
func (p *probe) attach(recover bool) func(*harness) {
	return func(h *harness) {
		h.opts.Wake = func(reason string) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.wakes = append(p.wakes, reason)
		}
		if recover {
			h.opts.Recover = func(_ context.Context, procedure, target, raisedBy string, observed map[string]any) {
				p.mu.Lock()
				defer p.mu.Unlock()
				p.triggers = append(p.triggers, trigger{procedure, target, raisedBy, observed})
			}
		}
		h.opts.System = p
		h.opts.OnReplay = func(reason string, _ time.Duration) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.replays[reason]++
		}
	}
}

func (p *probe) AppendSystem(_ context.Context, typ string, payload any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.system = append(p.system, systemEvent{typ, payload})
}

func (p *probe) snapshot() (wakes []string, triggers []trigger, system []systemEvent, replays map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	replays = map[string]int{}
	for k, v := range p.replays {
		replays[k] = v
	}
	return append([]string(nil), p.wakes...), append([]trigger(nil), p.triggers...),
		append([]systemEvent(nil), p.system...), replays
}
