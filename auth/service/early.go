package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/auth/snapshot"
	"deskclerk/internal/config"
)

// Early is the keychain read made at process start, while the window is still
// being created: the client token and the session snapshot. The page's first
// frame needs only the snapshot, so it need not wait for the rest of the auth
// stack (the local stand-in, the verifier); StartWith takes both stores over.
// Reading is all it does: nothing is written until the stack is up.
type Early struct {
	host  string // the Frontend API host whose entries were read; "" if none could be named
	done  chan struct{}
	store *keychain.Store
	snaps *snapshot.Keeper

	mu    sync.Mutex
	taken bool // StartWith took the stores over: they close with the Service
}

// OpenEarly starts reading the keychain entries of the instance cfg names in the
// background. localHost is the Frontend API host of the local stand-in, for a
// configuration that uses it (development builds; "" in release builds). When
// the host cannot be named yet (a bad key), nothing is read and StartWith
// reports the error as before.
func OpenEarly(ctx context.Context, cfg config.Config, localHost string, log *slog.Logger, backend keychain.Backend) *Early {
	e := &Early{done: make(chan struct{})}
	host := localHost
	if !cfg.UseEmulator() {
		inst, err := instanceFor(cfg)
		if err != nil {
			host = ""
		} else {
			host = inst.FrontendAPI
		}
	}
	if host == "" {
		close(e.done)
		return e
	}
	e.host = host
	go func() {
		defer close(e.done)
		t := time.Now()
		e.store, e.snaps = openStores(ctx, cfg, host, log, backend)
		log.Debug("keychain read at start", "took", time.Since(t))
	}()
	return e
}

// openStores reads the client token's and the snapshot's entries in parallel.
func openStores(ctx context.Context, cfg config.Config, host string, log *slog.Logger, backend keychain.Backend) (*keychain.Store, *snapshot.Keeper) {
	snapDone := make(chan *snapshot.Keeper, 1)
	go func() {
		st := keychain.Open(ctx, keychain.Options{App: KeychainApp(cfg), Instance: host, Account: SnapshotAccount, Backend: backend, Logger: log.With("component", "keychain")})
		snapDone <- snapshot.Open(ctx, st, log.With("component", "snapshot"))
	}()
	store := keychain.Open(ctx, keychain.Options{App: KeychainApp(cfg), Instance: host, Backend: backend, Logger: log.With("component", "keychain")})
	return store, <-snapDone
}

// Snapshot returns the stored snapshot, waiting at most wait for the keychain
// read; false when there is none or the read has not finished.
func (e *Early) Snapshot(wait time.Duration) (snapshot.Snapshot, bool) {
	if e == nil {
		return snapshot.Snapshot{}, false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-e.done:
	case <-t.C:
		return snapshot.Snapshot{}, false
	}
	if e.snaps == nil {
		return snapshot.Snapshot{}, false
	}
	return e.snaps.Get()
}

// Host is the Frontend API host whose entries were read ("" if none).
func (e *Early) Host() string {
	if e == nil {
		return ""
	}
	return e.host
}

// take hands the stores to a Service starting for host; false when they were
// read for another host or not at all (the Service then reads its own).
func (e *Early) take(host string) (*keychain.Store, *snapshot.Keeper, bool) {
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.taken || e.store == nil || e.host != host {
		return nil, nil, false
	}
	e.taken = true
	return e.store, e.snaps, true
}

// Close stops the stores unless a Service took them over (it closes them).
func (e *Early) Close() {
	if e == nil {
		return
	}
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.taken || e.store == nil {
		return
	}
	e.taken = true
	e.store.Close()
	e.snaps.Close()
}

// Read reports whether the keychain read has finished.
func (e *Early) Read() bool {
	if e == nil {
		return false
	}
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
