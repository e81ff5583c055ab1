package keychain

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Every backend call goes through call. go-keyring takes no context and a
// Secret Service can leave a call unanswered forever, so the call runs on its
// own goroutine and the caller stops waiting at the context's deadline.
//
// The gate admits one backend call at a time and is released only when the
// call really returns. So a hung call strands exactly one goroutine (later
// calls time out waiting for the gate instead of piling up), and a call that
// completes late still lands before any later call: keychain writes are never
// reordered by a timeout.

type callResult struct {
	v   string
	err error
}

func (s *Store) call(ctx context.Context, what string, fn func(Backend) (string, error), secrets ...string) (string, error) {
	if ctx.Err() != nil {
		return "", s.ctxErr(ctx, what)
	}
	gate, b := s.gate, s.backend
	select {
	case gate <- struct{}{}:
	case <-ctx.Done():
		return "", s.ctxErr(ctx, what+" (an earlier keychain call has not returned)")
	}
	done := make(chan callResult, 1)
	go func() {
		defer func() { <-gate }()
		defer func() {
			if r := recover(); r != nil {
				done <- callResult{err: fmt.Errorf("keychain backend panicked: %v", r)}
			}
		}()
		v, err := fn(b)
		done <- callResult{v, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			return r.v, nil
		}
		if errors.Is(r.err, ErrNotFound) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("%s %s: %w: %w", s.name, what, ErrUnavailable, sanitize(r.err, secrets...))
	case <-ctx.Done():
		return "", s.ctxErr(ctx, what)
	}
}

func (s *Store) get(ctx context.Context, what, user string) (string, error) {
	return s.call(ctx, what, func(b Backend) (string, error) { return b.Get(s.service, user) })
}

func (s *Store) set(ctx context.Context, what, user, payload string, secrets ...string) error {
	_, err := s.call(ctx, what, func(b Backend) (string, error) { return "", b.Set(s.service, user, payload) },
		append(secrets, payload)...)
	return err
}

func (s *Store) del(ctx context.Context, what, user string) error {
	_, err := s.call(ctx, what, func(b Backend) (string, error) { return "", b.Delete(s.service, user) })
	return err
}

func (s *Store) ctxErr(ctx context.Context, what string) error {
	s.mu.Lock()
	name := s.name // the Store may move onto another backend (retry.go)
	s.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w (limit %v): %w", name, what, ErrTimeout, s.timeout, ctx.Err())
	}
	return fmt.Errorf("%s %s: %w", name, what, ctx.Err())
}

// errWithheld replaces a backend error whose text contains the value being
// stored: such text must not reach logs or the UI.
var errWithheld = errors.New("error text withheld because it contained the stored value")

func sanitize(err error, secrets ...string) error {
	msg := err.Error()
	for _, sec := range secrets {
		if len(sec) >= 8 && strings.Contains(msg, sec) {
			return errWithheld
		}
	}
	return err
}
