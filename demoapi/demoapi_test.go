package demoapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const issuer = "https://clerk.example.test"

// issuerFixture is a stand-in Clerk instance: a key, its JWKS, and token minting.
type issuerFixture struct {
	key  *rsa.PrivateKey
	kid  string
	jwks *httptest.Server
}

func newIssuer(t *testing.T) *issuerFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &issuerFixture{key: key, kid: "ins_test"}
	f.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": f.kid,
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(f.jwks.Close)
	return f
}

func (f *issuerFixture) token(t *testing.T, sub string, extra jwt.MapClaims) string {
	t.Helper()
	now := time.Now().Unix()
	claims := jwt.MapClaims{"iss": issuer, "sub": sub, "sid": "sess_" + sub, "iat": now, "nbf": now - 10, "exp": now + 60, "v": 2, "sts": "active"}
	for k, v := range extra {
		claims[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = f.kid
	s, err := tok.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func startAPI(t *testing.T, f *issuerFixture, dir string) (*Server, *logBuf) {
	t.Helper()
	buf := &logBuf{}
	s, err := Start(context.Background(), Config{
		Dir: dir, WebhookSecret: secret, Issuer: issuer, JWKSURL: f.jwks.URL,
		AuthorizedParties: []string{"http://localhost:5173"},
		Logger:            slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, buf
}

func call(t *testing.T, method, url, bearer, body string, hdr http.Header) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, url, raw)
		}
	}
	return resp.StatusCode, m
}

var msgSeq atomic.Int64

// deliver posts a signed Clerk event as the emulator (or Clerk) would, as a new message.
func deliver(t *testing.T, s *Server, typ string, data map[string]any, ts time.Time, sec string) (int, map[string]any) {
	t.Helper()
	return deliverID(t, s, fmt.Sprintf("msg_%s_%d", typ, msgSeq.Add(1)), typ, data, ts, sec)
}

// deliverID posts a signed Clerk event with the given svix-id.
func deliverID(t *testing.T, s *Server, id, typ string, data map[string]any, ts time.Time, sec string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": typ, "object": "event", "data": data})
	sig, err := SignWebhook(sec, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return call(t, "POST", s.WebhookURL(), "", string(body), http.Header{
		"Svix-Id": {id}, "Svix-Timestamp": {strconv.FormatInt(ts.Unix(), 10)}, "Svix-Signature": {sig}, "Content-Type": {"application/json"},
	})
}

func userData(id, email, first string, updated int64) map[string]any {
	return map[string]any{
		"id": id, "object": "user", "first_name": first, "last_name": "Lovelace",
		"primary_email_address_id": "idn_2",
		"email_addresses":          []map[string]any{{"id": "idn_1", "email_address": "old@example.com"}, {"id": "idn_2", "email_address": email}},
		"created_at":               int64(1), "updated_at": updated,
	}
}

func TestProtectedRoutesNeedAVerifiedToken(t *testing.T) {
	f := newIssuer(t)
	s, _ := startAPI(t, f, t.TempDir())
	other := newIssuer(t)
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "unauthenticated"},
		{"garbage", "not.a.jwt", 401, "invalid_token"},
		{"other key", other.token(t, "user_1", nil), 401, "invalid_token"},
		{"expired", f.token(t, "user_1", jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}), 401, "token_expired"},
		{"foreign azp", f.token(t, "user_1", jwt.MapClaims{"azp": "https://evil.example"}), 401, "invalid_token"},
		{"allowed azp", f.token(t, "user_1", jwt.MapClaims{"azp": "http://localhost:5173"}), 200, ""},
		{"wails azp", f.token(t, "user_1", jwt.MapClaims{"azp": "wails://wails"}), 200, ""},
		{"native (no azp)", f.token(t, "user_1", nil), 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/me", "/api/favorite-color"} {
				code, body := call(t, "GET", s.URL()+path, tc.token, "", nil)
				if code != tc.status {
					t.Fatalf("%s: %d %v", path, code, body)
				}
				if tc.code != "" && dig(body, "error", "code") != tc.code {
					t.Errorf("%s: error %v", path, body)
				}
			}
		})
	}
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[p]
	}
	return cur
}

func TestMeAndFavoriteColor(t *testing.T) {
	f := newIssuer(t)
	dir := t.TempDir()
	s, _ := startAPI(t, f, dir)
	tok := f.token(t, "user_ada", jwt.MapClaims{"o": map[string]any{"id": "org_1", "slg": "engines", "rol": "admin", "per": "", "fpm": ""}})

	code, body := call(t, "GET", s.URL()+"/api/me", tok, "", nil)
	if code != 200 || body["user"] != nil || dig(body, "session", "user_id") != "user_ada" || dig(body, "session", "org_role") != "org:admin" {
		t.Fatalf("/api/me before the webhook: %d %v", code, body)
	}
	if code, body := call(t, "PUT", s.URL()+"/api/favorite-color", tok, `{"color":"red"}`, nil); code != 409 || dig(body, "error", "code") != "user_unknown" {
		t.Fatalf("PUT before the user is known: %d %v", code, body)
	}
	if code, _ := deliver(t, s, "user.created", userData("user_ada", "ada@example.com", "Ada", 10), time.Now(), secret); code != 200 {
		t.Fatal("user.created refused")
	}
	code, body = call(t, "GET", s.URL()+"/api/me", tok, "", nil)
	if code != 200 || dig(body, "user", "email") != "ada@example.com" || dig(body, "user", "first_name") != "Ada" {
		t.Fatalf("/api/me: %d %v", code, body)
	}

	if code, body := call(t, "GET", s.URL()+"/api/favorite-color", tok, "", nil); code != 200 || body["color"] != nil {
		t.Fatalf("unset color: %d %v", code, body)
	}
	for _, tc := range []struct {
		body, color, hex string
		status           int
		code             string
	}{
		{`{"color":"#1A2b3C"}`, "#1a2b3c", "#1a2b3c", 200, ""},
		{`{"color":" RebeccaPurple "}`, "rebeccapurple", "#663399", 200, ""},
		{`{"color":"#abc"}`, "", "", 400, "invalid_color"},
		{`{"color":"#12345g"}`, "", "", 400, "invalid_color"},
		{`{"color":"blurple"}`, "", "", 400, "invalid_color"},
		{`{"color":"transparent"}`, "", "", 400, "invalid_color"},
		{`{"color":42}`, "", "", 400, "invalid_body"},
		{`{"colour":"red"}`, "", "", 400, "invalid_body"},
		{`{}`, "", "", 400, "invalid_body"},
		{`{"color":"red"} {"color":"blue"}`, "", "", 400, "invalid_body"},
		{`not json`, "", "", 400, "invalid_body"},
		{`{"color":"` + strings.Repeat("a", maxColorBody) + `"}`, "", "", 413, "body_too_large"},
	} {
		code, body := call(t, "PUT", s.URL()+"/api/favorite-color", tok, tc.body, http.Header{"Content-Type": {"application/json"}})
		if code != tc.status {
			t.Errorf("PUT %.40s: %d %v", tc.body, code, body)
			continue
		}
		if tc.status == 200 && (body["color"] != tc.color || body["hex"] != tc.hex) {
			t.Errorf("PUT %s: %v", tc.body, body)
		}
		if tc.code != "" {
			if dig(body, "error", "code") != tc.code || dig(body, "error", "message") == "" {
				t.Errorf("PUT %.40s: error %v", tc.body, body)
			}
		}
	}
	// A failed PUT loses nothing: the last good colour stays, across a restart too.
	s.Close()
	s2, _ := startAPI(t, f, dir)
	if code, body := call(t, "GET", s2.URL()+"/api/favorite-color", tok, "", nil); code != 200 || body["color"] != "rebeccapurple" {
		t.Fatalf("color after restart: %d %v", code, body)
	}
	// Each user sees only their own colour.
	if _, body := call(t, "GET", s2.URL()+"/api/favorite-color", f.token(t, "user_grace", nil), "", nil); body["color"] != nil {
		t.Fatalf("another user's color: %v", body)
	}
}

func TestWebhooks(t *testing.T) {
	f := newIssuer(t)
	s, log := startAPI(t, f, t.TempDir())
	tok := f.token(t, "user_ada", nil)
	now := time.Now()

	refused := []struct {
		name string
		ts   time.Time
		sec  string
	}{
		{"wrong secret", now, "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret entirely"))},
		{"too old", now.Add(-DefaultWebhookTolerance - time.Minute), secret},
		{"from the future", now.Add(DefaultWebhookTolerance + time.Minute), secret},
	}
	for _, tc := range refused {
		code, body := deliver(t, s, "user.created", userData("user_ada", "ada@example.com", "Ada", 1), tc.ts, tc.sec)
		if code != 400 || dig(body, "error", "code") != "invalid_signature" {
			t.Errorf("%s: %d %v", tc.name, code, body)
		}
	}
	if got := strings.Count(log.String(), "webhook refused"); got != len(refused) {
		t.Errorf("%d refusals logged, want %d", got, len(refused))
	}
	if _, body := call(t, "GET", s.URL()+"/api/me", tok, "", nil); body["user"] != nil {
		t.Fatal("a refused webhook was applied")
	}
	// Missing headers and a tampered body.
	if code, _ := call(t, "POST", s.WebhookURL(), "", `{"type":"user.created"}`, nil); code != 400 {
		t.Errorf("unsigned webhook: %d", code)
	}

	deliver(t, s, "user.created", userData("user_ada", "ada@example.com", "Ada", 10), now, secret)
	deliver(t, s, "user.updated", userData("user_ada", "countess@example.com", "Augusta", 20), now, secret)
	deliver(t, s, "user.updated", userData("user_ada", "stale@example.com", "Stale", 15), now, secret) // older: ignored
	_, body := call(t, "GET", s.URL()+"/api/me", tok, "", nil)
	if dig(body, "user", "email") != "countess@example.com" || dig(body, "user", "first_name") != "Augusta" {
		t.Fatalf("after updates: %v", body)
	}
	if code, _ := call(t, "PUT", s.URL()+"/api/favorite-color", tok, `{"color":"navy"}`, nil); code != 200 {
		t.Fatal("PUT color")
	}
	if code, _ := deliver(t, s, "session.created", map[string]any{"id": "sess_1"}, now, secret); code != 200 {
		t.Error("other event types are acknowledged")
	}
	deliver(t, s, "user.deleted", map[string]any{"id": "user_ada", "deleted": true, "object": "user"}, now, secret)
	if _, body := call(t, "GET", s.URL()+"/api/me", tok, "", nil); body["user"] != nil {
		t.Fatalf("after user.deleted: %v", body)
	}
	if _, body := call(t, "GET", s.URL()+"/api/favorite-color", tok, "", nil); body["color"] != nil {
		t.Fatalf("data kept after user.deleted: %v", body)
	}
}

// A delivery replayed within the timestamp tolerance (a captured request, or a
// Svix retry of a message already applied) is acknowledged but not applied again:
// a replayed user.created must not bring back a user deleted since. The svix-ids
// survive a restart of the API.
func TestReplayedWebhookIgnored(t *testing.T) {
	f := newIssuer(t)
	dir := t.TempDir()
	s, _ := startAPI(t, f, dir)
	tok := f.token(t, "user_ada", nil)
	now := time.Now()
	created := userData("user_ada", "ada@example.com", "Ada", 10)
	if code, body := deliverID(t, s, "msg_created_1", "user.created", created, now, secret); code != 200 || body["duplicate"] != nil {
		t.Fatalf("first delivery: %d %v", code, body)
	}
	deliver(t, s, "user.deleted", map[string]any{"id": "user_ada", "deleted": true, "object": "user"}, now, secret)
	code, body := deliverID(t, s, "msg_created_1", "user.created", created, now, secret)
	if code != 200 || body["duplicate"] != true {
		t.Fatalf("replay: %d %v, want 200 and duplicate", code, body)
	}
	if _, body := call(t, "GET", s.URL()+"/api/me", tok, "", nil); body["user"] != nil {
		t.Fatalf("the replayed user.created brought the deleted user back: %v", body)
	}
	s.Close()
	s2, _ := startAPI(t, f, dir)
	if _, body := deliverID(t, s2, "msg_created_1", "user.created", created, now, secret); body["duplicate"] != true {
		t.Fatalf("replay after a restart: %v", body)
	}
	// A new message about the same user is applied.
	if _, body := deliver(t, s2, "user.created", created, now, secret); body["duplicate"] != nil {
		t.Fatalf("a new message was taken for a replay: %v", body)
	}
}

func TestRoutingAndCORS(t *testing.T) {
	f := newIssuer(t)
	s, _ := startAPI(t, f, t.TempDir())
	if code, body := call(t, "GET", s.URL()+"/api/nope", "", "", nil); code != 404 || dig(body, "error", "code") != "not_found" {
		t.Errorf("unknown route: %d %v", code, body)
	}
	if code, body := call(t, "DELETE", s.URL()+"/api/favorite-color", "", "", nil); code != 405 || dig(body, "error", "code") != "method_not_allowed" {
		t.Errorf("DELETE: %d %v", code, body)
	}
	req, _ := http.NewRequest("OPTIONS", s.URL()+"/api/favorite-color", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestStartNeedsConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no dir":           {WebhookSecret: secret, Issuer: issuer, JWKSURL: "http://127.0.0.1:1/jwks"},
		"bad secret":       {Dir: t.TempDir(), WebhookSecret: "not-whsec", Issuer: issuer, JWKSURL: "http://127.0.0.1:1/jwks"},
		"no issuer":        {Dir: t.TempDir(), WebhookSecret: secret, JWKSURL: "http://127.0.0.1:1/jwks"},
		"remote http JWKS": {Dir: t.TempDir(), WebhookSecret: secret, Issuer: issuer, JWKSURL: "http://example.com/jwks"},
	} {
		if s, err := Start(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
