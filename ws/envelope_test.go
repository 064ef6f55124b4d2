package ws

import (
	"strings"
	"testing"
)

func TestDecodeEnvelopeBadMessage(t *testing.T) {
	long := strings.Repeat("x", 65)
	tests := []struct {
		name    string
		frame   string
		replyTo string // the id kept for reply_to
	}{
		{"empty", ``, ""},
		{"whitespace", "  \n", ""},
		{"invalid JSON", `{"type":`, ""},
		{"null", `null`, ""},
		{"array", `[{"type":"ping"}]`, ""},
		{"string", `"ping"`, ""},
		{"number", `1`, ""},
		{"bool", `true`, ""},
		{"trailing data", `{"type":"ping"} x`, ""},
		{"two objects", `{"type":"ping"}{"type":"ping"}`, ""},
		{"byte order mark", "\ufeff{\"type\":\"ping\"}", ""},
		{"type missing", `{"data":{}}`, ""},
		{"type missing, valid id", `{"id":"c1"}`, "c1"},
		{"type null", `{"type":null,"id":"c1"}`, "c1"},
		{"type number", `{"type":1,"id":"c1"}`, "c1"},
		{"type object", `{"type":{},"id":"c1"}`, "c1"},
		{"type array", `{"type":["ping"]}`, ""},
		{"keys are case-sensitive", `{"Type":"ping","ID":"c1"}`, ""},
		{"id empty", `{"type":"ping","id":""}`, ""},
		{"id too long", `{"type":"ping","id":"` + long + `"}`, ""},
		{"id with space", `{"type":"ping","id":"c 1"}`, ""},
		{"id with DEL", `{"type":"ping","id":"c\u007f"}`, ""},
		{"id with control", `{"type":"ping","id":"c\n"}`, ""},
		{"id non-ASCII", `{"type":"ping","id":"cé"}`, ""},
		{"id number", `{"type":"ping","id":1}`, ""},
		{"id null", `{"type":"ping","id":null}`, ""},
		{"id object", `{"type":"ping","id":{}}`, ""},
		{"data array", `{"type":"ping","id":"c1","data":[]}`, "c1"},
		{"data string", `{"type":"ping","id":"c1","data":"{}"}`, "c1"},
		{"data number", `{"type":"ping","id":"c1","data":0}`, "c1"},
		{"data bool", `{"type":"ping","id":"c1","data":false}`, "c1"},
		{"data array, bad type", `{"type":7,"id":"c1","data":[]}`, "c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tt.frame))
			if err == nil {
				t.Fatalf("accepted %q as %+v", tt.frame, env)
			}
			if err.Code != CodeBadMessage || len(err.Details) != 0 {
				t.Errorf("error %v %v, want BAD_MESSAGE {}", err.Code, err.Details)
			}
			if env.ID != tt.replyTo {
				t.Errorf("id %q, want %q", env.ID, tt.replyTo)
			}
		})
	}
}

func TestDecodeEnvelopeValid(t *testing.T) {
	id64 := strings.Repeat("~", 64)
	tests := []struct {
		name  string
		frame string
		want  Envelope
	}{
		{"minimal", `{"type":"ping"}`, Envelope{Type: "ping", Data: emptyObject}},
		{"data null", `{"type":"ping","data":null}`, Envelope{Type: "ping", Data: emptyObject}},
		{"data object", `{"type":"game.declare","id":"c7","data":{"value":2}}`,
			Envelope{Type: "game.declare", ID: "c7", Data: []byte(`{"value":2}`)}},
		{"unknown fields", `{"type":"ping","v":2,"extra":[1],"id":"!"}`, Envelope{Type: "ping", ID: "!", Data: emptyObject}},
		{"id of 64", `{"type":"ping","id":"` + id64 + `"}`, Envelope{Type: "ping", ID: id64, Data: emptyObject}},
		{"escaped id", `{"type":"ping","id":"c\u0037"}`, Envelope{Type: "ping", ID: "c7", Data: emptyObject}},
		{"surrounding whitespace", " \n{\"type\":\"ping\"}\n ", Envelope{Type: "ping", Data: emptyObject}},
		// Type is checked by DecodeData, not here.
		{"unknown type", `{"type":"nope"}`, Envelope{Type: "nope", Data: emptyObject}},
		{"empty type", `{"type":""}`, Envelope{Type: "", Data: emptyObject}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tt.frame))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if env.Type != tt.want.Type || env.ID != tt.want.ID || string(env.Data) != string(tt.want.Data) {
				t.Errorf("got %+v (data %s), want %+v (data %s)", env, env.Data, tt.want, tt.want.Data)
			}
		})
	}
}

func TestDecodeEnvelopeCopiesData(t *testing.T) {
	frame := []byte(`{"type":"game.declare","data":{"value":2}}`)
	env, err := DecodeEnvelope(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = ' '
	}
	if string(env.Data) != `{"value":2}` {
		t.Errorf("data aliases the frame buffer: %q", env.Data)
	}
}

func TestUnknownType(t *testing.T) {
	for _, typ := range []string{"", "nope", "HELLO", "room.create ", "game.redeals", "welcome", "ack", "lobby.rooms"} {
		if KnownCommand(typ) {
			t.Errorf("KnownCommand(%q)", typ)
		}
		_, err := DecodeData(Envelope{Type: typ, Data: emptyObject})
		if err == nil || err.Code != CodeUnknownType {
			t.Errorf("%q: got %v, want UNKNOWN_TYPE", typ, err)
		}
	}
	for typ := range decoders {
		if !KnownCommand(typ) {
			t.Errorf("KnownCommand(%q) false", typ)
		}
	}
	if len(decoders) != 13 {
		t.Errorf("%d commands, §4 has 13", len(decoders))
	}
}
