package ws

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeFrame(t *testing.T, typ, data string) (Command, *Error) {
	t.Helper()
	frame := `{"type":"` + typ + `","data":` + data + `}`
	env, err := DecodeEnvelope([]byte(frame))
	if err != nil {
		t.Fatalf("envelope %s: %v", frame, err)
	}
	return DecodeData(env)
}

func TestDecodeDataInvalidField(t *testing.T) {
	name25 := `"` + strings.Repeat("é", 25) + `"`
	client65 := `"` + strings.Repeat("c", 65) + `"`
	tests := []struct {
		typ, data     string
		field, reason string
	}{
		// hello
		{"hello", `{}`, "data", ReasonExactlyOne},
		{"hello", `null`, "data", ReasonExactlyOne},
		{"hello", `{"client":"x"}`, "data", ReasonExactlyOne},
		{"hello", `{"name":"Ana","token":"t"}`, "data", ReasonExactlyOne},
		{"hello", `{"name":null,"token":"t"}`, "data", ReasonExactlyOne},
		{"hello", `{"name":5}`, "data.name", ReasonNotString},
		{"hello", `{"name":null}`, "data.name", ReasonNotString},
		{"hello", `{"name":["Ana"]}`, "data.name", ReasonNotString},
		{"hello", `{"name":""}`, "data.name", ReasonEmpty},
		{"hello", `{"name":" \t\n\u3000 "}`, "data.name", ReasonEmpty},
		{"hello", `{"name":` + name25 + `}`, "data.name", ReasonTooLong},
		{"hello", `{"name":"A\u0000b"}`, "data.name", ReasonBadChar},
		{"hello", `{"name":"A\u0007b"}`, "data.name", ReasonBadChar},
		{"hello", `{"name":"A\u0085b"}`, "data.name", ReasonBadChar},  // Cc inside, not trimmed
		{"hello", `{"name":"A\u200bb"}`, "data.name", ReasonBadChar},  // zero width space, Cf
		{"hello", `{"name":"A\u202eb"}`, "data.name", ReasonBadChar},  // RTL override, Cf
		{"hello", `{"name":"\ufeffAna"}`, "data.name", ReasonBadChar}, // BOM, Cf, not whitespace
		{"hello", `{"token":1}`, "data.token", ReasonNotString},
		{"hello", `{"token":null}`, "data.token", ReasonNotString},
		{"hello", `{"token":"t","client":1}`, "data.client", ReasonNotString},
		{"hello", `{"token":"t","client":null}`, "data.client", ReasonNotString},
		{"hello", `{"token":"t","client":` + client65 + `}`, "data.client", ReasonTooLong},
		{"hello", `{"name":"x","client":` + client65 + `}`, "data.client", ReasonTooLong},
		// ping
		{"ping", `{"client_time":"1"}`, "data.client_time", ReasonNotNumber},
		{"ping", `{"client_time":true}`, "data.client_time", ReasonNotNumber},
		{"ping", `{"client_time":null}`, "data.client_time", ReasonNotNumber},
		{"ping", `{"client_time":{}}`, "data.client_time", ReasonNotNumber},
		// room.create
		{"room.create", `{"quick_play":1}`, "data.quick_play", ReasonNotBool},
		{"room.create", `{"quick_play":"true"}`, "data.quick_play", ReasonNotBool},
		{"room.create", `{"quick_play":null}`, "data.quick_play", ReasonNotBool},
		// room.join
		{"room.join", `{}`, "data.room_id", ReasonMissing},
		{"room.join", `{"room_id":null}`, "data.room_id", ReasonNotString},
		{"room.join", `{"room_id":234567}`, "data.room_id", ReasonNotString},
		{"room.join", `{"room_id":""}`, "data.room_id", ReasonBadLength},
		{"room.join", `{"room_id":"K7MPQ"}`, "data.room_id", ReasonBadLength},
		{"room.join", `{"room_id":"K7MPQ33"}`, "data.room_id", ReasonBadLength},
		{"room.join", `{"room_id":"K7MPQ0"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"K7MPQ1"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"K7MPQI"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"K7MPQl"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"K7MPQo"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"K7 PQ3"}`, "data.room_id", ReasonBadChar},
		{"room.join", `{"room_id":"\u017f7MPQ3"}`, "data.room_id", ReasonBadChar}, // ſ upper-cases to S in Unicode
		{"room.join", `{"room_id":"\u212a7MPQ3"}`, "data.room_id", ReasonBadChar}, // Kelvin sign
		{"room.join", `{"room_id":"_system"}`, "data.room_id", ReasonBadLength},
		// room.seat
		{"room.seat", `{}`, "data.seat", ReasonMissing},
		{"room.seat", `{"occupant":"bot"}`, "data.seat", ReasonMissing},
		{"room.seat", `{"seat":"2","occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":2.0,"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":2e0,"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":2E0,"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":true,"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":null,"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":[2],"occupant":"bot"}`, "data.seat", ReasonNotInt},
		{"room.seat", `{"seat":0,"occupant":"bot"}`, "data.seat", ReasonOutOfRange},
		{"room.seat", `{"seat":5,"occupant":"bot"}`, "data.seat", ReasonOutOfRange},
		{"room.seat", `{"seat":-1,"occupant":"bot"}`, "data.seat", ReasonOutOfRange},
		{"room.seat", `{"seat":9007199254740993,"occupant":"bot"}`, "data.seat", ReasonOutOfRange},
		{"room.seat", `{"seat":99999999999999999999999,"occupant":"bot"}`, "data.seat", ReasonOutOfRange},
		{"room.seat", `{"seat":9,"occupant":"x"}`, "data.seat", ReasonOutOfRange}, // table order
		{"room.seat", `{"seat":2}`, "data.occupant", ReasonMissing},
		{"room.seat", `{"Seat":2,"occupant":"bot"}`, "data.seat", ReasonMissing},           // keys are case-sensitive
		{"room.seat", `{"seat":2,"occupant":"bot","seat":"2"}`, "data.seat", ReasonNotInt}, // last duplicate wins
		{"room.seat", `{"seat":2,"occupant":null}`, "data.occupant", ReasonNotString},
		{"room.seat", `{"seat":2,"occupant":1}`, "data.occupant", ReasonNotString},
		{"room.seat", `{"seat":2,"occupant":"human"}`, "data.occupant", ReasonBadValue},
		{"room.seat", `{"seat":2,"occupant":"BOT"}`, "data.occupant", ReasonBadValue},
		{"room.seat", `{"seat":2,"occupant":""}`, "data.occupant", ReasonBadValue},
		// game.redeal
		{"game.redeal", `{}`, "data.accept", ReasonMissing},
		{"game.redeal", `{"deal":1}`, "data.accept", ReasonMissing},
		{"game.redeal", `{"accept":"true"}`, "data.accept", ReasonNotBool},
		{"game.redeal", `{"accept":1}`, "data.accept", ReasonNotBool},
		{"game.redeal", `{"accept":null}`, "data.accept", ReasonNotBool},
		{"game.redeal", `{"accept":true,"deal":1.5}`, "data.deal", ReasonNotInt},
		{"game.redeal", `{"accept":true,"deal":"1"}`, "data.deal", ReasonNotInt},
		{"game.redeal", `{"accept":true,"deal":null}`, "data.deal", ReasonNotInt},
		{"game.redeal", `{"accept":true,"deal":1e0}`, "data.deal", ReasonNotInt},
		// game.declare
		{"game.declare", `{}`, "data.value", ReasonMissing},
		{"game.declare", `{"value":null}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":"2"}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":2.0}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":2e0}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":-2.5}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":true}`, "data.value", ReasonNotInt},
		{"game.declare", `{"value":9007199254740993}`, "data.value", ReasonOutOfRange},
		{"game.declare", `{"value":-9007199254740993}`, "data.value", ReasonOutOfRange},
		// game.play
		{"game.play", `{}`, "data.pieces", ReasonMissing},
		{"game.play", `{"pieces":null}`, "data.pieces", ReasonNotArray},
		{"game.play", `{"pieces":1}`, "data.pieces", ReasonNotArray},
		{"game.play", `{"pieces":"[1]"}`, "data.pieces", ReasonNotArray},
		{"game.play", `{"pieces":{"0":1}}`, "data.pieces", ReasonNotArray},
		{"game.play", `{"pieces":[1,2.5]}`, "data.pieces[1]", ReasonNotInt},
		{"game.play", `{"pieces":["1"]}`, "data.pieces[0]", ReasonNotInt},
		{"game.play", `{"pieces":[1,2,null]}`, "data.pieces[2]", ReasonNotInt},
		{"game.play", `{"pieces":[[1]]}`, "data.pieces[0]", ReasonNotInt},
		{"game.play", `{"pieces":[1e1]}`, "data.pieces[0]", ReasonNotInt},
		{"game.play", `{"pieces":[0,9007199254740993]}`, "data.pieces[1]", ReasonOutOfRange},
		// room.resync
		{"room.resync", `{}`, "data.room_id", ReasonMissing},
		{"room.resync", `{"last_seq":0}`, "data.room_id", ReasonMissing},
		{"room.resync", `{"room_id":1,"last_seq":0}`, "data.room_id", ReasonNotString},
		{"room.resync", `{"room_id":"K7MPQ3"}`, "data.last_seq", ReasonMissing},
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":null}`, "data.last_seq", ReasonNotInt},
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":"13"}`, "data.last_seq", ReasonNotInt},
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":13.0}`, "data.last_seq", ReasonNotInt},
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":-1}`, "data.last_seq", ReasonOutOfRange},
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":9007199254740993}`, "data.last_seq", ReasonOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.data, func(t *testing.T) {
			cmd, err := decodeFrame(t, tt.typ, tt.data)
			if err == nil {
				t.Fatalf("accepted as %#v", cmd)
			}
			want := map[string]any{"field": tt.field, "reason": tt.reason}
			if err.Code != CodeInvalidField || !reflect.DeepEqual(err.Details, want) {
				t.Errorf("got %s %v, want INVALID_FIELD %v", err.Code, err.Details, want)
			}
		})
	}
}

func TestDecodeDataValid(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(s string) *json.Number { n := json.Number(s); return &n }
	deal := func(n int) *int { return &n }
	tests := []struct {
		typ, data string
		want      Command
	}{
		{"hello", `{"name":"Ana"}`, HelloData{Name: str("Ana")}},
		{"hello", `{"name":"  Ana Lu \t"}`, HelloData{Name: str("Ana Lu")}},
		{"hello", `{"name":"` + strings.Repeat("é", 24) + `"}`, HelloData{Name: str(strings.Repeat("é", 24))}},
		{"hello", `{"name":" ` + strings.Repeat("x", 24) + ` "}`, HelloData{Name: str(strings.Repeat("x", 24))}},
		{"hello", `{"name":"🀄<&>","client":"web/1.0","extra":1}`, HelloData{Name: str("🀄<&>"), Client: "web/1.0"}},
		{"hello", `{"token":"9f2c4e1a7b3d5f60182a4c6e8b0d2f41"}`, HelloData{Token: str("9f2c4e1a7b3d5f60182a4c6e8b0d2f41")}},
		{"hello", `{"token":""}`, HelloData{Token: str("")}}, // an empty token is INVALID_TOKEN, later
		{"hello", `{"token":"t","client":"` + strings.Repeat("c", 64) + `"}`, HelloData{Token: str("t"), Client: strings.Repeat("c", 64)}},
		{"ping", `{}`, PingData{}},
		{"ping", `null`, PingData{}},
		{"ping", `{"client_time":1764245000012}`, PingData{ClientTime: num("1764245000012")}},
		{"ping", `{"client_time":-1.5e3}`, PingData{ClientTime: num("-1.5e3")}},
		{"lobby.subscribe", `{"x":1}`, LobbySubscribeData{}},
		{"lobby.unsubscribe", `{}`, LobbyUnsubscribeData{}},
		{"room.create", `{}`, CreateData{}},
		{"room.create", `{"quick_play":true}`, CreateData{QuickPlay: true}},
		{"room.create", `{"quick_play":false}`, CreateData{}},
		{"room.join", `{"room_id":"K7MPQ3"}`, JoinData{RoomID: "K7MPQ3"}},
		{"room.join", `{"room_id":"k7mpq3"}`, JoinData{RoomID: "K7MPQ3"}},
		{"room.join", `{"room_id":"zzzzzz"}`, JoinData{RoomID: "ZZZZZZ"}},
		{"room.leave", `{}`, LeaveData{}},
		{"room.seat", `{"seat":1,"occupant":"bot"}`, SeatData{Seat: 1, Occupant: "bot"}},
		{"room.seat", `{"seat":4,"occupant":"open"}`, SeatData{Seat: 4, Occupant: "open"}},
		{"room.start", `null`, StartData{}},
		{"game.redeal", `{"accept":true}`, RedealData{Accept: true}},
		{"game.redeal", `{"accept":false,"deal":2}`, RedealData{Deal: deal(2)}},
		{"game.redeal", `{"accept":false,"deal":0}`, RedealData{Deal: deal(0)}},
		{"game.declare", `{"value":2}`, DeclareData{Value: 2}},
		{"game.declare", `{"value":9}`, DeclareData{Value: 9}}, // the game says INVALID_VALUE
		{"game.declare", `{"value":-0}`, DeclareData{Value: 0}},
		{"game.declare", `{"value":-1}`, DeclareData{Value: -1}},
		{"game.declare", `{"value":9007199254740992}`, DeclareData{Value: 1 << 53}},
		{"game.declare", `{"value":-9007199254740992}`, DeclareData{Value: -1 << 53}},
		{"game.play", `{"pieces":[]}`, PlayData{Pieces: []int{}}},
		{"game.play", `{"pieces":[0,31,32,-1,0]}`, PlayData{Pieces: []int{0, 31, 32, -1, 0}}}, // the game checks ids
		{"room.resync", `{"room_id":"K7MPQ3","last_seq":0}`, ResyncData{RoomID: "K7MPQ3"}},
		{"room.resync", `{"room_id":"k7mpq3","last_seq":13}`, ResyncData{RoomID: "K7MPQ3", LastSeq: 13}},
		{"room.resync", `{"room_id":"_system","last_seq":1}`, ResyncData{RoomID: "_SYSTEM", LastSeq: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.data, func(t *testing.T) {
			cmd, err := decodeFrame(t, tt.typ, tt.data)
			if err != nil {
				t.Fatalf("rejected: %v %v", err, err.Details)
			}
			if !reflect.DeepEqual(cmd, tt.want) {
				t.Errorf("got %#v, want %#v", cmd, tt.want)
			}
			if cmd.CommandType() != tt.typ {
				t.Errorf("CommandType %q", cmd.CommandType())
			}
			assertRoundTrip(t, "c1", cmd)
		})
	}
}

// assertRoundTrip encodes cmd as a client frame and decodes it back.
func assertRoundTrip(t *testing.T, id string, cmd Command) {
	t.Helper()
	frame, err := EncodeCommand(id, cmd)
	if err != nil {
		t.Fatalf("encode %#v: %v", cmd, err)
	}
	env, werr := DecodeEnvelope(frame)
	if werr != nil {
		t.Fatalf("re-decode envelope %s: %v", frame, werr)
	}
	back, werr := DecodeData(env)
	if werr != nil {
		t.Fatalf("re-decode %s: %v %v", frame, werr, werr.Details)
	}
	if env.ID != id || !reflect.DeepEqual(back, cmd) {
		t.Fatalf("round trip of %s: got %#v id %q, want %#v id %q", frame, back, env.ID, cmd, id)
	}
}

func TestRedealGameDeal(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, tt := range []struct {
		deal *int
		want int
	}{{nil, 0}, {n(3), 3}, {n(1), 1}, {n(0), -1}, {n(-7), -1}} {
		if got := (RedealData{Deal: tt.deal}).GameDeal(); got != tt.want {
			t.Errorf("GameDeal(%v) = %d, want %d", tt.deal, got, tt.want)
		}
	}
}

// TestCommandsMatchSpec checks the command list against the §4 table.
func TestCommandsMatchSpec(t *testing.T) {
	section := specSection(t, "## 4. Client → server commands")
	var spec []string
	for line := range strings.SplitSeq(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			spec = append(spec, rest[:strings.Index(rest, "`")])
		}
	}
	if len(spec) != len(decoders) {
		t.Errorf("spec has %d commands %v, codec %d", len(spec), spec, len(decoders))
	}
	for _, typ := range spec {
		if !KnownCommand(typ) {
			t.Errorf("%s: in §4, not decoded", typ)
		}
	}
}
