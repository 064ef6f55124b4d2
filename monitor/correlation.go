package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

type correlationKey struct{}

// WithCorrelationID returns ctx carrying id, the cause of everything done
// under it: log lines, stored events, error replies (observability §7.4).
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the id ctx carries, "" when none.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// NewCorrelationID makes a fresh id: 16 lowercase hex characters.
func NewCorrelationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
