package gateway

import (
	"net/http"
	"net/url"
	"strings"
)

// Client touch: when Clerk says the client's cookie expires within 8 days,
// ClerkJS sends the window to <proxyUrl>/v1/client/touch?redirect_url=<page>
// after setActive and signOut (clerk/javascript packages/clerk-js/src/core/clerk.ts
// #decorateUrlWithTouch, resources/Client.ts isEligibleForTouch). The page keeps
// ClerkJS from leaving (it fetches the touch instead); should a window still come
// here, the gateway touches the client upstream like any call and sends the
// window back to the app's own page, never to wherever FAPI would redirect it.

func isTouch(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/v1/client/touch")
}

// touchReturn is where a touched window goes back to: redirect_url if it is the
// app's own page, else the app's root.
func touchReturn(r *http.Request) string {
	u, err := url.Parse(r.URL.Query().Get("redirect_url"))
	if err != nil || u.User != nil {
		return "/"
	}
	switch {
	case u.Scheme == "wails" && u.Host == "wails":
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == r.Host && appHost(u.Host):
	default:
		return "/"
	}
	return u.String()
}

// answerTouch replaces FAPI's redirect with one back to the app's page.
func answerTouch(w http.ResponseWriter, r *http.Request, upstreamStatus int) {
	w.Header().Set("Cache-Control", "no-store")
	if upstreamStatus >= 400 {
		// The touch failed (offline, signed out): still return the window to the app.
		w.Header().Set("X-Clerk-Touch-Status", http.StatusText(upstreamStatus))
	}
	http.Redirect(w, r, touchReturn(r), http.StatusSeeOther)
}
