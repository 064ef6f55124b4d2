// Package ws holds the pure part of the WebSocket protocol (protocol.md):
// the error-code table (§10), decoding of client frames (§2, §4), encoding
// of server messages (§5) and the redaction of events and views (§9). It
// does no I/O, so the transport, the REST handlers and tests share it.
package ws
