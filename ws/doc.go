// Package ws holds the WebSocket protocol (protocol.md): the pure part —
// the error-code table (§10), decoding of client frames (§2, §4), encoding
// of server messages (§5), the redaction of events and views (§9) — which
// the REST handlers and tests share, and the Hub that serves connections,
// accounts for every outbound frame and exposes the monitor's WebSocket
// numbers and recovery's operations (observability §1.3, §5.1).
package ws
