package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"deskclerk/demoapi"
	"deskclerk/internal/pgtest"
)

// childEnv makes the test binary run the server itself (a real process to signal).
const childEnv = "DEMOAPI_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return
	}
	os.Exit(pgtest.Main(m))
}

// The secret's key part must never appear in a log line.
const (
	secretKeyPart = "c2VjcmV0LW5ldmVyLWxvZ2dlZC0xMjM0NTY3OA=="
	signingSecret = "whsec_" + secretKeyPart
)

func TestParseConfig(t *testing.T) {
	// pk_test_ + base64("clerk.example.com$")
	pk := "pk_test_" + base64.StdEncoding.EncodeToString([]byte("clerk.example.com$"))
	base := map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": signingSecret, "DEMOAPI_DIR": "/tmp/x"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(c config) string // "" when right
		wantErr string
	}{
		{"publishable key", with("CLERK_PUBLISHABLE_KEY", pk), nil, func(c config) string {
			if c.Issuer != "https://clerk.example.com" || c.JWKSURL != "https://clerk.example.com/.well-known/jwks.json" || c.Addr != "127.0.0.1:8080" {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}, ""},
		{"explicit issuer, JWKS derived", with("CLERK_ISSUER", "https://clerk.proxy.example"), nil, func(c config) string {
			if c.JWKSURL != "https://clerk.proxy.example/.well-known/jwks.json" {
				return c.JWKSURL
			}
			return ""
		}, ""},
		{"flags win over the key", with("CLERK_PUBLISHABLE_KEY", pk), []string{"-issuer", "https://i.example", "-jwks-url", "https://k.example/jwks", "-addr", ":9000"}, func(c config) string {
			if c.Issuer != "https://i.example" || c.JWKSURL != "https://k.example/jwks" || c.Addr != ":9000" {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}, ""},
		{"PEM key instead of JWKS", with("CLERK_PUBLISHABLE_KEY", pk, "CLERK_JWT_KEY", "-----BEGIN PUBLIC KEY-----"), nil, func(c config) string {
			if c.JWKSURL != "" || len(c.JWTKeyPEM) == 0 {
				return fmt.Sprintf("%+v", c)
			}
			return ""
		}, ""},
		{"authorized parties from env and flags", with("CLERK_PUBLISHABLE_KEY", pk, "CLERK_AUTHORIZED_PARTIES", "https://a.example, https://b.example"), []string{"-authorized-party", "http://localhost:5173"}, func(c config) string {
			if strings.Join(c.AuthorizedParties, " ") != "https://a.example https://b.example http://localhost:5173" {
				return fmt.Sprint(c.AuthorizedParties)
			}
			return ""
		}, ""},
		{"postgres", with("CLERK_PUBLISHABLE_KEY", pk, "DATABASE_URL", "postgres://u:pw@db/app"), nil, func(c config) string {
			if c.DatabaseURL != "postgres://u:pw@db/app" {
				return c.DatabaseURL
			}
			return ""
		}, ""},
		{"no instance", with(), nil, nil, "no Clerk instance"},
		{"malformed key", with("CLERK_PUBLISHABLE_KEY", "pk_test_!!!"), nil, nil, "CLERK_PUBLISHABLE_KEY"},
		{"no secret", with("CLERK_PUBLISHABLE_KEY", pk, "CLERK_WEBHOOK_SIGNING_SECRET", ""), nil, nil, "CLERK_WEBHOOK_SIGNING_SECRET is not set"},
		{"secret without whsec_", with("CLERK_PUBLISHABLE_KEY", pk, "CLERK_WEBHOOK_SIGNING_SECRET", secretKeyPart), nil, nil, "whsec_"},
		{"not a postgres URL", with("CLERK_PUBLISHABLE_KEY", pk, "DATABASE_URL", "mysql://u:hunter2@db/app"), nil, nil, "postgres://"},
		{"bad log format", with("CLERK_PUBLISHABLE_KEY", pk), []string{"-log-format", "xml"}, nil, "log-format"},
		{"stray argument", with("CLERK_PUBLISHABLE_KEY", pk), []string{"serve"}, nil, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secretKeyPart) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("a secret is in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(c); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

// issuer is a stand-in Clerk instance: a key, its JWKS on loopback, token minting.
type issuer struct {
	key  *rsa.PrivateKey
	url  string
	jwks *httptest.Server
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &issuer{key: key, url: "https://clerk.replicas.test"}
	f.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "ins_1",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(f.jwks.Close)
	return f
}

func (f *issuer) token(t testing.TB, sub string) string {
	t.Helper()
	now := time.Now().Unix()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": f.url, "sub": sub, "sid": "sess_" + sub, "iat": now, "nbf": now - 10, "exp": now + 300, "v": 2, "sts": "active"})
	tok.Header["kid"] = "ins_1"
	s, err := tok.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *issuer) publicPEM(t testing.TB) string {
	der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// server is a cmd/demoapi process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
	msgs chan map[string]any // every JSON log line
	done chan error
}

func (s *server) log() string { s.mu.Lock(); defer s.mu.Unlock(); return s.logs.String() }

// startServer runs the server with env (besides the issuer's settings) and
// waits for its "listening" line.
func startServer(t testing.TB, f *issuer, env ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-log-format", "json", "-log-level", "debug")
	cmd.Env = append(os.Environ(), childEnv+"=1", "CLERK_ISSUER="+f.url, "CLERK_JWKS_URL="+f.jwks.URL,
		"CLERK_WEBHOOK_SIGNING_SECRET="+signingSecret)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, msgs: make(chan map[string]any, 1000), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.Write(sc.Bytes())
			s.logs.WriteByte('\n')
			s.mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				select {
				case s.msgs <- m:
				default:
				}
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	m := s.waitLog(t, "demoapi: listening")
	s.url, _ = m["url"].(string)
	return s
}

// waitLog waits for a log line with msg (an event, not a sleep).
func (s *server) waitLog(t testing.TB, msg string) map[string]any {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case m := <-s.msgs:
			if m["msg"] == msg {
				return m
			}
		case err := <-s.done:
			s.done <- err
			t.Fatalf("server exited (%v) before %q:\n%s", err, msg, s.log())
		case <-timeout:
			t.Fatalf("no %q in the log after 60 s:\n%s", msg, s.log())
		}
	}
}

func (s *server) stop(t testing.TB) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30 s after SIGTERM")
	}
}

func do(t testing.TB, method, url, bearer, body string, hdr http.Header) (int, map[string]any) {
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
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// webhook is one signed delivery, postable to any replica.
type webhook struct {
	id   string
	body []byte
	hdr  http.Header
}

func newWebhook(t testing.TB, id, typ string, data map[string]any) webhook {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": typ, "object": "event", "data": data})
	now := time.Now()
	sig, err := demoapi.SignWebhook(signingSecret, id, now, body)
	if err != nil {
		t.Fatal(err)
	}
	return webhook{id, body, http.Header{"Svix-Id": {id}, "Svix-Timestamp": {strconv.FormatInt(now.Unix(), 10)},
		"Svix-Signature": {sig}, "Content-Type": {"application/json"}}}
}

func (w webhook) post(t testing.TB, s *server) (int, map[string]any) {
	t.Helper()
	return do(t, "POST", s.url+demoapi.WebhookPath, "", string(w.body), w.hdr)
}

func userCreated(t testing.TB, id string, updated int64) webhook {
	return newWebhook(t, "msg_created_"+id, "user.created", map[string]any{
		"id": id, "first_name": "Ada", "last_name": "Lovelace", "primary_email_address_id": "idn_1",
		"email_addresses": []map[string]any{{"id": "idn_1", "email_address": id + "@example.com"}},
		"created_at":      1, "updated_at": updated})
}

// TestServeBboltAndGracefulShutdown runs the real process on bbolt: health,
// a webhook, the protected routes, a request in flight when SIGTERM arrives,
// and a secret that never reaches the log.
func TestServeBboltAndGracefulShutdown(t *testing.T) {
	f := newIssuer(t)
	dir := t.TempDir()
	s := startServer(t, f, "DEMOAPI_DIR="+dir)
	if code, body := do(t, "GET", s.url+"/healthz", "", "", nil); code != 200 || body["ok"] != true {
		t.Fatalf("healthz: %d %v", code, body)
	}
	if code, _ := do(t, "GET", s.url+"/api/me", "", "", nil); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, body := userCreated(t, "user_ada", 10).post(t, s); code != 200 || body["outcome"] != "applied" {
		t.Fatalf("webhook: %d %v", code, body)
	}
	tok := f.token(t, "user_ada")
	if code, body := do(t, "GET", s.url+"/api/me", tok, "", nil); code != 200 || body["user"].(map[string]any)["email"] != "user_ada@example.com" {
		t.Fatalf("/api/me: %d %v", code, body)
	}

	// A PUT whose handler is waiting for its body when SIGTERM arrives
	// completes. Expect: 100-continue tells when the handler has started
	// reading (Go answers 100 on the first body read).
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"color":"teal"}`
	fmt.Fprintf(conn, "PUT /api/favorite-color HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", tok, len(body))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitLog(t, "demoapi: shutting down")
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 10 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight was cut off: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"teal"`) {
		t.Fatalf("request in flight: %d %s", resp.StatusCode, raw)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, s.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	log := s.log()
	if !strings.Contains(log, `"msg":"demoapi: stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", log)
	}
	if strings.Contains(log, secretKeyPart) || strings.Contains(log, tok) {
		t.Errorf("a secret is in the log:\n%s", log)
	}

	// The colour is on disk: a new process on the same directory serves it.
	s2 := startServer(t, f, "DEMOAPI_DIR="+dir)
	if code, body := do(t, "GET", s2.url+"/api/favorite-color", tok, "", nil); code != 200 || body["color"] != "teal" {
		t.Fatalf("after restart: %d %v", code, body)
	}
	s2.stop(t)
}

// TestReplicasShareOnePostgres: two servers started together on one database
// (racing to migrate it), colour writes to both at once, and the same webhook
// delivered to both: one consistent result, nothing applied twice.
func TestReplicasShareOnePostgres(t *testing.T) {
	f := newIssuer(t)
	dbURL := pgtest.NewDatabase(t)
	var a, b *server
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startServer(t, f, "DATABASE_URL="+dbURL) }()
	go func() {
		defer wg.Done()
		b = startServer(t, f, "DATABASE_URL="+dbURL, "CLERK_JWKS_URL=", "CLERK_JWT_KEY="+f.publicPEM(t))
	}()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	replicas := []*server{a, b}

	// The same user.created to both at once: applied once, acknowledged twice.
	for round := 0; round < 5; round++ {
		w := userCreated(t, fmt.Sprintf("user_%d", round), 10)
		outcomes := make([]any, 2)
		for i, s := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := w.post(t, s)
				if code != 200 {
					t.Errorf("webhook to replica %d: %d %v", i, code, body)
				}
				outcomes[i] = body["outcome"]
			}()
		}
		wg.Wait()
		if !(outcomes[0] == "applied" && outcomes[1] == "duplicate" || outcomes[0] == "duplicate" && outcomes[1] == "applied") {
			t.Fatalf("round %d: outcomes %v, want one applied and one duplicate", round, outcomes)
		}
	}

	// Concurrent colour writes for one user through both replicas.
	tok := f.token(t, "user_0")
	colors := []string{"red", "green", "blue", "teal", "navy", "plum", "gold", "tan"}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"color":%q}`, colors[i%len(colors)])
			if code, resp := do(t, "PUT", replicas[i%2].url+"/api/favorite-color", tok, body, nil); code != 200 {
				t.Errorf("PUT %d: %d %v", i, code, resp)
			}
		}(i)
	}
	wg.Wait()
	var seen []any
	for _, s := range replicas {
		_, body := do(t, "GET", s.url+"/api/favorite-color", tok, "", nil)
		seen = append(seen, body["color"])
	}
	if seen[0] != seen[1] || !contains(colors, seen[0]) {
		t.Fatalf("replicas disagree or hold no written colour: %v", seen)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var users, colorRows, messages, migrations int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM favorite_colors),
		(SELECT count(*) FROM webhook_messages), (SELECT count(*) FROM schema_migrations)`).Scan(&users, &colorRows, &messages, &migrations); err != nil {
		t.Fatal(err)
	}
	if users != 5 || colorRows != 1 || messages != 5 {
		t.Fatalf("rows: %d users, %d colours, %d webhook messages; want 5, 1, 5", users, colorRows, messages)
	}
	a.stop(t)
	b.stop(t)
	for _, s := range replicas {
		if strings.Contains(s.log(), secretKeyPart) || strings.Contains(s.log(), dbURL) {
			t.Errorf("a secret or the database URL is in the log:\n%s", s.log())
		}
	}
}

func contains(list []string, v any) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
