package room

import (
	"sort"

	"liaptui/game"
)

// Summary is a room in the lobby list (protocol.md §5.4, also GET /rooms).
type Summary struct {
	RoomID    string         `json:"room_id"`
	Phase     game.Phase     `json:"phase"`
	HostName  *string        `json:"host_name"`
	Seats     [4]SummarySeat `json:"seats"`
	Humans    int            `json:"humans"`
	Bots      int            `json:"bots"`
	OpenSeats int            `json:"open_seats"`
	Joinable  bool           `json:"joinable"`
	Round     int            `json:"round"`
	CreatedAt game.Instant   `json:"created_at"`
}

// SummarySeat is one seat of a Summary; bots count as connected, open seats
// as not (the view's seat rules, protocol.md §6.1).
type SummarySeat struct {
	Seat      int     `json:"seat"`
	Kind      string  `json:"kind"` // "human", "bot" or "open"
	Name      *string `json:"name"`
	Connected bool    `json:"connected"`
}

// SummaryOf summarises a room state; createdAt is room_created's instant,
// which the state does not keep.
func SummaryOf(s game.State, createdAt game.Instant) Summary {
	sum := Summary{RoomID: s.RoomID, Phase: s.Phase, Round: s.Round, CreatedAt: createdAt}
	for i, st := range s.Seats {
		seat := SummarySeat{Seat: i + 1, Kind: game.Open}
		switch st.Occupant {
		case game.Human:
			seat.Kind, seat.Name, seat.Connected = game.Human, ptr(st.Name), st.Connected
			sum.Humans++
		case game.Bot:
			seat.Kind, seat.Name, seat.Connected = game.Bot, ptr(st.Name), true
			sum.Bots++
		default:
			sum.OpenSeats++
		}
		if s.HostSeat == i+1 && seat.Kind == game.Human {
			sum.HostName = seat.Name
		}
		sum.Seats[i] = seat
	}
	sum.Joinable = s.Phase == game.PhaseWaiting && sum.OpenSeats+sum.Bots > 0
	return sum
}

// Summaries lists the live rooms for the lobby: phase waiting first, then
// newest first (ties by room id). Canary rooms are hidden. Never nil.
func (g *Registry) Summaries() []Summary {
	g.mu.Lock()
	rooms := make([]*Room, 0, len(g.rooms))
	for _, e := range g.rooms {
		r := e.room
		if r == nil {
			r = e.created
		}
		if r != nil && !e.canary {
			rooms = append(rooms, r)
		}
	}
	g.mu.Unlock()
	out := make([]Summary, 0, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		s, createdAt := r.snap, r.createdAt
		r.mu.Unlock()
		if s.Created && s.Hosted && !s.Closed {
			out = append(out, SummaryOf(s, createdAt))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if wa, wb := a.Phase == game.PhaseWaiting, b.Phase == game.PhaseWaiting; wa != wb {
			return wa
		}
		if a.CreatedAt != b.CreatedAt {
			return a.CreatedAt > b.CreatedAt
		}
		return a.RoomID < b.RoomID
	})
	return out
}

func ptr[T any](v T) *T { return &v }
