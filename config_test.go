package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func parseWith(t *testing.T, env map[string]string, args ...string) (*serveConfig, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, validate := bindConfig(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, validate()
}

func TestConfigDefaultsEnvironmentAndFlags(t *testing.T) {
	c, err := parseWith(t, nil)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.WSQueueSize != 256 ||
		c.WSPongTimeout != 45*time.Second || c.Game.WinScore != 50 || c.HTTPRate != 10 {
		t.Fatalf("defaults %+v, %v", c, err)
	}
	env := map[string]string{"LIAP_HTTP_ADDR": "127.0.0.1:9000", "LIAP_GAME_FAST_MODE": "true",
		"LIAP_WS_PING_INTERVAL": "5s", "LIAP_GAME_PLAY_TIMEOUT_MS": "1000"}
	c, err = parseWith(t, env, "-game.play_timeout_ms", "2000")
	if err != nil || c.Addr != "127.0.0.1:9000" || !c.Game.FastMode || c.WSPingInterval != 5*time.Second ||
		c.Game.PlayTimeoutMs != 2000 {
		t.Fatalf("env and flags %+v, %v", c, err)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for want, env := range map[string]map[string]string{
		"admin.token":           {"LIAP_ADMIN_TOKEN": "short"},
		"LIAP_WS_QUEUE_SIZE":    {"LIAP_WS_QUEUE_SIZE": "many"},
		"LIAP_WS_HELLO_TIMEOUT": {"LIAP_WS_HELLO_TIMEOUT": "10"},
		"LIAP_GAME_FAST_MODE":   {"LIAP_GAME_FAST_MODE": "yes please"},
		"store.synchronous":     {"LIAP_STORE_SYNCHRONOUS": "sometimes"},
		"bot_delay_ms":          {"LIAP_GAME_BOT_DELAY_MS": "-1"},
	} {
		if _, err := parseWith(t, env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: got %v, want an error naming %s", env, err, want)
		}
	}
}
