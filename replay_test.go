package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"liaptui/events"
	"liaptui/game"
)

func TestReplaySubcommandFoldsAStoredRoom(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := events.Open(ctx, filepath.Join(dir, storeFile), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := game.DefaultConfig()
	cfg.FastMode = true
	final, log, err := game.PlayMatch(game.Match{RoomID: "K7MPQ3", Seed: 3, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]events.NewEvent, len(log))
	for i, e := range log {
		payload, _ := json.Marshal(e.Data)
		batch[i] = events.NewEvent{Type: e.Type(), At: int64(e.At), Payload: payload}
	}
	for i := 0; i < len(batch); i += 200 {
		if _, err := store.Append(ctx, "K7MPQ3", 1, int64(i), batch[i:min(i+200, len(batch))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"replay", "-data", dir, "-room", "k7mpq3"}, &out); err != nil {
		t.Fatal(err)
	}
	var report struct {
		LastSeq    int64     `json:"last_seq"`
		Invariants string    `json:"invariants"`
		View       game.View `json:"view"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if report.LastSeq != int64(len(log)) || report.Invariants != "ok" || report.View.Phase != game.PhaseGameOver ||
		report.View.Scores[0] != final.Seats[0].Score || report.View.Hands == nil {
		t.Fatalf("report %+v", report)
	}
	if err := run(ctx, []string{"replay", "-data", dir, "-room", "ZZZZZZ"}, &out); err == nil ||
		!strings.Contains(err.Error(), "no such stream") {
		t.Fatalf("unknown room: %v", err)
	}
	if err := run(ctx, []string{"replay", "-data", t.TempDir(), "-room", "K7MPQ3"}, &out); err == nil {
		t.Fatal("a missing file must be an error")
	}
}
