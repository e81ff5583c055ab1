package gateway

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"deskclerk/auth/clerkclock"
)

func TestUserAgentCountryAndClock(t *testing.T) {
	clerkNow := time.Now().Add(-5 * time.Minute)
	var gotUA string
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.Header.Get("User-Agent")
		w.Header().Set("Date", clerkNow.UTC().Format(http.TimeFormat))
		w.Header().Set("X-Country", "NZ")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"response":null,"client":null}`))
	})
	u, _ := url.Parse(up.URL)
	clock := clerkclock.New(nil)
	g, err := New(Options{Upstream: u, Store: &memStore{}, Clock: clock, UserAgent: "DeskClerk/1.0 (linux; amd64)"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		webview, want string
	}{
		{"Mozilla/5.0 AppleWebKit/605.1.15", "DeskClerk/1.0 (linux; amd64) Mozilla/5.0 AppleWebKit/605.1.15"},
		{"", "DeskClerk/1.0 (linux; amd64)"},
	}
	for _, tc := range tests {
		w := do(g, "GET", "/__fapi/v1/client", "", map[string]string{"User-Agent": tc.webview})
		if w.Code != 200 {
			t.Fatalf("code %d", w.Code)
		}
		if gotUA != tc.want {
			t.Errorf("User-Agent %q, want %q", gotUA, tc.want)
		}
		if c := w.Header().Get("X-Country"); c != "NZ" {
			t.Errorf("x-country %q not passed back", c)
		}
	}
	if off := clock.Offset(); (off + 5*time.Minute).Abs() > 2*time.Second {
		t.Errorf("clock offset %v, want about -5m", off)
	}
}

func TestTouchSendsTheWindowBack(t *testing.T) {
	var touched int
	up, _ := fakeFAPI(t, func(w http.ResponseWriter, r *http.Request) {
		touched++
		w.Header().Set("Authorization", "touched-token")
		http.Redirect(w, r, r.URL.Query().Get("redirect_url"), http.StatusFound)
	})
	store := &memStore{v: "tok"}
	g := newGateway(t, up.URL, store)
	tests := []struct{ redirect, want string }{
		{"wails://wails/", "wails://wails/"},
		{"http://wails/#/", "http://wails/#/"}, // the page's own origin (do serves Host: wails)
		{"http://wails.localhost/", "/"},
		{"https://evil.example/", "/"},
		{"http://127.0.0.1:9/", "/"}, // not the page's own host
		{"", "/"},
	}
	for _, tc := range tests {
		w := do(g, "GET", "/__fapi/v1/client/touch?redirect_url="+url.QueryEscape(tc.redirect), "", nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.want {
			t.Errorf("%q: %d → %q, want %q", tc.redirect, w.Code, w.Header().Get("Location"), tc.want)
		}
	}
	if touched != len(tests) || store.get() != "touched-token" {
		t.Errorf("upstream touched %d times, stored %q", touched, store.get())
	}
}
