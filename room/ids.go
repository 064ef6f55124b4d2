package room

import (
	"context"
	crand "crypto/rand"

	"liaptui/game"
)

// idAlphabet is the room id alphabet of protocol.md §0.1 (no 0, 1, I, L, O).
const idAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// idLength is the length of a room id.
const idLength = 6

// idAttempts bounds the draws for a free id; with 31^6 ids a collision is
// rare, so running out means something else is wrong.
const idAttempts = 16

// newRoomID draws a crypto-random room id unique among the live rooms and
// the stored streams, and reserves it in the registry.
func (g *Registry) newRoomID(ctx context.Context) (string, error) {
	for range idAttempts {
		id := randomRoomID()
		g.mu.Lock()
		if g.closing {
			g.mu.Unlock()
			return "", unavailable(ReasonShutdown, "the server is shutting down")
		}
		if g.rooms[id] != nil {
			g.mu.Unlock()
			continue
		}
		g.rooms[id] = &entry{}
		g.mu.Unlock()
		exists, err := g.opts.Log.RoomExists(ctx, id)
		if err == nil && !exists {
			return id, nil
		}
		g.unreserveID(id)
		if err != nil {
			return "", storeError(id, err)
		}
	}
	return "", roomError(game.CodeInternal, nil, "no free room id after %d draws", idAttempts)
}

// unreserveID drops an id reserved for a room that was never started.
func (g *Registry) unreserveID(id string) {
	g.mu.Lock()
	if e := g.rooms[id]; e != nil && e.room == nil {
		delete(g.rooms, id)
	}
	g.mu.Unlock()
}

// randomRoomID draws idLength characters uniformly from idAlphabet.
func randomRoomID() string {
	const limit = 256 - 256%len(idAlphabet) // bytes at or above it would bias the draw
	out := make([]byte, 0, idLength)
	var buf [16]byte
	for len(out) < idLength {
		_, _ = crand.Read(buf[:]) // never fails (Go 1.24+)
		for _, b := range buf {
			if int(b) < limit && len(out) < idLength {
				out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			}
		}
	}
	return string(out)
}
