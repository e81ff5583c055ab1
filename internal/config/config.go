// Package config gathers the app's settings from, in order of precedence, the
// process environment, a .env file, and values stamped in at build time with
// -ldflags. It holds no secrets: the publishable key and the API URL are public.
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
)

// Environment variable names.
const (
	EnvPublishableKey    = "CLERK_PUBLISHABLE_KEY"
	EnvAPIURL            = "DESKCLERK_API_URL"
	EnvAuthorizedParties = "DESKCLERK_AUTHORIZED_PARTIES"
	EnvLogLevel          = "DESKCLERK_LOG_LEVEL"
	EnvEmulatorDir       = "DESKCLERK_EMULATOR_DIR"
	EnvEmulatorURL       = "DESKCLERK_EMULATOR_URL"
	EnvOAuthPort         = "DESKCLERK_OAUTH_PORT"
	EnvDotenv            = "DESKCLERK_DOTENV"
	EnvProxyURL          = "CLERK_PROXY_URL"
)

// ErrNoKeyInRelease is returned when a release build has no publishable key:
// such a build must never fall back to the local emulator.
var ErrNoKeyInRelease = errors.New("this release build has no Clerk publishable key: set " + EnvPublishableKey + " or build with one")

// Config is the app's configuration.
type Config struct {
	PublishableKey    string   // empty in development means: use the local emulator
	APIURL            string   // base URL of the protected API; empty with the emulator means its demo API
	AuthorizedParties []string // azp allowlist for session tokens
	LogLevel          slog.Level
	EmulatorDir       string // where the emulator keeps its state; empty means the user's config dir
	EmulatorURL       string // a standalone emulator to use instead of starting one in-process
	OAuthPort         int    // fixed loopback port for social sign-in; 0 means ephemeral
	ProxyURL          string // the instance's Clerk proxy (https), if it is reached through one
	Channel           string // "development" or "release"
	Version           string
}

// Release reports whether this is a release build.
func (c Config) Release() bool { return c.Channel == "release" }

// UseEmulator reports whether the app runs against the built-in local emulator.
func (c Config) UseEmulator() bool { return c.PublishableKey == "" && !c.Release() }

// Version returns the version stamped at build time.
func Version() string { return buildVersion }

// Load reads the configuration. getenv is usually os.Getenv; dotenv, when not
// empty, is a .env file to read (a missing file is not an error).
func Load(getenv func(string) string, dotenv string) (Config, error) {
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
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		if v := strings.TrimSpace(file[k]); v != "" {
			return v
		}
		return def
	}

	c := Config{
		PublishableKey: get(EnvPublishableKey, buildPublishableKey),
		APIURL:         strings.TrimRight(get(EnvAPIURL, buildAPIURL), "/"),
		EmulatorDir:    get(EnvEmulatorDir, ""),
		EmulatorURL:    strings.TrimRight(get(EnvEmulatorURL, ""), "/"),
		ProxyURL:       strings.TrimRight(get(EnvProxyURL, buildProxyURL), "/"),
		Channel:        buildChannel,
		Version:        buildVersion,
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
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return Config{}, fmt.Errorf("config: %s=%q: want an absolute http(s) URL", EnvAPIURL, c.APIURL)
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
