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

// secretKeys are attribute names whose values are always secret.
var secretKeys = []string{"token", "authorization", "password", "secret", "jwt", "cookie", "nonce", "code"}

// jwtLike matches compact JWS strings (three base64url segments, the first a JSON header).
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// secretKeyLike matches Clerk secret keys; the app never uses one, but a log is no place for one either.
var secretKeyLike = regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9]+`)

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

// Redact is a slog ReplaceAttr function: secret-named attributes lose their value,
// and JWT-shaped substrings of any string value are masked.
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

// MaskString masks JWT-shaped and secret-key-shaped substrings of s.
func MaskString(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtLike.ReplaceAllString(s, Redacted)
	}
	if strings.Contains(s, "sk_") {
		s = secretKeyLike.ReplaceAllString(s, Redacted)
	}
	return s
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
