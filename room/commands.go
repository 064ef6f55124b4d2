package room

import (
	"context"
	"strings"

	"liaptui/game"
	"liaptui/monitor"
)

// Create opens a room with host in seat 1; quickPlay also seats three bots
// and starts the game (rules §4). The outcome carries the room id and seat 1.
// A player who is a member anywhere gets ALREADY_IN_ROOM.
func (g *Registry) Create(ctx context.Context, host game.Player, quickPlay bool) (Outcome, error) {
	if host.PlayerID == "" {
		return Outcome{}, g.refused(ctx, "", game.CreateRoom{}, roomError(game.CodeInvalidField,
			map[string]any{"field": "player_id", "reason": "empty"}, "a host needs a player id"))
	}
	if err := g.reserve(host.PlayerID, ""); err != nil {
		return Outcome{}, g.refused(ctx, "", game.CreateRoom{}, err)
	}
	defer g.release(host.PlayerID)
	id, err := g.newRoomID(ctx)
	if err != nil {
		return Outcome{}, g.refused(ctx, "", game.CreateRoom{}, err)
	}
	// The first step runs here, before the actor starts: nobody else can
	// reach the room yet, and a create that stored nothing leaves no actor.
	r := g.newRoom(id, game.State{}, 0, 1, 0, g.nextRand())
	// Listed from its first publication on: the lobby pusher it wakes must
	// find it, although its actor starts only after the step.
	g.mu.Lock()
	if e := g.rooms[id]; e != nil {
		e.created = r
	}
	g.mu.Unlock()
	out, err := r.safeStep(correlation(ctx), game.CreateRoom{RoomID: id, Host: &host, QuickPlay: quickPlay,
		Config: g.opts.Config}, host.PlayerID)
	if !r.state.Created {
		g.unreserveID(id)
		return out, err
	}
	r.mu.Lock() // Summaries may read it already (entry.created)
	r.createdAt = createdAtOf(out, r.now())
	r.mu.Unlock()
	g.start(r)
	return out, err
}

// Join seats the player in room id (rules §4): ALREADY_IN_ROOM when the
// player is a member anywhere, ROOM_NOT_FOUND when no live room has the id,
// then the game's own checks.
func (g *Registry) Join(ctx context.Context, id string, player game.Player) (Outcome, error) {
	id = strings.ToUpper(id)
	if player.PlayerID == "" {
		return Outcome{}, g.refused(ctx, id, game.Join{}, roomError(game.CodeInvalidField,
			map[string]any{"field": "player_id", "reason": "empty"}, "a player needs an id"))
	}
	if err := g.reserve(player.PlayerID, id); err != nil {
		return Outcome{}, g.refused(ctx, id, game.Join{}, err)
	}
	defer g.release(player.PlayerID)
	r, ok := g.Room(id)
	if !ok {
		return Outcome{}, g.refused(ctx, id, game.Join{}, roomError(game.CodeRoomNotFound, nil, "no live room %s", id))
	}
	return r.Do(ctx, game.Join{Player: player})
}

// Leave gives up the player's seat (rules §17); membership ends.
func (g *Registry) Leave(ctx context.Context, playerID string) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Leave{PlayerID: playerID})
}

// Seat lets the host put a bot into an open seat (bot true) or open a bot's
// seat (bot false).
func (g *Registry) Seat(ctx context.Context, playerID string, seat int, bot bool) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.SetSeat{PlayerID: playerID, Seat: seat, Bot: bot})
}

// Start lets the host start the game.
func (g *Registry) Start(ctx context.Context, playerID string) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Start{PlayerID: playerID})
}

// Redeal answers a redeal offer; deal 0 means the current deal.
func (g *Registry) Redeal(ctx context.Context, playerID string, deal int, accept bool) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Redeal{PlayerID: playerID, Deal: deal, Accept: accept})
}

// Declare declares the piles the player's seat expects to win.
func (g *Registry) Declare(ctx context.Context, playerID string, value int) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Declare{PlayerID: playerID, Value: value})
}

// Play puts pieces down for the player's seat.
func (g *Registry) Play(ctx context.Context, playerID string, pieces []int) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Play{PlayerID: playerID, Pieces: pieces})
}

// Disconnect records the end of the player's last connection.
func (g *Registry) Disconnect(ctx context.Context, playerID string) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Disconnect{PlayerID: playerID})
}

// Reconnect records the player's return.
func (g *Registry) Reconnect(ctx context.Context, playerID string) (Outcome, error) {
	return g.memberDo(ctx, playerID, game.Reconnect{PlayerID: playerID})
}

// memberDo sends cmd to the player's room; a player who is no member gets
// NOT_SEATED before the game is asked (protocol.md §4).
func (g *Registry) memberDo(ctx context.Context, playerID string, cmd game.Command) (Outcome, error) {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		return Outcome{}, g.refused(ctx, "", cmd, unavailable(ReasonShutdown, "the server is shutting down"))
	}
	var r *Room
	if e := g.rooms[g.members[playerID]]; e != nil {
		r = e.room
	}
	g.mu.Unlock()
	if r == nil {
		return Outcome{}, g.refused(ctx, "", cmd, roomError(game.CodeNotSeated, nil, "you hold no seat in a room"))
	}
	return r.Do(ctx, cmd)
}

// refused logs a command the registry rejects before any room's actor saw
// it (its one game line, observability §7.4) and returns the error.
func (g *Registry) refused(ctx context.Context, roomID string, cmd game.Command, err error) error {
	g.sig.logCommand(ctx, roomID, cmd, 0, 0, err)
	return err
}

// reserve marks a create or join in flight for the player, so that two of
// them cannot seat one player twice.
func (g *Registry) reserve(playerID, roomID string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return unavailable(ReasonShutdown, "the server is shutting down")
	}
	held, ok := g.members[playerID]
	if !ok {
		held, ok = g.pending[playerID]
	}
	if ok {
		return roomError(game.CodeAlreadyInRoom, map[string]any{"room_id": held}, "you already hold a seat in room %s", held)
	}
	g.pending[playerID] = roomID
	return nil
}

func (g *Registry) release(playerID string) {
	g.mu.Lock()
	delete(g.pending, playerID)
	g.mu.Unlock()
}

// createdAtOf is the instant of the room_created among out's events.
func createdAtOf(out Outcome, fallback game.Instant) game.Instant {
	for _, c := range out.Events {
		if _, ok := c.Event.Data.(game.RoomCreated); ok {
			return c.Event.At
		}
	}
	return fallback
}

// correlation is ctx's correlation id, or a new one.
func correlation(ctx context.Context) string {
	if id := monitor.CorrelationID(ctx); id != "" {
		return id
	}
	return monitor.NewCorrelationID()
}
