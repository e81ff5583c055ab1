package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEmu struct {
	*Server
	t   testing.TB
	log *syncBuffer
}

// start runs an emulator for the test with its state in a temporary directory.
func start(t *testing.T, opts Options) *testEmu {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	buf := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEmu{Server: s, t: t, log: buf}
}

func (e *testEmu) user(email string) DemoUser {
	e.t.Helper()
	for _, u := range e.DemoUsers() {
		if u.Email == email {
			return u
		}
	}
	e.t.Fatalf("no demo user %s", email)
	return DemoUser{}
}

// fapiResp is a decoded FAPI response.
type fapiResp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r *fapiResp) errCode() string {
	errs, _ := r.Body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	m, _ := errs[0].(map[string]any)
	code, _ := m["code"].(string)
	return code
}

// native is a FAPI client that behaves like the app's gateway: _is_native=1,
// the client token in Authorization, rotated tokens kept.
type native struct {
	e      *testEmu
	token  string
	origin string
}

func (e *testEmu) native() *native { return &native{e: e} }

func (n *native) do(method, path string, form url.Values) *fapiResp {
	n.e.t.Helper()
	return n.doRaw(method, path, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func (n *native) doRaw(method, path, contentType string, body []byte) *fapiResp {
	n.e.t.Helper()
	u, err := url.Parse(n.e.FrontendAPIURL() + path)
	if err != nil {
		n.e.t.Fatal(err)
	}
	q := u.Query()
	q.Set("_is_native", "1")
	wire := method
	if method != http.MethodGet && method != http.MethodPost {
		q.Set("_method", method)
		wire = http.MethodPost
	}
	u.RawQuery = q.Encode()
	var rd io.Reader
	if wire != http.MethodGet {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(wire, u.String(), rd)
	if err != nil {
		n.e.t.Fatal(err)
	}
	if wire != http.MethodGet {
		req.Header.Set("Content-Type", contentType)
	}
	if n.token != "" {
		req.Header.Set("Authorization", n.token)
	}
	if n.origin != "" {
		req.Header.Set("Origin", n.origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &fapiResp{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' { // a few routes answer with a bare array
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			n.e.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	if tok := resp.Header.Get("Authorization"); tok != "" {
		n.token = tok
	}
	return out
}

// must fails the test unless the response has the wanted status.
func (r *fapiResp) must(t testing.TB, status int) *fapiResp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// signIn signs a demo user in with a password and returns the session id.
func (n *native) signIn(t testing.TB, u DemoUser) string {
	t.Helper()
	si := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {u.Email}}).must(t, 200)
	id := str(si.Body, "response", "id")
	done := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor",
		url.Values{"strategy": {"password"}, "password": {u.Password}}).must(t, 200)
	if str(done.Body, "response", "status") == "needs_client_trust" {
		done = n.passClientTrust(t, id, u.Email)
	}
	if st := str(done.Body, "response", "status"); st != "complete" {
		t.Fatalf("sign-in status %q", st)
	}
	return str(done.Body, "response", "created_session_id")
}

// passClientTrust finishes a sign-in stopped for Client Trust with the emailed code.
func (n *native) passClientTrust(t testing.TB, signInID, email string) *fapiResp {
	t.Helper()
	n.do("POST", "/v1/client/sign_ins/"+signInID+"/prepare_second_factor", url.Values{"strategy": {"email_code"}}).must(t, 200)
	code, ok := n.e.LastEmailCode(email)
	if !ok {
		t.Fatalf("no code was emailed to %s", email)
	}
	return n.do("POST", "/v1/client/sign_ins/"+signInID+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {code}}).must(t, 200)
}

func (n *native) token4(t testing.TB, sid string, form url.Values) string {
	t.Helper()
	r := n.do("POST", "/v1/client/sessions/"+sid+"/tokens", form).must(t, 200)
	if r.Body["object"] != "token" {
		t.Fatalf("tokens body is not a bare token: %s", r.Raw)
	}
	return r.Body["jwt"].(string)
}

// str walks a decoded JSON object; "" if absent.
func str(m map[string]any, path ...string) string {
	v := dig(m, path...)
	s, _ := v.(string)
	return s
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}

// claimsOf decodes a JWT payload without verifying it.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// apiGet calls the demo API with a bearer token.
func (e *testEmu) api(method, path, bearer string, body string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.APIURL()+path, rd)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (e *testEmu) waitWebhooks() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.WaitWebhooks(ctx); err != nil {
		e.t.Fatal(err)
	}
}
