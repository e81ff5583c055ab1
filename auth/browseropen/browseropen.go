// Package browseropen opens a URL in the person's default system browser, after checking
// that the URL is one a sign-in flow may legitimately open.
//
// Wails' runtime.BrowserOpenURL is not used on purpose: its v2 validator rejects valid
// URLs (any containing "()~!*[]{}") and only logs failures, so the app could never tell
// the person "the browser did not open, copy this link instead". This package validates
// with an allowlist (https, or http to a loopback IP literal when the caller allows it),
// then hands the URL to github.com/pkg/browser and returns its error.
//
// Error strings never contain the URL: sign-in URLs carry OAuth state and similar values.
package browseropen

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/pkg/browser"
)

// MaxURLLength bounds the URL handed to the OS. Enterprise SSO URLs can carry a SAML
// request of several kilobytes; nothing legitimate comes close to this.
const MaxURLLength = 32 << 10

// ErrUnsafeURL is matched (errors.Is) by every validation failure. A URL rejected for
// safety must not be offered to the person for copying either.
var ErrUnsafeURL = errors.New("unsafe URL")

// URLError explains why Validate rejected a URL. It never holds the URL itself.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return "browseropen: unsafe URL: " + e.Reason }

// Is makes errors.Is(err, ErrUnsafeURL) true for every *URLError.
func (e *URLError) Is(target error) bool { return target == ErrUnsafeURL }

func reject(format string, a ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, a...)}
}

// Validate parses rawURL and accepts it only if it is
//   - an absolute https URL with a host, or
//   - when allowHTTPLoopback is set, an http URL whose host is the IP literal 127.0.0.1
//     or [::1] (the local Clerk emulator); "localhost" is refused (RFC 8252 §8.3);
//
// and it has no user:password part, no control, space, non-ASCII, backslash, quote,
// angle-bracket or backtick characters (none of which appear unescaped in a well-formed
// URL), and is at most MaxURLLength bytes.
func Validate(rawURL string, allowHTTPLoopback bool) (*url.URL, error) {
	if rawURL == "" {
		return nil, reject("empty")
	}
	if len(rawURL) > MaxURLLength {
		return nil, reject("longer than %d bytes", MaxURLLength)
	}
	for i := 0; i < len(rawURL); i++ {
		c := rawURL[i]
		switch {
		case c <= 0x20 || c == 0x7f:
			return nil, reject("control or space character at byte %d", i)
		case c >= 0x80:
			return nil, reject("non-ASCII byte at %d", i)
		case c == '\\' || c == '"' || c == '<' || c == '>' || c == '`':
			return nil, reject("character %q not allowed", c)
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the input; keep only the fact that it failed.
		return nil, reject("does not parse")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !allowHTTPLoopback) {
		return nil, reject("scheme must be https")
	}
	if u.Opaque != "" || !strings.HasPrefix(strings.ToLower(rawURL), u.Scheme+"://") {
		return nil, reject("not an absolute hierarchical URL")
	}
	if u.User != nil {
		return nil, reject("credentials in URL")
	}
	host := u.Hostname()
	if host == "" {
		return nil, reject("no host")
	}
	if strings.Contains(u.Host, "%") {
		return nil, reject("escaped or zoned host")
	}
	if p := u.Port(); p != "" && (len(p) > 5 || strings.TrimLeft(p, "0123456789") != "") {
		return nil, reject("bad port")
	}
	if u.Scheme == "http" {
		ip := net.ParseIP(host)
		if ip == nil || !(ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback)) {
			return nil, reject("http is allowed only to 127.0.0.1 or [::1]")
		}
	}
	return u, nil
}

// quietOnce silences pkg/browser's child processes once: xdg-open and friends print
// diagnostics (sometimes including the URL) to the app's stdout/stderr otherwise.
var quietOnce sync.Once

// launchSystem is the real launcher: github.com/pkg/browser (xdg-open, x-www-browser,
// www-browser on Linux; open on macOS; ShellExecute on Windows).
func launchSystem(u string) error {
	quietOnce.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	return browser.OpenURL(u)
}

// System is an opener (it satisfies loopback.Opener) that validates, then launches.
// The zero value opens https URLs with the system browser.
//
// Open can block for as long as the launcher runs: on some Linux setups x-www-browser
// starts the browser in the foreground and returns only when it exits. Call it from a
// goroutine when that matters (loopback.Manager does).
type System struct {
	// AllowHTTPLoopback permits http://127.0.0.1 and http://[::1] URLs (local emulator).
	AllowHTTPLoopback bool
	// Launch replaces the system browser, for tests and the end-to-end harness. It is
	// called only with URLs that passed Validate. Nil means github.com/pkg/browser.
	Launch func(url string) error
}

// Open validates rawURL and hands it to the launcher. Launcher failures are wrapped with
// context but never include the URL.
func (s System) Open(rawURL string) error {
	if _, err := Validate(rawURL, s.AllowHTTPLoopback); err != nil {
		return err
	}
	launch := s.Launch
	if launch == nil {
		launch = launchSystem
	}
	// Launch the exact string that was validated, not a re-encoding of it.
	if err := launch(rawURL); err != nil {
		return fmt.Errorf("browseropen: open system browser: %w", err)
	}
	return nil
}
