package ws

import (
	"slices"
	"sync/atomic"
)

// endReason is why a connection ended: the closed set of
// liaptui_ws_connections_closed_total{reason}.
type endReason uint8

const (
	endNormal endReason = iota
	endReplaced
	endHelloTimeout
	endHeartbeatTimeout
	endSlowConsumer
	endWriteError
	endBadFrame
	endInternal
	endShutdown
	endStale
	endReasonCount
)

var endReasonNames = [endReasonCount]string{"normal", "replaced", "hello_timeout", "heartbeat_timeout",
	"slow_consumer", "write_error", "bad_frame", "internal", "shutdown", "stale"}

// discardsQueue: these ends drop the queue at once (each frame failed /
// discarded) instead of flushing it; all but slow_consumer also send no
// close frame (protocol §1.6).
func (r endReason) discardsQueue() bool {
	switch r {
	case endSlowConsumer, endWriteError, endHeartbeatTimeout, endStale:
		return true
	}
	return false
}

// failReason is why a frame was never written (observability §1.3).
type failReason uint8

const (
	failQueueFull failReason = iota
	failWriteError
	failDiscarded
	failReasonCount
)

var failReasonNames = [failReasonCount]string{"queue_full", "write_error", "discarded"}

// Command outcomes and the label of a frame that names no known command.
const (
	OutcomeAck     = "ack"
	OutcomeError   = "error"
	CommandUnknown = "unknown"
)

// The closed label sets (observability §8.1); the exported functions below
// return copies for pre-creating metric series.
var (
	resyncModes   = []string{ResyncEvents, ResyncView}
	commandLabels = func() []string {
		labels := []string{CommandUnknown}
		for typ := range decoders {
			labels = append(labels, typ)
		}
		slices.Sort(labels)
		return labels
	}()
	errorCodes = func() []string {
		var codes []string
		for _, c := range codeTable {
			if c.WS {
				codes = append(codes, string(c.Code))
			}
		}
		return codes
	}()
	protectionRefusals = []string{TypeHello, TypeRoomCreate, TypeRoomJoin, TypeRoomStart}
)

// CloseReasons labels HubCounters.ConnectionsClosed.
func CloseReasons() []string { return slices.Clone(endReasonNames[:]) }

// FailReasons labels HubCounters.FramesFailed.
func FailReasons() []string { return slices.Clone(failReasonNames[:]) }

// ResyncModes labels HubCounters.Resyncs.
func ResyncModes() []string { return slices.Clone(resyncModes) }

// CommandLabels are the command labels of HubCounters.Commands: the §4
// types and CommandUnknown.
func CommandLabels() []string { return slices.Clone(commandLabels) }

// ErrorCodes label HubCounters.Errors: the codes an error reply may carry.
func ErrorCodes() []string { return slices.Clone(errorCodes) }

// ProtectionRefusals label HubCounters.ProtectionRefusals: the commands
// protection mode refuses (observability §5.5).
func ProtectionRefusals() []string { return slices.Clone(protectionRefusals) }

// CommandOutcome keys HubCounters.Commands.
type CommandOutcome struct{ Command, Outcome string }

// HubCounters is one reading of the hub's monotonic counters; every label
// of the closed sets above is present, at 0 when nothing happened.
type HubCounters struct {
	ConnectionsOpened int64
	ConnectionsClosed map[string]int64 // by CloseReasons()
	FramesDelivered   int64
	FramesLate        int64
	FramesFailed      map[string]int64 // by FailReasons()
	FramesCoalesced   int64
	FramesReceived    int64
	Resyncs           map[string]int64 // by ResyncModes()
	Commands          map[CommandOutcome]int64
	Errors            map[string]int64 // error replies by ErrorCodes()
	// ProtectionRefusals counts commands refused by protection mode.
	ProtectionRefusals map[string]int64
}

// hubCounters are the atomics behind HubCounters. Its maps are built once
// and only read afterwards, so they need no lock.
type hubCounters struct {
	opened, delivered, late, coalesced, received atomic.Int64
	closed                                       [endReasonCount]atomic.Int64
	failed                                       [failReasonCount]atomic.Int64
	resyncs                                      map[string]*atomic.Int64
	commands                                     map[CommandOutcome]*atomic.Int64
	errors                                       map[string]*atomic.Int64
	refusals                                     map[string]*atomic.Int64
}

func newHubCounters() *hubCounters {
	k := &hubCounters{resyncs: atomics(resyncModes), errors: atomics(errorCodes),
		refusals: atomics(protectionRefusals), commands: map[CommandOutcome]*atomic.Int64{}}
	for _, c := range commandLabels {
		for _, o := range []string{OutcomeAck, OutcomeError} {
			k.commands[CommandOutcome{c, o}] = new(atomic.Int64)
		}
	}
	return k
}

func atomics(labels []string) map[string]*atomic.Int64 {
	m := make(map[string]*atomic.Int64, len(labels))
	for _, l := range labels {
		m[l] = new(atomic.Int64)
	}
	return m
}

func loads[K comparable](m map[K]*atomic.Int64) map[K]int64 {
	out := make(map[K]int64, len(m))
	for k, v := range m {
		out[k] = v.Load()
	}
	return out
}

// command counts one answered frame and, for an error, its code.
func (k *hubCounters) command(label string, reply Message) {
	outcome := OutcomeAck
	if d, ok := reply.Data.(ErrorData); ok {
		outcome = OutcomeError
		if n := k.errors[d.Code]; n != nil {
			n.Add(1)
		}
	}
	if n := k.commands[CommandOutcome{label, outcome}]; n != nil {
		n.Add(1)
	}
}

// Counters reads the hub's counters.
func (h *Hub) Counters() HubCounters {
	k := h.counters
	c := HubCounters{ConnectionsOpened: k.opened.Load(), FramesDelivered: k.delivered.Load(),
		FramesLate: k.late.Load(), FramesCoalesced: k.coalesced.Load(), FramesReceived: k.received.Load(),
		ConnectionsClosed: map[string]int64{}, FramesFailed: map[string]int64{},
		Resyncs: loads(k.resyncs), Commands: loads(k.commands), Errors: loads(k.errors),
		ProtectionRefusals: loads(k.refusals)}
	for i := range k.closed {
		c.ConnectionsClosed[endReasonNames[i]] = k.closed[i].Load()
	}
	for i := range k.failed {
		c.FramesFailed[failReasonNames[i]] = k.failed[i].Load()
	}
	return c
}
