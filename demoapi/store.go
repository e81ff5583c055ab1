package demoapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DBFile is the demo API's database file name inside Config.Dir. The API keeps
// its own file, as a remote API would keep its own database.
const DBFile = "demoapi.db"

var (
	bucketUsers    = []byte("users")    // user id -> User (synced from webhooks)
	bucketColors   = []byte("colors")   // user id -> FavoriteColor
	bucketWebhooks = []byte("webhooks") // svix-id -> when it was applied (Unix seconds, decimal)
)

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

type store struct{ db *bolt.DB }

func openStore(path string) (*store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open demo API database %s: in use by another process", path)
		}
		return nil, fmt.Errorf("open demo API database %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUsers, bucketColors, bucketWebhooks} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open demo API database %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func get[T any](tx *bolt.Tx, bucket []byte, key string) (*T, error) {
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return &v, nil
}

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), raw)
}

func (s *store) user(id string) (u *User, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		u, err = get[User](tx, bucketUsers, id)
		return err
	})
	return u, err
}

// upsertUser stores u unless a newer version is already there (webhooks can
// be redelivered); reports whether it wrote.
func (s *store) upsertUser(u *User) (wrote bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		old, err := get[User](tx, bucketUsers, u.ID)
		if err != nil {
			return err
		}
		if old != nil && old.UpdatedAt > u.UpdatedAt {
			return nil
		}
		wrote = true
		return put(tx, bucketUsers, u.ID, u)
	})
	return wrote, err
}

// deleteUser removes the user and everything the API keeps for them.
func (s *store) deleteUser(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketUsers).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketColors).Delete([]byte(id))
	})
}

func (s *store) color(userID string) (c *FavoriteColor, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c, err = get[FavoriteColor](tx, bucketColors, userID)
		return err
	})
	return c, err
}

func (s *store) setColor(userID string, c FavoriteColor) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketColors, userID, c) })
}

// seen records svixID as delivered at now and reports whether it already was:
// Svix redelivers a message with the same svix-id, and a captured delivery can be
// replayed while its timestamp is within the tolerance. IDs older than keep are
// dropped (their deliveries fail the timestamp check anyway).
func (s *store) seen(svixID string, now time.Time, keep time.Duration) (dup bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b.Get([]byte(svixID)) != nil {
			dup = true
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if at, err := strconv.ParseInt(string(v), 10, 64); err != nil || now.Sub(time.Unix(at, 0)) > keep {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return b.Put([]byte(svixID), []byte(strconv.FormatInt(now.Unix(), 10)))
	})
	return dup, err
}

// unsee forgets svixID after its delivery could not be applied, so that the
// sender's retry is applied.
func (s *store) unsee(svixID string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketWebhooks).Delete([]byte(svixID)) })
}
