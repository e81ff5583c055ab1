package emulator

import (
	"net/http"
	"net/url"
	"time"
)

// Client touch. Clerk reports when the client's cookie expires
// (client.cookie_expires_at, clerk/openapi-specs fapi/2026-05-12.yml
// Client.Client-2), and ClerkJS, when that is 8 days away or less
// (clerk/javascript packages/clerk-js/src/core/resources/Client.ts
// isEligibleForTouch), sends the window through GET <fapi>/v1/client/touch?redirect_url=…
// on setActive and signOut (clerk.ts #decorateUrlWithTouch), which renews the
// cookie and redirects back. Options.CookieExpiresWithin makes every client's
// cookie expire that soon, so a test can see ClerkJS do it.

// defaultCookieLifetime is the client cookie's lifetime when no shorter one is
// set: Clerk's long-lived client cookie (a year; browsers with tracking
// prevention cap it to 7 days, which is what CookieExpiresWithin stands for).
const defaultCookieLifetime = 365 * 24 * time.Hour

// cookieExpiresAt is client.cookie_expires_at in Unix milliseconds, counted from
// the client's last update (each touch renews it).
func (s *Server) cookieExpiresAt(c *clientRecord) int64 {
	life := defaultCookieLifetime
	if s.cookieWithin > 0 {
		life = s.cookieWithin
	}
	return c.UpdatedAt + life.Milliseconds()
}

// GET /v1/client/touch?redirect_url=…: renew the client and go back. A browser
// navigates here, so the answer is a redirect, not JSON.
func (s *Server) touchClient(w http.ResponseWriter, r *http.Request) {
	target, err := url.Parse(r.URL.Query().Get("redirect_url"))
	if err != nil || !target.IsAbs() || (target.Scheme != "http" && target.Scheme != "https" && target.Scheme != "wails") {
		writeJSON(w, http.StatusUnprocessableEntity, object{"errors": []clerkError{errParamValueInvalid("redirect_url", "redirect_url must be an absolute URL.").errs[0]}})
		return
	}
	c := &call{s: s, r: r, now: s.now(), token: r.Header.Get("Authorization")}
	_ = c.mutate(func(t *txn) error {
		cl, err := c.loadClient(t)
		if err != nil || cl == nil {
			return err
		}
		cl.UpdatedAt = c.nowMS()
		return t.saveClient(cl)
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target.String(), http.StatusFound)
}
