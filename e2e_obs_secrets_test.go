package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// obsAdminRoutes are the admin routes of protocol §11.3 (and the _system
// stream, readable only by the admin).
var obsAdminRoutes = []struct{ method, path string }{
	{"POST", "/recovery/trigger/x"},
	{"POST", "/recovery/protection/exit"},
	{"POST", "/event-store/cleanup"},
	{"GET", "/logs"},
	{"GET", "/rooms/_system/events/0"},
}

// obsCheckAdminAuth: every admin route answers 401 with WWW-Authenticate
// without a token or with a malformed header, and 403 with a well-formed
// token that is not the admin's.
func obsCheckAdminAuth(t *testing.T, srv *e2eServer, playerToken string) {
	t.Helper()
	for _, r := range obsAdminRoutes {
		for _, c := range []struct {
			header string
			status int
			code   string
		}{
			{"", http.StatusUnauthorized, "UNAUTHORIZED"},
			{"Basic " + srv.token, http.StatusUnauthorized, "UNAUTHORIZED"},
			{"Bearer " + playerToken, http.StatusForbidden, "FORBIDDEN"},
			{"Bearer " + strings.Repeat("ab", 32), http.StatusForbidden, "FORBIDDEN"},
		} {
			req, _ := http.NewRequest(r.method, "http://"+srv.addr+r.path, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error struct{ Code string } `json:"error"`
			}
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			what := fmt.Sprintf("%s %s with Authorization %.12q", r.method, r.path, c.header)
			if resp.StatusCode != c.status || body.Error.Code != c.code {
				t.Errorf("%s: %d %s, want %d %s", what, resp.StatusCode, body.Error.Code, c.status, c.code)
			}
			if wa := resp.Header.Get("WWW-Authenticate"); c.status == http.StatusUnauthorized && wa != `Bearer realm="liaptui"` {
				t.Errorf("%s: WWW-Authenticate %q", what, wa)
			}
		}
	}
}

// obsHandKeys are the keys under which a hand could be written.
var obsHandKeys = map[string]bool{"my_hand": true, "hands": true, "hand": true, "dealt": true}

// obsLeaks lists the secrets text shows: a token, the JSON of a dealt
// hand, or a hand key whose value is more than null, {}, [] or
// "[REDACTED]" in any JSON value it holds.
func obsLeaks(text string, tokens, hands []string) []string {
	var leaks []string
	for _, tok := range tokens {
		if strings.Contains(text, tok) {
			leaks = append(leaks, "a token")
		}
	}
	for _, h := range hands {
		if strings.Contains(text, h) {
			leaks = append(leaks, "the dealt hand "+h)
		}
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if obsHandKeys[k] && !obsEmptyHand(child) {
					leaks = append(leaks, fmt.Sprintf("%s.%s = %v", path, k, child))
				}
				walk(path+"."+k, child)
			}
		case []any:
			for _, child := range x {
				walk(path+"[]", child)
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		var v any
		if json.Unmarshal([]byte(line), &v) == nil {
			walk("$", v)
		}
	}
	return leaks
}

func obsEmptyHand(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case string:
		return x == "[REDACTED]"
	}
	return false
}

// TestObsAdminRoutesAndNoSecretsOnPublicRoutes: the admin routes refuse
// callers without the admin token; after a whole fast game of two humans
// and two bots (DEBUG logging), no public route, no stdout log line and no
// /logs entry shows a player token, the admin token or a dealt hand.
func TestObsAdminRoutesAndNoSecretsOnPublicRoutes(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), obsFastEnv(map[string]string{"LIAP_LOG_LEVEL": "DEBUG",
		"LIAP_LOG_RING_LEVEL": "DEBUG"}), faultHooks{system: newObsSystem(40)})
	cs := e2eHumanRoom(t, srv.addr, "Ana", "Bea")
	room := cs[0].room
	tokens := []string{srv.token, cs[0].token, cs[1].token}
	obsCheckAdminAuth(t, srv, cs[0].token)
	roomRoutes := []string{"/rooms", "/rooms/" + room + "/events/0?limit=1000", "/rooms/" + room + "/state"}
	// While the hands are held, then after the game.
	obsCheckPublic(t, srv, roomRoutes, tokens, obsDealtHands(t, srv, room))
	e2eDrive(t, srv.addr, cs, 5000, func(v map[string]any) bool { return v["phase"] == "game_over" })
	hands := obsDealtHands(t, srv, room)
	obsCheckPublic(t, srv, append(roomRoutes, "/health", "/health/detailed?history=720", "/health/metrics", "/metrics",
		"/livez", "/readyz", "/recovery/status", "/event-store/stats"), tokens, hands)

	srv.logs.mu.Lock()
	stdout := strings.Join(srv.logs.raw, "\n")
	srv.logs.mu.Unlock()
	if !strings.Contains(stdout, `"level":"DEBUG"`) {
		t.Fatal("no DEBUG line was logged: the test does not cover DEBUG logging")
	}
	for _, leak := range obsLeaks(stdout, tokens, hands) {
		t.Errorf("stdout shows %s", leak)
	}
	resp, body := obsDo(t, "GET", "http://"+srv.addr+"/logs?level=debug&limit=1000", srv.token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /logs: %d %s", resp.StatusCode, body)
	}
	for _, leak := range obsLeaks(string(body), tokens, hands) {
		t.Errorf("GET /logs shows %s", leak)
	}
}

// obsDealtHands is the JSON of every hand dealt in the room, read with the
// admin token.
func obsDealtHands(t *testing.T, srv *e2eServer, room string) []string {
	t.Helper()
	admin, _ := e2eAllEvents(t, srv.addr, room, srv.token, 0)
	var hands []string
	for _, raw := range admin {
		var e struct {
			Payload struct {
				Hands map[string]json.RawMessage `json:"hands"`
			} `json:"payload"`
		}
		json.Unmarshal(raw, &e)
		for _, h := range e.Payload.Hands {
			hands = append(hands, string(h))
		}
	}
	if len(hands) < 4 {
		t.Fatalf("the admin view shows %d dealt hands, want at least 4", len(hands))
	}
	return hands
}

// obsCheckPublic GETs each path without a token and fails on any secret.
func obsCheckPublic(t *testing.T, srv *e2eServer, paths, tokens, hands []string) {
	t.Helper()
	for _, path := range paths {
		resp, body := e2eGet(t, "http://"+srv.addr+path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		for _, leak := range obsLeaks(string(body), tokens, hands) {
			t.Errorf("GET %s shows %s", path, leak)
		}
	}
}
