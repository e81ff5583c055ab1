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
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// TokenStore keeps the client token. keychain.Store implements it.
type TokenStore interface {
	// Load returns the stored token. When none is stored, its error has a
	// NotFound() bool method that answers true (keychain.ErrNotFound has);
	// Delete may answer the same when there was nothing to delete.
	Load(ctx context.Context) (string, error)
	Save(ctx context.Context, token string) error
	Delete(ctx context.Context) error
}

// notFound reports whether a TokenStore error means "no token is stored".
func notFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// DefaultPrefix is the path under which the page reaches the gateway.
const DefaultPrefix = "/__fapi"

// maxBody bounds request bodies from the page (ClerkJS sends small forms; an avatar
// upload is the largest thing it sends).
const maxBody = 10 << 20

// KeyHeader carries the gateway's per-launch key (Options.Key) on each request.
const KeyHeader = "X-Deskclerk-Gateway-Key"

// maxAnswer bounds a Frontend API answer, which the gateway reads whole before
// passing it on (it must see a dead client's answer before the page does; a
// client with many sessions is a few tens of KB).
const maxAnswer = 4 << 20

// DefaultTimeout bounds one exchange with the Frontend API: the upstream call
// and the keychain write of a rotated token.
const DefaultTimeout = 20 * time.Second

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
	Client   *http.Client // default: no redirects followed (Timeout bounds each exchange)
	// Timeout bounds each exchange (upstream call + token save), whatever the
	// page does meanwhile; default DefaultTimeout.
	Timeout time.Duration
	Logger  *slog.Logger
	Clock   DateObserver // optional
	// UserAgent is sent to the Frontend API (Clerk lists it among the user's
	// active devices); the webview's own User-Agent is appended to it.
	UserAgent string
	// Key, when set, must arrive in KeyHeader on every request. The app makes a
	// new one at each launch and gives it only to its own page, so another
	// process that can reach the page's origin (the dev server on loopback)
	// cannot use the stored sign-in.
	Key string
}

// Gateway is an http.Handler; see the package comment.
type Gateway struct {
	up      *url.URL
	prefix  string
	store   TokenStore
	client  *http.Client
	timeout time.Duration
	log     *slog.Logger
	key     string
	clock   DateObserver
	ua      string

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
	return &Gateway{up: &up, prefix: strings.TrimRight(o.Prefix, "/"), store: o.Store, client: o.Client, timeout: o.Timeout, log: o.Logger, key: o.Key,
		clock: o.Clock, ua: strings.TrimSpace(o.UserAgent), online: true}, nil
}

// Middleware is the asset server's middleware: requests under prefix go to the
// gateway that get returns, everything else to next at once. get may block (the
// app starts the auth stack while the page loads, so only Frontend API calls wait
// for it) and may return nil (start-up failed: the request goes to next).
func Middleware(prefix string, get func() *Gateway) func(http.Handler) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == prefix || strings.HasPrefix(r.URL.Path, prefix+"/") {
				if g := get(); g != nil {
					g.ServeHTTP(w, r)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
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
var forwardedResponseHeaders = []string{"Content-Type", "Cache-Control", "Retry-After", "X-Clerk-Trace-Id", "X-Country"}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fapiPath, ok := g.fapiPath(r.URL)
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "Not found", "The gateway only forwards Frontend API calls under "+g.prefix+"/v1/, with clean paths.")
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
	if g.key != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(KeyHeader)), []byte(g.key)) != 1 {
		writeError(w, http.StatusForbidden, "gateway_key_invalid", "Request refused", "Only the app's own page may use the gateway: the request lacks this launch's key.")
		return
	}
	ctx := r.Context()
	hdr := http.Header{}
	for _, h := range forwardedRequestHeaders {
		if v := r.Header.Get(h); v != "" {
			hdr.Set(h, v)
		}
	}
	if ua := g.userAgent(r.Header.Get("User-Agent")); ua != "" {
		hdr.Set("User-Agent", ua)
	}
	ans, err := g.forward(ctx, r.Method, fapiPath, r.URL.Query(), http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength, hdr)
	if err != nil {
		var mbe *http.MaxBytesError
		var ge *Error
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request too large", "The request body is over the gateway's limit.")
		case errors.As(err, &ge):
			writeError(w, ge.Status, ge.Code, ge.Message, ge.Long)
		case ctx.Err() != nil:
			// the page went away before its request was sent
		default:
			writeError(w, http.StatusBadRequest, "bad_request", "Bad request", "The request could not be forwarded.")
		}
		return
	}
	if isTouch(r) {
		answerTouch(w, r, ans.status)
		return
	}
	for _, h := range forwardedResponseHeaders {
		if v := ans.header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(ans.status)
	_, _ = w.Write(ans.body)
}

// fapiPath returns the Frontend API path of u (under /v1/, without the prefix).
// It refuses a path that is not in clean form (".." or "." segments, "//") or
// that hides a separator, a dot or a backslash in percent-encoding: decoded,
// such a path would reach FAPI as /v1/../x with the client token attached.
func (g *Gateway) fapiPath(u *url.URL) (string, bool) {
	p := u.Path
	if !g.owns(p) {
		return "", false
	}
	esc := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2f", "%2e", "%5c", "%25", "\\"} {
		if strings.Contains(esc, bad) {
			return "", false
		}
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p || strings.ContainsRune(p, '\\') {
		return "", false
	}
	rest := strings.TrimPrefix(p, g.prefix)
	return rest, strings.HasPrefix(rest, "/v1/")
}

// Error is a failure of the gateway itself (keychain, network), in Clerk's terms.
type Error struct {
	Status        int
	Code, Message string
	Long          string
	Err           error
}

func (e *Error) Error() string { return e.Message + ": " + e.Long }
func (e *Error) Unwrap() error { return e.Err }

// ErrUnreachable is wrapped by errors from Call when the Frontend API did not answer.
var ErrUnreachable = errors.New("the Frontend API did not answer")

// answer is a Frontend API response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// forward sends one Frontend API call as the native client: the stored client
// token as Authorization, _is_native=1, and afterwards the token store kept in
// step (afterResponse). Both the page's calls and Go's own (Call) go through it.
//
// Once the request leaves for FAPI, it and the save of whatever token comes back
// run to completion even if the caller goes away (a reload, a closed window): FAPI
// may rotate the client token, and the new token is the only way back into that
// client. The gateway's own timeout bounds both.
func (g *Gateway) forward(ctx context.Context, method, path string, q url.Values, body io.Reader, length int64, hdr http.Header) (*answer, error) {
	token, err := g.store.Load(ctx)
	switch {
	case notFound(err):
		token = ""
	case err != nil:
		// Going on without the token would make FAPI start a new client and the
		// answer would overwrite the stored sign-in: fail instead, and lose nothing.
		g.log.Warn("gateway: keychain read failed", "err", err)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "keychain_unavailable", Message: "The system keychain did not answer", Long: err.Error(), Err: err}
	}

	up := *g.up
	up.Path = g.up.Path + path
	if q == nil {
		q = url.Values{}
	}
	q.Set("_is_native", "1")
	up.RawQuery = q.Encode()

	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(xctx, method, up.String(), body)
	if err != nil {
		return nil, fmt.Errorf("gateway: build request: %w", err)
	}
	req.Header = hdr.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	req.ContentLength = length

	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, err // the caller went away before its request body was sent
		}
		g.setOnline(false, "cannot reach "+g.up.Host)
		reason := err
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err // without the URL, which names the session
		}
		g.log.Warn("gateway: upstream unreachable", "host", g.up.Host, "path", logPath(path), "err", reason)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "network_error", Message: "Cannot reach Clerk",
			Long: "The sign-in service at " + g.up.Host + " did not answer. Check the network connection.", Err: errors.Join(ErrUnreachable, err)}
	}
	defer resp.Body.Close()
	g.setOnline(true, "")
	if g.clock != nil {
		g.clock.ObserveDate(resp.Header.Get("Date"), start, time.Now())
	}

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil || len(raw) > maxAnswer {
		g.log.Warn("gateway: answer unreadable", "err", err, "bytes", len(raw))
		g.afterResponse(xctx, method, path, q, resp.StatusCode, resp.Header, token, false) // a token in the headers still counts
		return nil, &Error{Status: http.StatusBadGateway, Code: "bad_gateway", Message: "Unreadable answer from Clerk",
			Long: "The sign-in service's answer could not be read.", Err: errors.Join(ErrUnreachable, err)}
	}
	// The one answer that says FAPI no longer knows the client.
	deadClient := token != "" && method == http.MethodGet && strings.HasSuffix(path, "/v1/client") &&
		resp.StatusCode == http.StatusOK && noClient(raw)
	g.afterResponse(xctx, method, path, q, resp.StatusCode, resp.Header, token, deadClient)
	g.log.Debug("gateway", "method", method, "path", logPath(path), "status", resp.StatusCode, "took", time.Since(start))
	return &answer{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// logPath is path for the log, with resource ids (sess_…, user_…) shortened: the
// log must not say who was signed in (the session snapshot is kept secret too).
func logPath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if j := strings.IndexByte(p, '_'); j > 0 && j <= 6 && len(p)-j-1 >= 16 {
			parts[i] = p[:j+1] + "…"
		}
	}
	return strings.Join(parts, "/")
}

// Call makes a Frontend API call from Go through the same path as the page's
// calls (token added, rotations saved), and returns the status and body. form
// is sent urlencoded when not nil. Errors wrap ErrUnreachable when FAPI did not answer.
func (g *Gateway) Call(ctx context.Context, method, path string, form url.Values) (int, []byte, error) {
	var body io.Reader
	var length int64
	hdr := http.Header{"Accept": {"application/json"}}
	if g.ua != "" {
		hdr.Set("User-Agent", g.ua)
	}
	if form != nil {
		enc := form.Encode()
		body, length = strings.NewReader(enc), int64(len(enc))
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	ans, err := g.forward(ctx, method, path, url.Values{}, body, length, hdr)
	if err != nil {
		return 0, nil, err
	}
	return ans.status, ans.body, nil
}

// afterResponse keeps the stored token in step with FAPI: saves a new or rotated
// one, deletes it on sign-out, on an explicit clear, and when FAPI no longer knows
// the client. sent is the token the request carried ("" for none). Every change
// but sign-out is a compare-and-set against sent: a response to a token that has
// since been replaced says nothing about the newer one (as clerk-android's
// DeviceTokenSavingMiddleware.kt: save only while the stored token is still the
// one the request carried).
func (g *Gateway) afterResponse(ctx context.Context, method, path string, q url.Values, status int, header http.Header, sent string, deadClient bool) {
	upd, bad := parseAuthorization(header)
	if bad {
		g.log.Warn("gateway: ignored an Authorization response header that is not a client token")
	}
	ok := status >= 200 && status < 300

	g.saveMu.Lock()
	defer g.saveMu.Unlock()
	// Signing out (ending the sessions) keeps the token: the client outlives
	// sign-out and is how Client Trust recognises this device (clerk/javascript
	// packages/clerk-js/src/core/clerk.ts signOut). Only a destroyed client's goes.
	if ok && isClientDestroyed(method, path, q) {
		if err := g.store.Delete(ctx); err != nil && !notFound(err) {
			g.log.Warn("gateway: could not delete the client token after sign-out", "err", err)
		}
		return
	}
	if upd.kind == tokenAbsent && !deadClient {
		return
	}
	cur, err := g.store.Load(ctx)
	if err != nil && !notFound(err) {
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
		if err := g.store.Delete(ctx); err != nil && !notFound(err) {
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

// isClientDestroyed matches DELETE /v1/client (Client.destroy in ClerkJS): the
// client itself is gone, so its token is worthless.
func isClientDestroyed(method, p string, q url.Values) bool {
	if method != http.MethodPost || !strings.EqualFold(q.Get("_method"), "DELETE") {
		return false
	}
	return strings.HasSuffix(p, "/v1/client")
}

// userAgent is the app's own product token followed by the webview's User-Agent,
// as Clerk's Electron SDK does (clerk/javascript packages/electron README: the
// app's name in the user agent so sessions are attributed to it).
func (g *Gateway) userAgent(web string) string {
	web = strings.TrimSpace(web)
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
