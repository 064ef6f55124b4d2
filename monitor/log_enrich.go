package monitor

import (
	"context"
	"log/slog"
	"slices"
)

// enrichHandler is the first stage of the chain. It keeps the attributes and
// groups of With/WithGroup itself and hands every later stage one complete,
// flat record, so that redaction, routing and the ring see all attributes;
// it lifts category and component to the front and adds the ids the context
// carries at the top level, where §7.1 wants them whatever groups are open.
type enrichHandler struct {
	next   slog.Handler
	frames logFrames
}

// enrichMiddleware is the enrich stage of observability §7.2.
func enrichMiddleware(next slog.Handler) slog.Handler {
	return &enrichHandler{next: next, frames: logFrames{{}}}
}

func (h *enrichHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *enrichHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &enrichHandler{next: h.next, frames: h.frames.withAttrs(attrs)}
}

func (h *enrichHandler) WithGroup(name string) slog.Handler {
	return &enrichHandler{next: h.next, frames: h.frames.withGroup(name)}
}

// contextIDKeys are the fields enrich takes from the context, in line order.
var contextIDKeys = [...]string{logKeyCorrelationID, logKeyRoomID, logKeyPlayerID, logKeyConnID}

func (h *enrichHandler) Handle(ctx context.Context, r slog.Record) error {
	top := h.frames.flatten(r)

	// The first six fields of §7.1 in order; a value given explicitly wins
	// over the context's, and a later duplicate over an earlier one.
	var front [2 + len(contextIDKeys)]slog.Attr
	front[0] = slog.String(logKeyCategory, CategorySystem)
	front[1] = slog.String(logKeyComponent, ComponentMain)
	fromContext := [len(contextIDKeys)]string{CorrelationID(ctx), RoomID(ctx), PlayerID(ctx), ConnID(ctx)}
	for i, id := range fromContext {
		if id != "" {
			front[2+i] = slog.String(contextIDKeys[i], id)
		}
	}
	rest := top[:0]
	for _, a := range top {
		if i := frontIndex(a.Key); i >= 0 {
			front[i] = a
			continue
		}
		rest = append(rest, a)
	}

	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	for _, a := range front {
		if a.Key != "" {
			out.AddAttrs(a)
		}
	}
	out.AddAttrs(rest...)
	return h.next.Handle(ctx, out)
}

func frontIndex(key string) int {
	switch key {
	case logKeyCategory:
		return 0
	case logKeyComponent:
		return 1
	}
	for i, k := range contextIDKeys {
		if k == key {
			return 2 + i
		}
	}
	return -1
}

// logFrames are the attributes and groups a handler was given by With and
// WithGroup: frames[0] is the top level, each later frame an open group.
type logFrames []logFrame

type logFrame struct {
	group string
	attrs []slog.Attr
}

func (f logFrames) withAttrs(attrs []slog.Attr) logFrames {
	if len(attrs) == 0 {
		return f
	}
	frames := slices.Clone(f)
	last := &frames[len(frames)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return frames
}

func (f logFrames) withGroup(name string) logFrames {
	if name == "" {
		return f
	}
	return append(slices.Clip(f), logFrame{group: name})
}

// bare reports that no attributes or groups were added.
func (f logFrames) bare() bool { return len(f) == 1 && len(f[0].attrs) == 0 }

// flatten nests the record's attributes in the open groups, innermost
// first, and returns the top-level attributes of the result.
func (f logFrames) flatten(r slog.Record) []slog.Attr {
	innermost := f[len(f)-1]
	attrs := make([]slog.Attr, 0, len(innermost.attrs)+r.NumAttrs()+1)
	attrs = append(attrs, innermost.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := len(f) - 1; i > 0; i-- {
		group := f[i].group
		outer := f[i-1].attrs
		nested := make([]slog.Attr, 0, len(outer)+1)
		nested = append(nested, outer...)
		if len(attrs) > 0 {
			nested = append(nested, slog.Attr{Key: group, Value: slog.GroupValue(attrs...)})
		}
		attrs = nested
	}
	return attrs
}
