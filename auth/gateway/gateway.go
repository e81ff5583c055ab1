// Package gateway forwards ClerkJS's Frontend API calls from the webview to
// Clerk (or the local emulator) as a native client. The client token, which is
// the refresh state, stays in Go: the gateway adds it to each request as
// Authorization, saves the rotated value from each response, and strips it
// before the response reaches JavaScript.
//
// It runs as middleware of the Wails asset server, so ClerkJS talks to its own
// origin: no port is opened and there is no cross-origin request to allow.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"deskclerk/auth/keychain"
)

// TokenStore keeps the client token. keychain.Store implements it.
type TokenStore interface {
	Load(ctx context.Context) (string, error) // keychain.ErrNotFound when there is none
	Save(ctx context.Context, token string) error
	Delete(ctx context.Context) error
}

// DefaultPrefix is the path under which the page reaches the gateway.
const DefaultPrefix = "/__fapi"

// maxBody bounds request bodies from the page (ClerkJS sends small forms; an avatar
// upload is the largest thing it sends).
const maxBody = 10 << 20

// DateObserver learns Clerk's time from each response's Date header, with this
// machine's times when the request was sent and the answer arrived.
// clerkclock.Clock implements it.
type DateObserver interface {
	ObserveDate(date string, sent, received time.Time)
}

// Options configure a Gateway.
type Options struct {
	Upstream *url.URL     // Frontend API base, e.g. https://clerk.example.com
	Prefix   string       // default DefaultPrefix
	Store    TokenStore   // required
	Client   *http.Client // default: 20 s timeout, no redirects followed
	Logger   *slog.Logger
	Clock    DateObserver // optional
	// UserAgent is sent to the Frontend API (Clerk lists it among the user's
	// active devices); the webview's own User-Agent is appended to it.
	UserAgent string
}

// Gateway is an http.Handler; see the package comment.
type Gateway struct {
	up     *url.URL
	prefix string
	store  TokenStore
	client *http.Client
	log    *slog.Logger
	clock  DateObserver
	ua     string

	// saveMu orders token saves by response arrival, so an older rotation never
	// lands after a newer one.
	saveMu sync.Mutex

	stateMu  sync.Mutex
	online   bool
	lastErr  string
	lastSeen time.Time
}

// New returns a gateway.
func New(o Options) (*Gateway, error) {
	if o.Upstream == nil || (o.Upstream.Scheme != "https" && o.Upstream.Scheme != "http") || o.Upstream.Host == "" {
		return nil, errors.New("gateway: upstream must be an absolute http(s) URL")
	}
	if o.Store == nil {
		return nil, errors.New("gateway: a token store is required")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: 20 * time.Second,
			// FAPI answers directly; a redirect would carry the token somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	up := *o.Upstream
	up.Path = strings.TrimRight(up.Path, "/")
	return &Gateway{up: &up, prefix: strings.TrimRight(o.Prefix, "/"), store: o.Store, client: o.Client, log: o.Logger,
		clock: o.Clock, ua: strings.TrimSpace(o.UserAgent), online: true}, nil
}

// Middleware serves the gateway's paths and passes everything else to next.
func (g *Gateway) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.owns(r.URL.Path) {
			g.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) owns(p string) bool { return p == g.prefix || strings.HasPrefix(p, g.prefix+"/") }

// State is the gateway's view of the Frontend API, for the status line.
type State struct {
	Online    bool      `json:"online"`
	LastError string    `json:"lastError,omitempty"`
	LastSeen  time.Time `json:"lastSeen"`
}

// State reports whether the last call reached the Frontend API.
func (g *Gateway) State() State {
	g.stateMu.Lock()
	defer g.stateMu.Unlock()
	return State{Online: g.online, LastError: g.lastErr, LastSeen: g.lastSeen}
}

func (g *Gateway) setOnline(ok bool, msg string) {
	g.stateMu.Lock()
	defer g.stateMu.Unlock()
	g.online, g.lastErr = ok, msg
	if ok {
		g.lastSeen = time.Now()
	}
}

// forwardedRequestHeaders are the only request headers passed on. Origin, Referer,
// Cookie and any Authorization set by the page are dropped: FAPI refuses Origin
// together with Authorization, and the page has no business choosing the token.
var forwardedRequestHeaders = []string{"Content-Type", "Accept", "Accept-Language"}

// forwardedResponseHeaders are the only response headers passed back; Authorization
// (the rotated client token) and Set-Cookie never reach the page. x-country is
// what ClerkJS reads for the phone-number field's default country
// (clerk/javascript packages/clerk-js/src/core/resources/Base.ts).
var forwardedResponseHeaders = []string{"Content-Type", "Cache-Control", "Retry-After", "X-Clerk-Trace-Id", "X-Country"}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.owns(r.URL.Path) || !strings.HasPrefix(strings.TrimPrefix(r.URL.Path, g.prefix), "/v1/") {
		writeError(w, http.StatusNotFound, "resource_not_found", "Not found", "The gateway only forwards Frontend API calls under "+g.prefix+"/v1/.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		// ClerkJS sends other verbs as POST with _method=…
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed", "Use GET or POST.")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "origin_invalid", "Cross-origin request refused", "Only the app's own page may use the gateway.")
		return
	}
	ctx := r.Context()
	token, err := g.store.Load(ctx)
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		token = ""
	case err != nil:
		// Going on without the token would make FAPI start a new client and the
		// answer would overwrite the stored sign-in: fail instead, and lose nothing.
		g.log.Warn("gateway: keychain read failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "keychain_unavailable", "The system keychain did not answer", err.Error())
		return
	}

	up := *g.up
	up.Path = g.up.Path + strings.TrimPrefix(r.URL.Path, g.prefix)
	q := r.URL.Query()
	q.Set("_is_native", "1")
	up.RawQuery = q.Encode()

	req, err := http.NewRequestWithContext(ctx, r.Method, up.String(), http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Bad request", "The request could not be forwarded.")
		return
	}
	for _, h := range forwardedRequestHeaders {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if ua := g.userAgent(r); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	req.ContentLength = r.ContentLength

	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request too large", "The request body is over the gateway's limit.")
			return
		}
		if ctx.Err() != nil {
			return // the page went away
		}
		g.setOnline(false, "cannot reach "+g.up.Host)
		g.log.Warn("gateway: upstream unreachable", "host", g.up.Host, "path", up.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, "network_error", "Cannot reach Clerk", "The sign-in service at "+g.up.Host+" did not answer. Check the network connection.")
		return
	}
	defer resp.Body.Close()
	if g.clock != nil {
		g.clock.ObserveDate(resp.Header.Get("Date"), start, time.Now())
	}
	g.setOnline(true, "")
	g.afterResponse(ctx, r, resp)
	g.log.Debug("gateway", "method", r.Method, "path", up.Path, "status", resp.StatusCode, "took", time.Since(start))
	if isTouch(r) {
		answerTouch(w, r, resp.StatusCode)
		return
	}

	for _, h := range forwardedResponseHeaders {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// afterResponse keeps the stored token in step with FAPI: saves a rotated one,
// deletes it when the client is destroyed, and forgets a token FAPI no longer
// knows. Signing out (ending the sessions) keeps it: the client outlives sign-out
// and is how Client Trust recognises this device (clerk/javascript
// packages/clerk-js/src/core/clerk.ts signOut).
func (g *Gateway) afterResponse(ctx context.Context, r *http.Request, resp *http.Response) {
	rotated := strings.TrimSpace(strings.TrimPrefix(resp.Header.Get("Authorization"), "Bearer "))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	// Saving must finish even if the page cancels its request: the new token is the
	// only way back into the client FAPI just changed.
	ctx = context.WithoutCancel(ctx)

	g.saveMu.Lock()
	defer g.saveMu.Unlock()
	switch {
	case ok && isClientDestroyed(r):
		if err := g.store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			g.log.Warn("gateway: could not delete the client token of a destroyed client", "err", err)
		}
	case rotated != "":
		if err := g.store.Save(ctx, rotated); err != nil {
			g.log.Error("gateway: could not save the rotated client token", "err", err)
		}
	case resp.StatusCode == http.StatusUnauthorized && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/v1/client"):
		// FAPI does not know the token (expired or revoked client): start afresh.
		if err := g.store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			g.log.Warn("gateway: could not delete a rejected client token", "err", err)
		}
	}
}

// isClientDestroyed matches DELETE /v1/client (Client.destroy in ClerkJS): the
// client itself is gone, so its token is worthless.
func isClientDestroyed(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.EqualFold(r.URL.Query().Get("_method"), "DELETE") {
		return false
	}
	return strings.HasSuffix(r.URL.Path, "/v1/client")
}

// userAgent is the app's own product token followed by the webview's User-Agent,
// as Clerk's Electron SDK does (clerk/javascript packages/electron README: the
// app's name in the user agent so sessions are attributed to it).
func (g *Gateway) userAgent(r *http.Request) string {
	web := strings.TrimSpace(r.Header.Get("User-Agent"))
	switch {
	case g.ua == "":
		return web
	case web == "":
		return g.ua
	}
	return g.ua + " " + web
}

// sameOrigin refuses requests that a browser marks as coming from another site,
// and any Host but the app's own (DNS rebinding to the dev server). The page itself
// (wails://wails, http://wails.localhost, or the dev server on loopback) passes.
func sameOrigin(r *http.Request) bool {
	if !appHost(r.Host) {
		return false
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		// WebKit gives custom-scheme pages an opaque origin; cross-site requests were
		// refused above by Sec-Fetch-Site.
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if u.Scheme == "wails" {
		return true // the app's own scheme: no other page can use it
	}
	return u.Host == r.Host
}

// appHost accepts the hosts the app's page is served from.
func appHost(hostport string) bool {
	h := hostport
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	switch strings.Trim(h, "[]") {
	case "", "wails", "wails.localhost", "127.0.0.1", "::1", "localhost":
		return true
	}
	return false
}

type clerkError struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	LongMessage string   `json:"long_message"`
	Meta        struct{} `json:"meta"`
}

// writeError answers in Clerk's error envelope, so ClerkJS reports it like any FAPI error.
func writeError(w http.ResponseWriter, status int, code, msg, long string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors":         []clerkError{{Code: code, Message: msg, LongMessage: long}},
		"clerk_trace_id": fmt.Sprintf("gw_%d", time.Now().UnixNano()),
	})
}
