package demoapi

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DBFile is the demo API's bbolt file name inside Config.Dir. The API keeps
// its own file, as a remote API would keep its own database.
const DBFile = "demoapi.db"

var (
	bucketUsers    = []byte("users")            // user id -> boltUser (synced from webhooks)
	bucketColors   = []byte("colors")           // user id -> FavoriteColor
	bucketMessages = []byte("webhook_messages") // svix-id -> received at (Unix ms, big-endian)
)

// boltUser is a stored user; a deleted one stays as a tombstone without its data.
type boltUser struct {
	User
	Deleted bool `json:"deleted,omitempty"`
}

// boltStore is the embedded default: one file, one process (bbolt locks it).
// Every write is one bbolt transaction, which also serialises writers.
type boltStore struct {
	db  *bolt.DB
	now func() time.Time
}

// OpenBolt opens (creating if needed) the bbolt database at path. Only one
// process can have it open; a second gets a clear "in use" error.
func OpenBolt(path string) (Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open demo API database %s: in use by another process", path)
		}
		return nil, fmt.Errorf("open demo API database %s: %w", path, err)
	}
	s := &boltStore{db: db, now: time.Now}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUsers, bucketColors, bucketMessages} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return s.prune(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open demo API database %s: %w", path, err)
	}
	return s, nil
}

// prune forgets svix-ids older than WebhookRetention (at open: the file
// serves one process, restarted now and then).
func (s *boltStore) prune(tx *bolt.Tx) error {
	cutoff := s.now().Add(-WebhookRetention).UnixMilli()
	b := tx.Bucket(bucketMessages)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) < cutoff {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range old {
		if err == nil {
			err = b.Delete(k)
		}
	}
	return err
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

func liveUser(tx *bolt.Tx, id string) (*User, error) {
	u, err := get[boltUser](tx, bucketUsers, id)
	if err != nil || u == nil || u.Deleted {
		return nil, err
	}
	return &u.User, nil
}

func (s *boltStore) User(_ context.Context, id string) (u *User, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		u, err = liveUser(tx, id)
		return err
	})
	return u, err
}

func (s *boltStore) Color(_ context.Context, userID string) (c *FavoriteColor, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c, err = get[FavoriteColor](tx, bucketColors, userID)
		return err
	})
	return c, err
}

func (s *boltStore) SetColor(_ context.Context, userID string, c FavoriteColor) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		u, err := liveUser(tx, userID)
		if err != nil {
			return err
		}
		if u == nil {
			return ErrUserUnknown
		}
		return put(tx, bucketColors, userID, c)
	})
}

func (s *boltStore) ApplyWebhook(_ context.Context, msgID string, ch UserChange) (out WebhookOutcome, err error) {
	if msgID == "" {
		return "", errors.New("apply webhook: empty svix-id")
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		if msgs.Get([]byte(msgID)) != nil {
			out = WebhookDuplicate
			return nil
		}
		at := binary.BigEndian.AppendUint64(nil, uint64(s.now().UnixMilli()))
		if err := msgs.Put([]byte(msgID), at); err != nil {
			return err
		}
		out, err = applyBolt(tx, ch)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("apply webhook %s: %w", msgID, err)
	}
	return out, nil
}

func applyBolt(tx *bolt.Tx, ch UserChange) (WebhookOutcome, error) {
	switch {
	case ch.Upsert != nil:
		old, err := get[boltUser](tx, bucketUsers, ch.Upsert.ID)
		if err != nil {
			return "", err
		}
		if old != nil && (old.Deleted || old.UpdatedAt > ch.Upsert.UpdatedAt) {
			return WebhookStale, nil
		}
		return WebhookApplied, put(tx, bucketUsers, ch.Upsert.ID, boltUser{User: *ch.Upsert})
	case ch.Delete != "":
		if err := put(tx, bucketUsers, ch.Delete, boltUser{User: User{ID: ch.Delete}, Deleted: true}); err != nil {
			return "", err
		}
		return WebhookApplied, tx.Bucket(bucketColors).Delete([]byte(ch.Delete))
	}
	return WebhookIgnored, nil
}

func (s *boltStore) Ping(context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}

func (s *boltStore) Close() error { return s.db.Close() }
