package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The upgrade's log line carries the request's id and a new conn_id; the
// disconnect line carries the same conn_id, the player, and the close
// (observability §7.1, §7.4).
func TestObsConnectionLinesCarryConnID(t *testing.T) {
	srv := e2eStart(t, filepath.Join(t.TempDir(), "data"), e2eEnv(nil), faultHooks{system: newObsSystem(40)})
	header := http.Header{"X-Request-ID": []string{"upgrade-req-1"}}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", header)
	if err != nil {
		t.Fatal(err)
	}
	c := &e2eClient{t: t, ws: conn}
	c.hello("Ana")
	conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	conn.Close()

	var connected, disconnected []map[string]any
	e2eWaitFor(t, 10*time.Second, "the connected and disconnected lines", func() bool {
		connected = srv.logs.Find(map[string]any{"msg": "connected", "category": "websocket"})
		disconnected = srv.logs.Find(map[string]any{"msg": "disconnected", "category": "websocket"})
		return len(connected) == 1 && len(disconnected) == 1
	})
	up, down := connected[0], disconnected[0]
	id, _ := up["conn_id"].(string)
	if !obsCorrelationPattern.MatchString(id) || up["correlation_id"] != "upgrade-req-1" || up["component"] != "hub" {
		t.Fatalf("connected line %v: want conn_id, the request's correlation id and component hub", up)
	}
	if down["conn_id"] != id || down["player_id"] == nil || down["player_id"] == "" || down["reason"] != "normal" {
		t.Fatalf("disconnected line %v: want conn_id %s, the player and reason normal", down, id)
	}
	if _, ok := down["lifetime_ms"].(float64); !ok {
		t.Fatalf("disconnected line %v has no lifetime_ms", down)
	}
}
