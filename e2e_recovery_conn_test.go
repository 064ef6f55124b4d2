package main

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The recovery procedures that act on connections (observability §5.1,
// §10 "Recovery, each procedure"): stale_connections,
// high_pending_messages and client_desync, each on real loopback sockets.

// TestRecoveryStaleConnections: a seated player's socket stops answering
// pings; the monitor raises stale_connections, the sweep closes that socket
// without a close frame and leaves a healthy one alone, the seat goes
// through grace to a bot, and a second run is refused by the cooldown and
// then by the attempt cap.
func TestRecoveryStaleConnections(t *testing.T) {
	e := recStart(t, map[string]string{
		"LIAP_WS_PONG_TIMEOUT":                         "30s", // stale after 45 s of server time
		"LIAP_RECOVERY_STALE_CONNECTIONS_COOLDOWN":     "5s",
		"LIAP_RECOVERY_STALE_CONNECTIONS_MAX_ATTEMPTS": "1",
	}, faultHooks{})
	silent := e2eHumanRoom(t, e.srv.addr, "Sam")[0]
	// A healthy player whose client keeps reading, and so answers pings.
	healthy := e2eDial(t, e.srv.addr)
	healthy.hello("Hal")
	healthyErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := healthy.ws.ReadMessage(); err != nil {
				healthyErr <- err
				return
			}
		}
	}()

	// Sam's client reads nothing from here on, so it answers no ping.
	attempt := e.waitAttempt("stale_connections", 80*time.Second)
	e.checkRecorded(attempt, "success", "monitor")
	actions := attempt["actions"].(map[string]any)
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	if actions["connections_closed"] != 1.0 || before["stale"] != 1.0 || after["stale"] != 0.0 {
		t.Fatalf("attempt: actions %v, before %v, after %v; want 1 closed, stale 1 then 0", actions, before, after)
	}

	// The server ended Sam's TCP connection without a close frame.
	var err error
	for range 5000 {
		silent.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err = silent.ws.ReadMessage(); err != nil {
			break
		}
	}
	var ce *websocket.CloseError
	if err == nil || errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("Sam's socket after the sweep: %v, want the connection cut without a close frame", err)
	}
	if got := e.metric(`liaptui_ws_connections_closed_total{reason="stale"}`); got != 1 {
		t.Fatalf("connections closed as stale: %v, want 1", got)
	}
	// The condition cleared: nothing stale is left, Hal is still connected.
	if _, v := e.do("POST", "/recovery/trigger/stale_connections?dry_run=true", ""); len(v["targets"].([]any)) != 0 {
		t.Fatalf("dry run after the sweep: %v, want no targets", v)
	}
	select {
	case err := <-healthyErr:
		t.Fatalf("the healthy connection ended: %v", err)
	default:
	}
	if got := e.metric("liaptui_ws_connections"); got != 1 {
		t.Fatalf("open connections after the sweep: %v, want 1 (Hal)", got)
	}

	// Gating: the cooldown first (409, Retry-After), then the hourly cap (429).
	if retry := e.refused("stale_connections", "", 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}
	e.advance(5*time.Second, time.Second)
	if retry := e.refused("stale_connections", "", 429, "RECOVERY_THROTTLED", "hourly_limit"); retry < 3000 {
		t.Fatalf("Retry-After %d s, want the rest of the hour", retry)
	}

	// Sam's seat went through the disconnect path: grace, then a bot (whose
	// step plays the rest of the game at once, in fast mode).
	e.advance(16*time.Second, time.Second)
	e2eWaitFor(t, 10*time.Second, "seat 1 to go through grace to a bot", func() bool {
		var disconnected, botControl bool
		for _, ev := range e.roomEvents(silent.room, 0) {
			disconnected = disconnected || ev.Type == "player_disconnected" && ev.Payload.Seat == silent.seat
			botControl = botControl || disconnected && ev.Type == "seat_control_changed" && ev.Payload.Seat == silent.seat &&
				ev.Payload.Controller == "bot" && ev.Payload.Reason == "grace_expired"
		}
		return botControl
	})
}

// TestRecoveryHighPendingMessages: a member stops reading while the host
// keeps changing the room, so its queue grows past 100 frames; the monitor
// raises high_pending_messages on two samples in a row, the queue is
// coalesced to the newest event and the reply it holds, and once the client
// reads again it sees the seq gap and fills it with room.resync.
func TestRecoveryHighPendingMessages(t *testing.T) {
	e := recStart(t, map[string]string{
		"LIAP_WS_RESYNC_MAX_EVENTS":                        "1000",
		"LIAP_RECOVERY_HIGH_PENDING_MESSAGES_COOLDOWN":     "5s",
		"LIAP_RECOVERY_HIGH_PENDING_MESSAGES_MAX_ATTEMPTS": "1",
	}, faultHooks{})
	host, slow := e.hostWithSlowGuest("Hana", "Slim")

	// Slim stops reading. Once his writer is blocked he sends one command,
	// whose reply queues behind the room's events.
	replyID := ""
	e.flood(host, 111, func(pending float64) {
		if replyID == "" && pending >= 20 {
			replyID = slow.send("lobby.unsubscribe", map[string]any{})
		}
	})
	head := host.lastSeq()

	attempt := e.waitAttempt("high_pending_messages", 9*time.Second) // before the blocked writer counts as stale (10 s)
	e.checkRecorded(attempt, "success", "monitor")
	actions := attempt["actions"].(map[string]any)
	before, after := attempt["check_before"].(map[string]any), attempt["check_after"].(map[string]any)
	if actions["frames_removed"].(float64) < 64 || actions["consumers_dropped"] != 0.0 ||
		before["pending"].(float64) <= 100 || after["pending"].(float64) > 100 {
		t.Fatalf("attempt: actions %v, before %v, after %v", actions, before, after)
	}
	if got := e.metric("liaptui_ws_frames_coalesced_total"); got < actions["frames_removed"].(float64) {
		t.Fatalf("coalesced frames counted: %v, attempt removed %v", got, actions["frames_removed"])
	}
	if got := e.metric("liaptui_ws_outbound_pending_frames"); got > 100 {
		t.Fatalf("pending after the attempt: %v", got)
	}
	if retry := e.refused("high_pending_messages", "", 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}

	// Slim reads again: the reply survived, the newest event carries the
	// current view, and the gap it sees is filled by a resync.
	gotReply, types := false, map[string]int{}
	for i := 0; !gotReply || slow.lastSeq() < head; i++ {
		if i > 5000 {
			t.Fatalf("slow client: reply %v, seq %d of %d after 5000 frames %v", gotReply, slow.lastSeq(), head, types)
		}
		f := slow.read()
		types[f.Type]++
		gotReply = gotReply || f.ReplyTo == replyID
	}
	gapAfter := int64(0)
	for i := 1; i < len(slow.seen); i++ {
		if slow.seen[i] != slow.seen[i-1]+1 {
			gapAfter = slow.seen[i-1]
			break
		}
	}
	if gapAfter == 0 {
		t.Fatalf("the slow client saw no seq gap: %v", slow.seen)
	}
	rs := slow.resync(gapAfter)
	if rs.Mode != "events" {
		t.Fatalf("resync from %d: mode %s", gapAfter, rs.Mode)
	}
	seqs := slices.Clone(slow.seen)
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	e2eContiguous(t, "the slow client's events after the resync", seqs, seqs[0])
	if seqs[len(seqs)-1] != head || slow.lastSeq() != head {
		t.Fatalf("after the resync the slow client holds seqs %d..%d and a view at %d, head %d",
			seqs[0], seqs[len(seqs)-1], slow.lastSeq(), head)
	}

	e.advance(5*time.Second, time.Second)
	e.refused("high_pending_messages", "", 429, "RECOVERY_THROTTLED", "hourly_limit")
}

// TestRecoveryClientDesync: while one member's writer is blocked with room
// events queued, another member reports a gap of 11 with room.resync; the
// resync is answered with the missing events, client_desync pushes
// room.view forced_resync to the lagging member, ahead of its stale queue,
// and the attempt succeeds once that view is written.
func TestRecoveryClientDesync(t *testing.T) {
	e := recStart(t, map[string]string{
		"LIAP_RECOVERY_CLIENT_DESYNC_COOLDOWN":     "5s",
		"LIAP_RECOVERY_CLIENT_DESYNC_MAX_ATTEMPTS": "1",
	}, faultHooks{})
	host, lag := e.hostWithSlowGuest("Dora", "Lars")

	// Lars stops reading; changes pile up in his queue.
	e.flood(host, 15, func(float64) {})
	head := host.lastSeq()

	// Dora reports a gap of 11: the reply repairs her, then recovery runs.
	rs := host.resync(head - 11)
	if rs.Mode != "events" || len(rs.Events) != 11 || rs.LastSeq != head {
		t.Fatalf("resync from %d: mode %s, %d events, last_seq %d", head-11, rs.Mode, len(rs.Events), rs.LastSeq)
	}
	// The push removed Lars's queued events of the room before he reads on.
	e2eWaitFor(t, 10*time.Second, "the forced view to replace the lagging queue", func() bool {
		return e.metric("liaptui_ws_frames_coalesced_total") > 0
	})
	f := recReadUntil(lag, "room.view")
	var view struct {
		RoomID string         `json:"room_id"`
		Reason string         `json:"reason"`
		View   map[string]any `json:"view"`
	}
	if err := json.Unmarshal(f.Data, &view); err != nil || view.RoomID != lag.room || view.Reason != "forced_resync" ||
		view.View["seq"] != float64(head) || view.View["my_seat"] != float64(lag.seat) {
		t.Fatalf("room.view to the lagging client: %s", f.Data)
	}

	attempt := e.waitAttempt("client_desync", 10*time.Second)
	e.checkRecorded(attempt, "success", "client")
	actions, after := attempt["actions"].(map[string]any), attempt["check_after"].(map[string]any)
	if attempt["target"] != host.room || actions["views_pushed"].(float64) < 1 || after["rooms_unconfirmed"] != 0.0 {
		t.Fatalf("attempt: target %v, actions %v, after %v", attempt["target"], actions, after)
	}
	if gap := attempt["context"].(map[string]any)["gap"]; gap != 11.0 {
		t.Fatalf("attempt context gap %v, want 11", gap)
	}

	body := `{"room_id":"` + host.room + `"}`
	if retry := e.refused("client_desync", body, 409, "RECOVERY_THROTTLED", "cooldown"); retry > 5 {
		t.Fatalf("Retry-After %d s, want at most the 5 s cooldown", retry)
	}
	e.advance(5*time.Second, time.Second)
	e.refused("client_desync", body, 429, "RECOVERY_THROTTLED", "hourly_limit")
}
