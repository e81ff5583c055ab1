package emulator

import (
	"encoding/json"
	"testing"
)

func TestActiveDevicesAndRevoke(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	laptop, desktop := e.native(), e.native()
	sid1 := laptop.signIn(t, ada)
	sid2 := desktop.signIn(t, ada)
	e.native().signIn(t, e.user("grace@example.com")) // someone else's session is not listed

	r := laptop.do("GET", "/v1/me/sessions/active", nil).must(t, 200)
	var list []map[string]any
	if err := json.Unmarshal(r.Raw, &list); err != nil {
		t.Fatalf("sessions/active must be a bare array: %s", r.Raw)
	}
	ids := map[string]bool{}
	for _, s := range list {
		ids[s["id"].(string)] = true
		if str(s, "latest_activity", "object") != "session_activity" {
			t.Errorf("latest_activity: %v", s["latest_activity"])
		}
	}
	if len(list) != 2 || !ids[sid1] || !ids[sid2] {
		t.Fatalf("active sessions %v, want %s and %s", ids, sid1, sid2)
	}

	laptop.do("POST", "/v1/me/sessions/"+sid2+"/revoke", nil).must(t, 200)
	if r := desktop.do("GET", "/v1/client", nil).must(t, 200); len(dig(r.Body, "response", "sessions").([]any)) != 0 {
		t.Fatalf("revoked device still signed in: %s", r.Raw)
	}
	if r := laptop.do("POST", "/v1/me/sessions/"+sid2+"/revoke", nil); r.Status != 404 {
		t.Errorf("revoking twice: %d", r.Status)
	}
	laptop.do("POST", "/v1/client/sessions/"+sid1+"/tokens", nil).must(t, 200)
}

func TestBrowserOf(t *testing.T) {
	for _, tt := range []struct{ ua, name, version string }{
		{"DeskClerk/1.4.0 (linux; amd64) Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 Safari/605.1.15", "DeskClerk", "1.4.0"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "131.0.0.0"},
		{"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0.1", "Edge", "131.0.1"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "128.0"},
		{"Go-http-client/1.1", "Desk Clerk", ""},
		{"", "Desk Clerk", ""},
	} {
		if name, version := browserOf(tt.ua); name != tt.name || version != tt.version {
			t.Errorf("browserOf(%q) = %q %q, want %q %q", tt.ua, name, version, tt.name, tt.version)
		}
	}
}
