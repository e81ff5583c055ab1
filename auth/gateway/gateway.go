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

// Options configure a Gateway.
type Options struct {
	Upstream *url.URL     // Frontend API base, e.g. https://clerk.example.com
	Prefix   string       // default DefaultPrefix
	Store    TokenStore   // required
	Client   *http.Client // default: 20 s timeout, no redirects followed
	Logger   *slog.Logger
	// Key, when set, must arrive in KeyHeader on every request. The app makes a
	// new one at each launch and gives it only to its own page, so another
	// process that can reach the page's origin (the dev server on loopback)
	// cannot use the stored sign-in.
	Key string
}

// Gateway is an http.Handler; see the package comment.
type Gateway struct {
	up     *url.URL
	prefix string
	store  TokenStore
	client *http.Client
	log    *slog.Logger
	key    string

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
	return &Gateway{up: &up, prefix: strings.TrimRight(o.Prefix, "/"), store: o.Store, client: o.Client, log: o.Logger, key: o.Key, online: true}, nil
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
var forwardedResponseHeaders = []string{"Content-Type", "Cache-Control", "Retry-After", "X-Clerk-Trace-Id"}

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
	resp, err := g.forward(ctx, r.Method, fapiPath, r.URL.Query(), http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength, hdr)
	if err != nil {
		var mbe *http.MaxBytesError
		var ge *Error
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request too large", "The request body is over the gateway's limit.")
		case ctx.Err() != nil:
			// the page went away
		case errors.As(err, &ge):
			writeError(w, ge.Status, ge.Code, ge.Message, ge.Long)
		default:
			writeError(w, http.StatusBadRequest, "bad_request", "Bad request", "The request could not be forwarded.")
		}
		return
	}
	defer resp.Body.Close()

	for _, h := range forwardedResponseHeaders {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
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

// forward sends one Frontend API call as the native client: the stored client
// token as Authorization, _is_native=1, and afterwards the token store kept in
// step (afterResponse). Both the page's calls and Go's own (Call) go through it.
func (g *Gateway) forward(ctx context.Context, method, path string, q url.Values, body io.Reader, length int64, hdr http.Header) (*http.Response, error) {
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

	req, err := http.NewRequestWithContext(ctx, method, up.String(), body)
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
		if ctx.Err() != nil {
			return nil, err
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
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
	g.setOnline(true, "")
	g.afterResponse(ctx, method, path, q, resp)
	g.log.Debug("gateway", "method", method, "path", logPath(path), "status", resp.StatusCode, "took", time.Since(start))
	return resp, nil
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
	if form != nil {
		enc := form.Encode()
		body, length = strings.NewReader(enc), int64(len(enc))
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := g.forward(ctx, method, path, url.Values{}, body, length, hdr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("gateway: read %s: %w", path, errors.Join(ErrUnreachable, err))
	}
	return resp.StatusCode, b, nil
}

// afterResponse keeps the stored token in step with FAPI: saves a rotated one,
// deletes it on sign-out, and forgets a token FAPI no longer knows.
func (g *Gateway) afterResponse(ctx context.Context, method, path string, q url.Values, resp *http.Response) {
	rotated := strings.TrimSpace(strings.TrimPrefix(resp.Header.Get("Authorization"), "Bearer "))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	// Saving must finish even if the page cancels its request: the new token is the
	// only way back into the client FAPI just changed.
	ctx = context.WithoutCancel(ctx)

	g.saveMu.Lock()
	defer g.saveMu.Unlock()
	switch {
	case ok && isSignOut(method, path, q):
		if err := g.store.Delete(ctx); err != nil && !notFound(err) {
			g.log.Warn("gateway: could not delete the client token after sign-out", "err", err)
		}
	case rotated != "":
		if err := g.store.Save(ctx, rotated); err != nil {
			g.log.Error("gateway: could not save the rotated client token", "err", err)
		}
	case resp.StatusCode == http.StatusUnauthorized && method == http.MethodGet && strings.HasSuffix(path, "/v1/client"):
		// FAPI does not know the token (expired or revoked client): start afresh.
		if err := g.store.Delete(ctx); err != nil && !notFound(err) {
			g.log.Warn("gateway: could not delete a rejected client token", "err", err)
		}
	}
}

// isSignOut matches ClerkJS's sign-out calls: DELETE of all sessions, or of the client.
func isSignOut(method, p string, q url.Values) bool {
	if method != http.MethodPost || !strings.EqualFold(q.Get("_method"), "DELETE") {
		return false
	}
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
