package loopback

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// shutdownGrace lets the landing page reach the browser before connections are cut.
const shutdownGrace = 2 * time.Second

// Result is what the browser brought back on a valid callback.
type Result struct {
	// CallbackURL is the redirect URL with Clerk's query string, exactly as received.
	// Hand it to ClerkJS as the OAuth transport's {callbackUrl}: ClerkJS reads
	// rotating_token_nonce or __clerk_status/__clerk_error_code from it itself.
	CallbackURL string
	// Nonce is Clerk's rotating_token_nonce ("" when Failed).
	Nonce string
	// Failed is true when Clerk redirected with __clerk_status=failed.
	Failed bool
	// ErrorCode is Clerk's __clerk_error_code when Failed, reduced to [a-z0-9_]{1,64}
	// ("" when absent or malformed).
	ErrorCode string
}

// Err returns a *ProviderError when Clerk reported a failure, nil otherwise. Wait does
// not return it as its error on purpose: ClerkJS must still receive CallbackURL to
// reset its sign-in attempt (or to continue a transfer, see ProviderError.Transfer).
func (r Result) Err() error {
	if !r.Failed {
		return nil
	}
	return newProviderError(r.ErrorCode)
}

// ShownErr is the failure the window should show: Err, except for the codes
// ClerkJS treats as a hand-over (external_account_not_found continues as a
// sign-up, external_account_exists as a sign-in; clerk/javascript
// packages/clerk-js/src/core/clerk.ts _handleRedirectCallback), which are not
// errors for the person.
func (r Result) ShownErr() error {
	err := r.Err()
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Transfer {
		return nil
	}
	return err
}

// String redacts the nonce and the callback URL (which holds the secret path), so a
// Result can be logged or printed without leaking them.
func (r Result) String() string {
	switch {
	case r.Failed:
		return fmt.Sprintf("loopback.Result{Failed, ErrorCode: %q}", r.ErrorCode)
	case r.Nonce != "":
		return "loopback.Result{Nonce: [redacted], CallbackURL: [redacted]}"
	default:
		return "loopback.Result{}"
	}
}

// GoString keeps %#v from printing the fields.
func (r Result) GoString() string { return r.String() }

// LogValue makes slog print the redacted form.
func (r Result) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Flow is one loopback listener waiting for one Clerk callback. It is safe for
// concurrent use. Most apps use a Manager, which adds the one-flow-at-a-time rule and
// the browser opening.
type Flow struct {
	redirectURL string
	addrs       []netip.AddrPort
	srv         *http.Server
	listeners   []net.Listener
	serving     sync.WaitGroup // one per listener's Serve goroutine
	onDone      func(Result, error)
	endHooks    []func(Result, error) // internal (Manager), run before onDone

	mu       sync.Mutex
	ended    bool
	res      Result
	err      error
	deadline time.Time
	timer    *time.Timer

	endedCh  chan struct{} // closed when the outcome is decided
	closedCh chan struct{} // closed after the listener has closed and OnDone has run
}

// Start opens the loopback listener and returns at once; the flow then waits in the
// background until a valid callback arrives, the timeout passes, Cancel is called or
// ctx ends. The listener is closed when the flow ends.
//
// The redirect URL is http://127.0.0.1:<port>/callback/<secret>, where <secret> is 32
// random bytes in base64url, new for every flow. Clerk cannot carry a state parameter
// of ours back reliably (it appends its own query to the redirect URL), so the secret
// path is what makes the callback unguessable to other local programs and web pages.
func Start(ctx context.Context, opts Options) (*Flow, error) {
	return start(ctx, opts, nil)
}

func start(ctx context.Context, opts Options, endHook func(Result, error)) (*Flow, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCanceled, err)
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("loopback: generate callback path: %w", err)
	}
	path := "/callback/" + base64.RawURLEncoding.EncodeToString(secret[:])

	pages, err := renderLanding(opts.LandingTitle)
	if err != nil {
		return nil, fmt.Errorf("loopback: render landing page: %w", err)
	}
	listeners, err := listenLoopback(opts.Port, !opts.DisableIPv6, opts.Logger)
	if err != nil {
		return nil, err
	}

	f := &Flow{
		listeners: listeners,
		onDone:    opts.OnDone,
		endedCh:   make(chan struct{}),
		closedCh:  make(chan struct{}),
	}
	if endHook != nil {
		f.endHooks = append(f.endHooks, endHook)
	}
	for _, l := range listeners {
		ap := l.Addr().(*net.TCPAddr).AddrPort()
		f.addrs = append(f.addrs, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	first := f.addrs[0]
	f.redirectURL = "http://" + net.JoinHostPort(first.Addr().String(), strconv.Itoa(int(first.Port()))) + path

	f.srv = &http.Server{
		Handler: &callbackHandler{
			path:        path,
			redirectURL: f.redirectURL,
			deliver:     func(r Result) bool { return f.finish(r, nil) },
			pages:       pages,
			log:         opts.Logger,
		},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       5 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	// One request per connection: nothing lingers once the flow is over.
	f.srv.SetKeepAlivesEnabled(false)

	f.deadline = time.Now().Add(opts.Timeout)
	f.timer = time.NewTimer(opts.Timeout)
	for _, l := range listeners {
		f.serving.Add(1)
		go func(l net.Listener) {
			defer f.serving.Done()
			if err := f.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				f.finish(Result{}, fmt.Errorf("loopback: serve %s: %w", l.Addr(), err))
			}
		}(l)
	}
	go f.run(ctx, opts.Logger)
	opts.Logger.Debug("loopback: listening", "addrs", f.addrs, "timeout", opts.Timeout)
	return f, nil
}

func (f *Flow) run(ctx context.Context, log *slog.Logger) {
	select {
	case <-f.endedCh:
	case <-f.timer.C:
		f.finish(Result{}, ErrTimeout)
	case <-ctx.Done():
		f.finish(Result{}, fmt.Errorf("%w: %w", ErrCanceled, context.Cause(ctx)))
	}
	f.timer.Stop()

	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	if err := f.srv.Shutdown(sctx); err != nil {
		_ = f.srv.Close()
	}
	cancel()
	// Shutdown only closes listeners that Serve has registered; one whose goroutine had
	// not started yet would otherwise be closed later, after Wait returned.
	for _, l := range f.listeners {
		_ = l.Close()
	}
	f.serving.Wait()

	res, err := f.outcome()
	log.Debug("loopback: flow ended", "result", res, "err", err)
	for _, h := range f.endHooks {
		h(res, err)
	}
	if f.onDone != nil {
		f.onDone(res, err)
	}
	close(f.closedCh)
}

// finish decides the outcome once; later calls report false and change nothing.
func (f *Flow) finish(res Result, err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	f.ended, f.res, f.err = true, res, err
	close(f.endedCh)
	return true
}

func (f *Flow) outcome() (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.res, f.err
}

// RedirectURL is the URL to give Clerk as redirect_url (ClerkJS: the OAuth transport's
// getRedirectUrl()). It contains the flow's secret: do not log it.
func (f *Flow) RedirectURL() string { return f.redirectURL }

// Addrs are the loopback addresses the flow listens on (127.0.0.1 and/or [::1]).
func (f *Flow) Addrs() []netip.AddrPort { return append([]netip.AddrPort(nil), f.addrs...) }

// Deadline is when the flow gives up with ErrTimeout, for the window's countdown.
// A Manager moves it forward when the browser is opened.
func (f *Flow) Deadline() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deadline
}

// extend restarts the countdown at d from now, unless the flow has ended.
func (f *Flow) extend(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	f.deadline = time.Now().Add(d)
	f.timer.Reset(d) // Go ≥1.23 timers: Reset never delivers a stale tick.
}

// Cancel ends the flow with ErrCanceled unless it has already ended. The listener closes
// at once; Wait returns ErrCanceled.
func (f *Flow) Cancel() { f.finish(Result{}, ErrCanceled) }

// Ended reports whether the outcome has been decided (the listener may still be
// closing; Done tells when it has).
func (f *Flow) Ended() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended
}

// Done is closed once the flow has ended and its listener has closed.
func (f *Flow) Done() <-chan struct{} { return f.closedCh }

// Wait blocks until the flow ends and its listener has closed, or ctx ends (the flow
// then keeps running). It returns the Result of a valid callback with a nil error, even
// when Clerk reported a failure (see Result.Err); otherwise ErrTimeout, ErrCanceled, or
// a listener error.
func (f *Flow) Wait(ctx context.Context) (Result, error) {
	select {
	case <-f.closedCh:
		return f.outcome()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// String redacts the redirect URL, which holds the secret path.
func (f *Flow) String() string {
	return fmt.Sprintf("loopback.Flow{addrs: %v, ended: %t}", f.addrs, f.Ended())
}
