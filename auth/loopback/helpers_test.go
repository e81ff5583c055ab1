package loopback_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeClerk stands in for Clerk's Frontend API and the provider: its authorize URL walks
// the browser through a provider page and Clerk's oauth_callback, then redirects to the
// app's redirect_url with a fresh rotating_token_nonce — or with __clerk_status=failed
// when outcome=<error code> is given.
type fakeClerk struct {
	*httptest.Server
	mu     sync.Mutex
	nonces []string
}

func newFakeClerk(t *testing.T) *fakeClerk {
	t.Helper()
	fc := &fakeClerk{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		ru := r.URL.Query().Get("redirect_url")
		// Like a redirect allowlist for native apps: loopback IP literal only.
		if !strings.HasPrefix(ru, "http://127.0.0.1:") && !strings.HasPrefix(ru, "http://[::1]:") {
			http.Error(w, "redirect_url not allowed", http.StatusBadRequest)
			return
		}
		next := "/provider/consent?" + url.Values{"redirect_url": {ru}, "outcome": {r.URL.Query().Get("outcome")}}.Encode()
		http.Redirect(w, r, next, http.StatusFound)
	})
	mux.HandleFunc("GET /provider/consent", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/oauth_callback?"+r.URL.RawQuery+"&code=provider-code", http.StatusFound)
	})
	mux.HandleFunc("GET /v1/oauth_callback", func(w http.ResponseWriter, r *http.Request) {
		ru, err := url.Parse(r.URL.Query().Get("redirect_url"))
		if err != nil {
			http.Error(w, "bad redirect", http.StatusBadRequest)
			return
		}
		q := ru.Query()
		if code := r.URL.Query().Get("outcome"); code != "" {
			q.Set("__clerk_status", "failed")
			q.Set("__clerk_error_code", code)
		} else {
			n := "rtn_" + randHex(t, 16)
			fc.mu.Lock()
			fc.nonces = append(fc.nonces, n)
			fc.mu.Unlock()
			q.Set("rotating_token_nonce", n)
		}
		ru.RawQuery = q.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
	})
	fc.Server = httptest.NewServer(mux)
	t.Cleanup(fc.Close)
	return fc
}

func (fc *fakeClerk) authorizeURL(redirectURL, outcome string) string {
	v := url.Values{"redirect_url": {redirectURL}}
	if outcome != "" {
		v.Set("outcome", outcome)
	}
	return fc.URL + "/v1/oauth/authorize?" + v.Encode()
}

func (fc *fakeClerk) issued() []string {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]string(nil), fc.nonces...)
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// page is what the scripted browser ended up showing.
type page struct {
	url    string
	status int
	header http.Header
	body   string
	err    error
}

// scriptedBrowser follows redirects like a real browser tab would and reports the final
// page on its channel. Its Launch method is a browseropen.System launcher.
type scriptedBrowser struct {
	client *http.Client
	pages  chan page
}

func newScriptedBrowser() *scriptedBrowser {
	return &scriptedBrowser{
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}},
		pages:  make(chan page, 4),
	}
}

func (b *scriptedBrowser) Launch(u string) error {
	resp, err := b.client.Get(u)
	if err != nil {
		b.pages <- page{err: err}
		return nil // a real browser shows its own error page; opening itself worked
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	b.pages <- page{url: resp.Request.URL.String(), status: resp.StatusCode, header: resp.Header, body: string(body)}
	return nil
}

func (b *scriptedBrowser) next(t *testing.T) page {
	t.Helper()
	select {
	case p := <-b.pages:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("scripted browser did not finish")
		return page{}
	}
}

// rawGET sends a request with exactly the given Host header and returns the response.
func rawGET(t *testing.T, addr, target, host string) (int, string) {
	t.Helper()
	return rawRequest(t, addr, "GET "+target+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
}

func rawRequest(t *testing.T, addr, raw string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for name := range resp.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "access-control-") || l == "set-cookie" || l == "location" {
			t.Fatalf("response sets %s", name)
		}
	}
	return resp.StatusCode, string(body)
}

// splitRedirect returns host:port and path of a redirect URL.
func splitRedirect(t *testing.T, redirect string) (hostport, path string) {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, u.Path
}

// assertRefused checks nothing listens at addr any more.
func assertRefused(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
	if runtime.GOOS != "windows" && !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}

// logBuffer captures debug logs so tests can check they hold no secrets.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger(lb *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
