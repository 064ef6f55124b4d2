package events

import (
	"strings"
)

// Stream kinds (the streams.kind column).
const (
	KindRoom   = "room"
	KindSystem = "system"
	KindCanary = "canary"
)

// SystemStream is the server's own stream (rules §20.3).
const SystemStream = "_system"

// Stream statuses (the streams.status column).
const (
	StatusLive     = "live"
	StatusFinished = "finished"
	StatusClosed   = "closed"
)

// eventType is a registered type: which stream kind it belongs to, its
// current payload version and the status its append gives the stream.
type eventType struct {
	system  bool
	version int
	status  string // "" leaves the status as it is
}

// types is the type registry. Room types are those of rules §20.2, system
// types those of §20.3; all at payload version 1.
var types = func() map[string]eventType {
	m := map[string]eventType{}
	for _, name := range strings.Fields(`room_created player_joined bot_added bot_removed game_started
		hands_dealt redeal_decided redeal_started round_started declaration_started declared
		turn_started played turn_won round_scored player_disconnected player_reconnected
		player_left seat_control_changed host_changed`) {
		m[name] = eventType{version: 1}
	}
	m["game_over"] = eventType{version: 1, status: StatusFinished}
	m["room_closed"] = eventType{version: 1, status: StatusClosed}
	for _, name := range strings.Fields(`server_started server_stopping server_stopped store_recovered
		store_reopened room_unrecoverable room_rebuilt retention_cleanup health_status_changed
		recovery_attempted protection_entered protection_exited canary_failed`) {
		m[name] = eventType{system: true, version: 1}
	}
	return m
}()

// roomIDAlphabet is protocol §0.1's room id alphabet (no 0, 1, I, L, O).
const roomIDAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// StreamKind classifies a stream id: a 6-character room id, _system or
// _canary:<run>; ok is false for anything else.
func StreamKind(stream string) (kind string, ok bool) {
	switch {
	case stream == SystemStream:
		return KindSystem, true
	case strings.HasPrefix(stream, "_canary:"):
		run := strings.TrimPrefix(stream, "_canary:")
		if run == "" || len(run) > 20 || strings.Trim(run, "0123456789") != "" {
			return "", false
		}
		return KindCanary, true
	case len(stream) == 6 && strings.Trim(stream, roomIDAlphabet) == "":
		return KindRoom, true
	}
	return "", false
}
