package service

import (
	"testing"

	"deskclerk/internal/config"
)

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
