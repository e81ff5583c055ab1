package keychain

import (
	"context"
	"errors"
	"time"
)

// A keychain that does not answer at start-up (an unlock prompt left open, a
// slow Secret Service) must not cost the person their sign-out: if the Store
// stayed in memory for the whole run, signing out would clear only memory and
// the next launch would restore the old session. So the Store keeps reading the
// keychain in the background. Once a read succeeds it moves onto the keychain
// and makes it hold the newest state: if Save or Delete was called meanwhile,
// that state is written (Saves and Deletes are ordered, and the newest one wins,
// so this is the same as applying them in order); if not, what the keychain
// holds becomes the state. Until then Health reports the pending save or delete.

// realKeychain is the keychain being retried: its backend and the gate of its
// calls (a call from the failed probe may still hold it).
type realKeychain struct {
	backend Backend
	name    string
	gate    chan struct{}
}

func (s *Store) startRetry(real realKeychain) {
	s.mu.Lock()
	s.retrying, s.real = true, real
	s.mu.Unlock()
	s.stop = make(chan struct{})
	s.settled = make(chan struct{})
	go s.retryLoop(real)
}

// Close stops retrying an unanswered keychain. The Store stays usable.
func (s *Store) Close() {
	if s.stop == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.settled
}

func (s *Store) retryLoop(real realKeychain) {
	defer close(s.settled)
	wait := s.opts.RetryInterval
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryInterval)
		// A Store of its own for the read: the same entries, the real keychain.
		probe := &Store{opts: s.opts, service: s.service, log: s.log, timeout: s.timeout,
			backend: real.backend, name: real.name, gate: real.gate}
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		st, clean, err := probe.read(ctx)
		cancel()
		if err != nil && !errors.Is(err, ErrCorrupt) {
			s.log.Debug("keychain still not answering", "backend", real.name, "service", s.service, "err", err)
			s.note(err, false)
			continue
		}
		if errors.Is(err, ErrCorrupt) {
			st, clean = state{}, false // as Load does: absent, and the next write replaces it
		}
		s.adopt(real, st, clean)
		return
	}
}

// adopt moves the Store onto the keychain that has just answered with st, then
// writes the newest state if Save or Delete was called while it was away.
func (s *Store) adopt(real realKeychain, st state, clean bool) {
	// Wait for the memory-only operation in progress, if any; none starts meanwhile.
	s.ops <- struct{}{}
	s.mu.Lock()
	s.backend, s.name, s.gate, s.persistent = real.backend, real.name, real.gate, true
	s.fallbackErr, s.lastErr, s.writeFailed, s.retrying = nil, nil, false, false
	s.stored, s.storedKnown = st, clean
	s.persisted = 0 // nothing saved in memory is in the keychain yet
	pending := s.seq
	if pending == 0 {
		s.want, s.known = st, true // nothing happened meanwhile: the keychain's state stands
	}
	s.mu.Unlock()
	s.release()
	s.log.Info("keychain answered; sign-in state is kept there again", "backend", real.name, "service", s.service, "pending", pending > 0)
	if pending == 0 {
		return
	}
	// The newest state wins, exactly as for racing Saves (see Save).
	ctx := context.Background()
	if err := s.sync(ctx, pending, "apply pending"); err != nil {
		s.log.Warn("keychain: could not apply the sign-in changes made while it was not answering", "service", s.service, "err", err)
	}
}
