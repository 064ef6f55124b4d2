package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"

	slogmulti "github.com/samber/slog-multi"
)

// Redacted replaces every secret written to a log sink (observability §7.6).
const Redacted = "[REDACTED]"

var redactedJSON = []byte(`"` + Redacted + `"`)

// Token is a player or admin token. It never prints: logged, formatted or
// marshalled it is [REDACTED]; use string(t) where the value is needed.
type Token string

func (Token) LogValue() slog.Value         { return slog.StringValue(Redacted) }
func (Token) String() string               { return Redacted }
func (Token) GoString() string             { return Redacted }
func (Token) MarshalJSON() ([]byte, error) { return redactedJSON, nil }
func (Token) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Hand is a set of pieces not yet public: dealt, held or redealt. Like
// Token it never prints.
type Hand []int

func (Hand) LogValue() slog.Value         { return slog.StringValue(Redacted) }
func (Hand) String() string               { return Redacted }
func (Hand) GoString() string             { return Redacted }
func (Hand) MarshalJSON() ([]byte, error) { return redactedJSON, nil }
func (Hand) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// redactedKeys are the attribute keys whose values never reach a sink, at
// any group depth, whatever their type.
var redactedKeys = map[string]bool{
	"token": true, "admin_token": true, "authorization": true, "cookie": true,
	"set-cookie": true, "hand": true, "hands": true, "dealt": true, "webhook_url": true,
}

// redactMiddleware is the redact stage of observability §7.2. It also turns
// every value the JSON encoder would reject into a string (§7.1), so no
// sink ever drops or garbles a line.
func redactMiddleware() slogmulti.Middleware {
	return slogmulti.NewInlineMiddleware(
		func(ctx context.Context, level slog.Level, next func(context.Context, slog.Level) bool) bool {
			return next(ctx, level)
		},
		func(ctx context.Context, r slog.Record, next func(context.Context, slog.Record) error) error {
			out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
			r.Attrs(func(a slog.Attr) bool {
				out.AddAttrs(redactAttr(a))
				return true
			})
			return next(ctx, out)
		},
		func(attrs []slog.Attr, next func([]slog.Attr) slog.Handler) slog.Handler {
			return next(redactEach(attrs))
		},
		func(name string, next func(string) slog.Handler) slog.Handler {
			return next(name)
		},
	)
}

func redactEach(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = redactAttr(a)
	}
	return out
}

func redactAttr(a slog.Attr) slog.Attr {
	if redactedKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		v = slog.GroupValue(redactEach(v.Group())...)
	case slog.KindFloat64:
		if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			v = slog.StringValue(fmt.Sprint(f))
		}
	case slog.KindAny:
		v = encodableValue(v.Any())
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// encodableValue is v as the JSON encoder will accept it: pre-encoded JSON
// when it marshals, otherwise its printed form.
func encodableValue(v any) slog.Value {
	switch x := v.(type) {
	case http.Header:
		return headerValue(x)
	case json.Marshaler:
	case error:
		return slog.StringValue(safeSprint(x))
	}
	b, err := safeMarshal(v)
	if err != nil {
		return slog.StringValue(safeSprint(v))
	}
	return slog.AnyValue(json.RawMessage(b))
}

// headerValue logs HTTP headers as a group with credentials redacted.
func headerValue(h http.Header) slog.Value {
	attrs := make([]slog.Attr, 0, len(h))
	for name, values := range h {
		attrs = append(attrs, redactAttr(slog.String(name, strings.Join(values, ", "))))
	}
	return slog.GroupValue(attrs...)
}

func safeMarshal(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("marshal panicked: %v", r)
		}
	}()
	return json.Marshal(v)
}

func safeSprint(v any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("!PANIC printing %T: %v", v, r)
		}
	}()
	return fmt.Sprint(v)
}
