package events

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
)

// Identity is a player identity (observability §6.1 `identities`). Only the
// SHA-256 of its token is stored, so tokens keep working after a restart
// without being kept in the clear.
type Identity struct {
	PlayerID   string
	Name       string
	CreatedAt  int64
	LastSeenAt int64
}

// CreateIdentity stores a new identity for token.
func (s *Store) CreateIdentity(ctx context.Context, playerID, name, token string) error {
	hash := sha256.Sum256([]byte(token))
	now := s.nowMs()
	return s.writeOp(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO identities (player_id, token_sha256, name, created_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?)`, playerID, hash[:], name, now, now)
		return err
	})
}

// IdentityByToken finds the identity owning token and marks it seen;
// ErrNotFound when there is none.
func (s *Store) IdentityByToken(ctx context.Context, token string) (Identity, error) {
	hash := sha256.Sum256([]byte(token))
	var id Identity
	var stored []byte
	err := s.lookupIdentity(ctx, hash[:], &id, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return id, ErrNotFound
	case err != nil:
		return id, fmt.Errorf("identity lookup: %w", err)
	case subtle.ConstantTimeCompare(stored, hash[:]) != 1:
		return id, ErrNotFound
	}
	now := s.nowMs()
	err = s.writeOp(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE identities SET last_seen_at = ? WHERE player_id = ?", now, id.PlayerID)
		return err
	})
	id.LastSeenAt = now
	return id, err
}

func (s *Store) lookupIdentity(ctx context.Context, hash []byte, id *Identity, stored *[]byte) (err error) {
	defer s.observeRead(ctx, ReadSince, s.clock.Now(), &err)
	return s.reader().QueryRowContext(ctx, `SELECT player_id, name, created_at, last_seen_at, token_sha256
		FROM identities WHERE token_sha256 = ?`, hash).Scan(&id.PlayerID, &id.Name, &id.CreatedAt, &id.LastSeenAt, stored)
}

// writeOp runs f in a transaction of the writer, ordered with the appends.
func (s *Store) writeOp(ctx context.Context, f func(tx *sql.Tx) error) error {
	req := &appendReq{done: make(chan struct{})}
	req.op = func(tx *sql.Tx, _ *writer) error { return f(tx) }
	if err := s.submit(ctx, req); err != nil {
		return err
	}
	return req.err
}
