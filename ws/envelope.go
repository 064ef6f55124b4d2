package ws

import (
	"bytes"
	"encoding/json"
)

// Envelope is a decoded client frame (§2).
type Envelope struct {
	Type string
	ID   string          // "" when absent; echoed as reply_to
	Data json.RawMessage // always a JSON object; {} when absent or null
}

var emptyObject = json.RawMessage(`{}`)

// DecodeEnvelope checks the §2 envelope rules and returns BAD_MESSAGE when
// they fail. It does not know the command list (see KnownCommand), so the
// caller can order UNKNOWN_TYPE after its rate limit. Even on error the
// returned Envelope carries the id when a valid one was read, for reply_to.
func DecodeEnvelope(frame []byte) (Envelope, *Error) {
	var env Envelope
	frame = bytes.TrimLeft(frame, " \t\r\n")
	var fields map[string]json.RawMessage
	if len(frame) == 0 || frame[0] != '{' || json.Unmarshal(frame, &fields) != nil {
		return env, badMessage("the frame is not a JSON object")
	}
	if raw, ok := fields["id"]; ok {
		id, ok := decodeString(raw)
		if !ok || !validID(id) {
			return env, badMessage("id must be a string of 1-64 printable ASCII characters")
		}
		env.ID = id
	}
	raw, ok := fields["type"]
	if !ok {
		return env, badMessage("type is missing")
	}
	if env.Type, ok = decodeString(raw); !ok {
		return env, badMessage("type must be a string")
	}
	switch raw := fields["data"]; kindOf(raw) {
	case kindAbsent, kindNull:
		env.Data = emptyObject
	case kindObject:
		env.Data = raw
	default:
		return env, badMessage("data must be an object or null")
	}
	return env, nil
}

func badMessage(msg string) *Error { return NewError(CodeBadMessage, nil, "%s", msg) }

// validID: 1–64 characters 0x21–0x7E (§2).
func validID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		if id[i] < 0x21 || id[i] > 0x7E {
			return false
		}
	}
	return true
}
