// Command demoapi runs the demo protected API on its own, against a real Clerk
// instance (or the emulator): GET /api/me, GET/PUT /api/favorite-color behind
// the session-token verifier, POST /webhooks/clerk for Clerk's Svix-signed user
// webhooks, and GET /healthz.
//
// Usage:
//
//	CLERK_PUBLISHABLE_KEY=pk_… CLERK_WEBHOOK_SIGNING_SECRET=whsec_… go run ./cmd/demoapi [flags]
//
// Environment (flags of the same meaning win, except for the secret):
//
//	CLERK_PUBLISHABLE_KEY         the instance: issuer and JWKS URL are derived from it
//	CLERK_ISSUER, CLERK_JWKS_URL  or give them explicitly (e.g. a proxy); the JWKS URL
//	                              defaults to <issuer>/.well-known/jwks.json
//	CLERK_JWT_KEY                 the instance's public key (PEM), to verify without fetching the JWKS
//	CLERK_AUTHORIZED_PARTIES      comma-separated azp values to accept besides the desktop app's
//	                              webview origins; tokens without azp (native clients) are accepted
//	CLERK_WEBHOOK_SIGNING_SECRET  the endpoint's signing secret from the Clerk Dashboard (required;
//	                              environment only, so it never shows in a process list; never logged)
//	DATABASE_URL                  postgres://… stores in PostgreSQL (several replicas may share it);
//	                              unset: an embedded bbolt file in -dir
//	DEMOAPI_ADDR, DEMOAPI_DIR, DESKCLERK_LOG_LEVEL   as -addr, -dir, -log-level
//
// Flags:
//
//	-addr HOST:PORT         listener (default 127.0.0.1:8080; use :8080 behind a proxy or in a container)
//	-dir DIR                bbolt directory (default <user data dir>/deskclerk/demoapi)
//	-issuer URL, -jwks-url URL, -authorized-party ORIGIN (repeatable)
//	-log-level LEVEL        debug, info (default), warn or error
//	-log-format text|json   structured logs on stderr (default text)
//	-shutdown-timeout D     how long requests in flight may finish after SIGTERM (default 10s)
//
// It stops on SIGTERM or SIGINT: the listener closes at once, requests in
// flight finish (up to -shutdown-timeout), then the database is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/demoapi"
	"deskclerk/demoapi/pgstore"
	"deskclerk/internal/logging"
	"deskclerk/internal/paths"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// config is the server's settings after flags and environment.
type config struct {
	Addr              string
	Dir               string
	DatabaseURL       string
	Issuer            string
	JWKSURL           string
	JWTKeyPEM         []byte
	AuthorizedParties []string
	WebhookSecret     string
	LogLevel          slog.Level
	LogJSON           bool
	ShutdownTimeout   time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseConfig reads flags and environment. Its errors never quote the
// signing secret, the database URL (it may hold a password) or the key.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var parties multiFlag
	var level, format string
	fs := flag.NewFlagSet("demoapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", or(getenv("DEMOAPI_ADDR"), "127.0.0.1:8080"), "listener HOST:PORT")
	fs.StringVar(&c.Dir, "dir", getenv("DEMOAPI_DIR"), "bbolt directory (default <user data dir>/deskclerk/demoapi)")
	fs.StringVar(&c.Issuer, "issuer", getenv("CLERK_ISSUER"), "token issuer (default: from CLERK_PUBLISHABLE_KEY)")
	fs.StringVar(&c.JWKSURL, "jwks-url", getenv("CLERK_JWKS_URL"), "JWKS URL (default: <issuer>/.well-known/jwks.json)")
	fs.Var(&parties, "authorized-party", "an accepted azp origin (repeatable)")
	fs.StringVar(&level, "log-level", getenv("DESKCLERK_LOG_LEVEL"), "debug, info, warn or error")
	fs.StringVar(&format, "log-format", "text", "text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "grace period for requests in flight at SIGTERM")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q (settings are flags or environment variables)", fs.Args())
	}
	var err error
	if c.LogLevel, err = logging.ParseLevel(level); err != nil {
		return c, err
	}
	switch format {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		return c, fmt.Errorf("-log-format %q: want text or json", format)
	}

	if pk := strings.TrimSpace(getenv("CLERK_PUBLISHABLE_KEY")); pk != "" {
		inst, err := instance.FromPublishableKey(pk)
		if err != nil {
			return c, fmt.Errorf("CLERK_PUBLISHABLE_KEY: %w", err)
		}
		if c.Issuer == "" {
			c.Issuer = inst.Issuer
		}
		if c.JWKSURL == "" && c.Issuer == inst.Issuer {
			c.JWKSURL = inst.JWKSURL
		}
	}
	if c.Issuer == "" {
		return c, errors.New("no Clerk instance: set CLERK_PUBLISHABLE_KEY (or CLERK_ISSUER with CLERK_JWKS_URL or CLERK_JWT_KEY)")
	}
	if key := getenv("CLERK_JWT_KEY"); key != "" {
		c.JWTKeyPEM = []byte(key)
		if c.JWKSURL != "" && getenv("CLERK_JWKS_URL") == "" && !isSet(fs, "jwks-url") {
			c.JWKSURL = "" // the key replaces the derived JWKS URL
		}
	} else if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	if c.JWKSURL != "" && c.JWTKeyPEM != nil {
		return c, errors.New("set either CLERK_JWKS_URL or CLERK_JWT_KEY, not both")
	}

	for _, p := range append(strings.Split(getenv("CLERK_AUTHORIZED_PARTIES"), ","), parties...) {
		if p = strings.TrimSpace(p); p != "" {
			c.AuthorizedParties = append(c.AuthorizedParties, p)
		}
	}

	c.WebhookSecret = strings.TrimSpace(getenv("CLERK_WEBHOOK_SIGNING_SECRET"))
	if c.WebhookSecret == "" {
		return c, errors.New("CLERK_WEBHOOK_SIGNING_SECRET is not set: copy the endpoint's signing secret (whsec_…) from the Clerk Dashboard → Webhooks")
	}
	if err := demoapi.CheckWebhookSecret(c.WebhookSecret); err != nil {
		return c, fmt.Errorf("CLERK_WEBHOOK_SIGNING_SECRET: %w", err)
	}

	c.DatabaseURL = strings.TrimSpace(getenv("DATABASE_URL"))
	if c.DatabaseURL != "" && !pgstore.IsURL(c.DatabaseURL) {
		return c, errors.New("DATABASE_URL must be a postgres:// or postgresql:// URL (unset it for the embedded bbolt store)")
	}
	if c.DatabaseURL == "" && c.Dir == "" {
		data, err := paths.DataDir()
		if err != nil {
			return c, fmt.Errorf("no -dir and no user data directory: %w", err)
		}
		c.Dir = filepath.Join(data, "deskclerk", "demoapi")
	}
	return c, nil
}

func isSet(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func newLogger(c config, w io.Writer) *slog.Logger {
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.LogLevel, ReplaceAttr: logging.Redact}))
	}
	return logging.New(w, c.LogLevel)
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	c, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "demoapi:", err)
		return 2
	}
	log := newLogger(c, stderr)
	if err := serve(ctx, c, log); err != nil {
		log.Error("demoapi: stopped", "err", err)
		return 1
	}
	return 0
}

// serve runs the API until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, c config, log *slog.Logger) error {
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var store demoapi.Store
	storeDesc := "bbolt " + filepath.Join(c.Dir, demoapi.DBFile)
	if c.DatabaseURL != "" {
		st, err := pgstore.Open(startCtx, c.DatabaseURL, log)
		if err != nil {
			return err
		}
		store, storeDesc = st, "postgres"
	} else {
		if err := os.MkdirAll(c.Dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", c.Dir, err)
		}
		st, err := demoapi.OpenBolt(filepath.Join(c.Dir, demoapi.DBFile))
		if err != nil {
			return err
		}
		store = st
	}
	closed := false
	defer func() {
		if !closed {
			store.Close()
		}
	}()

	srv, err := demoapi.Start(startCtx, demoapi.Config{
		Addr: c.Addr, Store: store, WebhookSecret: c.WebhookSecret,
		Issuer: c.Issuer, JWKSURL: c.JWKSURL, JWTKeyPEM: c.JWTKeyPEM,
		AuthorizedParties: c.AuthorizedParties, Logger: log,
	})
	if err != nil {
		return err
	}
	keys := c.JWKSURL
	if keys == "" {
		keys = "CLERK_JWT_KEY"
	}
	log.Info("demoapi: listening", "url", srv.URL(), "webhook_url", srv.WebhookURL(), "issuer", c.Issuer,
		"keys", keys, "authorized_parties", strings.Join(c.AuthorizedParties, ","), "store", storeDesc)

	<-ctx.Done()
	log.Info("demoapi: shutting down", "grace", c.ShutdownTimeout.String())
	sctx, scancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	closed = true
	if err := store.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	log.Info("demoapi: stopped")
	return nil
}
