package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"liaptui/game"
)

// Golden examples copied from protocol.md §2 and §5.2;
// TestGoldensMatchSpec checks the copies against the spec text.
const (
	goldenDeclare = `{"type":"game.declare","id":"c7","data":{"value":2}}`
	goldenAck     = `{"type":"ack","reply_to":"c7","data":{}}`
	goldenError   = `{"type":"error","reply_to":"c7","data":{"code":"NOT_YOUR_TURN","message":"seat 1 is not the current declarer","details":{"actor_seats":[2]},"correlation_id":"9c41e0a27fd35b18"}}`
	goldenEvent   = `{"type":"event","seq":11,"data":{"room_id":"K7MPQ3","event":{"seq":11,"type":"declared","at":1764245006210,"payload":{"round":1,"seat":1,"value":2,"by":"player","total":6,"zero_streak":0,"next":2,"deadline":null}},"view":{}}}`
	goldenWelcome = `{"type":"welcome","reply_to":"c1","data":{"player_id":"p_7kq2m9x4dw3h",
 "token":"9f2c4e1a7b3d5f60182a4c6e8b0d2f41","name":"Ana","protocol":1,"resumed":false,
 "server_time":1764245000012,"room":null,
 "limits":{"max_frame_bytes":4096,"rate_per_sec":20,"burst":40,"outbound_queue":256,
           "ping_interval_ms":20000,"pong_timeout_ms":45000,"resync_max_events":100}}}`
)

func TestGoldensMatchSpec(t *testing.T) {
	s2 := jsonBlocks(specSection(t, "## 2. Envelopes"))
	s52 := jsonBlocks(specSection(t, "### 5.2 welcome"))
	for i, want := range []string{goldenDeclare, goldenAck, goldenError, goldenEvent} {
		if i >= len(s2) {
			t.Fatalf("§2 has %d examples", len(s2))
		}
		assertJSONEqual(t, []byte(s2[i]), want)
	}
	if len(s52) != 1 {
		t.Fatalf("§5.2 has %d examples", len(s52))
	}
	assertJSONEqual(t, []byte(s52[0]), goldenWelcome)
}

func encode(t *testing.T, m Message) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenSection2(t *testing.T) {
	cmd, err := decodeFrame(t, "game.declare", `{"value":2}`)
	if err != nil || !reflect.DeepEqual(cmd, DeclareData{Value: 2}) {
		t.Fatalf("decode: %#v %v", cmd, err)
	}
	frame, _ := EncodeCommand("c7", cmd)
	assertJSONEqual(t, frame, goldenDeclare)

	assertJSONEqual(t, encode(t, Ack("c7", nil)), goldenAck)

	gameErr := &game.Error{Code: game.CodeNotYourTurn, Message: "seat 1 is not the current declarer",
		Details: map[string]any{"actor_seats": []int{2}}}
	assertJSONEqual(t, encode(t, ErrorReply("c7", gameErr, "9c41e0a27fd35b18")), goldenError)

	payload, _ := json.Marshal(game.Declared{Round: 1, Seat: 1, Value: 2, By: game.ByPlayer, Total: 6, Next: 2})
	ev, rerr := Redact(StoredEvent{ID: 900, Seq: 11, Type: "declared", At: 1764245006210, Payload: payload,
		CorrelationID: "9c41e0a27fd35b18", SchemaVersion: 1}, Member(1))
	if rerr != nil {
		t.Fatal(rerr)
	}
	assertJSONEqual(t, encode(t, Event("K7MPQ3", ev, json.RawMessage(`{}`))), goldenEvent)
}

func TestGoldenWelcome(t *testing.T) {
	m := Welcome("c1", WelcomeData{PlayerID: "p_7kq2m9x4dw3h", Token: "9f2c4e1a7b3d5f60182a4c6e8b0d2f41",
		Name: "Ana", ServerTime: 1764245000012, Limits: DefaultLimits()})
	assertJSONEqual(t, encode(t, m), goldenWelcome)

	m = Welcome("r1", WelcomeData{PlayerID: "p", Token: "t", Name: "Ana", Resumed: true, ServerTime: 5,
		Room: &WelcomeRoom{RoomID: "K7MPQ3", Seat: 1, Phase: "turn", LastSeq: 16}, Limits: DefaultLimits()})
	var got struct {
		Data struct {
			Room map[string]any `json:"room"`
		} `json:"data"`
	}
	_ = json.Unmarshal(encode(t, m), &got)
	want := map[string]any{"room_id": "K7MPQ3", "seat": 1.0, "phase": "turn", "last_seq": 16.0}
	if !reflect.DeepEqual(got.Data.Room, want) {
		t.Errorf("room %v, want %v", got.Data.Room, want)
	}
}

func TestServerMessages(t *testing.T) {
	clientTime := json.Number("1.50")
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"ack without id", Ack("", nil), `{"type":"ack","data":{}}`},
		{"ack seat", Ack("c2", SeatAck{RoomID: "K7MPQ3", Seat: 1}), `{"type":"ack","reply_to":"c2","data":{"room_id":"K7MPQ3","seat":1}}`},
		{"ack leave", Ack("", LeaveAck{RoomID: "K7MPQ3"}), `{"type":"ack","data":{"room_id":"K7MPQ3"}}`},
		{"ack ping echo", Ack("p", PingAck{ServerTime: 7, ClientTime: &clientTime}), `{"type":"ack","reply_to":"p","data":{"server_time":7,"client_time":1.50}}`},
		{"ack ping null", Ack("", PingAck{ServerTime: 7}), `{"type":"ack","data":{"server_time":7,"client_time":null}}`},
		{"error without id", ErrorReply("", NewError(CodeBadMessage, nil, "the frame is not a JSON object"), "c0ffee0000000000"),
			`{"type":"error","data":{"code":"BAD_MESSAGE","message":"the frame is not a JSON object","details":{},"correlation_id":"c0ffee0000000000"}}`},
		{"error rate limited", ErrorReply("x", RateLimited(0), "c"),
			`{"type":"error","reply_to":"x","data":{"code":"RATE_LIMITED","message":"rate limit exceeded","details":{},"correlation_id":"c","retry_after_ms":1}}`},
		{"error unavailable", ErrorReply("", Unavailable("overloaded", 2500), "c"),
			`{"type":"error","data":{"code":"UNAVAILABLE","message":"service unavailable, retry later","details":{"reason":"overloaded"},"correlation_id":"c","retry_after_ms":2500}}`},
		{"error unavailable default retry", ErrorReply("", Unavailable("", 0), "c"),
			`{"type":"error","data":{"code":"UNAVAILABLE","message":"service unavailable, retry later","details":{},"correlation_id":"c","retry_after_ms":1000}}`},
		{"error unavailable from the room layer", ErrorReply("", fmt.Errorf("room X: %w: %w",
			&game.Error{Code: "UNAVAILABLE", Message: "rebuilding", Details: map[string]any{"reason": "rebuilding"}}, errors.New("db path")), "c"),
			`{"type":"error","data":{"code":"UNAVAILABLE","message":"rebuilding","details":{"reason":"rebuilding"},"correlation_id":"c","retry_after_ms":1000}}`},
		{"error retry ignored elsewhere", ErrorReply("", &Error{Code: CodeNotAuthenticated, Message: "m", RetryAfterMs: 5}, "c"),
			`{"type":"error","data":{"code":"NOT_AUTHENTICATED","message":"m","details":{},"correlation_id":"c"}}`},
		{"error internal hides text", ErrorReply("c9", json.Unmarshal([]byte("x"), new(int)), "c"),
			`{"type":"error","reply_to":"c9","data":{"code":"INTERNAL","message":"internal error","details":{},"correlation_id":"c"}}`},
		{"error invalid field", ErrorReply("", InvalidField("data.seat", ReasonOutOfRange), "c"),
			`{"type":"error","data":{"code":"INVALID_FIELD","message":"invalid field data.seat: out_of_range","details":{"field":"data.seat","reason":"out_of_range"},"correlation_id":"c"}}`},
		{"error seq out of range", ErrorReply("", SeqOutOfRange(16), "c"),
			`{"type":"error","data":{"code":"SEQ_OUT_OF_RANGE","message":"last_seq is beyond the latest seq 16","details":{"last_seq":16},"correlation_id":"c"}}`},
		{"room.view", RoomView("K7MPQ3", ViewRebuilt, json.RawMessage(`{"seq":4}`)),
			`{"type":"room.view","data":{"room_id":"K7MPQ3","reason":"rebuilt","view":{"seq":4}}}`},
		{"room.closed", RoomClosed("K7MPQ3", game.CloseAbandoned, 311),
			`{"type":"room.closed","data":{"room_id":"K7MPQ3","reason":"abandoned","last_seq":311}}`},
		{"replaced", Replaced("signed in elsewhere"), `{"type":"replaced","data":{"reason":"replaced","message":"signed in elsewhere"}}`},
		{"shutdown", Shutdown(5000), `{"type":"shutdown","data":{"reason":"shutdown","retry_after_ms":5000}}`},
		{"lobby empty", LobbyRooms(LobbyRoomsData{Version: 3}), `{"type":"lobby.rooms","data":{"version":3,"rooms":[],"total":0,"truncated":false}}`},
		{"lobby rooms", LobbyRooms(LobbyRoomsData{Version: 4, Rooms: []map[string]any{{"room_id": "K7MPQ3"}}, Total: 250, Truncated: true}),
			`{"type":"lobby.rooms","data":{"version":4,"rooms":[{"room_id":"K7MPQ3"}],"total":250,"truncated":true}}`},
		{"resync view mode", Ack("r2", NewResyncAck("K7MPQ3", 200, ResyncView, nil, json.RawMessage(`{}`))),
			`{"type":"ack","reply_to":"r2","data":{"room_id":"K7MPQ3","mode":"view","events":[],"last_seq":200,"view":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSONEqual(t, encode(t, tt.msg), tt.want)
		})
	}
}

// TestResyncReply builds the §12.2 reply from stored events.
func TestResyncReply(t *testing.T) {
	stored := []StoredEvent{
		{ID: 1, Seq: 14, Type: "player_disconnected", At: 1764245007300, Payload: json.RawMessage(`{"seat":1,"grace_deadline":1764245022300,"abandon_deadline":1764245067300}`)},
		{ID: 2, Seq: 15, Type: "played", At: 1764245008210, Payload: json.RawMessage(`{"round":1,"turn":1,"seat":3,"pieces":[0],"play_type":"SINGLE","value":14,"required":1,"by":"bot","next":4,"deadline":null}`)},
		{ID: 3, Seq: 16, Type: "player_reconnected", At: 1764245009010, Payload: json.RawMessage(`{"seat":1}`)},
	}
	if m := ResyncMode(16, 13, 100); m != ResyncEvents {
		t.Fatalf("mode %s", m)
	}
	var evs []ClientEvent
	for _, s := range stored {
		ev, err := Redact(s, Member(1))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	got := encode(t, Ack("r2", NewResyncAck("K7MPQ3", 16, ResyncEvents, evs, json.RawMessage(`{}`))))
	assertJSONEqual(t, got, `{"type":"ack","reply_to":"r2","data":{"room_id":"K7MPQ3","mode":"events","last_seq":16,"events":[
     {"seq":14,"type":"player_disconnected","at":1764245007300,"payload":{"seat":1,"grace_deadline":1764245022300,"abandon_deadline":1764245067300}},
     {"seq":15,"type":"played","at":1764245008210,"payload":{"round":1,"turn":1,"seat":3,"pieces":[0],"play_type":"SINGLE","value":14,"required":1,"by":"bot","next":4,"deadline":null}},
     {"seq":16,"type":"player_reconnected","at":1764245009010,"payload":{"seat":1}}],"view":{}}}`)
}

func TestResyncMode(t *testing.T) {
	for _, tt := range []struct {
		head, last int64
		want       string
	}{{16, 13, ResyncEvents}, {100, 0, ResyncEvents}, {101, 0, ResyncView}, {16, 16, ResyncEvents}, {500, 399, ResyncView}} {
		if got := ResyncMode(tt.head, tt.last, 100); got != tt.want {
			t.Errorf("ResyncMode(%d, %d) = %s, want %s", tt.head, tt.last, got, tt.want)
		}
	}
}
