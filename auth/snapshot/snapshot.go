// Package snapshot keeps what the signed-in screen needs between runs — the
// user's display fields, the session id and expiry, and the last protected-API
// answers shown — so the app can paint the signed-in screen at its first frame
// and stay useful offline. It never holds a token: a session token is minted on
// demand, and the client token has its own keychain entry.
//
// The snapshot is stored as one value in a Store (the keychain, under its own
// account name next to the client token), never in a file.
package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"deskclerk/auth/keychain"
)

// Store keeps one value. keychain.Store implements it.
type Store interface {
	Load(ctx context.Context) (string, error) // keychain.ErrNotFound when there is none
	Save(ctx context.Context, value string) error
	Delete(ctx context.Context) error
}

// version is written into each snapshot; another version reads as absent.
const version = 1

// MaxAnswerBody bounds each stored API answer, so the snapshot stays a few KB.
const MaxAnswerBody = 4 << 10

// Identity is the signed-in user and session as the page shows them.
type Identity struct {
	UserID           string    `json:"userId"`
	Name             string    `json:"name"`
	Email            string    `json:"email"`
	ImageURL         string    `json:"imageUrl"`
	SessionID        string    `json:"sessionId"`
	SessionExpiresAt time.Time `json:"sessionExpiresAt"`
}

// Answer is one protected-API answer as last shown.
type Answer struct {
	Status      int       `json:"status"`
	ContentType string    `json:"contentType,omitempty"`
	Body        string    `json:"body"`
	At          time.Time `json:"at"`
}

// Snapshot is the stored state.
type Snapshot struct {
	Version int `json:"v"`
	Identity
	ConfirmedAt time.Time         `json:"confirmedAt"` // last time the identity service vouched for the session
	Answers     map[string]Answer `json:"answers"`     // by "METHOD /path"
}

// Validate reports whether s can paint a signed-in screen.
func (i Identity) Validate() error {
	switch {
	case i.UserID == "":
		return errors.New("snapshot: no user id")
	case i.SessionID == "":
		return errors.New("snapshot: no session id")
	case len(i.Name)+len(i.Email)+len(i.ImageURL) > 4<<10:
		return errors.New("snapshot: display fields too long")
	}
	return nil
}

// Keeper holds the snapshot in memory and writes each change to the Store in
// the background, newest state last. Safe for concurrent use.
type Keeper struct {
	store Store
	log   *slog.Logger
	now   func() time.Time

	mu    sync.Mutex
	cur   *Snapshot // nil: none
	gen   uint64    // bumped on every change
	dirty chan struct{}

	saveMu  sync.Mutex // one Store write at a time; Forget holds it too
	saved   uint64     // gen of the last state written
	done    chan struct{}
	stopped chan struct{}
	closed  sync.Once
}

// Open reads the stored snapshot (a damaged or foreign one reads as none) and
// starts the background writer. Close stops it after a last write.
func Open(ctx context.Context, store Store, log *slog.Logger) *Keeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &Keeper{store: store, log: log, now: time.Now, dirty: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	if raw, err := store.Load(ctx); err == nil {
		var s Snapshot
		if jerr := json.Unmarshal([]byte(raw), &s); jerr != nil || s.Version != version || s.Validate() != nil {
			log.Warn("snapshot: stored snapshot unreadable, ignored")
		} else {
			k.cur = &s
		}
	}
	go k.writer()
	return k
}

// Get returns a copy of the snapshot, or false when there is none.
func (k *Keeper) Get() (Snapshot, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cur == nil {
		return Snapshot{}, false
	}
	return k.cur.clone(), true
}

func (s *Snapshot) clone() Snapshot {
	c := *s
	c.Answers = make(map[string]Answer, len(s.Answers))
	for k, v := range s.Answers {
		c.Answers[k] = v
	}
	return c
}

// Remember records the signed-in identity as confirmed now. A different user
// or session starts a fresh snapshot; the same one keeps its answers.
func (k *Keeper) Remember(id Identity) error {
	if err := id.Validate(); err != nil {
		return err
	}
	k.change(func(cur *Snapshot) *Snapshot {
		next := &Snapshot{Version: version, Identity: id, ConfirmedAt: k.now(), Answers: map[string]Answer{}}
		if cur != nil && cur.UserID == id.UserID && cur.SessionID == id.SessionID {
			next.Answers = cur.clone().Answers
		}
		return next
	})
	return nil
}

// Confirmed marks the stored session as vouched for now (a session token was
// minted for it). It does nothing when the snapshot is of another session.
func (k *Keeper) Confirmed(sessionID string) {
	k.change(func(cur *Snapshot) *Snapshot {
		if cur == nil || cur.SessionID != sessionID {
			return cur
		}
		next := cur.clone()
		next.ConfirmedAt = k.now()
		return &next
	})
}

// RecordAnswer keeps a successful API answer for the session's user. Answers
// for another user or session (a stale call) are dropped.
func (k *Keeper) RecordAnswer(userID, sessionID, key string, a Answer) {
	if a.Status < 200 || a.Status > 299 || len(a.Body) > MaxAnswerBody {
		return
	}
	k.change(func(cur *Snapshot) *Snapshot {
		if cur == nil || cur.UserID != userID || cur.SessionID != sessionID {
			return cur
		}
		next := cur.clone()
		if a.At.IsZero() {
			a.At = k.now()
		}
		next.Answers[key] = a
		return &next
	})
}

// change applies f and wakes the writer if anything changed.
func (k *Keeper) change(f func(*Snapshot) *Snapshot) {
	k.mu.Lock()
	next := f(k.cur)
	if next == k.cur {
		k.mu.Unlock()
		return
	}
	k.cur = next
	k.gen++
	k.mu.Unlock()
	select {
	case k.dirty <- struct{}{}:
	default:
	}
}

// Forget deletes the snapshot from memory and the Store, and waits for the
// deletion: after it returns nothing of the snapshot is left in the Store.
func (k *Keeper) Forget(ctx context.Context) error {
	k.saveMu.Lock()
	defer k.saveMu.Unlock()
	k.mu.Lock()
	k.cur = nil
	k.gen++
	gen := k.gen
	k.mu.Unlock()
	if err := k.store.Delete(ctx); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete the session snapshot: %w", err)
	}
	k.saved = gen
	return nil
}

// isNotFound: there was nothing to delete.
func isNotFound(err error) bool { return errors.Is(err, keychain.ErrNotFound) }

func (k *Keeper) writer() {
	defer close(k.stopped)
	for {
		select {
		case <-k.dirty:
			k.flush(context.Background())
		case <-k.done:
			k.flush(context.Background())
			return
		}
	}
}

// flush writes the current state if it is newer than the last one written.
func (k *Keeper) flush(ctx context.Context) {
	k.saveMu.Lock()
	defer k.saveMu.Unlock()
	k.mu.Lock()
	gen, cur := k.gen, k.cur
	var raw []byte
	if cur != nil {
		raw, _ = json.Marshal(cur)
	}
	k.mu.Unlock()
	if gen == k.saved {
		return
	}
	var err error
	if cur == nil {
		err = k.store.Delete(ctx)
		if isNotFound(err) {
			err = nil
		}
	} else {
		err = k.store.Save(ctx, string(raw))
	}
	if err != nil {
		// The in-memory snapshot still serves this run; the next change retries.
		k.log.Warn("snapshot: could not store", "err", err)
		return
	}
	k.saved = gen
}

// Flush writes any pending change now (tests, and before quitting).
func (k *Keeper) Flush(ctx context.Context) { k.flush(ctx) }

// Close writes any pending change and stops the writer.
func (k *Keeper) Close() {
	k.closed.Do(func() { close(k.done) })
	<-k.stopped
}
