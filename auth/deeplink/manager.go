// Package deeplink receives Clerk's social / SSO sign-in redirect through the app's
// own URL scheme (deskclerk://oauth-callback), the transport a production Clerk
// instance accepts: production FAPI sends the rotating_token_nonce only to redirect
// URLs on the instance's allowlist, which takes "the full URL … prefixed with https://
// or a custom scheme" (clerk/openapi-specs bapi POST /redirect_urls). Clerk's own
// Electron SDK does the same (clerk/javascript packages/electron/src/main/oauth-transport.ts).
//
// The OS hands the URL to a new process of the app; the single-instance lock passes
// that process's arguments to the running one, which calls Manager.Deliver. Those
// arguments are untrusted: any program can launch the app with any URL. So Deliver acts
// only on exactly one argument that Match accepts for the flow now waiting — right
// scheme, host and path, and the flow's random state, compared in constant time — and
// only once. Everything else is ignored and logged with a reason and Redacted(arg).
//
// Manager has the same shape as loopback.Manager (Begin, Open, Status, Cancel, Close)
// and returns loopback's Result, Status and errors, so the app can use either.
package deeplink

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"deskclerk/auth/browseropen"
	"deskclerk/auth/loopback"
)

// DefaultHost is the redirect URL's host: deskclerk://oauth-callback.
const DefaultHost = "oauth-callback"

// Config configures a Manager.
type Config struct {
	// Scheme is the app's URL scheme, e.g. "deskclerk" (see ValidScheme).
	Scheme string
	// Host is the redirect URL's host; "" means DefaultHost.
	Host string
	// Timeout bounds the wait for the browser; 0 means loopback.DefaultTimeout.
	Timeout time.Duration
	// Opener opens Clerk's sign-in URL; nil means browseropen.System{} (https only).
	Opener loopback.Opener
	// OnOpenFailed, if set, is called (from a goroutine) when the browser could not be
	// opened; the flow keeps waiting for the person to open the URL by hand.
	OnOpenFailed func(authURL string, err error)
	// OnDone, if set, runs once when a flow ends for any reason (bring the window to
	// the front). Keep it short.
	OnDone func(loopback.Result, error)
	// Logger receives reasons, never a state, nonce or query. Nil discards.
	Logger *slog.Logger
}

// Manager runs at most one flow at a time. Safe for concurrent use.
type Manager struct {
	cfg    Config
	opener loopback.Opener
	log    *slog.Logger

	mu     sync.Mutex
	closed bool
	cur    *flow
}

type flow struct {
	state    string
	redirect string
	opened   bool
	ended    bool
	deadline time.Time
	timer    *time.Timer
	done     chan struct{}
	res      loopback.Result
	err      error
	authURL  string // set when opening failed, for the copy fallback
	openErr  error
}

// NewManager returns an idle Manager, or an error for an unusable scheme or host.
func NewManager(cfg Config) (*Manager, error) {
	if !ValidScheme(cfg.Scheme) {
		return nil, fmt.Errorf("deeplink: %q is not a usable URL scheme", cfg.Scheme)
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if !hostSyntax.MatchString(cfg.Host) {
		return nil, fmt.Errorf("deeplink: %q is not a usable callback host", cfg.Host)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = loopback.DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	op := cfg.Opener
	if op == nil {
		op = browseropen.System{}
	}
	return &Manager{cfg: cfg, opener: op, log: log}, nil
}

// BaseURL is the redirect URL without the flow's state, the one to allowlist in the
// Clerk Dashboard: deskclerk://oauth-callback.
func (m *Manager) BaseURL() string { return m.cfg.Scheme + "://" + m.cfg.Host }

// Begin starts a flow and returns its redirect URL, BaseURL()?deskclerk_state=<random>.
// A flow whose browser was never opened is reused (same URL, countdown restarted); one
// whose browser is out on Clerk's page makes Begin return loopback.ErrBusy.
func (m *Manager) Begin() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return "", fmt.Errorf("%w: manager closed", loopback.ErrCanceled)
	}
	if f := m.cur; f != nil && !f.ended {
		if f.opened {
			return "", loopback.ErrBusy
		}
		m.extendLocked(f)
		return f.redirect, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("deeplink: generate state: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(b[:])
	f := &flow{
		state:    state,
		redirect: m.BaseURL() + "?" + url.Values{StateParam: {state}}.Encode(),
		done:     make(chan struct{}),
	}
	f.deadline = time.Now().Add(m.cfg.Timeout)
	f.timer = time.AfterFunc(m.cfg.Timeout, func() { m.finish(f, loopback.Result{}, loopback.ErrTimeout) })
	m.cur = f
	m.log.Debug("deeplink: flow started")
	return f.redirect, nil
}

func (m *Manager) extendLocked(f *flow) {
	f.deadline = time.Now().Add(m.cfg.Timeout)
	f.timer.Reset(m.cfg.Timeout)
}

// finish decides f's outcome once; later calls change nothing and report false.
func (m *Manager) finish(f *flow, res loopback.Result, err error) bool {
	m.mu.Lock()
	if f.ended {
		m.mu.Unlock()
		return false
	}
	f.ended, f.res, f.err = true, res, err
	f.timer.Stop()
	m.mu.Unlock()
	m.log.Debug("deeplink: flow ended", "result", res, "err", err)
	if m.cfg.OnDone != nil {
		m.cfg.OnDone(res, err)
	}
	close(f.done)
	return true
}

// Open hands authURL to the Opener (in its own goroutine) and waits for the callback.
// Like loopback.Manager.Open it returns a nil error when a valid callback arrived, even
// one reporting a failure (Result.Err). If ctx ends first it returns ctx.Err() and the
// flow keeps waiting.
func (m *Manager) Open(ctx context.Context, authURL string) (loopback.Result, error) {
	m.mu.Lock()
	f := m.cur
	switch {
	case f == nil:
		m.mu.Unlock()
		return loopback.Result{}, loopback.ErrNoFlow
	case f.ended:
		m.mu.Unlock()
		return f.wait(ctx)
	case f.opened:
		m.mu.Unlock()
		return loopback.Result{}, loopback.ErrBusy
	}
	f.opened = true
	m.extendLocked(f)
	m.mu.Unlock()
	go m.launch(f, authURL)
	return f.wait(ctx)
}

func (f *flow) wait(ctx context.Context) (loopback.Result, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return loopback.Result{}, ctx.Err()
	}
}

func (m *Manager) launch(f *flow, authURL string) {
	err := m.opener.Open(authURL)
	if err == nil {
		return
	}
	if errors.Is(err, browseropen.ErrUnsafeURL) {
		m.finish(f, loopback.Result{}, fmt.Errorf("deeplink: refusing to open the sign-in URL: %w", err))
		return
	}
	m.mu.Lock()
	f.authURL, f.openErr = authURL, err
	ended := f.ended
	m.mu.Unlock()
	if !ended && m.cfg.OnOpenFailed != nil {
		m.cfg.OnOpenFailed(authURL, err)
	}
}

// Deliver is given the arguments of a second launch of the app (or the URL macOS
// passes to an open-URL handler). It completes the waiting flow if args is exactly one
// URL that Match accepts for it, and reports whether it did. Anything else — no flow
// waiting, a finished flow, a replay, a wrong state, more or other arguments — changes
// nothing and is logged with a reason and the redacted argument.
func (m *Manager) Deliver(args []string) bool {
	if len(args) != 1 {
		m.log.Info("deeplink: launch ignored", "reason", "argument_count", "args", len(args))
		return false
	}
	arg := args[0]
	m.mu.Lock()
	f := m.cur
	if f == nil || f.ended || m.closed {
		m.mu.Unlock()
		m.log.Info("deeplink: launch ignored", "reason", "no_flow_waiting", "arg", Redacted(arg))
		return false
	}
	state := f.state
	m.mu.Unlock()
	res, reason := Match(arg, m.cfg.Scheme, m.cfg.Host, state)
	if reason != "" {
		m.log.Info("deeplink: launch ignored", "reason", reason, "arg", Redacted(arg))
		return false
	}
	if !m.finish(f, res, nil) {
		m.log.Info("deeplink: launch ignored", "reason", "flow_ended", "arg", Redacted(arg))
		return false
	}
	m.log.Info("deeplink: callback accepted", "failed", res.Failed, "code", res.ErrorCode)
	return true
}

// Cancel ends the current flow with loopback.ErrCanceled, or returns loopback.ErrNoFlow.
func (m *Manager) Cancel() error {
	m.mu.Lock()
	f := m.cur
	m.mu.Unlock()
	if f == nil || !m.finish(f, loopback.Result{}, loopback.ErrCanceled) {
		return loopback.ErrNoFlow
	}
	return nil
}

// Close cancels any flow and refuses new ones.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	f := m.cur
	m.mu.Unlock()
	if f != nil {
		m.finish(f, loopback.Result{}, fmt.Errorf("%w: manager closed", loopback.ErrCanceled))
	}
}

// Status reports the current flow for the window's countdown and copy fallback.
func (m *Manager) Status() loopback.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.cur
	if f == nil || f.ended {
		return loopback.Status{}
	}
	st := loopback.Status{Active: true, Opened: f.opened, Deadline: f.deadline, DeadlineUnixMilli: f.deadline.UnixMilli()}
	if f.openErr != nil {
		st.OpenFailed, st.ManualURL = true, f.authURL
		st.OpenError = "The system browser could not be opened. Copy the link and open it in your browser."
	}
	return st
}
