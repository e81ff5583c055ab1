// Package logging builds the app's slog logger: level from configuration, and a
// redaction pass so that tokens, passwords and keys never reach a log line even
// when a caller logs them by mistake.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces any value that is, or looks like, a secret.
const Redacted = "[REDACTED]"

// secretKeys are attribute names whose values are always secret, compared after
// lower-casing and turning "-" into "_". An explicit list, not a substring match:
// "code" is usually one of Clerk's error codes (form_password_incorrect, …),
// which a log must show; the codes that are secret have names of their own.
var secretKeys = map[string]bool{
	"token": true, "client_token": true, "session_token": true, "refresh_token": true, "access_token": true,
	"id_token": true, "bearer": true, "jwt": true, "client_jwt": true, "__clerk_client_jwt": true,
	"authorization": true, "proxy_authorization": true, "cookie": true, "set_cookie": true,
	"password": true, "new_password": true, "current_password": true,
	"secret": true, "client_secret": true, "secret_key": true, "webhook_secret": true, "gateway_key": true,
	"nonce": true, "rotating_token_nonce": true, "ticket": true,
	"verification_code": true, "oauth_code": true, "auth_code": true, "authorization_code": true, "otp": true,
}

// secretSuffixes mark names that are secret by construction (session_jwt, api_secret, …).
var secretSuffixes = []string{"_token", "_jwt", "_secret", "_password"}

// Value shapes that are secret wherever they appear, whatever the attribute is called.
var (
	// jwtLike matches compact JWS strings (three base64url segments, the first a
	// JSON header): session tokens, and Clerk's client tokens.
	jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// secretKeyLike matches Clerk secret keys; the app never uses one, but a log is no place for one either.
	secretKeyLike = regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9]+`)
	// webhookSecretLike matches Svix signing secrets.
	webhookSecretLike = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
	// bearerLike matches an Authorization value of any shape.
	bearerLike = regexp.MustCompile(`(?i)\bbearer\s+[^\s"',;]+`)
)

// ParseLevel turns "debug", "info", "warn" or "error" (any case; empty means info) into a level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// New returns a text logger at level that redacts secrets.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: Redact}))
}

// Redact is a slog ReplaceAttr function: attributes named in the secret list lose
// their value, and secret-shaped substrings of any other value are masked.
func Redact(_ []string, a slog.Attr) slog.Attr {
	if isSecretKey(a.Key) && a.Value.Kind() != slog.KindGroup {
		if a.Value.Kind() == slog.KindString && a.Value.String() == "" {
			return a
		}
		return slog.String(a.Key, Redacted)
	}
	if a.Value.Kind() == slog.KindString || a.Value.Kind() == slog.KindAny {
		s := a.Value.String()
		if m := MaskString(s); m != s {
			return slog.String(a.Key, m)
		}
	}
	return a
}

// MaskString masks secret-shaped substrings of s: JWTs (session and client
// tokens), Clerk secret keys, Svix signing secrets and bearer credentials.
func MaskString(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtLike.ReplaceAllString(s, Redacted)
	}
	if strings.Contains(s, "sk_") {
		s = secretKeyLike.ReplaceAllString(s, Redacted)
	}
	if strings.Contains(s, "whsec_") {
		s = webhookSecretLike.ReplaceAllString(s, Redacted)
	}
	if bearerLike.MatchString(s) {
		s = bearerLike.ReplaceAllString(s, "Bearer "+Redacted)
	}
	return s
}

func isSecretKey(k string) bool {
	k = strings.ReplaceAll(strings.ToLower(k), "-", "_")
	if secretKeys[k] {
		return true
	}
	for _, suf := range secretSuffixes {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}
