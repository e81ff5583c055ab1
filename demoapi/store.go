package demoapi

import (
	"context"
	"errors"
	"time"
)

// Store is what the API keeps: its copy of Clerk's users (fed by webhooks) and
// each user's favourite colour. OpenBolt (the embedded default, store_bolt.go)
// and deskclerk/demoapi/pgstore (PostgreSQL, for several replicas) implement it;
// both are run through the same test suite.
type Store interface {
	// User is the live record of a user, nil if none (never created, or deleted).
	User(ctx context.Context, id string) (*User, error)
	// Color is the user's favourite colour, nil if never set.
	Color(ctx context.Context, userID string) (*FavoriteColor, error)
	// SetColor saves a user's colour; ErrUserUnknown if the store has no live
	// record of the user. The check and the write are one transaction, so a
	// concurrent user.deleted never leaves a colour behind.
	SetColor(ctx context.Context, userID string, c FavoriteColor) error
	// ApplyWebhook records the delivery's svix-id and applies its change in one
	// transaction: a redelivery (same svix-id, to this replica or another one)
	// changes nothing and reports WebhookDuplicate, and a change that fails
	// leaves the id unrecorded so that Svix's retry is applied.
	ApplyWebhook(ctx context.Context, msgID string, ch UserChange) (WebhookOutcome, error)
	// Ping reports whether the store can serve requests (for /healthz).
	Ping(ctx context.Context) error
	Close() error
}

// UserChange is what a Clerk webhook asks of the store. At most one field is
// set; neither for events the API does not act on (the id is still recorded).
type UserChange struct {
	// Upsert is user.created / user.updated. It is ignored (WebhookStale) when
	// the stored record has a newer Clerk updated_at, or the user was deleted:
	// Svix does not guarantee delivery order.
	Upsert *User
	// Delete is user.deleted's user id: the user and their data go, and a
	// tombstone keeps a late user.created/updated from bringing them back
	// (Clerk never reuses user ids).
	Delete string
}

// WebhookOutcome says what ApplyWebhook did.
type WebhookOutcome string

// The outcomes of ApplyWebhook.
const (
	WebhookApplied   WebhookOutcome = "applied"
	WebhookStale     WebhookOutcome = "stale"     // older than what is stored; recorded, not applied
	WebhookIgnored   WebhookOutcome = "ignored"   // an event the API does not act on; recorded
	WebhookDuplicate WebhookOutcome = "duplicate" // svix-id seen before; nothing changed
)

// ErrUserUnknown is SetColor's error for a user the store has no live record of.
var ErrUserUnknown = errors.New("user unknown")

// WebhookRetention is how long a store remembers svix-ids. Svix retries a
// failed delivery with the same id for about a day and a half; a replay beyond
// the timestamp tolerance is refused by its signature check anyway.
const WebhookRetention = 7 * 24 * time.Hour

// User is the API's copy of a Clerk user, kept in step by webhooks.
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	ImageURL  string `json:"image_url,omitempty"`
	CreatedAt int64  `json:"created_at"` // Clerk's, ms
	UpdatedAt int64  `json:"updated_at"` // Clerk's, ms
}

// FavoriteColor is the per-user data the API owns.
type FavoriteColor struct {
	Color     string `json:"color"` // "#rrggbb" or a CSS colour name, lower case
	Hex       string `json:"hex"`
	UpdatedAt int64  `json:"updated_at"` // ms
}
