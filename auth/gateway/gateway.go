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
	"bytes"
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

// maxClientBody bounds the GET /v1/client answer the gateway reads to tell a
// dead client from a live one (a client with many sessions is a few tens of KB).
const maxClientBody = 4 << 20

// DefaultTimeout bounds one exchange with the Frontend API: the upstream call
// and the keychain write of a rotated token.
const DefaultTimeout = 20 * time.Second

// Options configure a Gateway.
type Options struct {
	Upstream *url.URL     // Frontend API base, e.g. https://clerk.example.com
	Prefix   string       // default DefaultPrefix
	Store    TokenStore   // required
	Client   *http.Client // default: no redirects followed
	// Timeout bounds each exchange (upstream call + token save), whatever the
	// page does meanwhile; default DefaultTimeout.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Gateway is an http.Handler; see the package comment.
type Gateway struct {
	up      *url.URL
	prefix  string
	store   TokenStore
	client  *http.Client
	timeout time.Duration
	log     *slog.Logger

	// saveMu makes each token update a compare-and-set against the token the
	// request carried, so a response to an older token never replaces a newer one.
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
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		o.Client = &http.Client{
			// FAPI answers directly; a redirect would carry the token somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	up := *o.Upstream
	up.Path = strings.TrimRight(up.Path, "/")
	return &Gateway{up: &up, prefix: strings.TrimRight(o.Prefix, "/"), store: o.Store, client: o.Client, timeout: o.Timeout, log: o.Logger, online: true}, nil
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
// (the rotated client token) and Set-Cookie never reach the page.
var forwardedResponseHeaders = []string{"Content-Type", "Cache-Control", "Retry-After", "X-Clerk-Trace-Id"}

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
	token, err := g.store.Load(r.Context())
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

	// Once the request leaves for FAPI, it and the save of whatever token comes
	// back run to completion even if the page goes away (a reload, a closed
	// window): FAPI may rotate the client token, and the new token is the only
	// way back into that client. The gateway's own timeout bounds both.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), g.timeout)
	defer cancel()

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
	req.ContentLength = r.ContentLength

	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request too large", "The request body is over the gateway's limit.")
			return
		}
		if r.Context().Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
			return // the page went away before its request body was sent
		}
		g.setOnline(false, "cannot reach "+g.up.Host)
		g.log.Warn("gateway: upstream unreachable", "host", g.up.Host, "path", up.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, "network_error", "Cannot reach Clerk", "The sign-in service at "+g.up.Host+" did not answer. Check the network connection.")
		return
	}
	defer resp.Body.Close()
	g.setOnline(true, "")

	var body io.Reader = resp.Body
	var deadClient bool
	if token != "" && isGetClient(r) && resp.StatusCode == http.StatusOK {
		// The one answer that says FAPI no longer knows the client: read it whole.
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxClientBody+1))
		if err != nil || len(raw) > maxClientBody {
			g.log.Warn("gateway: client answer unreadable", "err", err, "bytes", len(raw))
			g.afterResponse(ctx, r, resp, token, false) // a token in the headers still counts
			writeError(w, http.StatusBadGateway, "bad_gateway", "Unreadable answer from Clerk", "The sign-in service's answer could not be read.")
			return
		}
		deadClient = noClient(raw)
		body = bytes.NewReader(raw)
	}
	g.afterResponse(ctx, r, resp, token, deadClient)
	g.log.Debug("gateway", "method", r.Method, "path", up.Path, "status", resp.StatusCode, "took", time.Since(start))

	for _, h := range forwardedResponseHeaders {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, body)
}

// afterResponse keeps the stored token in step with FAPI: saves a new or rotated
// one, deletes it on sign-out, on an explicit clear, and when FAPI no longer knows
// the client. sent is the token the request carried ("" for none). Every change
// but sign-out is a compare-and-set against sent: a response to a token that has
// since been replaced says nothing about the newer one (as clerk-android's
// DeviceTokenSavingMiddleware.kt: save only while the stored token is still the
// one the request carried).
func (g *Gateway) afterResponse(ctx context.Context, r *http.Request, resp *http.Response, sent string, deadClient bool) {
	upd, bad := parseAuthorization(resp.Header)
	if bad {
		g.log.Warn("gateway: ignored an Authorization response header that is not a client token")
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300

	g.saveMu.Lock()
	defer g.saveMu.Unlock()
	if ok && isSignOut(r) {
		if err := g.store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			g.log.Warn("gateway: could not delete the client token after sign-out", "err", err)
		}
		return
	}
	if upd.kind == tokenAbsent && !deadClient {
		return
	}
	cur, err := g.store.Load(ctx)
	if err != nil && !errors.Is(err, keychain.ErrNotFound) {
		g.log.Error("gateway: keychain read failed; the client token was not updated", "err", err)
		return
	}
	if cur != sent {
		g.log.Debug("gateway: token update skipped: a newer token is stored")
		return
	}
	switch {
	case upd.kind == tokenSet:
		if err := g.store.Save(ctx, upd.value); err != nil {
			g.log.Error("gateway: could not save the rotated client token", "err", err)
		}
	case upd.kind == tokenClear || deadClient:
		// FAPI said the client is gone: start afresh (the next sign-in creates one).
		if err := g.store.Delete(ctx); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			g.log.Warn("gateway: could not delete a client token FAPI no longer knows", "err", err)
		}
	}
}

type tokenKind int

const (
	tokenAbsent tokenKind = iota // no Authorization header: keep the stored token
	tokenSet                     // a new or rotated client token
	tokenClear                   // an empty value: forget the stored token
)

type tokenUpdate struct {
	kind  tokenKind
	value string
}

// parseAuthorization reads FAPI's response Authorization header the way Clerk's
// native SDKs do (clerk-ios ClerkDeviceTokenResponseMiddleware.swift): absent
// changes nothing; empty, or a bare "Bearer", is an explicit clear; otherwise the
// value, without an optional Bearer scheme (matched case-insensitively). A value
// that still has spaces in it is not a token: bad reports it, and it changes nothing.
func parseAuthorization(h http.Header) (u tokenUpdate, bad bool) {
	vals, present := h[http.CanonicalHeaderKey("Authorization")]
	if !present || len(vals) == 0 {
		return tokenUpdate{kind: tokenAbsent}, false
	}
	v := strings.TrimSpace(vals[0])
	if scheme, rest, found := strings.Cut(v, " "); found && strings.EqualFold(scheme, "Bearer") {
		v = strings.TrimSpace(rest)
	} else if strings.EqualFold(v, "Bearer") {
		v = ""
	}
	switch {
	case v == "":
		return tokenUpdate{kind: tokenClear}, false
	case strings.ContainsAny(v, " \t\r\n"):
		return tokenUpdate{kind: tokenAbsent}, true
	}
	return tokenUpdate{kind: tokenSet, value: v}, false
}

// isGetClient matches ClerkJS's read of the current client, the request whose
// answer decides whether the app starts signed in.
func isGetClient(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/v1/client")
}

// noClient reports FAPI's answer for a client token it no longer knows (ended,
// expired, or a rotating token that has since been replaced): 200 with
// {"response": null}, the same as for no token at all (openapi-specs
// fapi/2026-05-12.yml GET /v1/client → Client.ClientWrappedClient, response
// nullable; clerk-ios ClerkClientSyncResponseMiddleware.swift reads it as "no
// client").
func noClient(raw []byte) bool {
	var env map[string]json.RawMessage
	if json.Unmarshal(raw, &env) != nil {
		return false
	}
	r, ok := env["response"]
	return ok && bytes.Equal(bytes.TrimSpace(r), []byte("null"))
}

// isSignOut matches ClerkJS's sign-out calls: DELETE of all sessions, or of the client.
func isSignOut(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.EqualFold(r.URL.Query().Get("_method"), "DELETE") {
		return false
	}
	p := r.URL.Path
	return strings.HasSuffix(p, "/v1/client/sessions") || strings.HasSuffix(p, "/v1/client")
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
