package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"liaptui/game"
	"liaptui/monitor"
)

func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// roomID makes the n-th valid room id.
func roomID(n int) string {
	b := []byte("222222")
	for i := 5; i >= 0 && n > 0; i-- {
		b[i] = roomIDAlphabet[n%len(roomIDAlphabet)]
		n /= len(roomIDAlphabet)
	}
	return string(b)
}

func ev(typ string, payload string) NewEvent {
	return NewEvent{Type: typ, Payload: json.RawMessage(payload)}
}

func TestAppendAssignsContiguousSequences(t *testing.T) {
	s := openTemp(t, Options{})
	ctx := monitor.WithCorrelationID(context.Background(), "c0ffee0000000001")
	got, err := s.Append(ctx, "K7MPQ3", 1, 0, []NewEvent{ev("room_created", `{"a":1}`), ev("bot_added", `{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Seq != 1 || got[1].Seq != 2 || got[1].ID != got[0].ID+1 || got[0].CorrelationID != "c0ffee0000000001" {
		t.Fatalf("stored %+v", got)
	}
	more, err := s.Append(ctx, "K7MPQ3", 1, 2, []NewEvent{ev("bot_added", `{}`)})
	if err != nil || more[0].Seq != 3 {
		t.Fatalf("third append: %+v %v", more, err)
	}
	page, err := s.Since(ctx, "K7MPQ3", 0, 0)
	if err != nil || len(page.Events) != 3 || page.HeadSeq != 3 || page.HasMore {
		t.Fatalf("since: %+v %v", page, err)
	}
	if page.Events[0].CorrelationID != "c0ffee0000000001" || string(page.Events[0].Payload) != `{"a":1}` {
		t.Fatalf("stored row %+v", page.Events[0])
	}
}

func TestConcurrentProducersKeepStreamsContiguous(t *testing.T) {
	s := openTemp(t, Options{})
	const producers, rooms, perRoom = 8, 100, 12
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for r := p; r < rooms; r += producers {
				room, head := roomID(r), int64(0)
				for head < perRoom {
					n := int64(1 + (r+int(head))%3)
					batch := make([]NewEvent, min(n, perRoom-head))
					for i := range batch {
						batch[i] = ev("bot_added", fmt.Sprintf(`{"seat":%d}`, head+int64(i)+1))
					}
					stored, err := s.Append(ctx, room, 1, head, batch)
					if err != nil {
						errs <- err
						return
					}
					head = stored[len(stored)-1].Seq
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for r := range rooms {
		var want int64 = 1
		err := s.Load(context.Background(), roomID(r), 1, func(e Stored) error {
			var p struct{ Seat int64 }
			json.Unmarshal(e.Payload, &p)
			if e.Seq != want || p.Seat != want {
				return fmt.Errorf("room %s: seq %d payload %d, want %d", roomID(r), e.Seq, p.Seat, want)
			}
			want++
			return nil
		})
		if err != nil || want != perRoom+1 {
			t.Fatalf("room %d: %v (next %d)", r, err, want)
		}
	}
}

func TestReplayEqualsLiveGame(t *testing.T) {
	s := openTemp(t, Options{})
	cfg := game.DefaultConfig()
	cfg.FastMode = true
	final, log, err := game.PlayMatch(game.Match{Seed: 7, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	room := roomID(7)
	batch := make([]NewEvent, len(log))
	for i, e := range log {
		payload, _ := json.Marshal(e.Data)
		batch[i] = NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload}
	}
	if _, err := s.Append(context.Background(), room, 1, 0, batch); err != nil {
		t.Fatal(err)
	}
	state, head, err := s.Replay(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	final.RoomID = state.RoomID // PlayMatch names its room MATCH
	if head != int64(len(log)) || state != final {
		t.Fatalf("replay of %d events differs from the live state", head)
	}
}

func TestAppendRejectsBadInput(t *testing.T) {
	s := openTemp(t, Options{})
	ctx := context.Background()
	if _, err := s.Append(ctx, "K7MPQ3", 1, 0, []NewEvent{ev("room_created", `{}`)}); err != nil {
		t.Fatal(err)
	}
	big := `{"x":"` + string(make([]byte, MaxPayloadBytes)) + `"}`
	for name, c := range map[string]struct {
		stream   string
		expected int64
		events   []NewEvent
		want     error
	}{
		"bad stream id":       {"k7mpq3", 0, []NewEvent{ev("room_created", `{}`)}, ErrInvalid},
		"no events":           {"K7MPQ4", 0, nil, ErrInvalid},
		"unknown type":        {"K7MPQ4", 0, []NewEvent{ev("teleported", `{}`)}, ErrInvalid},
		"system type in room": {"K7MPQ4", 0, []NewEvent{ev("server_started", `{}`)}, ErrInvalid},
		"room type in system": {SystemStream, AnyHead, []NewEvent{ev("played", `{}`)}, ErrInvalid},
		"payload not object":  {"K7MPQ4", 0, []NewEvent{ev("room_created", `[1]`)}, ErrInvalid},
		"payload not json":    {"K7MPQ4", 0, []NewEvent{ev("room_created", `{`)}, ErrInvalid},
		"oversize payload":    {"K7MPQ4", 0, []NewEvent{ev("room_created", big)}, ErrInvalid},
		"any head for room":   {"K7MPQ4", AnyHead, []NewEvent{ev("room_created", `{}`)}, ErrInvalid},
		"stale head":          {"K7MPQ3", 0, []NewEvent{ev("bot_added", `{}`)}, ErrConflict},
		"head ahead":          {"K7MPQ3", 5, []NewEvent{ev("bot_added", `{}`)}, ErrConflict},
	} {
		if _, err := s.Append(ctx, c.stream, 1, c.expected, c.events); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if _, err := s.Since(ctx, "K7MPQ4", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("since of an unknown room: %v", err)
	}
	if _, err := s.Since(ctx, "K7MPQ3", -1, 10); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative since: %v", err)
	}
	if _, err := s.Since(ctx, "K7MPQ3", 2, 10); !errors.Is(err, ErrSeqRange) {
		t.Errorf("since beyond the head: %v", err)
	}
	page, _ := s.Since(ctx, "K7MPQ3", 0, 10)
	if page.HeadSeq != 1 || len(page.Events) != 1 {
		t.Fatalf("rejected appends changed the stream: %+v", page)
	}
}
