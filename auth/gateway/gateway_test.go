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
	"sync/atomic"
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

func TestSignOutDeletesToken(t *testing.T) {
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", "post-signout-token")
		_, _ = io.WriteString(w, `{"response":null,"client":null}`)
	})
	store := &memStore{v: "tok"}
	w := do(newGateway(t, up.URL, store), "POST", "/__fapi/v1/client/sessions?_method=DELETE", "", nil)
	if w.Code != 200 || store.get() != "" {
		t.Fatalf("code %d, stored %q after sign-out", w.Code, store.get())
	}
}

func TestRejectedClientTokenIsForgotten(t *testing.T) {
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) })
	store := &memStore{v: "dead"}
	do(newGateway(t, up.URL, store), "GET", "/__fapi/v1/client", "", nil)
	if store.get() != "" {
		t.Fatal("a token FAPI rejected was kept")
	}
	// A 401 elsewhere (say a session call) does not drop the client.
	store.v = "alive"
	do(newGateway(t, up.URL, store), "POST", "/__fapi/v1/client/sessions/sess_1/tokens", "", nil)
	if store.get() != "alive" {
		t.Fatal("token dropped on an unrelated 401")
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

// Every one of many racing rotations is saved once, and one of them stays stored.
func TestConcurrentRotationsAreAllSaved(t *testing.T) {
	var n atomic.Int32
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", fmt.Sprintf("tok-%d", n.Add(1)))
	})
	store := &memStore{}
	g := newGateway(t, up.URL, store)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); do(g, "POST", "/__fapi/v1/client/sessions/s/touch", "", nil) }()
	}
	wg.Wait()
	var last int
	if store.saves != 50 || func() error { _, err := fmt.Sscanf(store.get(), "tok-%d", &last); return err }() != nil || last < 1 || last > 50 {
		t.Fatalf("saves %d, stored %q", store.saves, store.get())
	}
}

// gatedStore holds the first Save until released, as a slow keychain would, and
// records the order in which saves start and finish.
type gatedStore struct {
	memStore
	entered chan string
	release chan struct{}
	once    sync.Once
	done    []string
}

func (s *gatedStore) Save(ctx context.Context, v string) error {
	s.entered <- v
	s.once.Do(func() { <-s.release })
	_ = s.memStore.Save(ctx, v)
	s.mu.Lock()
	s.done = append(s.done, v)
	s.mu.Unlock()
	return nil
}

// A rotation that arrives while an older one is still being saved is saved after
// it, so the token of the last response is the one that stays stored.
func TestConcurrentRotationsEndWithTheLastResponse(t *testing.T) {
	var n atomic.Int32
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", fmt.Sprintf("tok-%d", n.Add(1)))
	})
	store := &gatedStore{entered: make(chan string, 2), release: make(chan struct{})}
	g := newGateway(t, up.URL, store)
	touch := func(done chan<- struct{}) { do(g, "POST", "/__fapi/v1/client/sessions/s/touch", "", nil); close(done) }
	first, second := make(chan struct{}), make(chan struct{})
	go touch(first)
	if got := <-store.entered; got != "tok-1" { // tok-1's save has started and is held
		t.Fatalf("first save %q", got)
	}
	go touch(second)
	for deadline := time.Now().Add(5 * time.Second); n.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second request never reached FAPI")
		}
	}
	// tok-2 has been answered: a gateway that does not order saves starts saving it now.
	select {
	case got := <-store.entered:
		t.Errorf("the save of %s started while tok-1 was still being saved", got)
	case <-time.After(200 * time.Millisecond):
	}
	close(store.release)
	<-first
	<-second
	store.mu.Lock()
	done := strings.Join(store.done, ",")
	store.mu.Unlock()
	if done != "tok-1,tok-2" || store.get() != "tok-2" {
		t.Fatalf("saves finished in order %s, stored %q; want tok-1,tok-2 and tok-2", done, store.get())
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
