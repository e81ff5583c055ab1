package verify

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deskclerk/auth/internal/testjwt"
)

// Fixtures shared by the tests. The clock is fixed so that expiry tests are
// exact; iss has the shape clerk-sdk-go insists on, for the cross-check.
const (
	testIssuer = "https://clerk.example.com"
	kidA       = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"
	kidB       = "ins_rotatedKeyB00000000000000000"
)

var t0 = time.Unix(1_750_000_000, 0)

var (
	keysOnce                sync.Once
	keyA, keyB, keyAttacker *testjwt.Key
	discard                 = slog.New(slog.DiscardHandler)
	sentinels               = []error{ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrMissingKID, ErrUnknownKey, ErrSignature, ErrExpired, ErrNotYetValid, ErrIssuer, ErrAuthorizedParty, ErrMissingClaim, ErrPendingSession, ErrTokenType, ErrKeysUnavailable}
)

// keys returns the test keys, generated once per test binary.
func keys() (a, b, attacker *testjwt.Key) {
	keysOnce.Do(func() {
		keyA, keyB, keyAttacker = testjwt.MustKey(kidA), testjwt.MustKey(kidB), testjwt.MustKey(kidA)
	})
	return keyA, keyB, keyAttacker
}

func fixedNow() time.Time { return t0 }

// claims returns valid session claims at t0 with the given changes; a nil
// value deletes the claim.
func claims(changes map[string]any) map[string]any {
	c := testjwt.SessionClaims(testIssuer, "user_2GIabcdefghijklmnopqrstu", "sess_2Gbabcdefghijklmnopqrstu", t0)
	c["azp"] = "http://localhost:3000"
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func clerkHeader(kid string) map[string]any {
	return map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid, "cat": testjwt.CategorySession}
}

// pemConfig is a networkless Config trusting key a.
func pemConfig() Config {
	a, _, _ := keys()
	return Config{
		Issuer:            testIssuer,
		PEM:               a.PublicPEM(),
		AuthorizedParties: []string{"http://localhost:3000", "wails://wails"},
		Now:               fixedNow,
		Logger:            discard,
	}
}

func mustNew(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// checkErr asserts err matches want (nil meaning success), is an *Error with
// a known reason, and does not repeat the token.
func checkErr(t testing.TB, token string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("want %v, got %v", want, err)
	}
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("%v is not a *verify.Error", err)
	}
	known := false
	for _, s := range sentinels {
		known = known || ve.Reason == s
	}
	if !known {
		t.Fatalf("reason %v is not a sentinel", ve.Reason)
	}
	assertNoTokenIn(t, token, err.Error())
}

// assertNoTokenIn fails if msg holds the token or any sizeable piece of it.
func assertNoTokenIn(t testing.TB, token, msg string) {
	t.Helper()
	if len(token) >= 8 && strings.Contains(msg, token) {
		t.Fatalf("message repeats the token: %q", msg)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 12 && strings.Contains(msg, seg) {
			t.Fatalf("message repeats a token segment: %q", msg)
		}
	}
}

// jwksServer is a real loopback JWKS endpoint whose behaviour tests switch.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64

	mu   sync.Mutex
	body []byte
	mode string // "ok", "500", "garbage", "nokeys", "slow", "huge", "redirect", "drop"
}

func newJWKSServer(t testing.TB, keys ...*testjwt.Key) *jwksServer {
	s := &jwksServer{body: testjwt.JWKS(keys...), mode: "ok"}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) url() string { return s.URL + "/.well-known/jwks.json" }

func (s *jwksServer) setKeys(keys ...*testjwt.Key) {
	s.mu.Lock()
	s.body = testjwt.JWKS(keys...)
	s.mu.Unlock()
}

func (s *jwksServer) setMode(m string) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	body, mode := s.body, s.mode
	s.mu.Unlock()
	if r.URL.Path != "/.well-known/jwks.json" {
		http.NotFound(w, r)
		return
	}
	switch mode {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case "garbage":
		_, _ = w.Write([]byte("<html>not a key set</html>"))
	case "nokeys":
		_, _ = w.Write([]byte(`{"keys":[]}`))
	case "slow":
		select { // until the client gives up; bounded in case it never does
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case "huge":
		_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`))
	case "redirect":
		http.Redirect(w, r, "https://elsewhere.example/jwks.json", http.StatusFound)
	case "drop":
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// jwksConfig is a Config fetching from url, with test-sized intervals.
// testClock is the refetch rate limit's clock in tests: it moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock on by d.
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// withTestClock gives cfg's refetch rate limit a clock the test moves.
func withTestClock(cfg Config) (Config, *testClock) {
	c := &testClock{now: t0}
	cfg.refetchClock = c.Now
	return cfg, c
}

func jwksConfig(url string) Config {
	return Config{
		Issuer:             testIssuer,
		JWKSURL:            url,
		AuthorizedParties:  []string{"http://localhost:3000", "wails://wails"},
		HTTPClient:         &http.Client{Timeout: 300 * time.Millisecond},
		RefreshInterval:    time.Hour,
		MinRefetchInterval: time.Hour,
		Now:                fixedNow,
		Logger:             discard,
	}
}

// eventually polls cond for up to 10 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// freePortURL returns a loopback URL on which nothing listens.
func freePortURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr + "/.well-known/jwks.json"
}
