package browseropen

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	long := "https://clerk.example.com/?q=" + strings.Repeat("a", MaxURLLength)
	tests := []struct {
		name     string
		url      string
		loopback bool
		ok       bool
	}{
		{"https", "https://accounts.example.com/o/oauth2/auth?client_id=x&state=s", false, true},
		{"https upper-case scheme", "HTTPS://accounts.example.com/", false, true},
		{"https with port", "https://clerk.example.com:8443/v1/x", false, true},
		{"characters Wails rejects", "https://login.example.com/a(b)~c!d*e/[x]?f={g}", false, true},
		{"https ipv6 literal", "https://[2001:db8::1]/cb", false, true},
		{"https saml-sized", "https://idp.example.com/sso?SAMLRequest=" + strings.Repeat("Zm9v", 2000), false, true},
		{"http loopback v4 allowed", "http://127.0.0.1:4100/v1/oauth", true, true},
		{"http loopback v6 allowed", "http://[::1]:4100/v1/oauth", true, true},

		{"empty", "", true, false},
		{"too long", long, false, false},
		{"http refused by default", "http://127.0.0.1:4100/", false, false},
		{"http to localhost", "http://localhost:4100/", true, false},
		{"http to other loopback IP", "http://127.0.0.2:4100/", true, false},
		{"http to LAN", "http://192.168.1.10/", true, false},
		{"http to public host", "http://clerk.example.com/", true, false},
		{"javascript", "javascript:alert(1)", true, false},
		{"data", "data:text/html,<b>x</b>", true, false},
		{"file", "file:///etc/passwd", true, false},
		{"custom scheme", "myapp://callback", true, false},
		{"ftp", "ftp://example.com/", true, false},
		{"opaque https", "https:example.com", false, false},
		{"single slash", "https:/example.com", false, false},
		{"relative", "//example.com/x", false, false},
		{"leading dash", "-https://example.com", false, false},
		{"no host", "https:///path", false, false},
		{"credentials", "https://user:pw@example.com/", false, false},
		{"user only", "https://user@example.com/", false, false},
		{"newline", "https://example.com/\n", false, false},
		{"NUL", "https://example.com/\x00", false, false},
		{"space", "https://example.com/a b", false, false},
		{"tab", "https://example.com/\tb", false, false},
		{"DEL", "https://example.com/\x7f", false, false},
		{"non-ASCII", "https://exämple.com/", false, false},
		{"backslash host confusion", `https://evil.example\@good.example/`, false, false},
		{"quote", `https://example.com/"`, false, false},
		{"angle", "https://example.com/<script>", false, false},
		{"backtick", "https://example.com/`id`", false, false},
		{"zoned host", "https://[fe80::1%25eth0]/", false, false},
		{"bad port", "https://example.com:99999999/", false, false},
		{"non-numeric port", "https://example.com:http/", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Validate(tt.url, tt.loopback)
			if tt.ok {
				if err != nil || u == nil {
					t.Fatalf("Validate() = %v, %v; want accepted", u, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() accepted %q", tt.url)
			}
			if !errors.Is(err, ErrUnsafeURL) {
				t.Fatalf("error %v does not match ErrUnsafeURL", err)
			}
			if tt.url != "" && len(tt.url) > 12 && strings.Contains(err.Error(), tt.url) {
				t.Fatalf("error repeats the URL: %v", err)
			}
		})
	}
}

func TestSystemOpenUsesLauncherOnlyForValidURLs(t *testing.T) {
	var got []string
	s := System{Launch: func(u string) error { got = append(got, u); return nil }}

	const good = "https://accounts.example.com/auth?state=abc(1)"
	if err := s.Open(good); err != nil {
		t.Fatalf("Open(good) = %v", err)
	}
	if err := s.Open("javascript:alert(1)"); !errors.Is(err, ErrUnsafeURL) {
		t.Fatalf("Open(javascript) = %v, want ErrUnsafeURL", err)
	}
	if err := s.Open("http://127.0.0.1:9/x"); !errors.Is(err, ErrUnsafeURL) {
		t.Fatalf("Open(http loopback) without AllowHTTPLoopback = %v, want ErrUnsafeURL", err)
	}
	if len(got) != 1 || got[0] != good {
		t.Fatalf("launcher calls = %q, want exactly the valid URL unchanged", got)
	}
}

func TestSystemOpenWrapsLauncherErrorWithoutURL(t *testing.T) {
	boom := errors.New("no display")
	s := System{Launch: func(string) error { return boom }}
	const secretish = "https://accounts.example.com/auth?state=SECRET-STATE-123"
	err := s.Open(secretish)
	if !errors.Is(err, boom) {
		t.Fatalf("Open() = %v, want wrapped launcher error", err)
	}
	if errors.Is(err, ErrUnsafeURL) {
		t.Fatal("a launcher failure must not look like an unsafe URL")
	}
	if strings.Contains(err.Error(), "SECRET-STATE-123") {
		t.Fatalf("error leaks the URL: %v", err)
	}
}
