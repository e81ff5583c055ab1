// Command emulator runs the local Clerk emulator and its demo protected API on
// their own, for manual work and for the end-to-end tests (the app embeds the
// same package in-process).
//
// Usage:
//
//	go run ./cmd/emulator [flags]
//
// Flags:
//
//	-dir DIR            state directory (databases); default <user config dir>/deskclerk/emulator,
//	                    the same place the app uses, so both see the same users and sessions
//	-addr HOST:PORT     Frontend API listener (default 127.0.0.1:0, an ephemeral port); loopback only
//	-api-addr HOST:PORT demo API listener (default 127.0.0.1:0); loopback only
//	-authorized-party ORIGIN
//	                    an extra origin (azp) the demo API accepts, besides wails://wails and
//	                    http://wails.localhost; repeatable
//	-ready-file FILE    once both listeners accept connections, write a JSON description
//	                    (URLs, issuer, publishable key, JWT public key PEM, demo users and their
//	                    passwords) to FILE with mode 0600; removed again on a clean exit
//	-print-users        print the demo users and their passwords, then exit (needs the emulator
//	                    stopped: the database is locked while it runs)
//	-log-level LEVEL    debug, info (default), warn or error; debug logs every request
//	-production         run as a production instance: pk_live_ key, and social sign-in redirect
//	                    URLs checked against the allowlist like production Clerk (see -allow-redirect)
//	-allow-redirect URL a redirect URL on the production allowlist (https:// or a custom scheme);
//	                    repeatable; default deskclerk://oauth-callback when -production is given
//	-multi-session      a multi-session instance: several accounts signed in on one client
//	-clock-offset D     shift the emulator's clock (and Date header) by D, e.g. 10s or -1m
//	-cookie-expires-within D  clients' cookie_expires_at this close (e.g. 168h), so ClerkJS touches the client
//	-api-keys           advertise user API keys (the emulator serves none; for the app's API-keys page test)
//	-client-trust=false turn Client Trust off (on by default, as for new Clerk applications)
//
// It stops on SIGINT or SIGTERM. Verification codes "emailed" by the emulator
// appear in its log; addresses containing +clerk_test take the code 424242.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"deskclerk/emulator"
	"deskclerk/internal/logging"
	"deskclerk/internal/paths"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// ReadyInfo is what -ready-file contains.
type ReadyInfo struct {
	PID            int                 `json:"pid"`
	FrontendAPIURL string              `json:"frontend_api_url"`
	Issuer         string              `json:"issuer"`
	JWKSURL        string              `json:"jwks_url"`
	PublishableKey string              `json:"publishable_key"`
	APIURL         string              `json:"api_url"`
	PublicKeyPEM   string              `json:"public_key_pem"`
	Dir            string              `json:"dir"`
	DemoUsers      []emulator.DemoUser `json:"demo_users"`
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "state directory (default <user config dir>/deskclerk/emulator)")
	addr := fs.String("addr", "127.0.0.1:0", "Frontend API listen address (loopback)")
	apiAddr := fs.String("api-addr", "127.0.0.1:0", "demo API listen address (loopback)")
	readyFile := fs.String("ready-file", "", "write a JSON description here once ready")
	printUsers := fs.Bool("print-users", false, "print the demo users and their passwords, then exit")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	production := fs.Bool("production", false, "run as a production instance (pk_live_ key, redirect allowlist)")
	var allow []string
	fs.Func("allow-redirect", "a redirect URL on the production allowlist (repeatable)", func(v string) error {
		allow = append(allow, strings.TrimSpace(v))
		return nil
	})
	multiSession := fs.Bool("multi-session", false, "a multi-session instance (several accounts on one client)")
	clockOffset := fs.Duration("clock-offset", 0, "shift the emulator's clock by this much (e.g. 10s)")
	cookieWithin := fs.Duration("cookie-expires-within", 0, "clients' cookie_expires_at this far away (default a year)")
	apiKeys := fs.Bool("api-keys", false, "advertise user API keys in the environment")
	clientTrust := fs.Bool("client-trust", true, "ask for an emailed code on a password sign-in from a new client")
	var parties []string
	fs.Func("authorized-party", "extra origin the demo API accepts as azp (repeatable)", func(v string) error {
		if v = strings.TrimSpace(v); v == "" {
			return errors.New("empty origin")
		}
		parties = append(parties, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emulator: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	level, err := logging.ParseLevel(*logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "emulator:", err)
		return 2
	}
	logger := logging.New(stderr, level)

	if *dir == "" {
		d, err := paths.EmulatorDir()
		if err != nil {
			fmt.Fprintln(stderr, "emulator: no user config dir; pass -dir:", err)
			return 1
		}
		*dir = d
	}

	if *printUsers {
		users, err := emulator.ReadDemoUsers(*dir)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		for _, u := range users {
			fmt.Fprintf(stdout, "%s\t%s\t%s %s\n", u.Email, u.Password, u.FirstName, u.LastName)
		}
		return 0
	}

	if *production && len(allow) == 0 {
		allow = []string{"deskclerk://oauth-callback"}
	}
	srv, err := emulator.Start(ctx, emulator.Options{
		Dir: *dir, Addr: *addr, APIAddr: *apiAddr, AuthorizedParties: parties, Logger: logger,
		Production: *production, RedirectAllowlist: allow,
		MultiSession: *multiSession, ClockOffset: *clockOffset,
		NoClientTrust: !*clientTrust, CookieExpiresWithin: *cookieWithin, APIKeys: *apiKeys,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer srv.Close()

	if *readyFile != "" {
		info := ReadyInfo{
			PID: os.Getpid(), FrontendAPIURL: srv.FrontendAPIURL(), Issuer: srv.Issuer(), JWKSURL: srv.JWKSURL(),
			PublishableKey: srv.PublishableKey(), APIURL: srv.APIURL(), PublicKeyPEM: srv.PublicKeyPEM(),
			Dir: srv.Dir(), DemoUsers: srv.DemoUsers(),
		}
		if err := writeReadyFile(*readyFile, info); err != nil {
			fmt.Fprintln(stderr, "emulator:", err)
			return 1
		}
		defer os.Remove(*readyFile)
	}
	<-ctx.Done()
	logger.Info("emulator: stopping")
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, "emulator:", err)
		return 1
	}
	return 0
}

// writeReadyFile writes atomically, so a watcher never reads half a file.
func writeReadyFile(path string, info ReadyInfo) error {
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ready file: %w", err)
	}
	return nil
}
