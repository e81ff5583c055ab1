package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

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

func TestMiddlewarePassesOtherPaths(t *testing.T) {
	g := newGateway(t, "http://127.0.0.1:1", &memStore{})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/index.html", nil))
	if w.Code != 299 {
		t.Fatalf("code %d", w.Code)
	}
}

func TestConcurrentRotationsEndWithTheLastResponse(t *testing.T) {
	var mu sync.Mutex
	n := 0
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		w.Header().Set("Authorization", "tok-"+string(rune('A'+n%26)))
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
	if store.saves != 50 || !strings.HasPrefix(store.get(), "tok-") {
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
