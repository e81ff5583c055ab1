package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"deskclerk/auth/keychain"
)

// memStore is an in-memory TokenStore for unit tests.
type memStore struct {
	mu      sync.Mutex
	v       string
	loadErr error
	saves   int
}

func (m *memStore) Load(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loadErr != nil {
		return "", m.loadErr
	}
	if m.v == "" {
		return "", keychain.ErrNotFound
	}
	return m.v, nil
}
func (m *memStore) Save(_ context.Context, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v = v
	m.saves++
	return nil
}
func (m *memStore) Delete(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v = ""
	return nil
}
func (m *memStore) get() string { m.mu.Lock(); defer m.mu.Unlock(); return m.v }

// seen records what the fake FAPI received.
type seen struct {
	Path, Query, Auth, Origin, Cookie, Body string
}

func fakeFAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *[]seen) {
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Origin"), r.Header.Get("Cookie"), string(b)})
		mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func newGateway(t *testing.T, upstream string, store TokenStore) *Gateway {
	u, _ := url.Parse(upstream)
	g, err := New(Options{Upstream: u, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func do(g http.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "wails"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func TestForwardsAsNativeClient(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", "rotated-token")
		w.Header().Set("Set-Cookie", "__client=x")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response":{"id":"client_1"},"client":null}`)
	})
	store := &memStore{v: "stored-token"}
	g := newGateway(t, up.URL, store)
	w := do(g, "POST", "/__fapi/v1/client/sign_ins?__clerk_api_version=2026-08-20", "identifier=ada%40example.com",
		map[string]string{"Origin": "wails://wails", "Authorization": "from-the-page", "Cookie": "a=b", "Content-Type": "application/x-www-form-urlencoded"})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	s := (*got)[0]
	if s.Path != "/v1/client/sign_ins" || !strings.Contains(s.Query, "_is_native=1") || !strings.Contains(s.Query, "__clerk_api_version=2026-08-20") {
		t.Errorf("upstream request %+v", s)
	}
	if s.Auth != "stored-token" || s.Origin != "" || s.Cookie != "" {
		t.Errorf("headers upstream: auth=%q origin=%q cookie=%q", s.Auth, s.Origin, s.Cookie)
	}
	if s.Body != "identifier=ada%40example.com" {
		t.Errorf("body %q", s.Body)
	}
	if store.get() != "rotated-token" {
		t.Errorf("stored %q, want the rotated token", store.get())
	}
	if w.Header().Get("Authorization") != "" || w.Header().Get("Set-Cookie") != "" {
		t.Errorf("secret headers reached the page: %v", w.Header())
	}
	if strings.Contains(w.Body.String(), "rotated-token") {
		t.Error("token in body")
	}
}

func TestNoTokenMeansAnonymous(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", "Bearer first-token")
		_, _ = io.WriteString(w, `{}`)
	})
	store := &memStore{}
	w := do(newGateway(t, up.URL, store), "GET", "/__fapi/v1/client", "", nil)
	if w.Code != 200 || (*got)[0].Auth != "" {
		t.Fatalf("code %d auth %q", w.Code, (*got)[0].Auth)
	}
	if store.get() != "first-token" {
		t.Errorf("stored %q: a Bearer prefix must be stripped", store.get())
	}
}

func TestKeychainFailureStopsTheRequest(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	store := &memStore{v: "kept", loadErr: keychain.ErrTimeout}
	w := do(newGateway(t, up.URL, store), "GET", "/__fapi/v1/client", "", nil)
	if w.Code != http.StatusServiceUnavailable || len(*got) != 0 {
		t.Fatalf("code %d, upstream calls %d", w.Code, len(*got))
	}
	assertClerkError(t, w, "keychain_unavailable")
	store.loadErr = nil
	if store.get() != "kept" {
		t.Error("the stored token was lost")
	}
}

func TestSignOutKeepsTheClientToken(t *testing.T) {
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/client/sessions" {
			w.Header().Set("Authorization", "post-signout-token")
		}
		_, _ = io.WriteString(w, `{"response":null,"client":null}`)
	})
	store := &memStore{v: "tok"}
	g := newGateway(t, up.URL, store)
	// Ending the sessions keeps the client (Client Trust recognises the device by it).
	w := do(g, "POST", "/__fapi/v1/client/sessions?_method=DELETE", "", nil)
	if w.Code != 200 || store.get() != "post-signout-token" {
		t.Fatalf("code %d, stored %q after sign-out", w.Code, store.get())
	}
	// Destroying the client drops its token.
	w = do(g, "POST", "/__fapi/v1/client?_method=DELETE", "", nil)
	if w.Code != 200 || store.get() != "" {
		t.Fatalf("code %d, stored %q after the client was destroyed", w.Code, store.get())
	}
}

// FAPI's answer for a client token it no longer knows is GET /v1/client → 200
// {"response": null}; the stored token is dropped on exactly that answer.
func TestDeadClientAnswerDropsTheToken(t *testing.T) {
	tests := []struct {
		name, method, target string
		status               int
		body                 string
		stored               string // the token in the store when the answer arrives ("" = as sent)
		kept                 bool
	}{
		{"dead client", "GET", "/__fapi/v1/client", 200, `{"response":null,"client":null}`, "", false},
		{"dead client, spaced", "GET", "/__fapi/v1/client", 200, `{ "client": null, "response" : null }`, "", false},
		{"live client", "GET", "/__fapi/v1/client", 200, `{"response":{"object":"client","id":"client_1","sessions":[]},"client":null}`, "", true},
		{"no response field", "GET", "/__fapi/v1/client", 200, `{"client":null}`, "", true},
		{"not JSON", "GET", "/__fapi/v1/client", 200, `<html>`, "", true},
		{"401 on the client", "GET", "/__fapi/v1/client", 401, `{"errors":[{"code":"signed_out"}]}`, "", true},
		{"5xx on the client", "GET", "/__fapi/v1/client", 503, `{"response":null}`, "", true},
		{"401 elsewhere", "POST", "/__fapi/v1/client/sessions/sess_1/tokens", 401, `{"errors":[{"code":"signed_out"}]}`, "", true},
		{"null elsewhere", "GET", "/__fapi/v1/client/sessions/sess_1", 200, `{"response":null,"client":null}`, "", true},
		{"a newer token was saved meanwhile", "GET", "/__fapi/v1/client", 200, `{"response":null}`, "newer", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &memStore{v: "tok"}
			up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.stored != "" {
					store.mu.Lock()
					store.v = tt.stored
					store.mu.Unlock()
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			w := do(newGateway(t, up.URL, store), tt.method, tt.target, "", nil)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("page got %d %q, want FAPI's answer unchanged", w.Code, w.Body)
			}
			want := "tok"
			if tt.stored != "" {
				want = tt.stored
			}
			if !tt.kept {
				want = ""
			}
			if got := store.get(); got != want {
				t.Fatalf("stored %q, want %q", got, want)
			}
		})
	}
}

// A response Authorization header, read as clerk-ios reads it
// (ClerkDeviceTokenResponseMiddleware.swift).
func TestResponseAuthorization(t *testing.T) {
	tests := []struct {
		name   string
		header []string // nil: no header
		want   string   // stored afterwards
	}{
		{"absent", nil, "old"},
		{"raw token", []string{"eyJ.new"}, "eyJ.new"},
		{"Bearer token", []string{"Bearer eyJ.new"}, "eyJ.new"},
		{"lower-case scheme", []string{"bearer eyJ.new"}, "eyJ.new"},
		{"upper-case scheme, extra spaces", []string{"  BEARER   eyJ.new  "}, "eyJ.new"},
		{"empty value clears", []string{""}, ""},
		{"blank value clears", []string{"   "}, ""},
		{"bare Bearer clears", []string{"Bearer"}, ""},
		{"Bearer and a space clears", []string{"Bearer "}, ""},
		{"bare bearer, any case, clears", []string{"bEaReR"}, ""},
		{"another scheme is not a token", []string{"Basic dXNlcjpwdw=="}, "old"},
		{"spaces inside are not a token", []string{"Bearer a b"}, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != nil {
					w.Header()["Authorization"] = tt.header
				}
				_, _ = io.WriteString(w, `{"response":{"id":"sia_1"},"client":null}`)
			})
			store := &memStore{v: "old"}
			w := do(newGateway(t, up.URL, store), "POST", "/__fapi/v1/client/sign_ins", "", nil)
			if w.Code != 200 || w.Header().Get("Authorization") != "" {
				t.Fatalf("code %d, Authorization to the page %q", w.Code, w.Header().Get("Authorization"))
			}
			if got := store.get(); got != tt.want {
				t.Fatalf("stored %q, want %q", got, tt.want)
			}
		})
	}
}

// The page going away mid-request (a reload, a closed window) does not stop the
// exchange: FAPI's rotated token is saved all the same (issue 13 finding 6).
func TestPageAbortStillSavesTheRotatedToken(t *testing.T) {
	arrived := make(chan struct{})
	answer := make(chan struct{})
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-answer // FAPI completes the sign-in after the page has gone
		w.Header().Set("Authorization", "rotated")
		_, _ = io.WriteString(w, `{"response":{"status":"complete"},"client":null}`)
	})
	store := &memStore{v: "before"}
	g := newGateway(t, up.URL, store)
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("POST", "/__fapi/v1/client/sign_ins/sia_1/attempt_first_factor", strings.NewReader("strategy=password")).WithContext(ctx)
	r.Host = "wails"
	done := make(chan struct{})
	go func() { defer close(done); g.ServeHTTP(httptest.NewRecorder(), r) }()
	<-arrived
	cancel()
	close(answer)
	<-done
	if got := store.get(); got != "rotated" {
		t.Fatalf("stored %q after the page aborted: the rotated token was lost", got)
	}
}

// The exchange is bounded by the gateway's own timeout, not the page's patience.
func TestTimeoutBoundsTheExchange(t *testing.T) {
	release := make(chan struct{})
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	t.Cleanup(func() { close(release) }) // before the server closes (cleanups run last-in first-out)
	u, _ := url.Parse(up.URL)
	store := &memStore{v: "tok"}
	g, err := New(Options{Upstream: u, Store: store, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w := do(g, "GET", "/__fapi/v1/client", "", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("code %d", w.Code)
	}
	assertClerkError(t, w, "network_error")
	if store.get() != "tok" {
		t.Fatal("a timeout cost the stored token")
	}
}

func TestUpstreamDownIsOfflineNotSignedOut(t *testing.T) {
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	url := up.URL
	up.Close()
	store := &memStore{v: "tok"}
	g := newGateway(t, url, store)
	w := do(g, "GET", "/__fapi/v1/client", "", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("code %d", w.Code)
	}
	assertClerkError(t, w, "network_error")
	if g.State().Online || store.get() != "tok" {
		t.Fatalf("state %+v, token %q", g.State(), store.get())
	}
}

func TestRefusals(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	g := newGateway(t, up.URL, &memStore{v: "tok"})
	tests := []struct {
		name, method, target string
		hdr                  map[string]string
		host                 string
		code                 int
	}{
		{"outside /v1", "GET", "/__fapi/other", nil, "", 404},
		{"other verb", "PUT", "/__fapi/v1/client", nil, "", 405},
		{"cross-site fetch", "POST", "/__fapi/v1/client/sessions?_method=DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403},
		{"foreign origin", "POST", "/__fapi/v1/client", map[string]string{"Origin": "https://evil.example"}, "127.0.0.1:34115", 403},
		{"rebinding host", "GET", "/__fapi/v1/client", nil, "evil.example:34115", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.Host = "wails"
			if tt.host != "" {
				r.Host = tt.host
			}
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != tt.code {
				t.Fatalf("code %d, want %d", w.Code, tt.code)
			}
			if strings.Contains(w.Body.String(), "tok") {
				t.Fatal("token leaked")
			}
		})
	}
	if len(*got) != 0 {
		t.Fatalf("%d refused requests reached FAPI", len(*got))
	}
}

// Assets are served at once while the gateway is still starting; Frontend API
// calls wait for it, and go to the assets handler when it failed to start.
func TestMiddlewareWaitsOnlyForGatewayPaths(t *testing.T) {
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(298) })
	g := newGateway(t, up.URL, &memStore{})
	started := make(chan struct{})
	var gw *Gateway
	mw := Middleware(DefaultPrefix, func() *Gateway { <-started; return gw })
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }))

	if w := do(h, "GET", "/index.html", "", nil); w.Code != 299 { // would block if it waited
		t.Fatalf("asset: code %d", w.Code)
	}
	fapi := make(chan int)
	go func() { fapi <- do(h, "GET", "/__fapi/v1/client", "", nil).Code }()
	gw = g
	close(started)
	if code := <-fapi; code != 298 {
		t.Fatalf("FAPI call: code %d, want the upstream's 298", code)
	}

	failed := Middleware(DefaultPrefix, func() *Gateway { return nil })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }))
	if w := do(failed, "GET", "/__fapi/v1/client", "", nil); w.Code != 299 {
		t.Fatalf("no gateway: code %d, want the next handler's", w.Code)
	}
}

// A response to a request that carried an older token never replaces a newer
// one (clerk-android DeviceTokenSavingMiddleware.kt), whatever order the
// answers come back in.
func TestStaleResponseDoesNotReplaceANewerToken(t *testing.T) {
	slowArrived := make(chan struct{})
	slowAnswer := make(chan struct{})
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/environment") {
			close(slowArrived)
			<-slowAnswer
			w.Header().Set("Authorization", "T1-echo") // answered for the old token
			return
		}
		w.Header().Set("Authorization", "T2") // a sign-in rotates T1 → T2
	})
	store := &memStore{v: "T1"}
	g := newGateway(t, up.URL, store)
	done := make(chan struct{})
	go func() { defer close(done); do(g, "GET", "/__fapi/v1/environment", "", nil) }()
	<-slowArrived
	do(g, "POST", "/__fapi/v1/client/sign_ins/sia_1/attempt_first_factor", "", nil)
	close(slowAnswer)
	<-done
	if got := store.get(); got != "T2" {
		t.Fatalf("stored %q, want the sign-in's T2", got)
	}
}

func TestConcurrentRotationsKeepAnIssuedToken(t *testing.T) {
	var mu sync.Mutex
	n := 0
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		w.Header().Set("Authorization", fmt.Sprintf("tok-%d", n))
		mu.Unlock()
	})
	store := &memStore{}
	g := newGateway(t, up.URL, store)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); do(g, "POST", "/__fapi/v1/client/sessions/s/touch", "", nil) }()
	}
	wg.Wait()
	if store.saves == 0 || !strings.HasPrefix(store.get(), "tok-") {
		t.Fatalf("saves %d, stored %q", store.saves, store.get())
	}
}

func assertClerkError(t *testing.T, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	var env struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || len(env.Errors) != 1 || env.Errors[0].Code != code {
		t.Fatalf("body %s: want Clerk error %q", w.Body, code)
	}
}

// Paths that are not clean, or that hide "/", "." or "\\" in percent-encoding,
// never reach FAPI (decoded, /__fapi/v1/..%2f..%2fx would go out as /v1/../../x).
func TestUncleanPathsRefused(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	g := newGateway(t, up.URL, &memStore{v: "tok"})
	for _, target := range []string{
		"/__fapi/v1/..%2f..%2fx",
		"/__fapi/v1/%2e%2e/x",
		"/__fapi/v1/%2E%2E%2Fx",
		"/__fapi/v1/client%2fsessions",
		"/__fapi/v1/client%2Fsessions",
		"/__fapi/v1/%2e/client",
		"/__fapi/v1/client/../../admin",
		"/__fapi/v1/./client",
		"/__fapi/v1//client",
		"/__fapi/v1/client/..",
		"/__fapi/v1/client%5c..%5cx",
		"/__fapi/v1/client%252f..",
		"/__fapi/../v1/client",
		"/__fapi/v1/..",
		"/__fapi/v1",
	} {
		t.Run(target, func(t *testing.T) {
			w := do(g, "GET", target, "", nil)
			if w.Code != http.StatusNotFound {
				t.Fatalf("code %d, want 404", w.Code)
			}
			assertClerkError(t, w, "resource_not_found")
		})
	}
	if len(*got) != 0 {
		t.Fatalf("%d unclean paths reached FAPI: %+v", len(*got), *got)
	}
	// Clean paths, including ids with dots and a trailing slash, still go through.
	for _, target := range []string{"/__fapi/v1/client", "/__fapi/v1/client/sessions/sess_1.x/tokens", "/__fapi/v1/environment/"} {
		if w := do(g, "GET", target, "", nil); w.Code != http.StatusOK {
			t.Errorf("%s: code %d", target, w.Code)
		}
	}
}

// With a per-launch key, a request without it (a curl on the dev server) or with a
// wrong one is refused before the token is loaded, and gets no token.
func TestKeyRequired(t *testing.T) {
	up, got := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", "rotated")
		_, _ = io.WriteString(w, `{"response":{}}`)
	})
	u, _ := url.Parse(up.URL)
	store := &memStore{v: "stored-token"}
	g, err := New(Options{Upstream: u, Store: store, Key: "launch-key-123"})
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string]map[string]string{
		"no key":     nil,
		"wrong key":  {KeyHeader: "launch-key-124"},
		"key prefix": {KeyHeader: "launch-key-12"},
		"empty key":  {KeyHeader: ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/__fapi/v1/client/sessions/sess_1/tokens", nil)
			r.Host = "127.0.0.1:34115" // the dev server, as a local process would call it
			for k, v := range hdr {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				t.Fatalf("code %d, want 403", w.Code)
			}
			assertClerkError(t, w, "gateway_key_invalid")
			if strings.Contains(w.Body.String(), "stored-token") {
				t.Fatal("token leaked")
			}
		})
	}
	if len(*got) != 0 {
		t.Fatalf("%d keyless requests reached FAPI", len(*got))
	}
	if w := do(g, "GET", "/__fapi/v1/client", "", map[string]string{KeyHeader: "launch-key-123"}); w.Code != 200 || (*got)[0].Auth != "stored-token" {
		t.Fatalf("with the key: code %d, upstream %+v", w.Code, *got)
	}
}
func TestLogPathHidesIDs(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/client/sessions/sess_T3lVzYKQm4zkytMFusi09IlSdK4/tokens":       "/v1/client/sessions/sess_…/tokens",
		"/v1/client/sign_ins/sia_2bXk1uQjz0fLmYtK3wA9/attempt_first_factor": "/v1/client/sign_ins/sia_…/attempt_first_factor",
		"/v1/environment": "/v1/environment",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
