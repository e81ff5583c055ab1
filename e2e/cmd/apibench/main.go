// Command apibench measures the standalone demo API (cmd/demoapi) in requests
// per second: GET /api/me and PUT /api/favorite-color with session-token
// verification, on bbolt and on PostgreSQL, with one and two replicas on the
// same database, next to a no-auth, no-store server built with the same
// net/http stack in the same run (the floor). Every server is its own process;
// scenarios are interleaved over several rounds and the medians reported. Run
// through `make bench`.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"deskclerk/demoapi"
	"deskclerk/internal/pgtest"
)

const (
	issuerURL = "https://clerk.bench.test"
	secret    = "whsec_YmVuY2gtc2lnbmluZy1zZWNyZXQtMTIzNDU2"
)

func main() {
	bin := flag.String("bin", "build/bin/demoapi", "cmd/demoapi binary")
	dur := flag.Duration("duration", time.Second, "measuring time per scenario and round")
	rounds := flag.Int("rounds", 10, "interleaved rounds")
	workers := flag.Int("c", 16, "concurrent clients (keep-alive connections), one user each")
	baseline := flag.Bool("baseline-server", false, "internal: serve the no-auth floor")
	flag.Parse()
	if *baseline {
		serveBaseline()
		return
	}
	if err := run(*bin, *dur, *rounds, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

// serveBaseline answers the same routes with bodies of the same shape, no
// token check and no store: what net/http and JSON cost on this machine.
func serveBaseline() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		write(w, demoapi.MeResponse{Session: demoapi.SessionInfo{UserID: "user_1", SessionID: "sess_1", ExpiresAt: time.Now()},
			User: &demoapi.User{ID: "user_1", Email: "user_1@example.com", FirstName: "Ada", LastName: "Lovelace", CreatedAt: 1, UpdatedAt: 1}})
	})
	mux.HandleFunc("PUT /api/favorite-color", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Color string `json:"color"`
		}
		raw, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
		_ = json.Unmarshal(raw, &body)
		c, h, _ := demoapi.NormalizeColor(body.Color)
		now := time.Now().UnixMilli()
		write(w, demoapi.ColorResponse{Color: &c, Hex: &h, UpdatedAt: &now})
	})
	fmt.Fprintf(os.Stderr, "{\"msg\":\"demoapi: listening\",\"url\":\"http://%s\"}\n", ln.Addr())
	_ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

type proc struct {
	cmd *exec.Cmd
	url string
}

// start runs a server process and waits for its "listening" log line.
func start(name string, args []string, env []string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "demoapi: listening" {
				urls <- m["url"].(string)
			} else if m != nil && (m["level"] == "ERROR" || m["level"] == "WARN") {
				fmt.Fprintln(os.Stderr, sc.Text())
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			_ = cmd.Wait()
			return nil, fmt.Errorf("%s exited before listening", name)
		}
		return &proc{cmd: cmd, url: u}, nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s not listening after 60 s", name)
	}
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// scenario is one server set-up under load.
type scenario struct {
	name string
	urls []string // replicas; clients are spread over them
}

func run(bin string, dur time.Duration, rounds, workers int) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	jwks := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "ins_bench",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})}
	jln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = jwks.Serve(jln) }()
	defer jwks.Close()

	// PostgreSQL with fsync on, as bbolt syncs every commit.
	cluster, err := pgtest.Start(true)
	if err != nil {
		return err
	}
	defer cluster.Stop()
	ctx := context.Background()
	dbURL, err := pgtest.CreateDatabase(ctx, cluster.BaseURL, "bench")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "apibench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	common := []string{"-addr", "127.0.0.1:0", "-log-format", "json", "-log-level", "info"}
	env := []string{"CLERK_ISSUER=" + issuerURL, "CLERK_JWKS_URL=http://" + jln.Addr().String(),
		"CLERK_WEBHOOK_SIGNING_SECRET=" + secret, "CLERK_PUBLISHABLE_KEY=", "CLERK_JWT_KEY=", "CLERK_AUTHORIZED_PARTIES="}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	launch := func(name string, args, env []string) (string, error) {
		p, err := start(name, args, env)
		if err != nil {
			return "", err
		}
		procs = append(procs, p)
		return p.url, nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	base, err := launch(self, []string{"-baseline-server"}, nil)
	if err != nil {
		return err
	}
	bolt, err := launch(bin, common, append(env, "DATABASE_URL=", "DEMOAPI_DIR="+dir))
	if err != nil {
		return err
	}
	pgA, err := launch(bin, common, append(env, "DATABASE_URL="+dbURL))
	if err != nil {
		return err
	}
	pgB, err := launch(bin, common, append(env, "DATABASE_URL="+dbURL))
	if err != nil {
		return err
	}
	scenarios := []scenario{
		{"no auth, no store (floor)", []string{base}},
		{"bbolt, 1 server", []string{bolt}},
		{"PostgreSQL, 1 replica", []string{pgA}},
		{"PostgreSQL, 2 replicas, one database", []string{pgA, pgB}},
	}

	// One user per client, known to both stores through a signed webhook.
	tokens := make([]string, workers)
	for i := range tokens {
		sub := fmt.Sprintf("user_bench_%d", i)
		if tokens[i], err = mint(key, sub); err != nil {
			return err
		}
		for _, u := range []string{bolt, pgA} {
			if err := userCreated(u, sub); err != nil {
				return err
			}
		}
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	type key2 struct{ scen, route int }
	results := map[key2][]float64{}
	routes := []string{"GET /api/me", "PUT /api/favorite-color"}
	fmt.Fprintf(os.Stderr, "apibench: %d clients, %s per measure, %d interleaved rounds\n", workers, dur, rounds)
	for r := 0; r < rounds; r++ {
		for si, sc := range scenarios {
			for ri := range routes {
				rps, err := load(client, sc, ri == 1, tokens, dur)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", sc.name, routes[ri], err)
				}
				results[key2{si, ri}] = append(results[key2{si, ri}], rps)
			}
		}
	}
	med := func(si, ri int) float64 { return median(results[key2{si, ri}]) }
	// Ratios per round (each against the floor measured moments before), then
	// their median: the shared machine's load drifts between rounds.
	ratio := func(si, ri, base int) float64 {
		var rs []float64
		for r, v := range results[key2{si, ri}] {
			rs = append(rs, v/results[key2{base, ri}][r])
		}
		return median(rs)
	}
	fmt.Printf("\nDemo API throughput (%d keep-alive clients on loopback, client and servers sharing the machine; medians of %d interleaved %s runs, ratios per round)\n\n", workers, rounds, dur)
	fmt.Println("| server | GET /api/me req/s | × floor | PUT /api/favorite-color req/s | × floor |")
	fmt.Println("|---|---|---|---|---|")
	for si, sc := range scenarios {
		fmt.Printf("| %s | %.0f | %.2f | %.0f | %.2f |\n", sc.name, med(si, 0), ratio(si, 0, 0), med(si, 1), ratio(si, 1, 0))
	}
	getGoal, replicaGoal := 0.5, 0.9
	fmt.Println()
	check := func(what string, got, goal float64) {
		verdict := "met"
		if got < goal {
			verdict = "MISSED"
		}
		fmt.Printf("- %s: %.2f (goal ≥ %.2f) %s\n", what, got, goal, verdict)
	}
	check("GET /api/me with verification on bbolt, × floor", ratio(1, 0, 0), getGoal)
	check("GET /api/me with verification on PostgreSQL, × floor", ratio(2, 0, 0), getGoal)
	check("2 replicas ÷ 1 replica, GET /api/me (one machine: no CPU to gain; sharing the database must not cost)", ratio(3, 0, 2), replicaGoal)
	check("2 replicas ÷ 1 replica, PUT /api/favorite-color", ratio(3, 1, 2), replicaGoal)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// load runs one client per token for dur and returns completed requests per second.
func load(client *http.Client, sc scenario, put bool, tokens []string, dur time.Duration) (float64, error) {
	var done atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(dur)
	colors := []string{"red", "teal", "navy", "#663399"}
	var wg sync.WaitGroup
	start := time.Now()
	for w, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := sc.urls[w%len(sc.urls)]
			for i := 0; time.Now().Before(deadline); i++ {
				var req *http.Request
				if put {
					req, _ = http.NewRequest("PUT", url+"/api/favorite-color", strings.NewReader(`{"color":"`+colors[i%len(colors)]+`"}`))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequest("GET", url+"/api/me", nil)
				}
				// The floor gets the same bytes, bearer included, and ignores them.
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					firstErr.CompareAndSwap(nil, fmt.Errorf("status %d", resp.StatusCode))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

func mint(key *rsa.PrivateKey, sub string) (string, error) {
	now := time.Now().Unix()
	// Valid for the whole run; the verifier caches a repeated token (exp still checked), as a client reusing its session token sees.
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": issuerURL, "sub": sub, "sid": "sess_" + sub,
		"iat": now, "nbf": now - 10, "exp": now + 3600, "v": 2, "sts": "active"})
	tok.Header["kid"] = "ins_bench"
	return tok.SignedString(key)
}

func userCreated(apiURL, id string) error {
	body, _ := json.Marshal(map[string]any{"type": "user.created", "object": "event", "data": map[string]any{
		"id": id, "first_name": "Ada", "last_name": "Lovelace", "primary_email_address_id": "idn_1",
		"email_addresses": []map[string]any{{"id": "idn_1", "email_address": id + "@example.com"}},
		"created_at":      1, "updated_at": 1}})
	now := time.Now()
	msgID := "msg_" + id
	sig, err := demoapi.SignWebhook(secret, msgID, now, body)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("POST", apiURL+demoapi.WebhookPath, strings.NewReader(string(body)))
	req.Header.Set("svix-id", msgID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errors.New("webhook refused: " + resp.Status)
	}
	return nil
}
