package ws

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// jsonKind is the JSON type of a raw value, read from its first byte; raw
// values here come from an already validated document.
type jsonKind int

const (
	kindAbsent jsonKind = iota
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func kindOf(raw json.RawMessage) jsonKind {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return kindAbsent
	}
	switch raw[0] {
	case 'n':
		return kindNull
	case 't', 'f':
		return kindBool
	case '"':
		return kindString
	case '[':
		return kindArray
	case '{':
		return kindObject
	}
	return kindNumber
}

func decodeString(raw json.RawMessage) (string, bool) {
	var s string
	if kindOf(raw) != kindString || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// maxSafeInt is 2^53: §0.1 ints lie within ±2^53.
const maxSafeInt = 1 << 53

// decodeInt reads a §0.1 int: a JSON number without fraction or exponent.
func decodeInt(raw json.RawMessage) (int64, string) {
	if kindOf(raw) != kindNumber {
		return 0, ReasonNotInt
	}
	text := string(bytes.TrimSpace(raw))
	if strings.ContainsAny(text, ".eE") {
		return 0, ReasonNotInt
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v > maxSafeInt || v < -maxSafeInt {
		return 0, ReasonOutOfRange
	}
	return v, ""
}

// object is a client data object with the field path prefix for errors.
type object struct {
	path   string
	fields map[string]json.RawMessage
}

func decodeObject(path string, raw json.RawMessage) (object, *Error) {
	o := object{path: path}
	if kindOf(raw) != kindObject || json.Unmarshal(raw, &o.fields) != nil {
		return o, InvalidField(path, ReasonNotObject)
	}
	return o, nil
}

func (o object) has(name string) bool {
	_, ok := o.fields[name]
	return ok
}

func (o object) field(name string) string { return o.path + "." + name }

// Each getter reports a missing required field, and a present field of the
// wrong type; null is a wrong type, not an absence (§0.1 "optional").

func (o object) str(name string, required bool) (string, bool, *Error) {
	raw, ok := o.fields[name]
	if !ok {
		return "", false, o.missing(name, required)
	}
	s, ok := decodeString(raw)
	if !ok {
		return "", false, InvalidField(o.field(name), ReasonNotString)
	}
	return s, true, nil
}

func (o object) int(name string, required bool) (int64, bool, *Error) {
	raw, ok := o.fields[name]
	if !ok {
		return 0, false, o.missing(name, required)
	}
	v, reason := decodeInt(raw)
	if reason != "" {
		return 0, false, InvalidField(o.field(name), reason)
	}
	return v, true, nil
}

func (o object) bool(name string, required bool) (bool, bool, *Error) {
	raw, ok := o.fields[name]
	if !ok {
		return false, false, o.missing(name, required)
	}
	var b bool
	if kindOf(raw) != kindBool || json.Unmarshal(raw, &b) != nil {
		return false, false, InvalidField(o.field(name), ReasonNotBool)
	}
	return b, true, nil
}

func (o object) number(name string, required bool) (json.Number, bool, *Error) {
	raw, ok := o.fields[name]
	if !ok {
		return "", false, o.missing(name, required)
	}
	if kindOf(raw) != kindNumber {
		return "", false, InvalidField(o.field(name), ReasonNotNumber)
	}
	return json.Number(bytes.TrimSpace(raw)), true, nil
}

func (o object) ints(name string, required bool) ([]int64, bool, *Error) {
	raw, ok := o.fields[name]
	if !ok {
		return nil, false, o.missing(name, required)
	}
	var elems []json.RawMessage
	if kindOf(raw) != kindArray || json.Unmarshal(raw, &elems) != nil {
		return nil, false, InvalidField(o.field(name), ReasonNotArray)
	}
	out := make([]int64, len(elems))
	for i, e := range elems {
		v, reason := decodeInt(e)
		if reason != "" {
			return nil, false, InvalidField(o.field(name)+"["+strconv.Itoa(i)+"]", reason)
		}
		out[i] = v
	}
	return out, true, nil
}

func (o object) missing(name string, required bool) *Error {
	if required {
		return InvalidField(o.field(name), ReasonMissing)
	}
	return nil
}
