package signinurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"deskclerk/auth/browseropen"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCheck(t *testing.T) {
	clerk := mustURL("https://clerk.example.com")
	emulator := mustURL("http://127.0.0.1:4318")
	cb := url.QueryEscape("https://clerk.example.com/v1/oauth_callback")
	tests := []struct {
		name string
		fapi *url.URL
		raw  string
		ok   bool
	}{
		{"instance itself", clerk, "https://clerk.example.com/v1/client/sign_ins/sia_1/continue", true},
		{"github returning to the instance", clerk, "https://github.com/login/oauth/authorize?client_id=x&redirect_uri=" + cb + "&state=s", true},
		{"google returning to the instance", clerk, "https://accounts.google.com/o/oauth2/v2/auth?redirect_uri=" + cb + "&response_type=code", true},
		{"emulator consent page", emulator, "http://127.0.0.1:4318/oauth/github/authorize?state=s&redirect_uri=" + url.QueryEscape("http://127.0.0.1:4318/v1/oauth_callback"), true},

		{"phishing page", clerk, "https://evil.example/login", false},
		{"look-alike host", clerk, "https://clerk.example.com.evil.example/v1/oauth_callback", false},
		{"provider returning elsewhere", clerk, "https://github.com/login/oauth/authorize?redirect_uri=" + url.QueryEscape("https://evil.example/v1/oauth_callback"), false},
		{"provider returning to another path", clerk, "https://github.com/login/oauth/authorize?redirect_uri=" + url.QueryEscape("https://clerk.example.com/v1/other"), false},
		{"provider returning over http", clerk, "https://github.com/login/oauth/authorize?redirect_uri=" + url.QueryEscape("http://clerk.example.com/v1/oauth_callback"), false},
		{"two redirect_uris", clerk, "https://github.com/login/oauth/authorize?redirect_uri=" + cb + "&redirect_uri=" + url.QueryEscape("https://evil.example/"), false},
		{"redirect_uri with credentials", clerk, "https://github.com/login/oauth/authorize?redirect_uri=" + url.QueryEscape("https://u:p@clerk.example.com/v1/oauth_callback"), false},
		{"http page returning to the instance", clerk, "http://evil.example/?redirect_uri=" + cb, false},
		{"other loopback port in emulator mode", emulator, "http://127.0.0.1:9999/oauth/github/authorize", false},
		{"http instance url when the instance is https", clerk, "http://clerk.example.com/v1/x", false},
		{"javascript", clerk, "javascript:alert(1)", false},
		{"no instance", nil, "https://clerk.example.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.fapi, tt.raw)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, browseropen.ErrUnsafeURL) {
				t.Fatalf("err = %v, want an unsafe-URL refusal", err)
			}
			if strings.Contains(err.Error(), "evil") {
				t.Fatalf("the error repeats the URL: %v", err)
			}
		})
	}
}

func TestOpenerNeverLaunchesRefusedURLs(t *testing.T) {
	var launched []string
	o := Opener{FrontendAPI: mustURL("https://clerk.example.com"), Next: browseropen.System{Launch: func(u string) error {
		launched = append(launched, u)
		return nil
	}}}
	if err := o.Open("https://evil.example/login"); !errors.Is(err, browseropen.ErrUnsafeURL) {
		t.Fatalf("err = %v", err)
	}
	if err := o.Open("https://clerk.example.com/v1/x"); err != nil {
		t.Fatal(err)
	}
	if len(launched) != 1 || launched[0] != "https://clerk.example.com/v1/x" {
		t.Fatalf("launched %q", launched)
	}
}

func ExampleCheck() {
	fapi, _ := url.Parse("https://clerk.example.com")
	ok := Check(fapi, "https://github.com/login/oauth/authorize?redirect_uri=https%3A%2F%2Fclerk.example.com%2Fv1%2Foauth_callback")
	refused := Check(fapi, "https://evil.example/login")
	fmt.Println(ok == nil, refused)
	// Output: true browseropen: unsafe URL: not a sign-in address of clerk.example.com (neither the instance itself nor a provider page that returns to it)
}
