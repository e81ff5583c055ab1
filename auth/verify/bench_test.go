package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	clerk "github.com/clerk/clerk-sdk-go/v2"
	clerkjwt "github.com/clerk/clerk-sdk-go/v2/jwt"
	"github.com/golang-jwt/jwt/v5"

	"deskclerk/auth/internal/testjwt"
)

// benchToken is a Clerk-shaped session token (about 750 bytes, like the one
// in the research notes) valid for an hour of wall-clock time.
func benchToken(b *testing.B) (string, *testjwt.Key) {
	a, _, _ := keys()
	c := testjwt.SessionClaims(testIssuer, "user_2GIabcdefghijklmnopqrstu", "sess_2Gbabcdefghijklmnopqrstu", time.Now())
	c["exp"] = time.Now().Add(time.Hour).Unix()
	tok, err := a.SignHeader(clerkHeader(kidA), c)
	if err != nil {
		b.Fatal(err)
	}
	return tok, a
}

func benchConfig(a *testjwt.Key, cacheSize int) Config {
	return Config{Issuer: testIssuer, PEM: a.PublicPEM(), AuthorizedParties: []string{"http://localhost:3000"}, CacheSize: cacheSize, Logger: discard}
}

// floorNs is the floor's ns/op from the same run; the other benchmarks report
// their ratio to it as x-floor.
var floorNs float64

func reportRatio(b *testing.B) {
	if floorNs > 0 && b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floorNs, "x-floor")
	}
}

func BenchmarkVerify(b *testing.B) {
	tok, a := benchToken(b)
	ctx := context.Background()

	// The floor: crypto/rsa PKCS#1 v1.5 over SHA-256 of the signing input.
	b.Run("floor-rsa", func(b *testing.B) {
		dot := strings.LastIndexByte(tok, '.')
		input := []byte(tok[:dot])
		sig, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		pub := a.Public()
		b.ReportAllocs()
		for b.Loop() {
			h := sha256.Sum256(input)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
				b.Fatal(err)
			}
		}
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})

	// First-seen: the full path including the cache insert; the entry is
	// dropped again each iteration (that delete is counted too).
	b.Run("first-seen", func(b *testing.B) {
		v := mustNew(b, benchConfig(a, DefaultCacheSize))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			v.cache.remove(tok, v.cache.get(tok))
		}
		reportRatio(b)
	})

	b.Run("first-seen-nocache", func(b *testing.B) {
		v := mustNew(b, benchConfig(a, -1))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b)
	})

	b.Run("repeated", func(b *testing.B) {
		v := mustNew(b, benchConfig(a, DefaultCacheSize))
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b)
	})

	b.Run("repeated-parallel", func(b *testing.B) {
		v := mustNew(b, benchConfig(a, DefaultCacheSize))
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	// Reference: plain golang-jwt v5 with the recommended options.
	b.Run("golang-jwt", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(testIssuer),
			jwt.WithLeeway(DefaultLeeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
		pub := a.Public()
		keyfn := func(*jwt.Token) (any, error) { return pub, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(tok, jwt.MapClaims{}, keyfn); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b)
	})

	b.Run("clerk-sdk-go", func(b *testing.B) {
		jwk := &clerk.JSONWebKey{Key: a.Public(), KeyID: kidA, Algorithm: "RS256", Use: "sig"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := clerkjwt.Verify(ctx, &clerkjwt.VerifyParams{Token: tok, JWK: jwk, Leeway: DefaultLeeway}); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b)
	})
}

// BenchmarkVerifyInterleaved pairs each path with the floor, alternating
// them in every iteration and timing each, so that load from other processes
// falls on both alike; each sub-benchmark reports the path's ns/op, the
// floor's ns/op measured beside it, and their ratio: the figures to trust on
// a busy machine. Paths are paired one at a time so that one path's garbage
// is not collected on another's clock. (B/op and allocs/op per path come from
// BenchmarkVerify.)
func BenchmarkVerifyInterleaved(b *testing.B) {
	tok, a := benchToken(b)
	ctx := context.Background()
	dot := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:dot])
	sig, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	pub := a.Public()
	floorOp := func() {
		h := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	pair := func(name string, ops int, path func()) {
		b.Run(name, func(b *testing.B) {
			var floor, took time.Duration
			for b.Loop() {
				t0 := time.Now()
				floorOp()
				t1 := time.Now()
				for range ops {
					path()
				}
				floor += t1.Sub(t0)
				took += time.Since(t1)
			}
			pathNs := float64(took.Nanoseconds()) / float64(b.N) / float64(ops)
			floorNs := float64(floor.Nanoseconds()) / float64(b.N)
			b.ReportMetric(pathNs, "path-ns")
			b.ReportMetric(floorNs, "floor-ns")
			b.ReportMetric(pathNs/floorNs, "x-floor")
		})
	}

	v := mustNew(b, benchConfig(a, DefaultCacheSize))
	pair("first-seen", 1, func() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		v.cache.remove(tok, v.cache.get(tok)) // so the next call is a first sight again
	})
	hot := mustNew(b, benchConfig(a, DefaultCacheSize))
	pair("repeated", 100, func() {
		if _, err := hot.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	})
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(testIssuer),
		jwt.WithLeeway(DefaultLeeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	keyfn := func(*jwt.Token) (any, error) { return pub, nil }
	pair("golang-jwt", 1, func() {
		if _, err := p.ParseWithClaims(tok, jwt.MapClaims{}, keyfn); err != nil {
			b.Fatal(err)
		}
	})
	jwk := &clerk.JSONWebKey{Key: pub, KeyID: kidA, Algorithm: "RS256", Use: "sig"}
	pair("clerk-sdk-go", 1, func() {
		if _, err := clerkjwt.Verify(ctx, &clerkjwt.VerifyParams{Token: tok, JWK: jwk, Leeway: DefaultLeeway}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkMiddlewareLoopback measures whole requests per second through
// real 127.0.0.1 listeners, client and server sharing the machine's cores.
// Each iteration sends a batch of requests from 8 concurrent clients to each
// of three servers in turn — "no-auth" (the same handler without the
// middleware, sent the same bearer header: the baseline), "repeated-token" (the middleware, token served
// from the cache) and "verify-every-request" (cache disabled, a full
// verification per request) — so load from other processes falls on all
// three alike. It reports each one's req/s and its ratio to the baseline.
func BenchmarkMiddlewareLoopback(b *testing.B) {
	tok, a := benchToken(b)
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, found := ClaimsFromContext(r.Context()); !found {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	type target struct {
		name   string
		srv    *httptest.Server
		header http.Header
		took   time.Duration
	}
	targets := []*target{
		{name: "no-auth", srv: httptest.NewServer(plain), header: bearer(tok)},
		{name: "repeated-token", srv: httptest.NewServer(Middleware(mustNew(b, benchConfig(a, DefaultCacheSize)))(ok)), header: bearer(tok)},
		{name: "verify-every-request", srv: httptest.NewServer(Middleware(mustNew(b, benchConfig(a, -1)))(ok)), header: bearer(tok)},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	defer client.CloseIdleConnections()
	for _, t := range targets {
		defer t.srv.Close()
	}
	const workers, perWorker = 8, 25
	batch := func(t *target) {
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perWorker {
					req, _ := http.NewRequest(http.MethodGet, t.srv.URL+"/api/me", nil)
					req.Header = t.header.Clone()
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("%s: status %d", t.name, res.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		t.took += time.Since(start)
	}
	for _, t := range targets {
		batch(t) // warm the connections
		t.took = 0
	}
	for b.Loop() {
		for _, t := range targets {
			batch(t)
		}
	}
	rps := func(t *target) float64 { return float64(b.N*workers*perWorker) / t.took.Seconds() }
	for _, t := range targets {
		b.ReportMetric(rps(t), t.name+"-req/s")
	}
	for _, t := range targets[1:] {
		b.ReportMetric(rps(t)/rps(targets[0]), t.name+"-x-no-auth")
	}
}

// BenchmarkVerifySteps splits the work Verify adds to the RSA check, to see
// where the overhead over the floor goes.
func BenchmarkVerifySteps(b *testing.B) {
	tok, a := benchToken(b)
	v := mustNew(b, benchConfig(a, DefaultCacheSize))
	parts := strings.Split(tok, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	b.Run("base64-3-segments", func(b *testing.B) {
		d1, d2 := len(parts[0]), len(parts[0])+1+len(parts[1])
		b.ReportAllocs()
		for b.Loop() {
			buf := make([]byte, len(tok), 2*len(tok))
			copy(buf, tok)
			buf, _, _ = decodeSegment(buf, buf[:d1])
			buf, _, _ = decodeSegment(buf, buf[d1+1:d2])
			_, _, _ = decodeSegment(buf, buf[d2+1:len(tok)])
		}
	})
	b.Run("header", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h, _ := parseHeader(hdr)
			if _, err := checkHeader(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("claims-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseJSONObject(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("claims-json-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stdDecode(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	raw, _ := parseJSONObject(payload)
	b.Run("claims-checks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cs, _ := decodeClaims(raw)
			if err := v.checkClaims(cs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
