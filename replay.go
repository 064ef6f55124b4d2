package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
)

// storeFile is the event store's file inside the data directory.
const storeFile = "events.db"

// runReplay folds one stored room read-only and prints its admin view and
// the invariant result (observability §6.6).
func runReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(out)
	data := fs.String("data", "./data", "data directory holding "+storeFile)
	room := fs.String("room", "", "room id to replay")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *room == "" {
		return errors.New("replay: -room is required")
	}
	store, err := events.OpenReadOnly(ctx, filepath.Join(*data, storeFile), monitor.WallClock{})
	if err != nil {
		return err
	}
	defer store.Close(ctx)
	state, head, err := store.Replay(ctx, strings.ToUpper(*room))
	report := struct {
		RoomID     string     `json:"room_id"`
		LastSeq    int64      `json:"last_seq"`
		Invariants string     `json:"invariants"`
		View       *game.View `json:"view,omitempty"`
	}{RoomID: strings.ToUpper(*room), LastSeq: head, Invariants: "ok"}
	var fold *events.FoldError
	switch {
	case errors.As(err, &fold):
		report.Invariants = fold.Error()
	case err != nil:
		return err
	}
	view := game.RenderView(state, game.Viewer{Admin: true})
	view.Seq = head
	report.View = &view
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return err
	}
	if fold != nil {
		return fmt.Errorf("room %s does not fold: %w", report.RoomID, fold)
	}
	return nil
}
