package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestLoadPlaysWholeGames runs the load subcommand against a real server:
// two tables of four thinking clients each play a game to game over.
func TestLoadPlaysWholeGames(t *testing.T) {
	addr := e2eServe(t, t.TempDir(), e2eEnv(map[string]string{"LIAP_WS_RATE": "100000", "LIAP_WS_BURST": "100000"}))
	var out strings.Builder
	err := runLoad(context.Background(), []string{"-url", "ws://" + addr + "/ws", "-clients", "8", "-per-room", "4",
		"-games", "1", "-think", "1ms", "-timeout", "2m"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`games completed  2 in`, `errors           none`} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`command to ack   p50 [0-9.]+ ms, p99 [0-9.]+ ms over [1-9][0-9]+ commands`).MatchString(out.String()) {
		t.Fatalf("no latencies in:\n%s", out.String())
	}
}

func TestLoadRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-clients", "0"},
		{"-games", "-1"},
		{"-think", "-1s"},
		{"-per-room", "3"},
		{"-clients", "6", "-per-room", "4"},
		{"-url", "http://127.0.0.1:1/ws"},
	} {
		var out strings.Builder
		if err := runLoad(context.Background(), args, &out); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
