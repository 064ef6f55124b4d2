package main

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLoadPlaysWholeGames runs the load subcommand against a real server:
// two tables of four thinking clients each play a game to game over.
func TestLoadPlaysWholeGames(t *testing.T) {
	addr := e2eServe(t, t.TempDir(), e2eEnv(map[string]string{"LIAP_WS_RATE": "100000", "LIAP_WS_BURST": "100000"}))
	var out strings.Builder
	err := runLoad(context.Background(), []string{"-url", "ws://" + addr + "/ws", "-clients", "8", "-per-room", "4",
		"-games", "1", "-think", "1ms", "-timeout", "2m", "-pid", strconv.Itoa(os.Getpid())}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`games completed  2 in`, `errors           none`, `KiB per connection above the RSS before the clients`} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, out.String())
		}
	}
	// Each game takes hundreds of game commands; setup is hello, create or
	// join, start and leave.
	for _, re := range []string{`command to ack   game  p50 [0-9.]+ ms, p99 [0-9.]+ ms over [1-9][0-9]{2,} commands`,
		`\n {17}setup p50 [0-9.]+ ms, p99 [0-9.]+ ms over (2[4-9]|3[0-9]) commands`} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Fatalf("no %s in:\n%s", re, out.String())
		}
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

// TestLoadTimeoutCountsEachClientOnce: clients stopped by -timeout count one
// timeout each, not a connection error.
func TestLoadTimeoutCountsEachClientOnce(t *testing.T) {
	addr := e2eServe(t, t.TempDir(), e2eEnv(nil))
	var out strings.Builder
	err := runLoad(context.Background(), []string{"-url", "ws://" + addr + "/ws", "-clients", "4", "-per-room", "4",
		"-think", "10s", "-timeout", "1s", "-pid", strconv.Itoa(os.Getpid())}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "errors           timeout=4\n") {
		t.Fatalf("want 4 timeouts and nothing else in:\n%s", out.String())
	}
}
