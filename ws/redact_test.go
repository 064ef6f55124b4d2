package ws

import (
	"encoding/json"
	"reflect"
	"testing"

	"liaptui/game"
)

// dealtMatch plays a bot match and returns the first hands_dealt payload
// as stored and the state folded up to it.
func dealtMatch(t *testing.T) (json.RawMessage, game.State) {
	t.Helper()
	var payload json.RawMessage
	var after game.State
	cfg := game.DefaultConfig()
	cfg.FastMode = true // no pauses: the match clock never advances
	_, _, err := game.PlayMatch(game.Match{RoomID: "K7MPQ3", Seed: 7, Config: cfg, Step: func(before game.State, _ game.Command, evs []game.Event, _ game.State) {
		s := before
		for _, e := range evs {
			if payload != nil {
				return
			}
			var err error
			if s, err = game.Apply(s, e); err != nil {
				t.Fatal(err)
			}
			if e.Type() == "hands_dealt" {
				payload, _ = json.Marshal(e.Data)
				after = s
			}
		}
	}})
	if err != nil || payload == nil {
		t.Fatalf("match: %v, hands_dealt found: %v", err, payload != nil)
	}
	return payload, after
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func TestRedactHandsDealt(t *testing.T) {
	payload, _ := dealtMatch(t)
	stored := decodeMap(t, payload)
	allHands := stored["hands"].(map[string]any)
	if len(allHands) != 4 {
		t.Fatalf("stored hands %v", allHands)
	}
	ev := StoredEvent{ID: 42, Seq: 6, Type: "hands_dealt", At: 1764245000102, Payload: payload, SchemaVersion: 1}

	for seat := 1; seat <= 4; seat++ {
		key := string(rune('0' + seat))
		got := redactMap(t, ev, Member(seat))
		wantPayload := cloneMap(stored)
		wantPayload["hands"] = map[string]any{key: allHands[key]}
		if !reflect.DeepEqual(got["payload"], wantPayload) {
			t.Errorf("member %d payload %v, want %v", seat, got["payload"], wantPayload)
		}
		assertNoAdminFields(t, got)
	}

	got := redactMap(t, ev, Public)
	wantPayload := cloneMap(stored)
	wantPayload["hands"] = map[string]any{}
	if !reflect.DeepEqual(got["payload"], wantPayload) {
		t.Errorf("public payload %v, want %v", got["payload"], wantPayload)
	}
	assertNoAdminFields(t, got)

	got = redactMap(t, ev, Admin)
	want := map[string]any{"seq": 6.0, "type": "hands_dealt", "at": 1764245000102.0, "payload": stored,
		"id": 42.0, "correlation_id": nil, "schema_version": 1.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("admin event %v, want %v", got, want)
	}
	ev.CorrelationID = "9c41e0a27fd35b18"
	if got := redactMap(t, ev, Admin); got["correlation_id"] != "9c41e0a27fd35b18" {
		t.Errorf("admin correlation_id %v", got["correlation_id"])
	}
	if string(payload) != string(ev.Payload) {
		t.Error("redaction changed the stored payload")
	}
}

func redactMap(t *testing.T, ev StoredEvent, l Level) map[string]any {
	t.Helper()
	out, err := Redact(ev, l)
	if err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return decodeMap(t, b)
}

func assertNoAdminFields(t *testing.T, ev map[string]any) {
	t.Helper()
	for _, k := range []string{"id", "correlation_id", "schema_version"} {
		if _, ok := ev[k]; ok {
			t.Errorf("non-admin event has %s", k)
		}
	}
	if len(ev) != 4 {
		t.Errorf("event has fields %v, want seq, type, at, payload", ev)
	}
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestRedactOtherEventsUnchanged(t *testing.T) {
	payload := json.RawMessage(`{"round":1,"seat":1,"value":2,"by":"player","total":6,"zero_streak":0,"next":2,"deadline":null}`)
	ev := StoredEvent{ID: 9, Seq: 11, Type: "declared", At: 5, Payload: payload, CorrelationID: "c", SchemaVersion: 1}
	for _, l := range []Level{Member(1), Member(3), Public, Admin} {
		out, err := Redact(ev, l)
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Payload) != string(payload) || out.Seq != 11 || out.Type != "declared" || out.At != 5 {
			t.Errorf("%s: %+v", l, out)
		}
		if (out.AdminFields != nil) != (l == Admin) {
			t.Errorf("%s: admin fields %v", l, out.AdminFields)
		}
	}
}

func TestRedactMalformedHandsDealt(t *testing.T) {
	for _, p := range []string{``, `null`, `[]`, `{}`, `{"hands":null}`, `{"hands":[1]}`, `{"hands":"x"}`} {
		if _, err := Redact(StoredEvent{Type: "hands_dealt", Payload: json.RawMessage(p)}, Member(1)); err == nil {
			t.Errorf("payload %q redacted without error", p)
		}
	}
	// A member whose key is missing sees {}, as public does.
	out, err := Redact(StoredEvent{Type: "hands_dealt", Payload: json.RawMessage(`{"hands":{"2":[1]}}`)}, Member(1))
	if err != nil || string(out.Payload) != `{"hands":{}}` {
		t.Errorf("got %s, %v", out.Payload, err)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		l      Level
		name   string
		seat   int
		viewer game.Viewer
	}{
		{Member(2), "member", 2, game.Viewer{Seat: 2}},
		{Member(0), "public", 0, game.Viewer{}},
		{Member(5), "public", 0, game.Viewer{}},
		{Public, "public", 0, game.Viewer{}},
		{Admin, "admin", 0, game.Viewer{Admin: true}},
	}
	for _, tt := range tests {
		if tt.l.String() != tt.name || tt.l.Seat() != tt.seat || tt.l.Viewer() != tt.viewer {
			t.Errorf("%+v: %s %d %+v", tt.l, tt.l.String(), tt.l.Seat(), tt.l.Viewer())
		}
	}
}

func TestRenderViewLevels(t *testing.T) {
	_, s := dealtMatch(t)
	member := RenderView(s, Member(2), 6, 99)
	if member.Seq != 6 || member.ServerTime != 99 || member.MySeat != 2 || len(member.MyHand) != 8 || member.Hands != nil {
		t.Errorf("member view: seq %d time %d my_seat %d hand %d hands %v",
			member.Seq, member.ServerTime, member.MySeat, len(member.MyHand), member.Hands)
	}
	public := RenderView(s, Public, 6, 99)
	if public.MySeat != 0 || public.MyHand != nil || public.Hands != nil {
		t.Errorf("public view leaks a hand")
	}
	admin := RenderView(s, Admin, 6, 99)
	if admin.MySeat != 0 || admin.MyHand != nil || admin.Hands == nil || len(admin.Hands[3]) != 8 {
		t.Errorf("admin view lacks hands")
	}
	if !reflect.DeepEqual(admin.Hands[1], member.MyHand) {
		t.Errorf("member hand differs from the admin's view of seat 2")
	}
}
