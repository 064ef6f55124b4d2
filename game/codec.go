package game

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// SeatRef is a seat number 1..4, or 0 for none (JSON null).
type SeatRef int

var jsonNull = []byte("null")

// MarshalJSON writes null for no seat.
func (r SeatRef) MarshalJSON() ([]byte, error) { return intOrNull(int64(r)), nil }

// UnmarshalJSON reads a seat number or null.
func (r *SeatRef) UnmarshalJSON(b []byte) error {
	v, err := parseIntOrNull(b)
	if err == nil && (v < 0 || v > numSeats) {
		err = fmt.Errorf("seat %d outside 1..4", v)
	}
	*r = SeatRef(v)
	return err
}

// MarshalJSON writes null for no instant.
func (t Instant) MarshalJSON() ([]byte, error) { return intOrNull(int64(t)), nil }

// UnmarshalJSON reads Unix milliseconds or null.
func (t *Instant) UnmarshalJSON(b []byte) error {
	v, err := parseIntOrNull(b)
	*t = Instant(v)
	return err
}

func intOrNull(v int64) []byte {
	if v == 0 {
		return jsonNull
	}
	return strconv.AppendInt(nil, v, 10)
}

func parseIntOrNull(b []byte) (int64, error) {
	if bytes.Equal(b, jsonNull) {
		return 0, nil
	}
	return strconv.ParseInt(string(b), 10, 64)
}

// MarshalJSON writes the piece ids ascending.
func (h Hand) MarshalJSON() ([]byte, error) { return json.Marshal(h.IDs()) }

// UnmarshalJSON reads a list of distinct piece ids 0..31. It parses the
// array itself: replaying a room decodes thousands of these.
func (h *Hand) UnmarshalJSON(b []byte) error {
	body := bytes.TrimSpace(b)
	if len(body) < 2 || body[0] != '[' || body[len(body)-1] != ']' {
		return fmt.Errorf("piece list %s is not an array", b)
	}
	var set Hand
	if inner := bytes.TrimSpace(body[1 : len(body)-1]); len(inner) > 0 {
		for _, field := range bytes.Split(inner, []byte{','}) {
			id, err := strconv.Atoi(string(bytes.TrimSpace(field)))
			if err != nil || id < 0 || id >= numPieces || set.Has(id) {
				return fmt.Errorf("bad piece list %s", b)
			}
			set |= 1 << id
		}
	}
	*h = set
	return nil
}

// SeatMap is a seat-keyed map of rules §20.1: it always encodes all four
// seats, keyed "1".."4".
type SeatMap[T any] [numSeats]T

// MarshalJSON writes {"1":…,"2":…,"3":…,"4":…}.
func (m SeatMap[T]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, v := range m {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, `"%d":`, i+1)
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a seat-keyed object; keys other than "1".."4" fail.
func (m *SeatMap[T]) UnmarshalJSON(b []byte) error {
	var byKey map[string]T
	if err := json.Unmarshal(b, &byKey); err != nil {
		return err
	}
	for k, v := range byKey {
		seat, err := strconv.Atoi(k)
		if err != nil || seat < 1 || seat > numSeats {
			return fmt.Errorf("seat key %q outside 1..4", k)
		}
		m[seat-1] = v
	}
	return nil
}

// DecodeEvent rebuilds an event from its stored type, instant and payload.
func DecodeEvent(eventType string, at int64, payload []byte) (Event, error) {
	mk, ok := newPayload[eventType]
	if !ok {
		return Event{}, fmt.Errorf("unknown event type %q", eventType)
	}
	p := mk()
	if err := json.Unmarshal(payload, p); err != nil {
		return Event{}, fmt.Errorf("decode %s payload: %w", eventType, err)
	}
	return Event{At: Instant(at), Data: reflect.ValueOf(p).Elem().Interface().(Payload)}, nil
}
