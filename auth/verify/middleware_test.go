package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// protectedServer serves, behind Middleware, a handler that echoes the
// verified user id from the request context.
func protectedServer(t *testing.T, v *Verifier, opts ...MiddlewareOption) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFromContext(r.Context())
		if !ok {
			http.Error(w, "no claims in context", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "hello "+c.UserID)
	})
	srv := httptest.NewServer(Middleware(v, opts...)(h))
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, header http.Header, cookie *http.Cookie) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, body}
}

// errorCode checks the JSON error shape and returns the code.
func errorCode(t *testing.T, r response) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error body %q lacks code or message", r.body)
	}
	return body.Error.Code
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestMiddleware(t *testing.T) {
	a, _, _ := keys()
	v := mustNew(t, pemConfig())
	good := a.MustSign(claims(nil), kidA, "RS256")
	expired := a.MustSign(claims(map[string]any{"exp": t0.Unix() - 60}), kidA, "RS256")
	forged := a.MustSign(claims(nil), kidA, "HS256")
	pending := a.MustSign(claims(map[string]any{"sts": "pending"}), kidA, "RS256")
	srv := protectedServer(t, v)

	tests := []struct {
		name    string
		header  http.Header
		cookie  *http.Cookie
		status  int
		code    string // "" on success
		wwwAuth string
		sent    string
	}{
		{"valid bearer", bearer(good), nil, 200, "", "", good},
		{"scheme is case-insensitive", http.Header{"Authorization": {"bearer  " + good}}, nil, 200, "", "", good},
		{"no credentials", nil, nil, 401, "unauthenticated", "Bearer", ""},
		{"basic auth", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, nil, 401, "unauthenticated", "Bearer", ""},
		{"empty bearer", http.Header{"Authorization": {"Bearer "}}, nil, 401, "unauthenticated", "Bearer", ""},
		{"two Authorization headers", http.Header{"Authorization": {"Bearer " + good, "Bearer " + good}}, nil, 401, "unauthenticated", "Bearer", good},
		{"cookie ignored by default", nil, &http.Cookie{Name: SessionCookie, Value: good}, 401, "unauthenticated", "Bearer", good},
		{"expired", bearer(expired), nil, 401, "token_expired", `Bearer error="invalid_token"`, expired},
		{"forged", bearer(forged), nil, 401, "invalid_token", `Bearer error="invalid_token"`, forged},
		{"pending session", bearer(pending), nil, 401, "invalid_token", `Bearer error="invalid_token"`, pending},
		{"garbage", bearer("not-a-jwt"), nil, 401, "invalid_token", `Bearer error="invalid_token"`, "not-a-jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, srv.URL, tt.header, tt.cookie)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.status, r.body)
			}
			if tt.code == "" {
				if string(r.body) != "hello user_2GIabcdefghijklmnopqrstu" {
					t.Fatalf("body %q", r.body)
				}
				return
			}
			if code := errorCode(t, r); code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if got := r.header.Get("WWW-Authenticate"); got != tt.wwwAuth {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tt.wwwAuth)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatal("error response may be cached")
			}
			assertNoTokenIn(t, tt.sent, string(r.body))
			for k, vs := range r.header {
				assertNoTokenIn(t, tt.sent, k+": "+strings.Join(vs, ","))
			}
		})
	}
}

func TestMiddlewareCookieAndAuthorize(t *testing.T) {
	a, _, _ := keys()
	v := mustNew(t, pemConfig())
	good := a.MustSign(claims(nil), kidA, "RS256")
	admin := a.MustSign(claims(map[string]any{"o": map[string]any{"id": "org_1", "rol": "admin"}}), kidA, "RS256")
	srv := protectedServer(t, v,
		WithSessionCookie(),
		WithAuthorize(func(c *Claims) error {
			if c.OrgRole != "org:admin" {
				return errors.New("an organization admin is required")
			}
			return nil
		}))

	if r := get(t, srv.URL, nil, &http.Cookie{Name: SessionCookie, Value: admin}); r.status != 200 {
		t.Fatalf("cookie: %d %s", r.status, r.body)
	}
	r := get(t, srv.URL, bearer(good), nil)
	if r.status != 403 || errorCode(t, r) != "forbidden" || !strings.Contains(string(r.body), "an organization admin is required") {
		t.Fatalf("authorize rule: %d %s", r.status, r.body)
	}
	if r.header.Get("WWW-Authenticate") != "" {
		t.Fatal("403 carries a WWW-Authenticate challenge")
	}
	// The header is authoritative: a bad header is not rescued by a good cookie.
	if r := get(t, srv.URL, bearer("bad"), &http.Cookie{Name: SessionCookie, Value: admin}); r.status != 401 {
		t.Fatalf("bad header with good cookie: %d", r.status)
	}
}

func TestMiddlewareKeysUnavailable(t *testing.T) {
	a, _, _ := keys()
	v := mustNew(t, jwksConfig(freePortURL(t)))
	tok := a.MustSign(claims(nil), kidA, "RS256")
	r := get(t, protectedServer(t, v).URL, bearer(tok), nil)
	if r.status != http.StatusServiceUnavailable || errorCode(t, r) != "keys_unavailable" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	assertNoTokenIn(t, tok, string(r.body))
}

func TestClaimsContext(t *testing.T) {
	ctx := t.Context()
	if _, ok := ClaimsFromContext(ctx); ok {
		t.Fatal("claims in an empty context")
	}
	c := &Claims{UserID: "user_1", Expiry: t0.Add(time.Minute)}
	got, ok := ClaimsFromContext(ContextWithClaims(ctx, c))
	if !ok || got != c {
		t.Fatal("claims lost in context")
	}
	if _, ok := ClaimsFromContext(ContextWithClaims(ctx, nil)); ok {
		t.Fatal("nil claims reported as present")
	}
}
