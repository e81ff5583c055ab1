package deeplink

import (
	"crypto/subtle"
	"net/url"
	"regexp"
	"strings"

	"deskclerk/auth/loopback"
)

// StateParam carries the waiting flow's state in the redirect URL's query. Clerk keeps
// the redirect URL's own query and appends its parameters to it (ClerkJS relies on this
// for __clerk_modal_state, see @clerk/ui ConnectedAccountsSection / appendModalState).
const StateParam = "deskclerk_state"

// MaxCallbackLength bounds a callback URL; Clerk's are a few hundred bytes.
const MaxCallbackLength = 8 << 10

// schemeSyntax is RFC 3986 §3.1, lower case only (schemes are case-insensitive and
// the OS registrations are written in lower case).
var schemeSyntax = regexp.MustCompile(`^[a-z][a-z0-9+.-]{0,31}$`)

// hostSyntax is the callback's host: a DNS-label-like name.
var hostSyntax = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidScheme reports whether s can be used as the app's URL scheme. The schemes the
// web already means something by are refused.
func ValidScheme(s string) bool {
	switch s {
	case "http", "https", "file", "javascript", "data", "blob", "about", "ftp", "mailto", "wails":
		return false
	}
	return schemeSyntax.MatchString(s)
}

// Match checks that raw is the callback of the flow waiting for state: exactly
// <scheme>://<host>[/]?…&deskclerk_state=<state>&… with one state parameter, compared in
// constant time, no user info, port, fragment or other path, and a query that
// loopback.ParseCallbackQuery accepts (nonce optional, or a failure). It returns the
// Result (CallbackURL = raw) or a short reason for the log — never part of raw.
func Match(raw, scheme, host, state string) (loopback.Result, string) {
	if raw == "" || len(raw) > MaxCallbackLength {
		return loopback.Result{}, "length"
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= 0x20 || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>' || c == '`' {
			return loopback.Result{}, "characters"
		}
	}
	// The prefix, case-insensitively for the scheme as RFC 3986 says; url.Parse alone
	// would also take "deskclerk:oauth-callback" (opaque) or "deskclerk:///…".
	if len(raw) < len(scheme)+3 || !strings.EqualFold(raw[:len(scheme)], scheme) || raw[len(scheme):len(scheme)+3] != "://" {
		return loopback.Result{}, "scheme"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return loopback.Result{}, "parse"
	}
	switch {
	case u.Scheme != scheme || u.Opaque != "":
		return loopback.Result{}, "scheme"
	case u.User != nil || u.Host != host:
		return loopback.Result{}, "host"
	case u.RawPath != "" || (u.Path != "" && u.Path != "/"):
		return loopback.Result{}, "path"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return loopback.Result{}, "fragment"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return loopback.Result{}, "query"
	}
	states := q[StateParam]
	switch {
	case len(states) == 0:
		return loopback.Result{}, "state_missing"
	case len(states) > 1:
		return loopback.Result{}, "state_repeated"
	case state == "" || subtle.ConstantTimeCompare([]byte(states[0]), []byte(state)) != 1:
		return loopback.Result{}, "state"
	}
	res, reason := loopback.ParseCallbackQuery(q)
	if reason != "" {
		return loopback.Result{}, reason
	}
	res.CallbackURL = raw
	return res, ""
}

// Redacted is what may be logged of a launch argument: its scheme and host when it
// parses as a URL, never its path or query (which may hold the state or the nonce).
func Redacted(arg string) string {
	if len(arg) > MaxCallbackLength {
		return "[too long]"
	}
	u, err := url.Parse(arg)
	if err != nil || u.Scheme == "" {
		return "[not a URL]"
	}
	host := u.Hostname()
	if !hostSyntax.MatchString(strings.ToLower(host)) {
		host = "?"
	}
	scheme := strings.ToLower(u.Scheme)
	if !schemeSyntax.MatchString(scheme) {
		scheme = "?"
	}
	return scheme + "://" + host + "/…"
}
