package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/ws"
)

// handleError writes the JSON error body of §11.1 for every failure.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			err = ws.NewError(ws.CodeNotFound, nil, "no such route %s", c.Request().URL.Path)
		case http.StatusMethodNotAllowed:
			err = ws.NewError(ws.CodeMethodNotAllowed, nil, "method %s not allowed here", c.Request().Method)
		default:
			err = ws.NewError(ws.CodeBadRequest, nil, "%v", he.Message)
		}
	}
	corr := monitor.CorrelationID(c.Request().Context())
	status, body := ws.HTTPError(err, corr)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(c.Request().Context(), "request failed", "path", c.Request().URL.Path, "error", err)
	}
	if ms := ws.AsError(err).RetryAfterMs; ms > 0 && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", strconv.Itoa((ms+999)/1000))
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="liaptui"`)
	}
	c.Blob(status, jsonType, body)
}

// jsonType is the content type of every JSON body (protocol §11.1).
const jsonType = "application/json; charset=utf-8"

// writeJSON answers 200 with v as JSON.
func writeJSON(c echo.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, jsonType, b)
}

// level is the caller's redaction level for a room (protocol §9); an unknown
// or malformed token is 401.
func (s *Server) level(c echo.Context, roomID string) (ws.Level, error) {
	token, present, malformed := bearer(c.Request())
	switch {
	case !present:
		return ws.Public, nil
	case malformed:
		return ws.Public, ws.NewError(ws.CodeUnauthorized, nil, "malformed Authorization header")
	case s.isAdmin(c):
		return ws.Admin, nil
	}
	player, ok, err := s.players.PlayerByToken(c.Request().Context(), token)
	if err != nil {
		return ws.Public, err
	}
	if !ok {
		if s.cfg.Audit != nil {
			s.cfg.Audit.BadToken(c.Request().Context(), s.clientIP(c.Request()))
		}
		return ws.Public, ws.NewError(ws.CodeUnauthorized, nil, "unknown token")
	}
	if member, ok := s.rooms.MemberRoom(player); ok && member == roomID {
		if r, live := s.rooms.Room(roomID); live {
			st, _ := r.Snapshot()
			for i, seat := range st.Seats {
				if seat.Occupant == game.Human && seat.PlayerID == player && !seat.Left {
					return ws.Member(i + 1), nil
				}
			}
		}
	}
	return ws.Public, nil
}

func (s *Server) listRooms(c echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return ws.InvalidField("limit", "out_of_range")
		}
		limit = n
	}
	phase, joinable := c.QueryParam("phase"), c.QueryParam("joinable")
	if joinable != "" && joinable != "true" && joinable != "false" {
		return ws.InvalidField("joinable", "not_bool")
	}
	rooms := s.rooms.Summaries()
	out := rooms[:0:0]
	for _, r := range rooms {
		if (phase == "" || string(r.Phase) == phase) && (joinable == "" || strconv.FormatBool(r.Joinable) == joinable) {
			out = append(out, r)
		}
	}
	total := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return writeJSON(c, map[string]any{"success": true, "rooms": out, "total": total, "truncated": total > limit})
}

// roomParam reads the room id of the path, upper-casing a room code; the
// server streams (_system) keep their spelling.
func roomParam(c echo.Context) string {
	id := c.Param("room_id")
	if strings.HasPrefix(id, "_") {
		return id
	}
	return strings.ToUpper(id)
}

func (s *Server) eventsSince(c echo.Context) error {
	roomID := roomParam(c)
	since, err := strconv.ParseInt(c.Param("since"), 10, 64)
	if err != nil || since < 0 || strings.TrimLeft(c.Param("since"), "0123456789") != "" {
		return ws.InvalidField("since", "not_int")
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return ws.InvalidField("limit", "out_of_range")
		}
	}
	var level ws.Level
	if roomID == events.SystemStream {
		if err := s.requireAdmin(c); err != nil {
			return err
		}
		level = ws.Admin
	} else if level, err = s.level(c, roomID); err != nil {
		return err
	}
	page, err := s.store.Since(c.Request().Context(), roomID, since, limit)
	switch {
	case errors.Is(err, events.ErrNotFound):
		return ws.NewError(ws.Code(game.CodeRoomNotFound), nil, "no room %s", roomID)
	case errors.Is(err, events.ErrSeqRange):
		return ws.SeqOutOfRange(page.HeadSeq)
	case err != nil:
		return err
	}
	out := make([]ws.ClientEvent, 0, len(page.Events))
	for _, ev := range page.Events {
		ce, err := ws.Redact(ws.StoredEvent{ID: ev.ID, Seq: ev.Seq, Type: ev.Type, At: ev.At, Payload: ev.Payload,
			CorrelationID: ev.CorrelationID, SchemaVersion: ev.SchemaVersion}, level)
		if err != nil {
			return err
		}
		out = append(out, ce)
	}
	_, live := s.rooms.Room(roomID)
	return writeJSON(c, map[string]any{"success": true, "room_id": roomID, "since_sequence": since,
		"redaction": level.String(), "live": live, "events": out, "event_count": len(out),
		"last_seq": page.HeadSeq, "has_more": page.HasMore})
}

// requireAdmin is the admin check of §11.1: 401 without or with a malformed
// header, 403 with another token.
func (s *Server) requireAdmin(c echo.Context) error {
	_, present, malformed := bearer(c.Request())
	var err error
	switch {
	case !present || malformed:
		err = ws.NewError(ws.CodeUnauthorized, nil, "admin token required")
	case !s.isAdmin(c):
		err = ws.NewError(ws.CodeForbidden, nil, "not the admin token")
	}
	if a := s.cfg.Audit; a != nil {
		if err != nil {
			a.AuthFailed(c.Request().Context(), monitor.AuthKindAdmin, s.clientIP(c.Request()))
		} else if c.Request().Method != http.MethodGet {
			// Reads are not logged: an open dashboard polls them every few
			// seconds and would crowd the ring.
			a.AdminAccess(c.Request().Context(), c.Path())
		}
	}
	return err
}

func (s *Server) roomState(c echo.Context) error {
	roomID := roomParam(c)
	if roomID == events.SystemStream {
		return ws.NewError(ws.Code(game.CodeRoomNotFound), nil, "no room %s", roomID)
	}
	level, err := s.level(c, roomID)
	if err != nil {
		return err
	}
	r, live := s.rooms.Room(roomID)
	if !live && s.protected("room_state") {
		return ws.Unavailable("overloaded", 30_000)
	}
	start := s.clock.Now()
	state, head, err := s.store.Replay(c.Request().Context(), roomID)
	var fold *events.FoldError
	switch {
	case errors.As(err, &fold):
		return ws.NewError(ws.CodeRoomCorrupt, map[string]any{"failed_at_seq": fold.Seq, "last_seq": head,
			"error": fold.Err.Error()}, "room %s does not fold", roomID)
	case errors.Is(err, events.ErrNotFound):
		return ws.NewError(ws.Code(game.CodeRoomNotFound), nil, "no room %s", roomID)
	case err != nil:
		return err
	}
	took := s.clock.Now().Sub(start)
	body := map[string]any{"success": true, "room_id": roomID, "state_source": "replay", "redaction": level.String(),
		"last_seq": head, "events_processed": head, "replay_duration_ms": float64(took.Microseconds()) / 1000,
		"view": ws.RenderView(state, level, head, s.clock.Now().UnixMilli())}
	body["live"] = live
	if live {
		liveState, liveHead := r.Snapshot()
		matches := liveHead != head || liveState == state // a newer live head is checked next time
		body["live_matches_replay"] = matches
		if !matches {
			ctx := c.Request().Context()
			s.log.ErrorContext(ctx, "live room differs from its replay", "category", "error", "room_id", roomID, "seq", head)
			if s.cfg.Recover != nil {
				s.cfg.Recover(ctx, "room_state_corruption", roomID, "api", map[string]any{"live_matches_replay": false, "seq": head})
			}
		}
	}
	return writeJSON(c, body)
}
