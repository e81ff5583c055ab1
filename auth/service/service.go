// Package service assembles the app's auth parts from its configuration: the
// Clerk instance (or the local emulator), the session-token verifier, the
// keychain store of the client token, the Frontend API gateway and the API
// client. It knows nothing of Wails; app.go exposes it to the page.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"time"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/browseropen"
	"deskclerk/auth/clerkclock"
	"deskclerk/auth/deeplink"
	"deskclerk/auth/gateway"
	"deskclerk/auth/instance"
	"deskclerk/auth/keychain"
	"deskclerk/auth/loopback"
	"deskclerk/auth/signinurl"
	"deskclerk/auth/snapshot"
	"deskclerk/auth/verify"
	"deskclerk/internal/config"
)

// AppName namespaces keychain entries and state directories.
const AppName = "deskclerk"

// KeychainApp is the keychain's application name for a build: development builds
// keep their sign-in apart from release builds' ("deskclerk-dev (host)"), so a
// development build never uses, rotates or deletes a release build's sign-in,
// even against the same Clerk instance.
func KeychainApp(cfg config.Config) string {
	if cfg.Release() {
		return AppName
	}
	return AppName + "-dev"
}

// Service is the assembled auth stack.
type Service struct {
	Config         config.Config
	Instance       instance.Instance // issuer, JWKS URL, Frontend API host
	PublishableKey string
	Local          Local // the local stand-in instance; nil when talking to a real Clerk instance
	Verifier       *verify.Verifier
	Store          *keychain.Store
	Snapshots      *snapshot.Keeper // the signed-in state for the next start; never a token
	Gateway        *gateway.Gateway
	API            *apiclient.Client // nil when no API is configured
	OAuth          OAuthTransport    // social sign-in through the system browser
	// Redirect is OAuth's kind: config.RedirectScheme or config.RedirectLoopback.
	Redirect string
	Clock    *clerkclock.Clock // Clerk's time, learnt from Frontend API responses
	scheme   *deeplink.Manager // the URL-scheme transport, when Redirect is RedirectScheme
	log      *slog.Logger
}

// OAuthTransport is ClerkJS's __internal_oauthTransport on the Go side, with the
// window's countdown and Cancel: loopback.Manager or deeplink.Manager.
type OAuthTransport interface {
	Begin() (redirectURL string, err error)
	Open(ctx context.Context, authURL string) (loopback.Result, error)
	Status() loopback.Status
	Cancel() error
	Close()
}

// Hooks let the shell react to social sign-in events (bring the window forward,
// show the URL when no browser could be opened). Called from other goroutines.
type Hooks struct {
	OAuthDone       func()
	OAuthOpenFailed func(url string, err error)
}

// Local is a Clerk stand-in on this machine (the emulator of development builds):
// its instance and the protected API it serves. Release builds link none.
type Local interface {
	PublishableKey() string
	Issuer() string
	JWKSURL() string
	FrontendAPIHost() string
	FrontendAPIURL() string
	APIURL() string // "" when it serves no API
	Close() error
}

// LocalStarter starts (or connects to) the local stand-in for a configuration
// without a publishable key. Nil in release builds.
type LocalStarter func(ctx context.Context, cfg config.Config, log *slog.Logger) (Local, error)

// ErrNoLocal is returned when a build without the local stand-in has no key.
var ErrNoLocal = errors.New("this build has no local Clerk emulator: set " + config.EnvPublishableKey)

// Start builds the stack. With no publishable key in a development build it first
// starts the local stand-in (the emulator and its demo API on loopback).
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, backend keychain.Backend, local LocalStarter, hooks Hooks) (*Service, error) {
	return StartWith(ctx, nil, cfg, log, backend, local, hooks)
}

// StartWith is Start taking over the keychain read that OpenEarly began at process
// start (nil: it reads the keychain itself, as Start does).
func StartWith(ctx context.Context, early *Early, cfg config.Config, log *slog.Logger, backend keychain.Backend, local LocalStarter, hooks Hooks) (*Service, error) {
	s := &Service{Config: cfg, log: log}
	var fapiURL string
	if cfg.UseEmulator() {
		if local == nil {
			return nil, ErrNoLocal
		}
		l, err := local(ctx, cfg, log)
		if err != nil {
			return nil, fmt.Errorf("start the local emulator: %w", err)
		}
		s.Local = l
		s.PublishableKey = l.PublishableKey()
		s.Instance = instance.Instance{FrontendAPI: l.FrontendAPIHost(), Issuer: l.Issuer(), JWKSURL: l.JWKSURL()}
		fapiURL = l.FrontendAPIURL()
		if cfg.APIURL == "" {
			cfg.APIURL = l.APIURL()
		}
	} else {
		inst, err := instanceFor(cfg)
		if err != nil {
			return nil, err
		}
		s.Instance, s.PublishableKey = inst, cfg.PublishableKey
		fapiURL = inst.FrontendAPIURL()
	}
	s.Config = cfg
	// The desktop's clock may be wrong; time claims are checked against Clerk's.
	// (An API server keeps checking against its own clock, which NTP keeps right.)
	s.Clock = clerkclock.New(nil)

	var err error
	if s.Verifier, err = verify.New(ctx, verify.Config{
		Issuer:            s.Instance.Issuer,
		JWKSURL:           s.Instance.JWKSURL,
		AuthorizedParties: cfg.AuthorizedParties,
		AZP:               verify.AZPOptional, // FAPI through the gateway mints tokens without azp (no Origin)
		Now:               s.Clock.Now,
		Logger:            log.With("component", "verify"),
	}); err != nil {
		s.Close()
		return nil, fmt.Errorf("session verifier: %w", err)
	}

	// The client token and the snapshot, read at process start when OpenEarly could
	// name this instance; else now, in parallel.
	var ok bool
	if early != nil {
		if s.Store, s.Snapshots, ok = early.take(s.Instance.FrontendAPI); !ok {
			early.Close()
		}
	}
	if !ok {
		s.Store, s.Snapshots = openStores(ctx, cfg, s.Instance.FrontendAPI, log, backend)
	}

	up, _ := url.Parse(fapiURL)
	if s.Gateway, err = gateway.New(gateway.Options{
		Upstream: up, Store: s.Store, Key: cfg.GatewayKey, Logger: log.With("component", "gateway"),
		Clock: s.Clock, UserAgent: UserAgent(cfg.Version),
	}); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.APIURL != "" {
		if s.API, err = apiclient.New(cfg.APIURL, s.Verifier, apiclient.WithLogger(log.With("component", "api"))); err != nil {
			s.Close()
			return nil, err
		}
	}
	onDone := func(loopback.Result, error) {
		if hooks.OAuthDone != nil {
			hooks.OAuthDone()
		}
	}
	// The one way sign-in URLs reach the browser, whichever transport waits for the
	// redirect: only addresses of a sign-in against this instance open (the
	// emulator's consent page is plain http on loopback; Clerk's pages are https).
	opener := signinurl.Opener{FrontendAPI: up, Next: browseropen.System{AllowHTTPLoopback: cfg.UseEmulator()}}
	oauthLog := log.With("component", "oauth")
	s.Redirect = cfg.RedirectFor(s.PublishableKey)
	switch s.Redirect {
	case config.RedirectScheme:
		if s.scheme, err = deeplink.NewManager(deeplink.Config{
			Scheme: cfg.URLScheme, Opener: opener, OnOpenFailed: hooks.OAuthOpenFailed, OnDone: onDone, Logger: oauthLog,
		}); err != nil {
			s.Close()
			return nil, err
		}
		s.OAuth = s.scheme
	default:
		s.OAuth = loopback.NewManager(loopback.ManagerConfig{
			Options: loopback.Options{
				Port:         cfg.OAuthPort,
				Logger:       oauthLog,
				LandingTitle: "Desk Clerk",
				OnDone:       onDone,
			},
			Opener:       opener,
			OnOpenFailed: hooks.OAuthOpenFailed,
		})
	}
	oauthLog.Info("social sign-in transport", "redirect", s.Redirect)
	return s, nil
}

// LaunchArgs takes the arguments of a second launch of the app (handed over by the
// single-instance lock) or a URL the OS opened the app with (macOS), and completes the
// social sign-in waiting for them if they are its callback. It reports whether they
// were; anything else is ignored and logged without its query.
func (s *Service) LaunchArgs(args []string) bool {
	if s.scheme == nil {
		if len(args) > 0 {
			s.log.Info("launch arguments ignored: social sign-in does not use the URL scheme", "args", len(args))
		}
		return false
	}
	return s.scheme.Deliver(args)
}

// instanceFor is the Clerk instance a configuration with a publishable key names,
// reached through its Clerk proxy when one is configured.
func instanceFor(cfg config.Config) (instance.Instance, error) {
	inst, err := instance.FromPublishableKey(cfg.PublishableKey)
	if err != nil {
		return instance.Instance{}, fmt.Errorf("%s: %w", config.EnvPublishableKey, err)
	}
	if cfg.ProxyURL != "" {
		if inst, err = inst.BehindProxy(cfg.ProxyURL); err != nil {
			return instance.Instance{}, fmt.Errorf("%s: %w", config.EnvProxyURL, err)
		}
	}
	return inst, nil
}

// UserAgent is the app's product token for the Frontend API, e.g.
// "DeskClerk/1.4.0 (linux; amd64)"; the gateway appends the webview's.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return fmt.Sprintf("DeskClerk/%s (%s; %s)", version, runtime.GOOS, runtime.GOARCH)
}

// Close stops the verifier's refreshes and the local stand-in.
func (s *Service) Close() {
	if s.OAuth != nil {
		s.OAuth.Close()
	}
	if s.Store != nil {
		s.Store.Close() // stop retrying a keychain that never answered
	}
	if s.Verifier != nil {
		_ = s.Verifier.Close()
	}
	if s.Snapshots != nil {
		s.Snapshots.Close()
	}
	if s.Local != nil {
		_ = s.Local.Close()
	}
}

// SignedOut is called once the page has signed out. It keeps the client token:
// the client outlives sign-out in Clerk (clerk/javascript
// packages/clerk-js/src/core/clerk.ts signOut removes only sessions), and it is
// what lets Client Trust recognise this device at the next password sign-in.
// Sessions that FAPI did not end (offline) are ended by Clerk when the client
// next talks to it with a sign-out, or expire; ForgetDevice drops the token.
// The session snapshot goes in either case.
func (s *Service) SignedOut(ctx context.Context) error { return s.ForgetSnapshot(ctx) }

// ForgetDevice deletes the stored client token ("Sign out and forget this
// device"), and the snapshot: the next sign-in starts a new client, which Clerk
// treats as a new device (Client Trust asks for a code again).
func (s *Service) ForgetDevice(ctx context.Context) error {
	snapErr := s.ForgetSnapshot(ctx)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
		return fmt.Errorf("forget this device: %w", err)
	}
	return snapErr
}
