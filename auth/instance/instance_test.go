package instance

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestFromPublishableKey(t *testing.T) {
	b64 := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name string
		pk   string
		want Instance // zero means: must fail with ErrMalformedKey
	}{
		{"test key", "pk_test_" + b64("clerk.example.com$"), Instance{"clerk.example.com", "https://clerk.example.com", "https://clerk.example.com/.well-known/jwks.json", false, ""}},
		{"live key", "pk_live_" + b64("clerk.example.com$"), Instance{"clerk.example.com", "https://clerk.example.com", "https://clerk.example.com/.well-known/jwks.json", true, ""}},
		{"dev instance host", "pk_test_" + b64("inspired-puma-74.clerk.accounts.dev$"), Instance{"inspired-puma-74.clerk.accounts.dev", "https://inspired-puma-74.clerk.accounts.dev", "https://inspired-puma-74.clerk.accounts.dev/.well-known/jwks.json", false, ""}},
		{"loopback with port", "pk_test_" + b64("127.0.0.1:8443$"), Instance{"127.0.0.1:8443", "https://127.0.0.1:8443", "https://127.0.0.1:8443/.well-known/jwks.json", false, ""}},
		{"padding accepted", "pk_test_" + base64.StdEncoding.EncodeToString([]byte("clerk.example.com$")), Instance{"clerk.example.com", "https://clerk.example.com", "https://clerk.example.com/.well-known/jwks.json", false, ""}},
		{"surrounding space", " pk_test_" + b64("clerk.example.com$") + "\n", Instance{"clerk.example.com", "https://clerk.example.com", "https://clerk.example.com/.well-known/jwks.json", false, ""}},

		{"empty", "", Instance{}},
		{"no prefix", b64("clerk.example.com$"), Instance{}},
		{"secret key", "sk_test_" + b64("clerk.example.com$"), Instance{}},
		{"wrong prefix case", "PK_TEST_" + b64("clerk.example.com$"), Instance{}},
		{"prefix only", "pk_test_", Instance{}},
		{"not base64", "pk_test_!!!!", Instance{}},
		{"url-safe alphabet", "pk_test_" + strings.NewReplacer("+", "-", "/", "_").Replace(b64("a.b?>$")), Instance{}},
		{"no dollar", "pk_test_" + b64("clerk.example.com"), Instance{}},
		{"two dollars", "pk_test_" + b64("clerk.example.com$$"), Instance{}},
		{"dollar inside", "pk_test_" + b64("clerk$example.com$"), Instance{}},
		{"no dot", "pk_test_" + b64("localhost:3000$"), Instance{}},
		{"scheme", "pk_test_" + b64("https://clerk.example.com$"), Instance{}},
		{"path", "pk_test_" + b64("clerk.example.com/x$"), Instance{}},
		{"userinfo", "pk_test_" + b64("evil.com@clerk.example.com$"), Instance{}},
		{"upper case", "pk_test_" + b64("Clerk.Example.com$"), Instance{}},
		{"bad port", "pk_test_" + b64("clerk.example.com:99999$"), Instance{}},
		{"empty label", "pk_test_" + b64("clerk..example.com$"), Instance{}},
		{"trailing dot", "pk_test_" + b64("clerk.example.com.$"), Instance{}},
		{"space in host", "pk_test_" + b64("clerk .example.com$"), Instance{}},
		{"too long", "pk_test_" + strings.Repeat("A", 600), Instance{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromPublishableKey(tt.pk)
			if tt.want == (Instance{}) {
				if !errors.Is(err, ErrMalformedKey) {
					t.Fatalf("got %+v, %v; want ErrMalformedKey", got, err)
				}
				if got != (Instance{}) {
					t.Errorf("failed parse returned non-zero Instance %+v", got)
				}
				assertNoKeyInError(t, tt.pk, err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// assertNoKeyInError checks that neither the key nor its encoded host leaks into
// the message. (Pieces shorter than 10 characters may match the fixed text.)
func assertNoKeyInError(t *testing.T, pk string, err error) {
	t.Helper()
	pk = strings.TrimSpace(pk)
	for _, prefix := range []string{"pk_test_", "pk_live_", "sk_test_"} {
		if rest, ok := strings.CutPrefix(pk, prefix); ok && len(rest) >= 10 && strings.Contains(err.Error(), rest) {
			t.Fatalf("error %q repeats the key", err)
		}
	}
	if len(pk) >= 10 && strings.Contains(err.Error(), pk) {
		t.Fatalf("error %q repeats the key", err)
	}
}

func TestPublishableKeyRoundTrip(t *testing.T) {
	for _, host := range []string{"clerk.example.com", "clerk.emulator.test", "127.0.0.1:49152", "a.b"} {
		for _, prod := range []bool{false, true} {
			pk := PublishableKeyFor(host, prod)
			if strings.Contains(pk, "=") {
				t.Errorf("%q has padding", pk)
			}
			inst, err := FromPublishableKey(pk)
			if err != nil {
				t.Fatalf("FromPublishableKey(PublishableKeyFor(%q)): %v", host, err)
			}
			if inst.FrontendAPI != host || inst.Production != prod {
				t.Errorf("round trip of %q, %v gave %+v", host, prod, inst)
			}
		}
	}
	// The documented example of Clerk's own encoding.
	if got := PublishableKeyFor("clerk.example.com", false); got != "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k" {
		t.Errorf("PublishableKeyFor = %q", got)
	}
}

func TestFromFrontendAPI(t *testing.T) {
	inst, err := FromFrontendAPI("clerk.emulator.test:8443", false)
	if err != nil || inst.Issuer != "https://clerk.emulator.test:8443" || inst.JWKSURL != "https://clerk.emulator.test:8443/.well-known/jwks.json" {
		t.Fatalf("got %+v, %v", inst, err)
	}
	if _, err := FromFrontendAPI("https://clerk.example.com", false); err == nil {
		t.Fatal("a URL with a scheme was accepted as a host")
	}
}

func TestBehindProxy(t *testing.T) {
	base, err := FromPublishableKey(PublishableKeyFor("clerk.example.com", true))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		proxy, issuer, jwks, fapi string
		bad                       bool
	}{
		{proxy: "https://example.com/__clerk/", issuer: "https://example.com/__clerk", jwks: "https://example.com/__clerk/.well-known/jwks.json", fapi: "https://example.com/__clerk"},
		{proxy: "https://proxy.example.com", issuer: "https://proxy.example.com", jwks: "https://proxy.example.com/.well-known/jwks.json", fapi: "https://proxy.example.com"},
		{proxy: "http://example.com/__clerk", bad: true},
		{proxy: "/__clerk", bad: true},
		{proxy: "https://example.com/__clerk?x=1", bad: true},
	}
	for _, tc := range tests {
		got, err := base.BehindProxy(tc.proxy)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted", tc.proxy)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.proxy, err)
		}
		if got.Issuer != tc.issuer || got.JWKSURL != tc.jwks || got.FrontendAPIURL() != tc.fapi || got.FrontendAPI != "clerk.example.com" {
			t.Errorf("%q: %+v", tc.proxy, got)
		}
	}
	if base.FrontendAPIURL() != "https://clerk.example.com" {
		t.Errorf("no proxy: %s", base.FrontendAPIURL())
	}
}
