package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"liaptui/api"
	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
	"liaptui/ws"
)

// runServe wires the store, the rooms, the hub and the HTTP server, serves
// until ctx ends, then shuts down in order (observability §9).
func runServe(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseServeConfig(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(out, nil))
	clock := monitor.WallClock{}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	adminToken, err := loadAdminToken(cfg, log)
	if err != nil {
		return err
	}
	store, err := events.Open(ctx, filepath.Join(cfg.DataDir, storeFile), events.Options{
		Synchronous: cfg.StoreSynchronous, QueueSize: cfg.StoreQueueSize, Clock: clock})
	if err != nil {
		return err
	}
	var hub *ws.Hub
	registry := room.NewRegistry(room.Options{Log: events.RoomLog{Store: store},
		Publisher: publisherFunc{func() room.Publisher { return hub }}, Clock: clock, Config: cfg.Game})
	hub = ws.NewHub(ws.Config{MaxFrameBytes: cfg.WSMaxFrameBytes, HelloTimeout: cfg.WSHelloTimeout,
		PingInterval: cfg.WSPingInterval, PongTimeout: cfg.WSPongTimeout, WriteTimeout: cfg.WSWriteTimeout,
		Rate: cfg.WSRate, Burst: cfg.WSBurst, QueueSize: cfg.WSQueueSize, ResyncMaxEvents: cfg.WSResyncMaxEvents,
		LobbyInterval: cfg.WSLobbyInterval}, registry, identities{store}, history{store}, clock, log)
	server := api.New(ctx, api.Config{AdminToken: adminToken, AllowedOrigins: splitList(cfg.AllowedOrigins),
		Rate: cfg.HTTPRate, Burst: cfg.HTTPBurst, TrustedProxies: splitList(cfg.TrustedProxies)},
		hub, registry, store, identities{store}, clock, log)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close(context.Background())
		return err
	}
	server.Echo().Listener = ln
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Start(cfg.Addr) }()
	log.Info("listening", "addr", ln.Addr().String(), "data_dir", cfg.DataDir)

	start := clock.Now()
	report, err := registry.Restore(ctx)
	if err != nil {
		return errors.Join(err, shutdown(cfg, log, server, hub, registry, store))
	}
	log.Info("store recovered", "rooms_resumed", report.Resumed, "rooms_failed", report.Failed,
		"duration_ms", clock.Now().Sub(start).Milliseconds())
	hubCtx, stopHub := context.WithCancel(ctx)
	go hub.Run(hubCtx)
	retention := &events.Retention{Store: store, Clock: clock, Interval: cfg.StoreCleanupEvery,
		FirstDelay: 5 * time.Minute, Days: cfg.StoreRetentionDays, HasActor: registry.HasActor, Log: log}
	go retention.Run(hubCtx)
	server.SetReady()

	select {
	case <-ctx.Done():
		log.Info("shutting down", "cause", context.Cause(ctx))
	case err = <-serveErr:
		log.Error("http server stopped", "error", err)
	}
	stopHub()
	return errors.Join(err, shutdown(cfg, log, server, hub, registry, store))
}

// shutdown stops the server, the connections, the rooms and the store, in
// that order, within cfg.ShutdownTimeout (observability §9.2).
func shutdown(cfg *serveConfig, log *slog.Logger, server *api.Server, hub *ws.Hub, registry *room.Registry,
	store *events.Store) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	step := func(name string, bound time.Duration, f func(context.Context) error) error {
		sctx, scancel := context.WithTimeout(ctx, bound)
		defer scancel()
		if err := f(sctx); err != nil {
			log.Error("shutdown step failed", "step", name, "error", err)
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	return errors.Join(
		step("http", 5*time.Second, server.Shutdown),
		step("rooms", 5*time.Second, registry.Close),
		step("websockets", 5*time.Second, func(c context.Context) error { return hub.Shutdown(c, 5*time.Second) }),
		step("store", 5*time.Second, store.Close),
	)
}

// publisherFunc forwards to a publisher built after the registry (the hub
// and the registry need each other).
type publisherFunc struct{ get func() room.Publisher }

func (p publisherFunc) Publish(roomID string, evs []room.Committed, s game.State) {
	p.get().Publish(roomID, evs, s)
}

func (p publisherFunc) Rebuilt(roomID string, s game.State, head int64) {
	p.get().Rebuilt(roomID, s, head)
}

// identities adapts the store's identities to the hub and the API.
type identities struct{ store *events.Store }

func (i identities) CreateIdentity(ctx context.Context, playerID, name, token string) error {
	return i.store.CreateIdentity(ctx, playerID, name, token)
}

func (i identities) IdentityByToken(ctx context.Context, token string) (string, string, error) {
	id, err := i.store.IdentityByToken(ctx, token)
	return id.PlayerID, id.Name, err
}

func (i identities) IsUnknownToken(err error) bool { return errors.Is(err, events.ErrNotFound) }

func (i identities) PlayerByToken(ctx context.Context, token string) (string, bool, error) {
	id, err := i.store.IdentityByToken(ctx, token)
	if errors.Is(err, events.ErrNotFound) {
		return "", false, nil
	}
	return id.PlayerID, err == nil, err
}

// history adapts the store's reads to the hub's resync.
type history struct{ store *events.Store }

func (h history) Since(ctx context.Context, roomID string, afterSeq int64, limit int) ([]ws.StoredEvent, error) {
	page, err := h.store.Since(ctx, roomID, afterSeq, min(limit, 1000))
	out := make([]ws.StoredEvent, len(page.Events))
	for i, ev := range page.Events {
		out[i] = ws.StoredEvent{ID: ev.ID, Seq: ev.Seq, Type: ev.Type, At: ev.At, Payload: ev.Payload,
			CorrelationID: ev.CorrelationID, SchemaVersion: ev.SchemaVersion}
	}
	return out, err
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// loadAdminToken is protocol §11.2: LIAP_ADMIN_TOKEN, else <data>/admin.token,
// made with 256 random bits on first start. The token itself is never logged.
func loadAdminToken(cfg *serveConfig, log *slog.Logger) (string, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	path := filepath.Join(cfg.DataDir, "admin.token")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Error("admin token file is readable by group or others", "category", "security", "path", path)
		}
		token := strings.TrimSpace(string(b))
		if len(token) < 32 {
			return "", fmt.Errorf("%s holds a token shorter than 32 characters", path)
		}
		log.Info("admin token read", "path", path)
		return token, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", err
	}
	log.Info("admin token generated", "path", path)
	return token, nil
}
