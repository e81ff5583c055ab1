package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/clerkclock"
	"deskclerk/auth/gateway"
	"deskclerk/auth/loopback"
	"deskclerk/auth/service"
	"deskclerk/auth/snapshot"
	"deskclerk/internal/config"
)

// processStart is taken as early as the Go program can, for start-up timings.
var processStart = time.Now()

// App is the thin surface bound to JavaScript: each method validates its input,
// calls into auth/, and returns plain data. No logic lives here. Nothing it
// returns ever contains the client token.
type App struct {
	// wails is Wails' runtime context: written once in startup, read from other
	// goroutines (the single-instance callback, social sign-in hooks, test hooks).
	wails atomic.Pointer[context.Context]
	cfg   config.Config
	start func(context.Context, service.Hooks) (*service.Service, error)
	svc   *service.Service // set before ready closes; nil if start-up failed
	ready chan struct{}    // closed once the auth stack is up, or has failed
	errs  []string
	log   *slog.Logger
	// early is the keychain read begun at process start (nil: none, the page then
	// asks the bindings); confirm is the session check Go starts as soon as the
	// stack is up with a snapshot, handed once to the page (boot) or ConfirmSession.
	early   *service.Early
	confirm atomic.Pointer[pendingConfirm]
}

// pendingConfirm is a session check under way; res is set before done closes.
type pendingConfirm struct {
	done chan struct{}
	res  service.Confirmation
}

// NewApp returns the bound app; cfgErr, if any, is shown in the window.
func NewApp(cfg config.Config, cfgErr error, log *slog.Logger) *App {
	a := &App{cfg: cfg, log: log, errs: []string{}, ready: make(chan struct{})}
	if cfgErr != nil {
		a.errs = append(a.errs, cfgErr.Error())
	}
	return a
}

// service waits until the auth stack has started, and returns it (nil if it failed).
func (a *App) service() *service.Service {
	<-a.ready
	return a.svc
}

// gateway is the asset server's middleware. Assets are served at once; Frontend API
// calls wait for the auth stack, which starts while the page loads.
func (a *App) gateway(next http.Handler) http.Handler {
	return gateway.Middleware(gateway.DefaultPrefix, func() *gateway.Gateway {
		if svc := a.service(); svc != nil {
			return svc.Gateway
		}
		return nil
	})(next)
}

// ctx is Wails' runtime context, or nil before startup.
func (a *App) ctx() context.Context {
	if p := a.wails.Load(); p != nil {
		return *p
	}
	return nil
}

// toFront un-minimises and shows the window (after social sign-in, on a second launch).
func (a *App) toFront() {
	if ctx := a.ctx(); ctx != nil {
		runtime.WindowUnminimise(ctx)
		runtime.WindowShow(ctx)
	}
}

// hooks connect social sign-in events to the window.
func (a *App) hooks() service.Hooks {
	return service.Hooks{
		OAuthDone: a.toFront,
		OAuthOpenFailed: func(url string, err error) {
			if ctx := a.ctx(); ctx != nil {
				runtime.EventsEmit(ctx, "oauth:open-failed", url)
			}
		},
	}
}

func (a *App) startup(ctx context.Context) {
	a.wails.Store(&ctx)
	a.log.Debug("window created", "since_main", time.Since(processStart))
	tuneWebKit()
	a.log.Info("starting", "version", a.cfg.Version, "channel", a.cfg.Channel, "emulator", a.cfg.UseEmulator())
	if len(a.errs) > 0 || a.start == nil {
		close(a.ready)
		return
	}
	// In the background, so WebKit loads the page meanwhile; bindings and gateway
	// calls wait for it.
	go func() {
		defer close(a.ready)
		svc, err := a.start(ctx, a.hooks())
		if err != nil {
			a.log.Error("start-up failed", "err", err)
			a.errs = append(a.errs, err.Error())
		}
		a.svc = svc
		a.log.Debug("auth stack up", "since_main", time.Since(processStart))
		if svc != nil {
			if _, ok := svc.Snapshot(); ok {
				// Confirm now rather than when the page asks: the answer (or "offline")
				// is then ready for the page's first frame or its first call.
				p := &pendingConfirm{done: make(chan struct{})}
				a.confirm.Store(p)
				go func() {
					defer close(p.done)
					p.res = svc.Confirm(ctx)
					a.log.Debug("session checked", "state", p.res.State, "since_main", time.Since(processStart))
				}()
			}
		}
		// Start-up garbage (key generation, the emulator's password hashes, JSON)
		// would otherwise stay mapped until the scavenger gets to it.
		time.AfterFunc(2*time.Second, debug.FreeOSMemory)
	}()
}

func (a *App) shutdown(context.Context) {
	if svc := a.service(); svc != nil {
		svc.Close()
	}
	a.early.Close() // unless the stack took its stores over
	a.log.Info("stopped")
}

// Status is what the page needs to start ClerkJS and label the window.
type Status struct {
	Version        string   `json:"version"`
	Mode           string   `json:"mode"`     // "emulator" or "clerk"
	Instance       string   `json:"instance"` // Frontend API host
	PublishableKey string   `json:"publishableKey"`
	ProxyPath      string   `json:"proxyPath"` // where ClerkJS reaches the gateway
	APIOrigin      string   `json:"apiOrigin"`
	Errors         []string `json:"errors"` // problems the person must know about
}

// Status reports the app's mode and any start-up problem.
func (a *App) Status() Status {
	svc := a.service()
	s := Status{Version: a.cfg.Version, Mode: "clerk", Errors: a.errs, ProxyPath: gateway.DefaultPrefix}
	if a.cfg.UseEmulator() {
		s.Mode = "emulator"
	}
	if svc != nil {
		s.Instance, s.PublishableKey = svc.Instance.FrontendAPI, svc.PublishableKey
		if svc.API != nil {
			s.APIOrigin = svc.API.Origin()
		}
	}
	return s
}

// Health is the status line's data.
type Health struct {
	Keychain struct {
		Backend    string `json:"backend"`
		Persistent bool   `json:"persistent"`
		Summary    string `json:"summary"`
	} `json:"keychain"`
	Identity gateway.State          `json:"identity"`
	API      apiclient.Reachability `json:"api"`
	Clock    ClockHealth            `json:"clock"`
}

// ClockHealth is this machine's clock against Clerk's: seconds Clerk is ahead
// (negative: behind), and whether that is large enough to warn about.
type ClockHealth struct {
	OffsetSeconds float64 `json:"offsetSeconds"`
	Large         bool    `json:"large"`
}

// Health reports the keychain, the Frontend API and the protected API.
func (a *App) Health() Health {
	svc := a.service()
	var h Health
	if svc == nil {
		return h
	}
	kh := svc.Store.Health()
	h.Keychain.Backend, h.Keychain.Persistent, h.Keychain.Summary = kh.Backend, kh.Persistent, kh.Summary()
	h.Identity = svc.Gateway.State()
	off := svc.Clock.Offset()
	h.Clock.OffsetSeconds, h.Clock.Large = off.Seconds(), off.Abs() >= clerkclock.LargeOffset
	if svc.API != nil {
		h.API = svc.API.Reachability()
	}
	return h
}

// APIResult is a protected-API answer, or a readable reason there is none.
type APIResult struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType,omitempty"`
	Body        string `json:"body,omitempty"`
	Error       string `json:"error,omitempty"`
	Kind        string `json:"kind,omitempty"` // token | unreachable | request | config
}

// CallAPI verifies the page's session token and, only if it is valid, calls the
// protected API with it. A 401 answer tells the page to get a fresh token and retry once.
func (a *App) CallAPI(method, path, body, token string) APIResult {
	svc := a.service()
	if svc == nil || svc.API == nil {
		return APIResult{Kind: "config", Error: "No protected API is configured (set " + config.EnvAPIURL + ")."}
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	resp, err := svc.CallAPI(a.ctx(), method, path, b, token)
	if err != nil {
		// The page shows what failed and what to do; the error chain (addresses,
		// dial errors) stays in the log.
		a.log.Warn("API call failed", "method", method, "path", path, "err", err)
	}
	switch {
	case err == nil:
		return APIResult{Status: resp.Status, ContentType: resp.ContentType, Body: resp.Body}
	case errors.Is(err, apiclient.ErrTokenRejected):
		return APIResult{Kind: "token", Error: "Your session could not be confirmed, so nothing was sent to the API. Try again; if it keeps failing, sign out and sign in again."}
	case errors.Is(err, apiclient.ErrUnreachable):
		return APIResult{Kind: "unreachable", Error: "The API at " + svc.API.Origin() + " did not answer. Check your connection and try again."}
	default:
		return APIResult{Kind: "request", Error: "The request to the API could not be made. Try again; the app's log has the details."}
	}
}

// launchArgs gets what a second launch of the app passed (the single-instance lock
// hands it over), or the URL macOS opened the app with. Only the callback of the social
// sign-in now waiting is acted on (service.LaunchArgs); the rest is ignored. Launches
// that arrive before the auth stack is up cannot belong to a flow and are dropped.
func (a *App) launchArgs(args []string) {
	select {
	case <-a.ready:
	default:
		a.log.Info("launch arguments ignored: still starting", "args", len(args))
		return
	}
	if a.svc != nil {
		a.svc.LaunchArgs(args)
	}
}

// SessionSnapshot is the signed-in state kept from the last run (never a token).
type SessionSnapshot struct {
	Present     bool                       `json:"present"`
	Identity    snapshot.Identity          `json:"identity"`
	ConfirmedAt time.Time                  `json:"confirmedAt"`
	Answers     map[string]snapshot.Answer `json:"answers"`
}

// Snapshot returns the stored signed-in state, so the page can paint the
// signed-in screen before ClerkJS or the network.
func (a *App) Snapshot() SessionSnapshot {
	svc := a.service()
	if svc == nil {
		return SessionSnapshot{}
	}
	s, ok := svc.Snapshot()
	if !ok {
		return SessionSnapshot{}
	}
	return SessionSnapshot{Present: true, Identity: s.Identity, ConfirmedAt: s.ConfirmedAt, Answers: s.Answers}
}

// ConfirmSession checks the stored session from Go (mints a session token through
// the gateway, verifies it, calls /api/me): confirmed, offline, or ended and why.
func (a *App) ConfirmSession() service.Confirmation {
	svc := a.service()
	if svc == nil {
		return service.Confirmation{State: "none"}
	}
	if c, ok := a.takeConfirm(true); ok {
		return c
	}
	return svc.Confirm(a.ctx())
}

// takeConfirm hands out the session check started at start-up, once: waiting
// for it, or only if it has finished.
func (a *App) takeConfirm(wait bool) (service.Confirmation, bool) {
	p := a.confirm.Load()
	if p == nil {
		return service.Confirmation{}, false
	}
	if !wait {
		select {
		case <-p.done:
		default:
			return service.Confirmation{}, false
		}
	}
	if !a.confirm.CompareAndSwap(p, nil) {
		return service.Confirmation{}, false
	}
	<-p.done
	return p.res, true
}

// bootWait bounds how long the window's page waits for the keychain read begun
// at process start; past it the page starts without boot data and asks the bindings.
const bootWait = 250 * time.Millisecond

// Boot is what the window's first frame is painted from, written into its page
// (page.Options.Boot): the app's mode, the session snapshot (display fields,
// never a token) and, if Go has already checked the session, the result.
type Boot struct {
	Version      string                `json:"version"`
	Mode         string                `json:"mode"`
	Instance     string                `json:"instance"`
	Snapshot     SessionSnapshot       `json:"snapshot"`
	Confirmation *service.Confirmation `json:"confirmation,omitempty"`
}

// boot returns the window page's boot data as JSON, or "" (the page then asks
// the bindings). It never waits for the auth stack.
func (a *App) boot() string {
	if a.early == nil || a.early.Host() == "" {
		return ""
	}
	b := Boot{Version: a.cfg.Version, Mode: "clerk", Instance: a.early.Host()}
	if a.cfg.UseEmulator() {
		b.Mode = "emulator"
	}
	var snap snapshot.Snapshot
	var ok bool
	select {
	case <-a.ready:
		if a.svc == nil {
			return ""
		}
		snap, ok = a.svc.Snapshot()
	default:
		if snap, ok = a.early.Snapshot(bootWait); !ok && !a.early.Read() {
			return "" // the keychain is slow: let the page ask
		}
	}
	if ok {
		b.Snapshot = SessionSnapshot{Present: true, Identity: snap.Identity, ConfirmedAt: snap.ConfirmedAt, Answers: snap.Answers}
	}
	// A check finished by now goes with the page; one still under way is left for
	// ConfirmSession, unless the snapshot is gone: then the check found the session
	// ended and is finishing, and the page needs its reason.
	if c, done := a.takeConfirm(!ok); done {
		c.Identity, c.Answers = nil, nil // the snapshot's, already above
		b.Confirmation = &c
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return ""
	}
	a.log.Debug("page served", "snapshot", ok, "checked", b.Confirmation != nil, "since_main", time.Since(processStart))
	return string(raw)
}

// RememberSession keeps the signed-in user's display fields and session for the
// next start. The page calls it once ClerkJS has a signed-in user.
func (a *App) RememberSession(id snapshot.Identity) error {
	svc := a.service()
	if svc == nil {
		return nil
	}
	return svc.RememberSession(id)
}

// Ended says why a session ended: a code and one line for the signed-out screen.
type Ended struct {
	Reason  service.EndReason `json:"reason,omitempty"`
	Message string            `json:"message,omitempty"`
}

// SessionEnded is why a session the page had ended without a sign-out here
// (empty if it cannot tell). It forgets the snapshot.
func (a *App) SessionEnded(sessionID string) Ended {
	svc := a.service()
	if svc == nil {
		return Ended{}
	}
	if snap, ok := svc.Snapshot(); ok && sessionID == "" {
		sessionID = snap.SessionID
	}
	_ = svc.ForgetSnapshot(a.ctx())
	if sessionID == "" {
		return Ended{}
	}
	r, err := svc.WhyEnded(a.ctx(), sessionID)
	if err != nil || r == "" {
		return Ended{}
	}
	return Ended{Reason: r, Message: r.Message()}
}

// OAuthRedirectURL starts a social sign-in: the redirect URL Clerk is to send the
// browser back to (the app's URL scheme, or a loopback listener).
func (a *App) OAuthRedirectURL() (string, error) {
	svc := a.service()
	if svc == nil {
		return "", errors.New("sign-in is not available: the app did not start")
	}
	u, err := svc.OAuth.Begin()
	if err != nil {
		return "", errors.New(loopback.UserMessage(err))
	}
	return u, nil
}

// OAuthOutcome is how a social sign-in in the browser ended.
type OAuthOutcome struct {
	CallbackURL string `json:"callbackUrl,omitempty"` // for ClerkJS to finish (also on a provider failure)
	Error       string `json:"error,omitempty"`       // readable; empty on success
	Code        string `json:"code,omitempty"`        // Clerk's error code, if any
}

// OAuthOpen opens Clerk's sign-in URL in the system browser and waits for the redirect.
func (a *App) OAuthOpen(authURL string) OAuthOutcome {
	svc := a.service()
	if svc == nil {
		return OAuthOutcome{Error: "sign-in is not available: the app did not start"}
	}
	res, err := svc.OAuth.Open(a.ctx(), authURL)
	if errors.Is(err, loopback.ErrCanceled) {
		// The person pressed Cancel: nothing to report as an error.
		return OAuthOutcome{Error: loopback.UserMessage(err), Code: "cancelled"}
	}
	if err != nil {
		return OAuthOutcome{Error: loopback.UserMessage(err)}
	}
	out := OAuthOutcome{CallbackURL: res.CallbackURL, Code: res.ErrorCode}
	if perr := res.ShownErr(); perr != nil {
		out.Error = loopback.UserMessage(perr)
	}
	return out
}

// OAuthStatus is the countdown and the "open this URL yourself" fallback.
func (a *App) OAuthStatus() loopback.Status {
	svc := a.service()
	if svc == nil {
		return loopback.Status{}
	}
	return svc.OAuth.Status()
}

// OAuthCancel ends the social sign-in in progress.
func (a *App) OAuthCancel() {
	svc := a.service()
	if svc != nil {
		_ = svc.OAuth.Cancel()
	}
}

// CopyText puts text on the clipboard (the sign-in URL when no browser opened).
func (a *App) CopyText(text string) error {
	if err := runtime.ClipboardSetText(a.ctx(), text); err != nil {
		return fmt.Errorf("the clipboard is not available: %w", err)
	}
	return nil
}

// SignedOut is called after the page has signed out; the client token stays
// (see service.SignedOut).
func (a *App) SignedOut() error {
	svc := a.service()
	if svc == nil {
		return nil
	}
	return svc.SignedOut(a.ctx())
}

// ForgetDevice deletes the stored client token: "Sign out and forget this
// device", or a sign-out that could not reach Clerk.
func (a *App) ForgetDevice() error {
	svc := a.service()
	if svc == nil {
		return nil
	}
	return svc.ForgetDevice(a.ctx())
}

// Ready is called by the page once a screen has been painted. It records the
// start-up timing; builds made for tests also report it (see testhooks.go).
func (a *App) Ready(screen string) {
	now := time.Now()
	a.log.Debug("screen painted", "screen", screen, "since_main", now.Sub(processStart))
	a.testHooks(screen, now)
}
