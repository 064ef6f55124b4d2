package main

import (
	"database/sql/driver"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"liaptui/game"
	"liaptui/monitor"
	"liaptui/recovery"
	"liaptui/room"
)

// serveConfig is the configuration of `liaptui serve`. Each key `a.b.c` is a
// flag -a.b.c and the environment variable LIAP_A_B_C (observability §0);
// a flag given on the command line wins over the environment.
type serveConfig struct {
	DataDir        string
	Addr           string
	AllowedOrigins string
	TrustedProxies string
	HTTPRate       float64
	HTTPBurst      int
	AdminToken     string

	WSMaxFrameBytes   int
	WSHelloTimeout    time.Duration
	WSPingInterval    time.Duration
	WSPongTimeout     time.Duration
	WSWriteTimeout    time.Duration
	WSRate            float64
	WSBurst           int
	WSQueueSize       int
	WSResyncMaxEvents int
	WSLobbyInterval   time.Duration

	StoreSynchronous   string
	StoreQueueSize     int
	StoreRetentionDays int
	StoreCleanupEvery  time.Duration

	ShutdownTimeout time.Duration
	ShutdownDelay   time.Duration

	MonitorInterval       time.Duration
	MonitorIntervalMin    time.Duration
	MonitorIntervalMax    time.Duration
	MonitorMinGap         time.Duration
	MonitorRecoverSamples int
	MonitorHistorySize    int
	MonitorTrendWindow    int
	MonitorTrendHorizon   time.Duration
	MonitorWSMinFrames    int
	MonitorDeliveryDue    time.Duration
	CanaryPeriod          time.Duration

	RecoveryHistorySize   int
	ProtectionMinDuration time.Duration

	AlertWebhook      string
	AlertDedupWindow  time.Duration
	AlertQueueSize    int
	AlertMaxPerMinute int
	Instance          string

	LogLevel     string
	LogRingLevel string
	LogFile      string
	LogRingSize  int

	// Thresholds are monitor.<check>.warn/.crit by check id; Recovery holds
	// recovery.enabled and recovery.<name>.*.
	Thresholds map[string]*monitor.Threshold
	Recovery   recovery.Config

	Game game.Config

	// faults are set only by tests, to break parts on purpose.
	faults faultHooks
}

// faultHooks let tests in this package replace the system collectors and
// break the store's connections or the rooms (observability §10).
type faultHooks struct {
	system        monitor.SystemSource
	wrapConnector func(driver.Connector) driver.Connector
	rooms         *room.Faults
	// clock replaces the wall clock of everything but logging and alerts,
	// so a test can move the server's time (sockets keep wall deadlines).
	clock monitor.Clock
	// wrapListener wraps the HTTP listener, e.g. to shrink the sockets'
	// send buffers so a client that stops reading blocks the writer soon.
	wrapListener func(net.Listener) net.Listener
}

// envName is the environment variable of a key.
func envName(key string) string {
	return "LIAP_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// bindConfig registers every key on fs with its default, taken from the
// environment when set there.
func bindConfig(fs *flag.FlagSet, getenv func(string) string) (*serveConfig, func() error) {
	c := &serveConfig{Game: game.DefaultConfig()}
	var errs []error
	env := func(key string) (string, bool) {
		v := getenv(envName(key))
		return v, v != ""
	}
	str := func(p *string, key, def, usage string) {
		if v, ok := env(key); ok {
			def = v
		}
		fs.StringVar(p, key, def, usage)
	}
	num := func(p *int, key string, def int, usage string) {
		if v, ok := env(key); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not an integer", envName(key), v))
			}
			def = n
		}
		fs.IntVar(p, key, def, usage)
	}
	real := func(p *float64, key string, def float64, usage string) {
		if v, ok := env(key); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a number", envName(key), v))
			}
			def = n
		}
		fs.Float64Var(p, key, def, usage)
	}
	dur := func(p *time.Duration, key string, def time.Duration, usage string) {
		if v, ok := env(key); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a duration such as 10s", envName(key), v))
			}
			def = d
		}
		fs.DurationVar(p, key, def, usage)
	}
	boolean := func(p *bool, key string, def bool, usage string) {
		if v, ok := env(key); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a boolean", envName(key), v))
			}
			def = b
		}
		fs.BoolVar(p, key, def, usage)
	}

	str(&c.DataDir, "data_dir", "./data", "directory of the event store and the admin token file")
	str(&c.Addr, "http.addr", "127.0.0.1:8080", "listen address")
	str(&c.AllowedOrigins, "http.allowed_origins", "", "comma-separated origins allowed for /ws and CORS; empty = same origin; * = any")
	str(&c.TrustedProxies, "http.trusted_proxies", "", "comma-separated proxy addresses whose X-Forwarded-For is trusted")
	real(&c.HTTPRate, "http.rate", 10, "HTTP requests per second per client IP")
	num(&c.HTTPBurst, "http.burst", 30, "HTTP burst per client IP")
	str(&c.AdminToken, "admin.token", "", "admin token (≥ 32 characters); empty = generated into <data_dir>/admin.token")

	num(&c.WSMaxFrameBytes, "ws.max_frame_bytes", 4096, "largest inbound message")
	dur(&c.WSHelloTimeout, "ws.hello_timeout", 10*time.Second, "time allowed before hello")
	dur(&c.WSPingInterval, "ws.ping_interval", 20*time.Second, "ping period")
	dur(&c.WSPongTimeout, "ws.pong_timeout", 45*time.Second, "connection dead without a pong for this long")
	dur(&c.WSWriteTimeout, "ws.write_timeout", 10*time.Second, "time allowed to write one frame")
	real(&c.WSRate, "ws.rate", 20, "inbound frames per second per connection")
	num(&c.WSBurst, "ws.burst", 40, "inbound frame burst per connection")
	num(&c.WSQueueSize, "ws.queue_size", 256, "outbound messages queued per connection")
	num(&c.WSResyncMaxEvents, "ws.resync_max_events", 100, "largest gap a resync answers with events")
	dur(&c.WSLobbyInterval, "ws.lobby_push_interval", 500*time.Millisecond, "lobby push period")

	str(&c.StoreSynchronous, "store.synchronous", "normal", "normal or full")
	num(&c.StoreQueueSize, "store.queue_size", 4096, "writer queue size")
	num(&c.StoreRetentionDays, "store.retention_days", 7, "days finished rooms are kept")
	dur(&c.StoreCleanupEvery, "store.cleanup_interval", time.Hour, "retention period")
	dur(&c.ShutdownTimeout, "shutdown.timeout", 25*time.Second, "bound of an orderly shutdown")
	dur(&c.ShutdownDelay, "shutdown.delay", 0, "pause after readiness turns off, for load balancers")

	dur(&c.MonitorInterval, "monitor.interval.default", 30*time.Second, "monitor interval at start and after an error")
	dur(&c.MonitorIntervalMin, "monitor.interval.min", 10*time.Second, "shortest monitor interval")
	dur(&c.MonitorIntervalMax, "monitor.interval.max", 120*time.Second, "longest monitor interval")
	dur(&c.MonitorMinGap, "monitor.min_gap", time.Second, "shortest gap between two samples")
	num(&c.MonitorRecoverSamples, "monitor.recover_samples", 2, "samples at a lower level before a status improves")
	num(&c.MonitorHistorySize, "monitor.history.size", 720, "samples kept in the history ring")
	num(&c.MonitorTrendWindow, "monitor.trend.window", 20, "samples in a trend fit")
	dur(&c.MonitorTrendHorizon, "monitor.trend.horizon", 30*time.Minute, "trend warning horizon")
	num(&c.MonitorWSMinFrames, "monitor.ws.min_frames", 50, "frames a delivery window needs to be judged")
	dur(&c.MonitorDeliveryDue, "monitor.ws.delivery_deadline", time.Second, "a frame slower than this is late")
	dur(&c.CanaryPeriod, "canary.period", time.Minute, "canary game period (0 disables)")

	num(&c.RecoveryHistorySize, "recovery.history.size", 500, "recovery attempts kept")
	dur(&c.ProtectionMinDuration, "recovery.protection.min_duration", 2*time.Minute, "shortest emergency protection mode")

	str(&c.AlertWebhook, "alert.webhook", "", "webhook URL for alerts (secret; empty = none)")
	dur(&c.AlertDedupWindow, "alert.dedup_window", 10*time.Minute, "an alert key is sent once per window")
	num(&c.AlertQueueSize, "alert.queue_size", 100, "alerts waiting to be sent")
	num(&c.AlertMaxPerMinute, "alert.max_per_minute", 20, "alerts sent per minute")
	host, _ := os.Hostname()
	str(&c.Instance, "instance", host, "instance name in alerts")

	str(&c.LogLevel, "log.level", "INFO", "stdout and file log level")
	str(&c.LogRingLevel, "log.ring_level", "INFO", "level of the /logs ring")
	str(&c.LogFile, "log.file", "", "JSON log file, rotated at 100 MiB x 5 (empty = none)")
	num(&c.LogRingSize, "log.ring_size", 5000, "records kept for /logs")

	c.Thresholds = map[string]*monitor.Threshold{}
	for _, id := range monitor.CheckIDs {
		th := monitor.DefaultConfig().Thresholds[id]
		c.Thresholds[id] = &th
		key := "monitor." + strings.ReplaceAll(id, ":", ".")
		real(&th.Warn, key+".warn", th.Warn, "warning threshold of "+id)
		real(&th.Crit, key+".crit", th.Crit, "critical threshold of "+id)
	}
	c.Recovery = recovery.DefaultConfig()
	boolean(&c.Recovery.Enabled, "recovery.enabled", true, "run recovery procedures")
	procedures := map[string]*recovery.ProcedureConfig{}
	for _, name := range recovery.ProcedureNames() {
		p := c.Recovery.Procedures[name]
		procedures[name] = &p
		boolean(&p.Enabled, "recovery."+name+".enabled", p.Enabled, "run "+name)
		num(&p.MaxAttempts, "recovery."+name+".max_attempts", p.MaxAttempts, "attempts of "+name+" per rolling hour")
		dur(&p.Cooldown, "recovery."+name+".cooldown", p.Cooldown, "pause after an attempt of "+name)
	}

	g := &c.Game
	num(&g.WinScore, "game.win_score", g.WinScore, "score that ends the game")
	num(&g.MaxRounds, "game.max_rounds", g.MaxRounds, "last round (0 = unlimited)")
	num(&g.MaxRedeals, "game.max_redeals", g.MaxRedeals, "redeals per round (0 = unlimited)")
	num(&g.RedealWindowMs, "game.redeal_window_ms", g.RedealWindowMs, "redeal decision window")
	num(&g.DeclarationTimeoutMs, "game.declaration_timeout_ms", g.DeclarationTimeoutMs, "human declaration time")
	num(&g.PlayTimeoutMs, "game.play_timeout_ms", g.PlayTimeoutMs, "human play time")
	num(&g.RoundStartPauseMs, "game.round_start_pause_ms", g.RoundStartPauseMs, "round start display")
	num(&g.TurnResultsPauseMs, "game.turn_results_pause_ms", g.TurnResultsPauseMs, "turn results display")
	num(&g.ScoringPauseMs, "game.scoring_pause_ms", g.ScoringPauseMs, "scoring display")
	num(&g.BotDelayMs, "game.bot_delay_ms", g.BotDelayMs, "bot think delay")
	num(&g.DisconnectGraceMs, "game.disconnect_grace_ms", g.DisconnectGraceMs, "grace before a bot takes a seat")
	num(&g.AbandonInGameMs, "game.abandon_in_game_ms", g.AbandonInGameMs, "abandoned room close, in game")
	num(&g.AbandonAfterGameMs, "game.abandon_after_game_ms", g.AbandonAfterGameMs, "abandoned room close, after the game")
	boolean(&g.FastMode, "game.fast_mode", g.FastMode, "no display pauses and no bot delay")

	validate := func() error {
		if len(errs) > 0 {
			return errs[0]
		}
		for name, p := range procedures {
			c.Recovery.Procedures[name] = *p
		}
		c.Recovery.HistorySize, c.Recovery.ProtectionMinDuration = c.RecoveryHistorySize, c.ProtectionMinDuration
		if c.AdminToken != "" && len(c.AdminToken) < 32 {
			return fmt.Errorf("admin.token must be at least 32 characters")
		}
		if c.StoreSynchronous != "normal" && c.StoreSynchronous != "full" {
			return fmt.Errorf("store.synchronous must be normal or full, not %q", c.StoreSynchronous)
		}
		return c.Game.Validate()
	}
	return c, validate
}

// parseServeConfig reads the flags of `serve` over the process environment.
func parseServeConfig(args []string) (*serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c, validate := bindConfig(fs, os.Getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, validate()
}
