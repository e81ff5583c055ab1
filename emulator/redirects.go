package emulator

import (
	"errors"
	"net/url"
	"strings"
)

// Production mode's redirect allowlist.
//
// Clerk: production FAPI validates both redirect_url and action_complete_redirect_url of
// an OAuth / SSO attempt against the instance's allowlist of native redirect URLs
// (clerk/javascript packages/clerk-js/src/utils/authenticateWithTransport.ts passes the
// transport URL as both for that reason), and "security critical nonces are passed only
// to allowlisted URLs" (clerk-docs docs/_partials/allowlist-redirect-urls.mdx). Entries
// are "the full URL … prefixed with https:// or a custom scheme" (clerk/openapi-specs
// bapi POST /redirect_urls). A refused URL is a form_param_value_invalid error on the
// parameter, "<param> does not match one of the allowed values for parameter <param>",
// the ClerkErrors shape of the fapi spec.
//
// How Clerk compares is not published; the emulator matches scheme, host and path
// exactly and ignores the query, because ClerkJS appends its own parameters to an
// allowlisted URL (__clerk_modal_state, @clerk/ui ConnectedAccountsSection
// appendModalState) and the app carries its flow state there.

type allowedRedirect struct{ scheme, host, path string }

func parseAllowedRedirect(raw string) (allowedRedirect, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return allowedRedirect{}, errors.New("want a full URL without query, e.g. myapp://oauth-callback")
	}
	a := allowedRedirect{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Host), path: strings.TrimSuffix(u.Path, "/")}
	switch a.scheme {
	case "http", "javascript", "data", "file", "vbscript", "blob", "about":
		return allowedRedirect{}, errors.New("want https:// or a custom scheme")
	}
	return a, nil
}

// allowlisted reports whether raw is on the production allowlist.
func (s *Server) allowlisted(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" {
		return false
	}
	host, path := strings.ToLower(u.Host), strings.TrimSuffix(u.Path, "/")
	for _, a := range s.allowlist {
		if strings.ToLower(u.Scheme) == a.scheme && host == a.host && path == a.path {
			return true
		}
	}
	return false
}

// checkRedirects refuses, in production mode, redirect URLs off the allowlist.
func (s *Server) checkRedirects(c *call) error {
	if !s.production {
		return nil
	}
	for _, p := range []string{"redirect_url", "action_complete_redirect_url"} {
		if v := c.param(p); v != "" && !s.allowlisted(v) {
			return errParamValueInvalid(p, p+" does not match one of the allowed values for parameter "+p)
		}
	}
	return nil
}

func (s *Server) environmentType() string {
	if s.production {
		return "production"
	}
	return "development"
}
