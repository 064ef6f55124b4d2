package events

import (
	"context"
	"errors"
	"fmt"

	"liaptui/game"
)

// FoldError says which stored event did not fold.
type FoldError struct {
	Seq int64
	Err error
}

func (e *FoldError) Error() string { return fmt.Sprintf("event %d does not fold: %v", e.Seq, e.Err) }
func (e *FoldError) Unwrap() error { return e.Err }

// Replay folds a room stream from seq 1 with game.Apply, the function the
// live room uses, checking the invariants after every event
// (observability §6.6). It reads no clock and no random source.
func (s *Store) Replay(ctx context.Context, stream string) (game.State, int64, error) {
	if kind, ok := StreamKind(stream); !ok || kind == KindSystem {
		return game.State{}, 0, fmt.Errorf("%w: %q is not a room stream", ErrNotFound, stream)
	}
	var state game.State
	var head int64
	err := s.Load(ctx, stream, 1, func(ev Stored) error {
		if ev.Seq != head+1 {
			return &FoldError{Seq: ev.Seq, Err: fmt.Errorf("sequence gap after %d", head)}
		}
		e, err := game.DecodeEvent(ev.Type, ev.At, ev.Payload)
		if err == nil {
			state, err = game.Apply(state, e)
		}
		if err == nil {
			err = game.CheckInvariants(state)
		}
		if err != nil {
			return &FoldError{Seq: ev.Seq, Err: err}
		}
		head = ev.Seq
		return nil
	})
	var fe *FoldError
	if err != nil && !errors.As(err, &fe) {
		return state, head, fmt.Errorf("replay %s: %w", stream, err)
	}
	if err == nil && head == 0 {
		return state, 0, fmt.Errorf("replay %s: %w", stream, ErrNotFound)
	}
	return state, head, err
}
