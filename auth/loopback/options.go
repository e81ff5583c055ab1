package loopback

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// DefaultTimeout is how long a flow waits for the browser unless Options.Timeout says
// otherwise (the same 3 minutes @clerk/electron uses).
const DefaultTimeout = 3 * time.Minute

// DefaultLandingTitle names the app on the browser's landing page.
const DefaultLandingTitle = "Desk Clerk"

// Options configure one flow (Start) or every flow of a Manager.
type Options struct {
	// Port is the loopback port. 0 (the default) picks a free ephemeral port per flow,
	// as RFC 8252 §7.3 intends. A fixed port is for Clerk production instances whose
	// redirect allowlist names an exact URL; if it is taken, Start fails with ErrPortInUse.
	Port int
	// Timeout bounds the wait for the browser; 0 means DefaultTimeout.
	Timeout time.Duration
	// DisableIPv6 skips the [::1] listener. By default the flow listens on 127.0.0.1 and,
	// where the system has IPv6 loopback, on [::1] with the same port; the redirect URL
	// names 127.0.0.1 unless only [::1] could be bound.
	DisableIPv6 bool
	// Logger receives diagnostics (never the secret path, the query or the nonce).
	// Nil discards them.
	Logger *slog.Logger
	// LandingTitle is the app name on the browser's landing page; "" means
	// DefaultLandingTitle. It is HTML-escaped and capped at 80 bytes.
	LandingTitle string
	// OnDone, if set, runs once when the flow ends for any reason, after the listener
	// has closed and before Wait returns. Use it to bring the app window to the front
	// (Wails: runtime.WindowUnminimise + runtime.WindowShow). Keep it short.
	OnDone func(Result, error)
}

func (o Options) withDefaults() (Options, error) {
	if o.Port < 0 || o.Port > 65535 {
		return o, fmt.Errorf("loopback: port %d out of range", o.Port)
	}
	if o.Timeout < 0 {
		return o, fmt.Errorf("loopback: negative timeout %s", o.Timeout)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LandingTitle == "" {
		o.LandingTitle = DefaultLandingTitle
	}
	if len(o.LandingTitle) > 80 {
		o.LandingTitle = strings.ToValidUTF8(o.LandingTitle[:80], "")
	}
	return o, nil
}
