package ws

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeFrame feeds arbitrary bytes through the whole client decoding
// path. It never panics; every rejection carries a code sent over WS and
// encodes as a valid error message; every accepted command re-encodes to a
// frame that decodes to the same command.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `[]`, `{}`, `{"type":1}`, `{"type":"ping","id":""}`, "\ufeff{}", `{"type":"x"} 1`,
		`{"type":"nope","id":"c1"}`, `{"type":"ping","id":"c1","data":[]}`,
		`{"type":"hello","id":"c1","data":{"name":"  Ana  ","client":"web"}}`,
		`{"type":"hello","data":{"token":"9f2c4e1a7b3d5f60182a4c6e8b0d2f41"}}`,
		`{"type":"hello","data":{"name":"A\u200bb"}}`,
		`{"type":"hello","data":{"name":"x","token":"y"}}`,
		`{"type":"ping","data":{"client_time":1.5e3}}`,
		`{"type":"ping","data":null}`,
		`{"type":"lobby.subscribe"}`, `{"type":"lobby.unsubscribe","data":{"x":[1]}}`,
		`{"type":"room.create","id":"c2","data":{"quick_play":true}}`,
		`{"type":"room.join","data":{"room_id":"k7mpq3"}}`,
		`{"type":"room.join","data":{"room_id":"\u017f7MPQ3"}}`,
		`{"type":"room.leave"}`, `{"type":"room.start"}`,
		`{"type":"room.seat","data":{"seat":2,"occupant":"bot"}}`,
		`{"type":"room.seat","data":{"seat":2.0,"occupant":"open"}}`,
		`{"type":"game.redeal","data":{"accept":false,"deal":0}}`,
		`{"type":"game.declare","id":"c7","data":{"value":2}}`,
		`{"type":"game.declare","data":{"value":-9007199254740992}}`,
		`{"type":"game.declare","data":{"value":9007199254740993}}`,
		`{"type":"game.play","data":{"pieces":[0,31,"1"]}}`,
		`{"type":"game.play","data":{"pieces":[]}}`,
		`{"type":"room.resync","id":"r2","data":{"room_id":"K7MPQ3","last_seq":13}}`,
		`{"type":"room.resync","data":{"room_id":"K7MPQ3","last_seq":-1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := DecodeEnvelope(frame)
		if env.ID != "" && !validID(env.ID) {
			t.Fatalf("invalid id %q kept for reply_to", env.ID)
		}
		if err != nil {
			if err.Code != CodeBadMessage {
				t.Fatalf("envelope error %s", err.Code)
			}
			checkRejection(t, env.ID, err)
			return
		}
		if kindOf(env.Data) != kindObject {
			t.Fatalf("data %q is not an object", env.Data)
		}
		cmd, err := DecodeData(env)
		if err != nil {
			switch {
			case err.Code == CodeUnknownType && !KnownCommand(env.Type):
			case err.Code == CodeInvalidField && KnownCommand(env.Type):
				field, _ := err.Details["field"].(string)
				reason, _ := err.Details["reason"].(string)
				if !strings.HasPrefix(field, "data") || reason == "" || len(err.Details) != 2 {
					t.Fatalf("INVALID_FIELD details %v", err.Details)
				}
			default:
				t.Fatalf("type %q: error %s", env.Type, err.Code)
			}
			checkRejection(t, env.ID, err)
			return
		}
		if cmd.CommandType() != env.Type {
			t.Fatalf("decoded %q as %T", env.Type, cmd)
		}
		checkCommand(t, cmd)
		assertRoundTrip(t, env.ID, cmd)
	})
}

// checkRejection: the code may be sent and the reply encodes.
func checkRejection(t *testing.T, replyTo string, err *Error) {
	t.Helper()
	if !SentOverWS(string(err.Code)) {
		t.Fatalf("code %s is not sent over WS", err.Code)
	}
	b, encErr := ErrorReply(replyTo, err, "0123456789abcdef").Encode()
	if encErr != nil || !json.Valid(b) {
		t.Fatalf("error reply does not encode: %v", encErr)
	}
	var back struct {
		ReplyTo string `json:"reply_to"`
		Data    struct {
			Code string `json:"code"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &back) != nil || back.ReplyTo != replyTo || back.Data.Code != string(err.Code) {
		t.Fatalf("error reply %s", b)
	}
}

// checkCommand re-checks the §4 constraints on an accepted command.
func checkCommand(t *testing.T, cmd Command) {
	t.Helper()
	safe := func(v int64) bool { return v >= -maxSafeInt && v <= maxSafeInt }
	ok := true
	switch c := cmd.(type) {
	case HelloData:
		ok = (c.Name == nil) != (c.Token == nil) && (c.Name == nil || checkName(*c.Name) == "")
	case JoinData:
		ok = checkRoomID(c.RoomID) == ""
	case SeatData:
		ok = c.Seat >= 1 && c.Seat <= 4 && (c.Occupant == OccupantBot || c.Occupant == OccupantOpen)
	case RedealData:
		ok = c.Deal == nil || safe(int64(*c.Deal))
	case DeclareData:
		ok = safe(int64(c.Value))
	case PlayData:
		ok = c.Pieces != nil
		for _, p := range c.Pieces {
			ok = ok && safe(int64(p))
		}
	case ResyncData:
		ok = c.LastSeq >= 0 && safe(c.LastSeq) && c.RoomID == upperASCII(c.RoomID)
	}
	if !ok {
		t.Fatalf("accepted %#v", cmd)
	}
	if reflect.ValueOf(cmd).Kind() != reflect.Struct {
		t.Fatalf("command %T is not a value", cmd)
	}
}
