package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"deskclerk/auth/instance"
	"deskclerk/auth/keychain"
	"deskclerk/auth/verify"
)

func TestJWKSComparesTheAppsCachedKeys(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks.json" {
			w.Write([]byte(`{"keys":[{"kid":"ins_new","kty":"RSA"}]}`))
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		cached []string
		want   Status
	}{
		{[]string{"ins_new"}, StatusOK},
		{[]string{"ins_old"}, StatusWarn},
		{nil, StatusWarn},
	} {
		env := Env{
			Instance:       instance.Instance{FrontendAPI: "clerk.example.com", Issuer: "https://clerk.example.com", JWKSURL: srv.URL + "/jwks.json"},
			FrontendAPIURL: srv.URL,
			Keychain:       keychain.NewMemoryBackend(),
			RunningKeys:    &verify.KeyInfo{KIDs: tc.cached, FetchedAt: time.Now().Add(-time.Minute)},
		}
		var got Check
		for _, c := range Run(context.Background(), env).Checks {
			if c.ID == "jwks" {
				got = c
			}
		}
		if got.Status != tc.want {
			t.Errorf("app caches %v: %s %q, want %s", tc.cached, got.Status, got.Summary, tc.want)
		}
	}
}
