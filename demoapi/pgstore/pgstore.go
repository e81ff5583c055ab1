// Package pgstore keeps the demo API's data in PostgreSQL (pgx), so that
// several API servers can share one database: the schema is migrated at start,
// webhook deliveries are de-duplicated by svix-id inside the transaction that
// applies them, and user upserts keep the newest Clerk updated_at.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"deskclerk/demoapi"
)

// DefaultMaxConns is the connection pool's size per server unless DATABASE_URL
// sets pool_max_conns: two replicas stay well under PostgreSQL's default
// max_connections (100).
const DefaultMaxConns = 20

// Store is a demoapi.Store on a PostgreSQL database.
type Store struct{ pool *pgxpool.Pool }

var _ demoapi.Store = (*Store)(nil)

// IsURL reports whether s is a PostgreSQL connection URL (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (a postgres:// URL, libpq's syntax
// and environment), checks that it answers, and migrates its schema.
// Errors never contain the URL: it may carry a password.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("pgstore: DATABASE_URL is not a valid PostgreSQL URL") // pgx's error quotes the URL
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (4 or the CPU count) queues requests on a busy server
		// whose queries wait on the network; pool_max_conns in the URL overrides.
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect to %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	applied, err := Migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	log.Info("demoapi: PostgreSQL store ready", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database,
		"schema_version", LatestVersion(), "migrations_applied", len(applied))
	return &Store{pool: pool}, nil
}

// Pool is the store's connection pool (for tests and diagnostics).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error { s.pool.Close(); return nil }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// User returns the live record of a user, nil if none.
func (s *Store) User(ctx context.Context, id string) (*demoapi.User, error) {
	var u demoapi.User
	err := s.pool.QueryRow(ctx, `SELECT id, email, first_name, last_name, image_url, created_at, updated_at
		FROM users WHERE id = $1 AND NOT deleted`, id).
		Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.ImageURL, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	return &u, nil
}

// Color returns the user's favourite colour, nil if never set.
func (s *Store) Color(ctx context.Context, userID string) (*demoapi.FavoriteColor, error) {
	var c demoapi.FavoriteColor
	err := s.pool.QueryRow(ctx, `SELECT color, hex, updated_at FROM favorite_colors WHERE user_id = $1`, userID).
		Scan(&c.Color, &c.Hex, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read color: %w", err)
	}
	return &c, nil
}

// SetColor saves the colour of a live user in one statement: FOR SHARE holds
// the user's row, so a concurrent user.deleted waits for it (and then removes
// the colour) or has already made the user unknown.
func (s *Store) SetColor(ctx context.Context, userID string, c demoapi.FavoriteColor) error {
	tag, err := s.pool.Exec(ctx, `
		WITH u AS (SELECT id FROM users WHERE id = $1 AND NOT deleted FOR SHARE)
		INSERT INTO favorite_colors (user_id, color, hex, updated_at)
		SELECT u.id, $2, $3, $4 FROM u
		ON CONFLICT (user_id) DO UPDATE SET color = EXCLUDED.color, hex = EXCLUDED.hex, updated_at = EXCLUDED.updated_at`,
		userID, c.Color, c.Hex, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save color: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return demoapi.ErrUserUnknown
	}
	return nil
}

// ApplyWebhook records msgID and applies ch in one transaction. Two replicas
// given the same delivery at once both insert the id; PostgreSQL makes the
// second wait for the first's commit and then see the conflict.
func (s *Store) ApplyWebhook(ctx context.Context, msgID string, ch demoapi.UserChange) (out demoapi.WebhookOutcome, err error) {
	if msgID == "" {
		return "", errors.New("apply webhook: empty svix-id")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_messages (svix_id) VALUES ($1) ON CONFLICT DO NOTHING`, msgID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			out = demoapi.WebhookDuplicate
			return nil
		}
		if out, err = apply(ctx, tx, ch); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM webhook_messages WHERE received_at < now() - make_interval(secs => $1)`,
			demoapi.WebhookRetention.Seconds())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("apply webhook %s: %w", msgID, err)
	}
	return out, nil
}

func apply(ctx context.Context, tx pgx.Tx, ch demoapi.UserChange) (demoapi.WebhookOutcome, error) {
	switch {
	case ch.Upsert != nil:
		u := ch.Upsert
		// Equal updated_at rewrites (a redelivery under a new svix-id carries the same data).
		tag, err := tx.Exec(ctx, `
			INSERT INTO users (id, email, first_name, last_name, image_url, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, first_name = EXCLUDED.first_name,
				last_name = EXCLUDED.last_name, image_url = EXCLUDED.image_url,
				created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
			WHERE NOT users.deleted AND users.updated_at <= EXCLUDED.updated_at`,
			u.ID, u.Email, u.FirstName, u.LastName, u.ImageURL, u.CreatedAt, u.UpdatedAt)
		if err != nil {
			return "", err
		}
		if tag.RowsAffected() == 0 {
			return demoapi.WebhookStale, nil
		}
		return demoapi.WebhookApplied, nil
	case ch.Delete != "":
		if _, err := tx.Exec(ctx, `
			INSERT INTO users (id, deleted) VALUES ($1, true)
			ON CONFLICT (id) DO UPDATE SET deleted = true, email = '', first_name = '', last_name = '', image_url = ''`,
			ch.Delete); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM favorite_colors WHERE user_id = $1`, ch.Delete); err != nil {
			return "", err
		}
		return demoapi.WebhookApplied, nil
	}
	return demoapi.WebhookIgnored, nil
}
