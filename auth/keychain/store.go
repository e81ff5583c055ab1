package keychain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"
)

// Store keeps one value (the refresh state) in a keychain. It is safe for
// concurrent use. Create it with Open.
type Store struct {
	opts    Options // defaults applied
	service string
	log     *slog.Logger
	timeout time.Duration

	// Set by Open before the Store is shared, then read-only.
	backend     Backend
	name        string
	persistent  bool  // the backend outlives the process
	fallbackErr error // why the Store is memory only; nil otherwise

	gate chan struct{} // one backend call at a time (see call.go)
	ops  chan struct{} // one read or write protocol at a time

	mu          sync.Mutex
	seq         uint64 // Save and Delete calls so far; a call's number is taken on entry
	known       bool   // want is the current state (set by Save/Delete or by a completed read)
	want        state
	persisted   uint64 // highest call number whose state is known to be in the keychain
	stored      state  // what the keychain holds, when storedKnown
	storedKnown bool
	writeFailed bool  // the newest state did not reach the keychain
	lastErr     error // last keychain error; cleared by the next success

	enterHook func(seq uint64) // tests only: runs after a Save/Delete took its number

	// While the keychain has not answered since Open (see retry.go); under mu.
	retrying bool
	real     realKeychain // the keychain being retried
	stop     chan struct{}
	stopOnce sync.Once
	settled  chan struct{} // closed when the retry loop has ended
}

type state struct {
	present bool
	value   string
}

func (st state) result() (string, error) {
	if !st.present {
		return "", ErrNotFound
	}
	return st.value, nil
}

// Open returns a Store for opts. It probes the keychain once by reading the
// stored value (bounded by opts.Timeout and ctx) and caches what it read. If
// opts are invalid, the Store keeps the state in memory for this run only and
// says so in Health. If the keychain fails (unreachable, locked, timed out),
// the Store works from memory and keeps trying the keychain in the background;
// once it answers, the Store moves onto it and applies what happened meanwhile
// (see retry.go). Open itself never fails and never hangs; Close stops the retries. A damaged entry does not cause the
// fallback: the keychain works, the state just reads as absent (Health shows
// why) and the next Save replaces it.
func Open(ctx context.Context, opts Options) *Store {
	o := opts.withDefaults()
	s := &Store{
		opts:    o,
		service: o.ServiceName(),
		log:     o.Logger,
		timeout: o.Timeout,
		gate:    make(chan struct{}, 1),
		ops:     make(chan struct{}, 1),
	}
	if err := opts.Validate(); err != nil {
		s.fallback(err)
		return s
	}
	s.backend = o.Backend
	s.name = backendName(o.Backend)
	s.persistent = s.name != BackendMemoryOnly
	_, err := s.Load(ctx)
	switch {
	case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrCorrupt):
	default:
		real := realKeychain{backend: s.backend, name: s.name, gate: s.gate}
		s.fallback(err)
		s.startRetry(real)
	}
	return s
}

// fallback switches to memory only. Called by Open before the Store is shared.
func (s *Store) fallback(err error) {
	s.log.Warn("keychain unavailable: sign-in will not survive a restart", "backend", s.name, "service", s.service, "err", err)
	s.backend = NewMemoryBackend()
	s.name = BackendMemoryOnly
	s.persistent = false
	s.fallbackErr = err
	s.lastErr = nil
	s.gate = make(chan struct{}, 1) // a hung probe may hold the old gate forever
	s.known, s.want = true, state{}
	s.stored, s.storedKnown = state{}, true
}

// Load returns the stored value, or ErrNotFound. After the first successful
// read (done by Open) it answers from memory: the Store assumes it is the only
// writer of its entries, so a value saved by another process while this one
// runs is not seen until the next Open.
func (s *Store) Load(ctx context.Context) (string, error) {
	if st, ok := s.cached(); ok {
		return st.result()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.acquire(ctx); err != nil {
		s.note(err, false)
		return "", fmt.Errorf("keychain load: %w", err)
	}
	defer s.release()
	if st, ok := s.cached(); ok {
		return st.result()
	}
	st, clean, err := s.read(ctx)
	corrupt := errors.Is(err, ErrCorrupt)
	if err != nil && !corrupt {
		s.note(err, false)
		return "", fmt.Errorf("keychain load: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
	if corrupt {
		// Remember "absent" so every later Load does not pay for the same
		// damaged entry; the next Save overwrites it.
		s.log.Warn("keychain entry unreadable; treating as signed out", "service", s.service, "err", err)
		st = state{}
	}
	if !s.known { // no Save or Delete arrived while reading
		s.want, s.known = st, true
		s.persisted = s.seq
		s.stored, s.storedKnown = st, clean
	}
	if corrupt {
		return "", fmt.Errorf("keychain load: %w", err)
	}
	return s.want.result()
}

// Save stores value (a client token) as the newest state.
//
// Ordering: each call takes a number when it is entered. The state of the
// most recent call always wins: a call that gets to write writes the newest
// state known at that moment (not necessarily its own), and a call whose
// state has already been superseded and persisted by a later call returns nil
// without writing. So racing rotations never let an older token overwrite a
// newer one, and bursts collapse into few keychain writes. Load sees the new
// value as soon as Save is entered.
//
// Saving the value already stored costs no keychain write. On error the value
// is still kept in memory (Load returns it) and Health reports that it will
// not survive a restart; a later Save or Delete retries.
func (s *Store) Save(ctx context.Context, value string) error {
	if err := validateValue(value); err != nil {
		return err
	}
	return s.sync(ctx, s.enter(state{present: true, value: value}), "save")
}

// Delete removes the stored state: the manifest and every chunk. It is
// ordered with Save calls like Save calls are among themselves, and deleting
// nothing is not an error. Once the state reads as deleted, Delete succeeds
// even if some chunks could not be removed yet (logged); they stay listed in
// the keychain and the next Save or Delete removes them.
func (s *Store) Delete(ctx context.Context) error {
	return s.sync(ctx, s.enter(state{}), "delete")
}

func validateValue(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty (use Delete to remove the state)", ErrInvalidValue)
	case len(v) > MaxValueSize:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidValue, len(v), MaxValueSize)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidValue)
	}
	return nil
}

func (s *Store) enter(st state) uint64 {
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.want, s.known = st, true
	hook := s.enterHook
	s.mu.Unlock()
	if hook != nil {
		hook(seq)
	}
	return seq
}

func (s *Store) cached() (state, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.want, s.known
}

// sync makes the keychain hold the newest state, unless a later call already
// did so (see Save).
func (s *Store) sync(ctx context.Context, seq uint64, op string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.acquire(ctx); err != nil {
		s.note(err, true)
		return fmt.Errorf("keychain %s: %w", op, err)
	}
	defer s.release()

	s.mu.Lock()
	if s.persisted >= seq {
		s.mu.Unlock()
		return nil
	}
	target, targetSeq := s.want, s.seq
	unchanged := s.storedKnown && s.stored == target
	s.mu.Unlock()

	clean, err := true, error(nil)
	if !unchanged {
		clean, err = s.write(ctx, target)
	}

	s.mu.Lock()
	if err == nil {
		s.persisted = max(s.persisted, targetSeq)
		s.stored, s.storedKnown = target, clean
	} else {
		s.storedKnown = false // a timed-out write may still land
	}
	s.mu.Unlock()
	s.note(err, true)
	if err != nil {
		s.log.Warn("keychain write failed: the newest sign-in state is only in memory", "op", op, "service", s.service, "err", err)
		return fmt.Errorf("keychain %s: %w", op, err)
	}
	return nil
}

// note records the outcome of a keychain operation for Health.
func (s *Store) note(err error, write bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
	if write {
		s.writeFailed = err != nil
	}
}

func (s *Store) acquire(ctx context.Context) error {
	if ctx.Err() != nil {
		return s.ctxErr(ctx, "start")
	}
	select {
	case s.ops <- struct{}{}:
		return nil
	case <-ctx.Done():
		return s.ctxErr(ctx, "wait for another keychain operation")
	}
}

func (s *Store) release() { <-s.ops }
