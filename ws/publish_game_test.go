package ws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"liaptui/game"
	"liaptui/room"
)

// matchRoomID is the room id game.PlayMatch uses by default.
const matchRoomID = "MATCH"

// matchCommits plays one fast game of four human seats (players p1..p4,
// moved by the bot logic) and returns what the room would publish: one
// batch of committed events per accepted command, numbered from seq 1.
func matchCommits(t testing.TB, seed uint64) [][]room.Committed {
	t.Helper()
	var batches [][]room.Committed
	var seq int64
	var st game.BotStrategy
	var foldErr error
	m := game.Match{Seed: seed, Config: fastGame(), Strategies: [4]game.Strategy{st, st, st, st},
		Step: func(before game.State, _ game.Command, evs []game.Event, _ game.State) {
			s := before
			batch := make([]room.Committed, len(evs))
			for i, e := range evs {
				next, err := game.Apply(s, e)
				if err != nil && foldErr == nil {
					foldErr = err
				}
				s, seq = next, seq+1
				batch[i] = room.Committed{Seq: seq, Event: e, CorrelationID: fmt.Sprintf("corr-%d", len(batches)), State: s}
			}
			batches = append(batches, batch)
		}}
	if _, _, err := game.PlayMatch(m); err != nil {
		t.Fatal(err)
	}
	if foldErr != nil {
		t.Fatal(foldErr)
	}
	return batches
}

// countEvents is the number of events in batches.
func countEvents(batches [][]room.Committed) int {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	return n
}

// referenceFrame is an event frame built the direct way: the redacted event
// and the whole view at level seat (0 public), encoded together.
func referenceFrame(t testing.TB, roomID string, ev StoredEvent, s game.State, seat int, now int64) []byte {
	t.Helper()
	ce, err := Redact(ev, Member(seat))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Event(roomID, ce, RenderView(s, Member(seat), ev.Seq, now)).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedOf is a committed event as the hub stores it for redaction.
func storedOf(t testing.TB, c room.Committed) StoredEvent {
	t.Helper()
	payload, err := json.Marshal(c.Event.Data)
	if err != nil {
		t.Fatal(err)
	}
	return StoredEvent{Seq: c.Seq, Type: c.Event.Type(), At: int64(c.Event.At), Payload: payload,
		CorrelationID: c.CorrelationID, SchemaVersion: 1}
}

// Every frame spliced from the shared encodings equals the frame encoded
// whole, at every level, for every event of several full games (hands_dealt
// included), and for seats whose player left and room ids that need escaping.
func TestEventFramesMatchWholeEncoding(t *testing.T) {
	const now = 1_764_000_000_123
	var games [][][]room.Committed
	for seed := uint64(1); seed <= 3; seed++ {
		games = append(games, matchCommits(t, seed))
	}
	left := games[0][len(games[0])/2][0]
	left.State.Seats[2].Left = true // a member view of a left seat is public
	left.State.Seats[2].Occupant = game.Human
	games = append(games, [][]room.Committed{{left}})
	types := map[string]bool{}
	for _, batches := range games {
		for _, batch := range batches {
			for _, c := range batch {
				types[c.Event.Type()] = true
				for _, roomID := range []string{matchRoomID, `<R&"1">`} {
					ev := storedOf(t, c)
					f, err := newEventFrames(roomID, ev, &c.State, now)
					if err != nil {
						t.Fatal(err)
					}
					for seat := 0; seat <= 4; seat++ {
						got, err := f.frame(seat)
						if err != nil {
							t.Fatal(err)
						}
						if want := referenceFrame(t, roomID, ev, c.State, seat, now); !bytes.Equal(got, want) {
							t.Fatalf("%s seq %d seat %d:\n got %s\nwant %s", ev.Type, ev.Seq, seat, got, want)
						}
					}
				}
			}
		}
	}
	for _, typ := range []string{"hands_dealt", "turn_won", "round_scored", "game_over"} {
		if !types[typ] {
			t.Errorf("the games had no %s event", typ)
		}
	}
}
