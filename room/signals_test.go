package room

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"liaptui/game"
	"liaptui/monitor"
)

// lockedBuffer is a log sink safe for the actors' goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON lines with one of the messages.
func (b *lockedBuffer) lines(t *testing.T, msgs ...string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if line["msg"] == m {
				out = append(out, line)
			}
		}
	}
	return out
}

func TestEveryCommandLogsOneGameLine(t *testing.T) {
	t.Parallel()
	var sink lockedBuffer
	h := newHarness(t, fastConfig(), func(h *harness) {
		h.opts.Logger = slog.New(slog.NewJSONHandler(&sink, nil))
	})
	ctx := monitor.WithCorrelationID(t.Context(), "c0ffee0000000002")
	out, err := h.reg.Create(ctx, player("p1"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.reg.Start(ctx, "p1")
	wantCode(t, err, game.CodeSeatsNotFilled)
	_, err = h.reg.Declare(ctx, "p9", 1) // refused by the registry: no member
	wantCode(t, err, game.CodeNotSeated)

	got := sink.lines(t, "command accepted", "command rejected")
	if len(got) != 3 {
		t.Fatalf("%d game lines: %v", len(got), got)
	}
	for i, want := range []map[string]any{
		{"msg": "command accepted", "command": "room.create", "events": float64(1)},
		{"msg": "command rejected", "command": "room.start", "code": string(game.CodeSeatsNotFilled)},
		{"msg": "command rejected", "command": "game.declare", "code": string(game.CodeNotSeated), "seat": float64(0)},
	} {
		want["level"], want["category"], want["component"] = "INFO", "game", "room"
		want["correlation_id"] = "c0ffee0000000002"
		if i < 2 {
			want["room_id"], want["seat"] = out.RoomID, float64(1)
		}
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[i][k], v)
			}
		}
	}
}
