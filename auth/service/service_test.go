package service

import (
	"strings"
	"testing"

	"deskclerk/auth/instance"
	"deskclerk/internal/config"
)

func TestInstanceForProxy(t *testing.T) {
	pk := instance.PublishableKeyFor("clerk.example.com", true)
	tests := []struct {
		proxy, issuer, fapi, err string
	}{
		{"", "https://clerk.example.com", "https://clerk.example.com", ""},
		{"https://example.com/__clerk", "https://example.com/__clerk", "https://example.com/__clerk", ""},
		{"http://example.com/__clerk", "", "", config.EnvProxyURL},
	}
	for _, tc := range tests {
		inst, err := instanceFor(config.Config{PublishableKey: pk, ProxyURL: tc.proxy})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v", tc.proxy, err)
			}
			continue
		}
		if err != nil || inst.Issuer != tc.issuer || inst.FrontendAPIURL() != tc.fapi || inst.FrontendAPI != "clerk.example.com" {
			t.Errorf("%q: %+v %v", tc.proxy, inst, err)
		}
	}
}

func TestUserAgent(t *testing.T) {
	if ua := UserAgent("1.4.0"); !strings.HasPrefix(ua, "DeskClerk/1.4.0 (") {
		t.Errorf("UserAgent %q", ua)
	}
}

// A development build keeps its sign-in under a keychain entry of its own, so it
// never uses, rotates or deletes a release build's sign-in for the same instance
// (e2e/browser checks the same against a real Secret Service).
func TestKeychainAppPerChannel(t *testing.T) {
	for channel, want := range map[string]string{"release": "deskclerk", "development": "deskclerk-dev", "": "deskclerk-dev"} {
		if got := KeychainApp(config.Config{Channel: channel}); got != want {
			t.Errorf("channel %q: keychain app %q, want %q", channel, got, want)
		}
	}
}
