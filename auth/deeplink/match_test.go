package deeplink

import (
	"strings"
	"testing"
)

const testState = "c3RhdGVfc3RhdGVfc3RhdGVfc3RhdGVfc3RhdGVfc3Q"

func TestMatch(t *testing.T) {
	base := "deskclerk://oauth-callback?deskclerk_state=" + testState
	tests := []struct {
		name   string
		raw    string
		reason string // "" = accepted
		nonce  string
		failed bool
		code   string
	}{
		{"nonce", base + "&rotating_token_nonce=rtn_abc", "", "rtn_abc", false, ""},
		{"nonce first", "deskclerk://oauth-callback?rotating_token_nonce=rtn_abc&deskclerk_state=" + testState, "", "rtn_abc", false, ""},
		{"trailing slash", "deskclerk://oauth-callback/?deskclerk_state=" + testState + "&rotating_token_nonce=n", "", "n", false, ""},
		{"upper-case scheme", "DESKCLERK://oauth-callback?deskclerk_state=" + testState, "", "", false, ""},
		{"no nonce (connect account)", base + "&__clerk_modal_state=eyJ9", "", "", false, ""},
		{"clerk failure", base + "&__clerk_status=failed&__clerk_error_code=oauth_access_denied", "", "", true, "oauth_access_denied"},
		{"oauth error", base + "&error=access_denied&error_description=no", "", "", true, "oauth_access_denied"},
		{"garbled code", base + "&__clerk_status=failed&__clerk_error_code=%3Cb%3E", "", "", true, ""},

		{"wrong state", "deskclerk://oauth-callback?deskclerk_state=x" + testState[1:] + "&rotating_token_nonce=n", "state", "", false, ""},
		{"state prefix", "deskclerk://oauth-callback?deskclerk_state=" + testState[:10], "state", "", false, ""},
		{"no state", "deskclerk://oauth-callback?rotating_token_nonce=n", "state_missing", "", false, ""},
		{"two states", base + "&deskclerk_state=" + testState, "state_repeated", "", false, ""},
		{"other scheme", "evilclerk://oauth-callback?deskclerk_state=" + testState, "scheme", "", false, ""},
		{"scheme prefix", "deskclerkx://oauth-callback?deskclerk_state=" + testState, "scheme", "", false, ""},
		{"opaque", "deskclerk:oauth-callback?deskclerk_state=" + testState, "scheme", "", false, ""},
		{"https", "https://oauth-callback?deskclerk_state=" + testState, "scheme", "", false, ""},
		{"other host", "deskclerk://evil?deskclerk_state=" + testState, "host", "", false, ""},
		{"host with port", "deskclerk://oauth-callback:1?deskclerk_state=" + testState, "host", "", false, ""},
		{"user info", "deskclerk://a@oauth-callback?deskclerk_state=" + testState, "host", "", false, ""},
		{"empty host", "deskclerk:///oauth-callback?deskclerk_state=" + testState, "host", "", false, ""},
		{"path", "deskclerk://oauth-callback/x?deskclerk_state=" + testState, "path", "", false, ""},
		{"encoded slash", "deskclerk://oauth-callback/%2F?deskclerk_state=" + testState, "path", "", false, ""},
		{"fragment", base + "#x", "fragment", "", false, ""},
		{"empty fragment", base + "#", "fragment", "", false, ""},
		{"bad query", base + "&a=%zz", "query", "", false, ""},
		{"semicolon", base + ";x=1", "query", "", false, ""},
		{"two nonces", base + "&rotating_token_nonce=a&rotating_token_nonce=b", "nonce_repeated", "", false, ""},
		{"empty nonce", base + "&rotating_token_nonce=", "nonce_malformed", "", false, ""},
		{"markup nonce", base + "&rotating_token_nonce=%3Cscript%3E", "nonce_malformed", "", false, ""},
		{"space", "deskclerk://oauth-callback?deskclerk_state=" + testState + " x", "characters", "", false, ""},
		{"newline", base + "\n", "characters", "", false, ""},
		{"non-ASCII", base + "&x=é", "characters", "", false, ""},
		{"empty", "", "length", "", false, ""},
		{"oversized", base + "&x=" + strings.Repeat("a", MaxCallbackLength), "length", "", false, ""},
		{"flag-looking argument", "--deskclerk://oauth-callback", "scheme", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, reason := Match(tt.raw, "deskclerk", DefaultHost, testState)
			if reason != tt.reason {
				t.Fatalf("reason %q, want %q", reason, tt.reason)
			}
			if reason != "" {
				if res.CallbackURL != "" || res.Nonce != "" {
					t.Fatalf("a refused URL produced %#v", res)
				}
				return
			}
			if res.CallbackURL != tt.raw || res.Nonce != tt.nonce || res.Failed != tt.failed || res.ErrorCode != tt.code {
				t.Fatalf("got nonce=%q failed=%v code=%q url-kept=%v", res.Nonce, res.Failed, res.ErrorCode, res.CallbackURL == tt.raw)
			}
		})
	}
	if _, reason := Match(tt0(), "deskclerk", DefaultHost, ""); reason != "state" {
		t.Fatalf("an empty expected state must match nothing, got %q", reason)
	}
}

func tt0() string { return "deskclerk://oauth-callback?deskclerk_state=" }

func TestValidScheme(t *testing.T) {
	for s, want := range map[string]bool{
		"deskclerk": true, "com.example.app": true, "my-app+x": true,
		"": false, "Deskclerk": false, "1app": false, "https": false, "javascript": false, "file": false,
		"wails": false, "a b": false, strings.Repeat("a", 40): false,
	} {
		if ValidScheme(s) != want {
			t.Errorf("ValidScheme(%q) = %v", s, !want)
		}
	}
}

func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"deskclerk://oauth-callback?deskclerk_state=SECRET&rotating_token_nonce=NONCE": "deskclerk://oauth-callback/…",
		"evil://x.y/path/SECRET":                 "evil://?/…",
		"--flag=SECRET":                          "[not a URL]",
		"deskclerk://<b>SECRET/x":                "deskclerk://?/…",
		strings.Repeat("a", MaxCallbackLength+1): "[too long]",
	} {
		if got := Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}
