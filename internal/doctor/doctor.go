// Package doctor runs the sign-in diagnostics behind `deskclerk doctor` and the
// Diagnostics view: build, configuration, instance, clock, JWKS, keychain, the
// stored sign-in, the protected API, social sign-in and the network path.
//
// It knows nothing of Wails, so the command runs without a window, before the
// app's single-instance lock. It is read-only with respect to the stored sign-in:
// the only keychain entry it writes is its own test entry, and a client token
// Clerk hands back is never stored. It never prints a token or a secret.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/auth/keychain"
	"deskclerk/auth/verify"
	"deskclerk/internal/config"
)

// Status is a check's outcome.
type Status string

// Outcomes. Only StatusFail makes the command exit non-zero.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip" // could not be checked, and that is not a fault (e.g. no sign-in stored)
)

// Detail is one labelled fact under a check.
type Detail struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Check is one line of the report.
type Check struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Status  Status   `json:"status"`
	Summary string   `json:"summary"`
	Fix     string   `json:"fix,omitempty"` // what to do, when not ok
	Details []Detail `json:"details,omitempty"`
}

func (c *Check) add(label, value string) { c.Details = append(c.Details, Detail{label, value}) }

// Report is the whole diagnosis.
type Report struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"` // no check failed
	Checks []Check   `json:"checks"`
}

// Build describes the binary and its webview.
type Build struct {
	Version string `json:"version"`
	Channel string `json:"channel"`
	Wails   string `json:"wails"`
	WebView string `json:"webview"` // e.g. "WebKitGTK 2.50.6"; "" if unknown
	OS      string `json:"os"`
}

// TokenReader reads the stored client token; keychain.Store implements it.
type TokenReader interface {
	Load(ctx context.Context) (string, error)
}

// Env is what the checks look at.
type Env struct {
	Build  Build
	Config config.Config
	// Instance is the Frontend API host, issuer and JWKS URL; FrontendAPIURL is the
	// base URL requests go to (https://<host>, or the emulator's loopback URL).
	Instance       instance.Instance
	FrontendAPIURL string
	// InstanceProblem, if set, says why the instance could not be resolved (for
	// example, the built-in emulator is inside the running app); the checks that
	// need it are skipped with this reason.
	InstanceProblem string
	APIURL          string // "" when no protected API is configured
	// Keychain is the backend for the round trip on the doctor's own test entry.
	Keychain keychain.Backend
	// Stored reads the stored sign-in. Never written to.
	Stored TokenReader
	// Running is the running app's keychain health (pending writes); nil in the command.
	Running *keychain.Health
	// RunningKeys is the running app's cached JWKS; nil in the command.
	RunningKeys *verify.KeyInfo
	// OAuthPort is the configured loopback port (0: ephemeral).
	OAuthPort int
	// Redirect is the social sign-in transport in use (config.RedirectScheme or
	// config.RedirectLoopback; "" means loopback), URLScheme the app's scheme.
	Redirect, URLScheme string
	// SchemeHandler names the program this OS opens URLs of a scheme with ("" when
	// none is registered); nil: not known on this OS.
	SchemeHandler func(scheme string) (string, error)
	HTTP          *http.Client        // default: 10 s timeout, no redirects
	Getenv        func(string) string // default: none set
	Now           func() time.Time
	// ClockWarn is the clock offset above which the clock check warns (default 3 s).
	ClockWarn time.Duration
}

// Run runs every check in order. The context bounds the whole run.
func Run(ctx context.Context, env Env) Report {
	if env.HTTP == nil {
		env.HTTP = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.ClockWarn == 0 {
		env.ClockWarn = 3 * time.Second
	}
	r := &run{env: env}
	checks := []Check{
		r.build(),
		r.configuration(),
		r.instance(ctx),
		r.clock(),
		r.jwks(ctx),
		r.keychainCheck(ctx),
		r.storedSignIn(ctx),
		r.protectedAPI(ctx),
		r.social(),
		r.network(),
	}
	rep := Report{At: env.Now().UTC(), OK: true, Checks: checks}
	for _, c := range checks {
		if c.Status == StatusFail {
			rep.OK = false
		}
	}
	return rep
}

// ExitCode is 0 when no check failed, 1 otherwise.
func (r Report) ExitCode() int {
	if r.OK {
		return 0
	}
	return 1
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

var marks = map[Status]string{StatusOK: "✓", StatusWarn: "!", StatusFail: "✗", StatusSkip: "-"}

// WriteText writes one ✓/!/✗ line per check, its details indented, and what to
// do after a warning or failure.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s %-15s %s\n", marks[c.Status], c.Title, c.Summary)
		for _, d := range c.Details {
			fmt.Fprintf(&b, "    %-34s %s\n", d.Label+":", d.Value)
		}
		if c.Fix != "" {
			fmt.Fprintf(&b, "    → %s\n", c.Fix)
		}
	}
	if r.OK {
		b.WriteString("\nNo problems found.\n")
	} else {
		b.WriteString("\nSome checks failed (✗); see → for what to do.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
