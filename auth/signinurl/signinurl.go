// Package signinurl decides which addresses a sign-in may open in the system
// browser: only those of a sign-in that ClerkJS started against the configured
// instance. The page asks Go to open a URL; a compromised page (or another
// program that reached the bindings) must not be able to open a phishing page
// with the app's authority. Every transport that opens a browser for sign-in (the
// loopback redirect, a custom URL scheme) calls Check.
package signinurl

import (
	"fmt"
	"net/url"
	"strings"

	"deskclerk/auth/browseropen"
)

// OAuthCallbackPath is where providers return to the Frontend API
// (clerk/openapi-specs, frontend-api: GET|POST /v1/oauth_callback).
const OAuthCallbackPath = "/v1/oauth_callback"

// Check accepts rawURL if it passes browseropen.Validate and it is either
//   - on the instance's Frontend API origin itself (Clerk-hosted steps; the local
//     emulator's consent page), or
//   - an https page (an OAuth provider's authorization page) whose redirect_uri is
//     the instance's own OAuthCallbackPath: the provider can only send the person
//     back to this instance.
//
// frontendAPI is the instance's Frontend API base URL (https://clerk.example.com,
// or the emulator's http://127.0.0.1:port). The error matches
// browseropen.ErrUnsafeURL, so a refused URL ends the flow and is never offered
// for copying; it never contains the URL.
func Check(frontendAPI *url.URL, rawURL string) error {
	if frontendAPI == nil || frontendAPI.Host == "" {
		return &browseropen.URLError{Reason: "no Clerk instance is configured"}
	}
	u, err := browseropen.Validate(rawURL, frontendAPI.Scheme == "http")
	if err != nil {
		return err
	}
	if sameOrigin(u, frontendAPI) {
		return nil
	}
	if u.Scheme == "https" {
		q := u.Query()
		if back := q["redirect_uri"]; len(back) == 1 {
			if r, err := url.Parse(back[0]); err == nil && r.User == nil && sameOrigin(r, frontendAPI) &&
				r.Path == strings.TrimRight(frontendAPI.Path, "/")+OAuthCallbackPath {
				return nil
			}
		}
	}
	return &browseropen.URLError{Reason: fmt.Sprintf("not a sign-in address of %s (neither the instance itself nor a provider page that returns to it)", frontendAPI.Host)}
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// Opener opens only URLs that Check accepts; the rest never reach Next.
// It satisfies loopback.Opener.
type Opener struct {
	FrontendAPI *url.URL
	Next        interface{ Open(string) error }
}

// Open checks rawURL, then hands it to Next.
func (o Opener) Open(rawURL string) error {
	if err := Check(o.FrontendAPI, rawURL); err != nil {
		return err
	}
	return o.Next.Open(rawURL)
}
