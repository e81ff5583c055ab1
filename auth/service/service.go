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
	"os"
	"path/filepath"
	"time"

	"deskclerk/auth/apiclient"
	"deskclerk/auth/browseropen"
	"deskclerk/auth/config"
	"deskclerk/auth/emulator"
	"deskclerk/auth/gateway"
	"deskclerk/auth/instance"
	"deskclerk/auth/keychain"
	"deskclerk/auth/loopback"
	"deskclerk/auth/verify"
)

// AppName namespaces keychain entries and state directories.
const AppName = "deskclerk"

// Service is the assembled auth stack.
type Service struct {
	Config         config.Config
	Instance       instance.Instance // issuer, JWKS URL, Frontend API host
	PublishableKey string
	Emulator       *emulator.Server // nil when talking to a real Clerk instance
	Verifier       *verify.Verifier
	Store          *keychain.Store
	Gateway        *gateway.Gateway
	API            *apiclient.Client // nil when no API is configured
	OAuth          *loopback.Manager // social sign-in through the system browser
	log            *slog.Logger
}

// Hooks let the shell react to social sign-in events (bring the window forward,
// show the URL when no browser could be opened). Called from other goroutines.
type Hooks struct {
	OAuthDone       func()
	OAuthOpenFailed func(url string, err error)
}

// Start builds the stack. With no publishable key in a development build it first
// starts the local emulator and its demo API on loopback.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, backend keychain.Backend, hooks Hooks) (*Service, error) {
	s := &Service{Config: cfg, log: log}
	var fapiURL string
	switch {
	case cfg.UseEmulator() && cfg.EmulatorURL != "":
		// A standalone emulator (go run ./cmd/emulator): same host names, its own URL.
		s.PublishableKey = instance.PublishableKeyFor(emulator.FrontendAPIHost, false)
		s.Instance = instance.Instance{FrontendAPI: emulator.FrontendAPIHost, Issuer: "https://" + emulator.FrontendAPIHost, JWKSURL: cfg.EmulatorURL + "/.well-known/jwks.json"}
		fapiURL = cfg.EmulatorURL
	case cfg.UseEmulator():
		dir := cfg.EmulatorDir
		if dir == "" {
			base, err := os.UserConfigDir()
			if err != nil {
				return nil, fmt.Errorf("emulator state directory: %w", err)
			}
			dir = filepath.Join(base, AppName, "emulator")
		}
		em, err := emulator.Start(ctx, emulator.Options{Dir: dir, Logger: log.With("component", "emulator"), AuthorizedParties: cfg.AuthorizedParties})
		if err != nil {
			return nil, fmt.Errorf("start the local emulator: %w", err)
		}
		s.Emulator = em
		s.PublishableKey = em.PublishableKey()
		s.Instance = instance.Instance{FrontendAPI: emulator.FrontendAPIHost, Issuer: em.Issuer(), JWKSURL: em.JWKSURL()}
		fapiURL = em.FrontendAPIURL()
		if cfg.APIURL == "" {
			cfg.APIURL = em.APIURL()
		}
	default:
		inst, err := instance.FromPublishableKey(cfg.PublishableKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.EnvPublishableKey, err)
		}
		s.Instance, s.PublishableKey = inst, cfg.PublishableKey
		fapiURL = "https://" + inst.FrontendAPI
	}
	s.Config = cfg

	var err error
	if s.Verifier, err = verify.New(ctx, verify.Config{
		Issuer:            s.Instance.Issuer,
		JWKSURL:           s.Instance.JWKSURL,
		AuthorizedParties: cfg.AuthorizedParties,
		AZP:               verify.AZPOptional, // FAPI through the gateway mints tokens without azp (no Origin)
		Logger:            log.With("component", "verify"),
	}); err != nil {
		s.Close()
		return nil, fmt.Errorf("session verifier: %w", err)
	}

	s.Store = keychain.Open(ctx, keychain.Options{App: AppName, Instance: s.Instance.FrontendAPI, Backend: backend, Logger: log.With("component", "keychain")})

	up, _ := url.Parse(fapiURL)
	if s.Gateway, err = gateway.New(gateway.Options{Upstream: up, Store: s.Store, Logger: log.With("component", "gateway")}); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.APIURL != "" {
		if s.API, err = apiclient.New(cfg.APIURL, s.Verifier, apiclient.WithLogger(log.With("component", "api"))); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.OAuth = loopback.NewManager(loopback.ManagerConfig{
		Options: loopback.Options{
			Port:         cfg.OAuthPort,
			Logger:       log.With("component", "oauth"),
			LandingTitle: "Desk Clerk",
			OnDone: func(loopback.Result, error) {
				if hooks.OAuthDone != nil {
					hooks.OAuthDone()
				}
			},
		},
		// The emulator's consent page is plain http on loopback; Clerk's is https.
		Opener:       browseropen.System{AllowHTTPLoopback: cfg.UseEmulator()},
		OnOpenFailed: hooks.OAuthOpenFailed,
	})
	return s, nil
}

// Close stops the verifier's refreshes and the emulator.
func (s *Service) Close() {
	if s.OAuth != nil {
		s.OAuth.Close()
	}
	if s.Verifier != nil {
		_ = s.Verifier.Close()
	}
	if s.Emulator != nil {
		_ = s.Emulator.Close()
	}
}

// SignedOut removes the stored client token (the gateway does so as FAPI confirms
// the sign-out; this covers sign-outs that never reached FAPI).
func (s *Service) SignedOut(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
		return fmt.Errorf("forget the sign-in: %w", err)
	}
	return nil
}
