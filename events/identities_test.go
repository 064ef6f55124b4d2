package events

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"liaptui/monitor"
)

func TestIdentitiesSurviveReopenAndStoreNoToken(t *testing.T) {
	clock := monitor.NewFakeClock(time.UnixMilli(1_800_000_000_000))
	path := filepath.Join(t.TempDir(), "events.db")
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	const token = "9f2c4e1a7b3d5f60182a4c6e8b0d2f41"
	if err := s.CreateIdentity(ctx, "p_ana", "Ana", token); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentity(ctx, "p_other", "Other", token); err == nil {
		t.Fatal("a second identity with the same token must be refused")
	}
	var raw int
	if err := s.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM identities WHERE CAST(token_sha256 AS TEXT) LIKE ?",
		"%"+token+"%").Scan(&raw); err != nil || raw != 0 {
		t.Fatalf("the token is stored in the clear (%d rows, %v)", raw, err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	s, err = Open(ctx, path, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	id, err := s.IdentityByToken(ctx, token)
	if err != nil || id.PlayerID != "p_ana" || id.Name != "Ana" || id.LastSeenAt != clock.Now().UnixMilli() {
		t.Fatalf("identity %+v, %v", id, err)
	}
	if _, err := s.IdentityByToken(ctx, "00000000000000000000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestCleanupDeletesUnseenIdentitiesButNotSeatedOnes(t *testing.T) {
	clock := monitor.NewFakeClock(time.UnixMilli(1_800_000_000_000))
	s := openTemp(t, Options{Clock: clock})
	ctx := context.Background()
	for _, p := range []string{"p_gone", "p_seated", "p_recent"} {
		if err := s.CreateIdentity(ctx, p, p, "token-"+p); err != nil {
			t.Fatal(err)
		}
		if p == "p_seated" {
			clock.Advance(time.Hour)
		}
	}
	cutoff := clock.Now().Add(-time.Minute)
	seated := func(id string) bool { return id == "p_seated" }
	dry, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff, DryRun: true, Seated: seated})
	if err != nil || dry.DeletedIdentities != 1 {
		t.Fatalf("dry run %+v, %v", dry, err)
	}
	if _, err := s.IdentityByToken(ctx, "token-p_gone"); err != nil {
		t.Fatalf("dry run deleted an identity: %v", err)
	}
	// the dry run's lookup marked p_gone seen: age it again
	clock.Advance(2 * time.Minute)
	cutoff = clock.Now().Add(-time.Minute)
	if _, err := s.IdentityByToken(ctx, "token-p_recent"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Cleanup(ctx, CleanupRequest{Cutoff: cutoff, Seated: seated, Trigger: TriggerManual})
	if err != nil || res.DeletedIdentities != 1 {
		t.Fatalf("cleanup %+v, %v", res, err)
	}
	for token, want := range map[string]error{"token-p_gone": ErrNotFound, "token-p_seated": nil, "token-p_recent": nil} {
		if _, err := s.IdentityByToken(ctx, token); !errors.Is(err, want) && err != want {
			t.Errorf("%s: %v, want %v", token, err, want)
		}
	}
}
