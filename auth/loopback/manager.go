package loopback

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"deskclerk/auth/browseropen"
)

// Opener opens a URL in the system browser. browseropen.System implements it; tests and
// the end-to-end harness pass a scripted browser.
type Opener interface {
	Open(url string) error
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(url string) error

// Open calls fn(url).
func (fn OpenerFunc) Open(url string) error { return fn(url) }

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// Options apply to every flow.
	Options Options
	// Opener opens Clerk's sign-in URL; nil means browseropen.System{} (https only).
	// For the local emulator pass browseropen.System{AllowHTTPLoopback: true}.
	Opener Opener
	// OnOpenFailed, if set, is called (from a goroutine) when the browser could not be
	// opened. The flow keeps waiting: show authURL with a Copy button, and the flow
	// completes when the person opens it by hand. Not called for URLs the Opener
	// rejected as unsafe (those end the flow instead).
	OnOpenFailed func(authURL string, err error)
}

// Manager runs at most one flow at a time and maps ClerkJS's OAuth transport onto it:
//
//	getRedirectUrl() → Manager.Begin
//	open(url)        → Manager.Open, resolving to {callbackUrl: Result.CallbackURL}
//
// plus Status (countdown, "copy this URL" fallback) and Cancel for the window. The app
// holds one Manager for its lifetime and calls Close on shutdown. Safe for concurrent use.
type Manager struct {
	opts         Options
	opener       Opener
	onOpenFailed func(string, error)

	ctx    context.Context // bounds every flow; canceled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	cur    *attempt
}

// attempt is the Manager's view of its current flow.
type attempt struct {
	flow    *Flow
	opened  bool   // Open was called: the browser is (or should be) on Clerk's page
	authURL string // set when opening failed, for the copy fallback
	openErr error
}

// NewManager returns an idle Manager.
func NewManager(cfg ManagerConfig) *Manager {
	ctx, cancel := context.WithCancel(context.Background())
	op := cfg.Opener
	if op == nil {
		op = browseropen.System{}
	}
	return &Manager{opts: cfg.Options, opener: op, onOpenFailed: cfg.OnOpenFailed, ctx: ctx, cancel: cancel}
}

func (m *Manager) timeout() time.Duration {
	if m.opts.Timeout > 0 {
		return m.opts.Timeout
	}
	return DefaultTimeout
}

// Begin starts a flow and returns its redirect URL. If a flow was begun but its browser
// was never opened — ClerkJS asked for the redirect URL and then failed to create the
// sign-in, or a double click — that flow is reused (same URL, countdown restarted)
// rather than refused, so one failed attempt does not lock social sign-in for minutes.
// If the browser is already out on Clerk's page, Begin returns ErrBusy.
func (m *Manager) Begin() (string, error) {
	for {
		url, closing, err := m.tryBegin()
		if closing == nil {
			return url, err
		}
		// The previous flow timed out or was canceled and its listener is still closing
		// (at most shutdownGrace): wait until the Manager has forgotten it.
		<-closing
	}
}

// tryBegin does Begin's work under the lock, or returns the Done channel of an ended
// flow that must be waited for first.
func (m *Manager) tryBegin() (string, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return "", nil, fmt.Errorf("%w: manager closed", ErrCanceled)
	}
	if c := m.cur; c != nil {
		switch {
		case c.flow.Ended():
			return "", c.flow.Done(), nil
		case c.opened:
			return "", nil, ErrBusy
		}
		c.flow.extend(m.timeout())
		return c.flow.RedirectURL(), nil, nil
	}
	c := &attempt{}
	f, err := start(m.ctx, m.opts, func(Result, error) { m.clear(c) })
	if err != nil {
		return "", nil, err
	}
	c.flow = f
	m.cur = c
	return f.RedirectURL(), nil, nil
}

// clear forgets c once its flow has ended (a newer attempt is left alone).
func (m *Manager) clear(c *attempt) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == c {
		m.cur = nil
	}
}

// Open hands authURL (Clerk's external verification URL) to the Opener and waits for the
// callback, restarting the countdown. The Opener runs in its own goroutine, so a
// launcher that blocks while the browser runs does not hold up the flow. If it fails,
// OnOpenFailed is told and the flow keeps waiting for the person to open the URL by
// hand. If the Opener rejects the URL as unsafe, the flow ends with that error.
//
// Like Flow.Wait, Open returns a nil error when a valid callback arrived, even if Clerk
// reported a failure (Result.Err). If ctx ends first Open returns ctx.Err() and the
// flow keeps running.
func (m *Manager) Open(ctx context.Context, authURL string) (Result, error) {
	m.mu.Lock()
	c := m.cur
	switch {
	case c == nil:
		m.mu.Unlock()
		return Result{}, ErrNoFlow
	case c.flow.Ended():
		// It timed out or was canceled before the browser was opened: report that.
		m.mu.Unlock()
		return c.flow.Wait(ctx)
	case c.opened:
		m.mu.Unlock()
		return Result{}, ErrBusy
	}
	c.opened = true
	c.flow.extend(m.timeout())
	m.mu.Unlock()

	go m.launch(c, authURL)
	return c.flow.Wait(ctx)
}

func (m *Manager) launch(c *attempt, authURL string) {
	if c.flow.Ended() {
		return // canceled before the browser was even started
	}
	err := m.opener.Open(authURL)
	if err == nil {
		return
	}
	if errors.Is(err, browseropen.ErrUnsafeURL) {
		c.flow.finish(Result{}, fmt.Errorf("loopback: refusing to open the sign-in URL: %w", err))
		return
	}
	m.mu.Lock()
	c.authURL, c.openErr = authURL, err
	m.mu.Unlock()
	if c.flow.Ended() || m.onOpenFailed == nil {
		return
	}
	m.onOpenFailed(authURL, err)
}

// Wait waits for the current flow; see Flow.Wait.
func (m *Manager) Wait(ctx context.Context) (Result, error) {
	m.mu.Lock()
	c := m.cur
	m.mu.Unlock()
	if c == nil {
		return Result{}, ErrNoFlow
	}
	return c.flow.Wait(ctx)
}

// Cancel ends the current flow with ErrCanceled (the window's Cancel button). It returns
// ErrNoFlow when there is nothing to cancel.
func (m *Manager) Cancel() error {
	m.mu.Lock()
	c := m.cur
	m.mu.Unlock()
	if c == nil {
		return ErrNoFlow
	}
	c.flow.Cancel()
	return nil
}

// Close cancels any flow and refuses new ones. Call it when the app shuts down.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	c := m.cur
	m.mu.Unlock()
	m.cancel()
	if c != nil {
		<-c.flow.Done()
	}
}

// Status is a snapshot for the window: whether to show the countdown and Cancel button,
// and the URL to offer for copying when the browser could not be opened.
type Status struct {
	// Active: a flow is listening.
	Active bool `json:"active"`
	// Opened: the sign-in URL was handed to the browser (countdown running).
	Opened bool `json:"opened"`
	// Deadline of the current flow (zero when not Active); DeadlineUnixMilli is the
	// same instant for JavaScript's Date.
	Deadline          time.Time `json:"deadline"`
	DeadlineUnixMilli int64     `json:"deadlineUnixMilli"`
	// OpenFailed: the browser could not be opened; show ManualURL with a Copy button.
	OpenFailed bool   `json:"openFailed"`
	ManualURL  string `json:"manualUrl,omitempty"`
	// OpenError is a readable reason for OpenFailed.
	OpenError string `json:"openError,omitempty"`
}

// Status reports the current flow, if any.
func (m *Manager) Status() Status {
	m.mu.Lock()
	c := m.cur
	var st Status
	if c != nil {
		st.Opened = c.opened
		if c.openErr != nil {
			st.OpenFailed = true
			st.ManualURL = c.authURL
			st.OpenError = "The system browser could not be opened. Copy the link and open it in your browser."
		}
	}
	m.mu.Unlock()
	if c == nil || c.flow.Ended() {
		return Status{}
	}
	st.Active = true
	st.Deadline = c.flow.Deadline()
	st.DeadlineUnixMilli = st.Deadline.UnixMilli()
	return st
}
