// Package config gathers the app's settings from, in order of precedence, the
// process environment, a .env file, and values stamped in at build time with
// -ldflags. It holds no secrets: the publishable key and the API URL are public.
//
// A release build trusts nothing from where it is launched: it reads no .env
// file and takes its publishable key and API URL only from the build; from the
// environment it takes only settings that cannot send the sign-in elsewhere
// (ReleaseEnv lists them).
package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"

	"deskclerk/internal/logging"
)

// Build-time defaults, set with
//
//	-ldflags "-X deskclerk/internal/config.buildPublishableKey=pk_live_… -X deskclerk/internal/config.buildChannel=release"
var (
	buildPublishableKey string
	buildAPIURL         string
	buildProxyURL       string
	buildChannel        = "development"
	buildVersion        = "dev"
	// buildURLScheme is the app's URL scheme for social sign-in redirects
	// (<scheme>://oauth-callback). Packaging stamps the same name into the OS
	// registrations (wails.json info.protocols, the .desktop entry); see README.
	buildURLScheme = "deskclerk"
)

// How social sign-in gets Clerk's redirect back (Config.OAuthRedirect).
const (
	RedirectScheme   = "scheme"   // the app's URL scheme: what production instances allowlist
	RedirectLoopback = "loopback" // http://127.0.0.1:<port>/callback/<secret> (RFC 8252 §7.3)
)

// Environment variable names.
const (
	EnvPublishableKey    = "CLERK_PUBLISHABLE_KEY"
	EnvAPIURL            = "DESKCLERK_API_URL"
	EnvAuthorizedParties = "DESKCLERK_AUTHORIZED_PARTIES"
	EnvLogLevel          = "DESKCLERK_LOG_LEVEL"
	EnvEmulatorDir       = "DESKCLERK_EMULATOR_DIR"
	EnvEmulatorURL       = "DESKCLERK_EMULATOR_URL"
	EnvEmulatorProd      = "DESKCLERK_EMULATOR_PRODUCTION"
	EnvOAuthPort         = "DESKCLERK_OAUTH_PORT"
	EnvOAuthRedirect     = "DESKCLERK_OAUTH_REDIRECT"
	EnvDotenv            = "DESKCLERK_DOTENV"
	// EnvEmulatorMultiSession makes the built-in emulator a multi-session instance.
	EnvEmulatorMultiSession = "DESKCLERK_EMULATOR_MULTI_SESSION"
	// EnvEmulatorClientTrust=false turns the built-in emulator's Client Trust off.
	EnvEmulatorClientTrust = "DESKCLERK_EMULATOR_CLIENT_TRUST"
)

// Source is where a setting's value came from.
type Source string

// Sources, in rising precedence.
const (
	SourceBuiltIn Source = "built-in"    // the default, or a value stamped in at build time
	SourceDotenv  Source = ".env"        // the .env file
	SourceEnv     Source = "environment" // the process environment
	EnvProxyURL          = "CLERK_PROXY_URL"
)

// ErrNoKeyInRelease is returned when a release build has no publishable key:
// such a build must never fall back to the local emulator.
var ErrNoKeyInRelease = errors.New("this release build has no Clerk publishable key: build it with one (make package CLERK_PUBLISHABLE_KEY=pk_live_…)")

// ReleaseEnv are the only settings a release build reads from its environment:
// none of them can point the sign-in or a session token at another host. The
// publishable key and API URL come from the build; .env files are not read.
var ReleaseEnv = []string{EnvLogLevel, EnvOAuthPort, EnvAuthorizedParties, EnvOAuthRedirect}

// Config is the app's configuration.
type Config struct {
	PublishableKey       string   // empty in development means: use the local emulator
	APIURL               string   // base URL of the protected API; empty with the emulator means its demo API
	AuthorizedParties    []string // azp allowlist for session tokens
	LogLevel             slog.Level
	EmulatorDir          string // where the emulator keeps its state; empty means the user's config dir
	EmulatorURL          string // a standalone emulator to use instead of starting one in-process
	EmulatorProd         bool   // the emulator acts as a production instance (pk_live_, redirect allowlist)
	EmulatorMultiSession bool   // the built-in emulator runs a multi-session instance
	EmulatorNoTrust      bool   // the built-in emulator runs without Client Trust
	OAuthPort            int    // fixed loopback port for social sign-in; 0 means ephemeral
	OAuthRedirect        string // RedirectScheme, RedirectLoopback, or "" to decide per instance
	ProxyURL             string // the instance's Clerk proxy (https), if it is reached through one
	URLScheme            string // the app's URL scheme (build time only)
	Channel              string // "development" or "release"
	Version              string
	// GatewayKey is made anew by main at each launch (never read from settings):
	// the gateway serves only requests that carry it, and only the app's page gets it.
	GatewayKey string
	// Sources says where each setting came from, by its environment variable name.
	Sources map[string]Source
}

// Release reports whether this is a release build.
func (c Config) Release() bool { return c.Channel == "release" }

// UseEmulator reports whether the app runs against the built-in local emulator.
func (c Config) UseEmulator() bool { return c.PublishableKey == "" && !c.Release() }

// RedirectFor is the social sign-in transport for an instance with this publishable
// key: the setting if given, else the URL scheme for production instances (pk_live_:
// production FAPI sends the nonce only to allowlisted redirect URLs, and a loopback URL
// with a port cannot be allowlisted once) and the loopback for development instances
// and the local emulator (which accept any redirect URL).
func (c Config) RedirectFor(publishableKey string) string {
	if c.OAuthRedirect != "" {
		return c.OAuthRedirect
	}
	if strings.HasPrefix(publishableKey, "pk_live_") {
		return RedirectScheme
	}
	return RedirectLoopback
}

// Version returns the version stamped at build time.
func Version() string { return buildVersion }

// Load reads the configuration. getenv is usually os.Getenv; dotenv, when not
// empty, is a .env file to read (a missing file is not an error).
func Load(getenv func(string) string, dotenv string) (Config, error) {
	release := buildChannel == "release"
	if release {
		// A desktop launch often starts in $HOME: a .env there, or a variable set by
		// whatever launched the app, must not choose where the sign-in goes.
		dotenv = ""
		getenv = onlyKeys(getenv, ReleaseEnv)
	}
	file := map[string]string{}
	if dotenv != "" {
		f, err := os.Open(dotenv)
		switch {
		case err == nil:
			file, err = ParseDotenv(f)
			f.Close()
			if err != nil {
				return Config{}, fmt.Errorf("config: %s: %w", dotenv, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	sources := map[string]Source{}
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			sources[k] = SourceEnv
			return v
		}
		if v := strings.TrimSpace(file[k]); v != "" {
			sources[k] = SourceDotenv
			return v
		}
		sources[k] = SourceBuiltIn
		return def
	}

	c := Config{
		PublishableKey: get(EnvPublishableKey, buildPublishableKey),
		APIURL:         strings.TrimRight(get(EnvAPIURL, buildAPIURL), "/"),
		EmulatorDir:    get(EnvEmulatorDir, ""),
		EmulatorURL:    strings.TrimRight(get(EnvEmulatorURL, ""), "/"),
		OAuthRedirect:  get(EnvOAuthRedirect, ""),
		URLScheme:      buildURLScheme,
		ProxyURL:       strings.TrimRight(get(EnvProxyURL, buildProxyURL), "/"),
		Channel:        buildChannel,
		Version:        buildVersion,
		Sources:        sources,
	}
	if strings.HasPrefix(c.PublishableKey, "sk_") {
		return Config{}, fmt.Errorf("config: %s holds a secret key; the app needs the publishable key (pk_…) and must never ship a secret key", EnvPublishableKey)
	}
	for _, p := range strings.Split(get(EnvAuthorizedParties, ""), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.AuthorizedParties = append(c.AuthorizedParties, p)
		}
	}
	var err error
	if c.LogLevel, err = logging.ParseLevel(get(EnvLogLevel, "info")); err != nil {
		return Config{}, fmt.Errorf("config: %s: %w", EnvLogLevel, err)
	}
	if p := get(EnvOAuthPort, ""); p != "" {
		if c.OAuthPort, err = strconv.Atoi(p); err != nil || c.OAuthPort < 1 || c.OAuthPort > 65535 {
			return Config{}, fmt.Errorf("config: %s=%q: want a port number from 1 to 65535", EnvOAuthPort, p)
		}
	}
	switch v := get(EnvEmulatorProd, ""); v {
	case "", "0", "false":
	case "1", "true":
		c.EmulatorProd = true
	default:
		return Config{}, fmt.Errorf("config: %s=%q: want 1 or 0", EnvEmulatorProd, v)
	}
	switch c.OAuthRedirect {
	case "", RedirectScheme, RedirectLoopback:
	default:
		return Config{}, fmt.Errorf("config: %s=%q: want %q or %q", EnvOAuthRedirect, c.OAuthRedirect, RedirectScheme, RedirectLoopback)
	}
	if v := get(EnvEmulatorClientTrust, ""); v != "" {
		trust, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s=%q: want true or false", EnvEmulatorClientTrust, v)
		}
		c.EmulatorNoTrust = !trust
	}
	if v := get(EnvEmulatorMultiSession, ""); v != "" {
		if c.EmulatorMultiSession, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("config: %s=%q: want true or false", EnvEmulatorMultiSession, v)
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return Config{}, fmt.Errorf("config: %s=%q: want an absolute http(s) URL", EnvAPIURL, c.APIURL)
		}
		if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			// Every API call carries a session token: in clear text only to this machine.
			return Config{}, fmt.Errorf("config: %s=%q: plain http is only allowed to this machine (127.0.0.1, ::1, localhost); use https", EnvAPIURL, c.APIURL)
		}
	}
	if c.EmulatorURL != "" {
		u, err := url.Parse(c.EmulatorURL)
		if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
			return Config{}, fmt.Errorf("config: %s=%q: want http://127.0.0.1:<port> (the emulator listens on loopback only)", EnvEmulatorURL, c.EmulatorURL)
		}
	}
	if c.ProxyURL != "" {
		u, err := url.Parse(c.ProxyURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" {
			return Config{}, fmt.Errorf("config: %s=%q: want the https URL of the instance's Clerk proxy", EnvProxyURL, c.ProxyURL)
		}
	}
	if c.Release() && c.PublishableKey == "" {
		return Config{}, ErrNoKeyInRelease
	}
	return c, nil
}

// onlyKeys is getenv restricted to keys; every other variable reads as unset.
func onlyKeys(getenv func(string) string, keys []string) func(string) string {
	return func(k string) string {
		for _, allowed := range keys {
			if k == allowed {
				return getenv(k)
			}
		}
		return ""
	}
}

func loopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}

// ParseDotenv reads KEY=VALUE lines; blank lines and # comments are skipped and
// matching single or double quotes around a value are removed.
func ParseDotenv(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, sc.Err()
}
