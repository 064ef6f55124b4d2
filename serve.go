package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"liaptui/events"
	"liaptui/game"
	"liaptui/monitor"
	"liaptui/room"
	"liaptui/ws"
)

// runServe wires the observability primitives, the store, the rooms, the
// hub, the monitor, recovery and the HTTP server, serves until ctx ends,
// then shuts down in order (observability §9).
func runServe(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseServeConfig(args)
	if err != nil {
		return err
	}
	return serveConfigured(ctx, cfg, out)
}

// serveConfigured is runServe after the configuration is read; tests call it
// with fault hooks set.
func serveConfigured(ctx context.Context, cfg *serveConfig, out io.Writer) error {
	clock := monitor.WallClock{}
	obs, err := newObservability(cfg, out, clock)
	if err != nil {
		return err
	}
	defer obs.logging.Close()
	log := obs.component(monitor.ComponentMain)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	if limit, err := monitor.ApplyMemoryLimit(); err != nil {
		log.Warn("memory limit not applied", "category", "system", "error", err)
	} else if limit > 0 {
		log.Info("memory limit set from the cgroup", "category", "system", "bytes", limit)
	}
	adminToken, err := loadAdminToken(cfg, log)
	if err != nil {
		return err
	}
	srv, err := wire(ctx, cfg, obs, adminToken)
	if err != nil {
		return err
	}
	return srv.run(ctx)
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
