package apiclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deskclerk/auth/verify"
)

// stubVerifier accepts exactly one token string.
type stubVerifier struct{ good string }

func (s stubVerifier) Verify(_ context.Context, tok string) (*verify.Claims, error) {
	if tok != s.good {
		return nil, verify.ErrExpired
	}
	return &verify.Claims{UserID: "user_1", SessionID: "sess_1"}, nil
}

func newAPI(t *testing.T, h http.HandlerFunc) (*httptest.Server, *int32) {
	var calls int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt32(&calls, 1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSendsVerifiedBearer(t *testing.T) {
	var gotAuth, gotPath, gotBody string
	api, _ := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.RequestURI()
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"color":"teal"}`)
	})
	c, err := New(api.URL+"/base/", stubVerifier{"good"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), "put", "/api/favorite-color?x=1", []byte(`{"color":"teal"}`), "good")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Body != `{"color":"teal"}` || resp.ContentType != "application/json" {
		t.Errorf("resp %+v", resp)
	}
	if gotAuth != "Bearer good" || gotPath != "/base/api/favorite-color?x=1" || gotBody != `{"color":"teal"}` {
		t.Errorf("api saw auth=%q path=%q body=%q", gotAuth, gotPath, gotBody)
	}
}

func TestRejectedTokenIsNeverSent(t *testing.T) {
	api, calls := newAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	c, _ := New(api.URL, stubVerifier{"good"})
	_, err := c.Do(context.Background(), "GET", "/api/me", nil, "expired-token-value")
	if !errors.Is(err, ErrTokenRejected) || !errors.Is(err, verify.ErrExpired) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "expired-token-value") {
		t.Fatal("token in error")
	}
	if *calls != 0 {
		t.Fatal("a rejected token reached the API")
	}
}

func TestPathsStayOnTheAPI(t *testing.T) {
	api, calls := newAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	c, _ := New(api.URL, stubVerifier{"good"})
	for _, p := range []string{"", "api/me", "//evil.example/x", "https://evil.example/", "/a/../../etc", "/./x", "/a b", "/a\\b", "/a#frag", "/\x00"} {
		if _, err := c.Do(context.Background(), "GET", p, nil, "good"); !errors.Is(err, ErrBadRequest) {
			t.Errorf("path %q: err = %v, want ErrBadRequest", p, err)
		}
	}
	if _, err := c.Do(context.Background(), "TRACE", "/x", nil, "good"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("TRACE allowed: %v", err)
	}
	if *calls != 0 {
		t.Fatalf("%d refused calls reached the API", *calls)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	api, _ := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	c, _ := New(api.URL, stubVerifier{"good"})
	resp, err := c.Do(context.Background(), "GET", "/api/me", nil, "good")
	if err != nil || resp.Status != http.StatusFound || leaked.Load() {
		t.Fatalf("resp %+v err %v leaked %v", resp, err, leaked.Load())
	}
}

func TestStatusesAndFailures(t *testing.T) {
	api, _ := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/401":
			w.WriteHeader(401)
		case "/500":
			http.Error(w, "boom", 500)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	})
	c, _ := New(api.URL, stubVerifier{"good"}, WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	for path, want := range map[string]int{"/401": 401, "/500": 500} {
		resp, err := c.Do(context.Background(), "GET", path, nil, "good")
		if err != nil || resp.Status != want {
			t.Errorf("%s: %+v %v", path, resp, err)
		}
	}
	if _, err := c.Do(context.Background(), "GET", "/slow", nil, "good"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("slow: %v", err)
	}
	dead, _ := New("http://127.0.0.1:1", stubVerifier{"good"})
	if _, err := dead.Do(context.Background(), "GET", "/x", nil, "good"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("dead: %v", err)
	}
}

func TestNewRefusesBadBase(t *testing.T) {
	for _, b := range []string{"", "api.example.com", "ftp://x", "https://u:p@x", "https://x/?q=1"} {
		if _, err := New(b, stubVerifier{}); err == nil {
			t.Errorf("New(%q) accepted", b)
		}
	}
}
