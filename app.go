package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/clerkclock"
	"deskclerk/auth/gateway"
	"deskclerk/auth/loopback"
	"deskclerk/auth/service"
	"deskclerk/internal/config"
)

// processStart is taken as early as the Go program can, for start-up timings.
var processStart = time.Now()

// App is the thin surface bound to JavaScript: each method validates its input,
// calls into auth/, and returns plain data. No logic lives here. Nothing it
// returns ever contains the client token.
type App struct {
	ctx   context.Context
	cfg   config.Config
	start func(context.Context, service.Hooks) (*service.Service, error)
	svc   *service.Service // set before ready closes; nil if start-up failed
	ready chan struct{}    // closed once the auth stack is up, or has failed
	errs  []string
	log   *slog.Logger
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, gateway.DefaultPrefix+"/") {
			if svc := a.service(); svc != nil {
				svc.Gateway.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hooks connect social sign-in events to the window.
func (a *App) hooks() service.Hooks {
	return service.Hooks{
		OAuthDone: func() {
			if a.ctx != nil {
				runtime.WindowUnminimise(a.ctx)
				runtime.WindowShow(a.ctx)
			}
		},
		OAuthOpenFailed: func(url string, err error) {
			if a.ctx != nil {
				runtime.EventsEmit(a.ctx, "oauth:open-failed", url)
			}
		},
	}
}

func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
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
	}()
}

func (a *App) shutdown(context.Context) {
	if svc := a.service(); svc != nil {
		svc.Close()
	}
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
	resp, err := svc.API.Do(a.ctx, method, path, b, token)
	switch {
	case err == nil:
		return APIResult{Status: resp.Status, ContentType: resp.ContentType, Body: resp.Body}
	case errors.Is(err, apiclient.ErrTokenRejected):
		return APIResult{Kind: "token", Error: "Your session token was not accepted, so it was not sent: " + err.Error()}
	case errors.Is(err, apiclient.ErrUnreachable):
		return APIResult{Kind: "unreachable", Error: "The API at " + svc.API.Origin() + " did not answer: " + err.Error()}
	default:
		return APIResult{Kind: "request", Error: err.Error()}
	}
}

// OAuthRedirectURL starts a social sign-in: a loopback listener for Clerk's redirect.
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
	res, err := svc.OAuth.Open(a.ctx, authURL)
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
	if err := runtime.ClipboardSetText(a.ctx, text); err != nil {
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
	return svc.SignedOut(a.ctx)
}

// ForgetDevice deletes the stored client token: "Sign out and forget this
// device", or a sign-out that could not reach Clerk.
func (a *App) ForgetDevice() error {
	svc := a.service()
	if svc == nil {
		return nil
	}
	return svc.ForgetDevice(a.ctx)
}

// Ready is called by the page once a screen has been painted. It records the
// start-up timing, and for tests and benchmarks appends it to
// $DESKCLERK_READY_FILE (one JSON line per call) and quits after $DESKCLERK_AUTOQUIT_MS.
func (a *App) Ready(screen string) {
	now := time.Now()
	a.log.Debug("screen painted", "screen", screen, "since_main", now.Sub(processStart))
	if f := os.Getenv("DESKCLERK_READY_FILE"); f != "" {
		rec, _ := json.Marshal(map[string]any{
			"pid":           os.Getpid(),
			"screen":        screen,
			"mainUnixNano":  processStart.UnixNano(),
			"readyUnixNano": now.UnixNano(),
		})
		// A single small O_APPEND write is never torn.
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			_, _ = fh.Write(append(rec, '\n'))
			fh.Close()
		}
	}
	if ms, err := strconv.Atoi(os.Getenv("DESKCLERK_AUTOQUIT_MS")); err == nil && ms >= 0 {
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { runtime.Quit(a.ctx) })
	}
}
