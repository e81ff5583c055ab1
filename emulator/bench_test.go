package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Benchmarks come in pairs: each emulator operation next to the raw cost it
// is built on, so a run reports the overhead as a ratio (see the report).

func benchEmu(b *testing.B) *testEmu {
	b.Helper()
	s, err := Start(b.Context(), Options{Dir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return &testEmu{Server: s, t: b, log: &syncBuffer{}}
}

// BenchmarkRSASign is the baseline for BenchmarkMintSessionToken: one RS256 signature.
func BenchmarkRSASign(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := sha256.Sum256([]byte("payload"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMintSessionToken(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	k := &keys{signing: key, kid: "ins_bench"}
	in := sessionTokenInput{issuer: "https://clerk.deskclerk.localhost", userID: "user_x", sessionID: "sess_x", now: time.Now(), firstFactorAt: time.Now().UnixMilli(), status: "active"}
	for b.Loop() {
		if _, err := k.mintSessionToken(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWKSRequest is the baseline for BenchmarkTokenRequest: a loopback
// HTTP round trip to a handler that does almost nothing.
func BenchmarkJWKSRequest(b *testing.B) {
	e := benchEmu(b)
	for b.Loop() {
		resp, err := http.Get(e.JWKSURL())
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkTokenRequest is POST /v1/client/sessions/{id}/tokens: client token
// check, a database read and a signature.
func BenchmarkTokenRequest(b *testing.B) {
	e := benchEmu(b)
	users := e.DemoUsers()
	n := &native{e: e}
	sid := n.signIn(b, users[0])
	req := func() {
		r, _ := http.NewRequest("POST", e.FrontendAPIURL()+"/v1/client/sessions/"+sid+"/tokens?_is_native=1", nil)
		r.Header.Set("Authorization", n.token)
		resp, err := http.DefaultClient.Do(r)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("tokens: %v %v", err, resp)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for b.Loop() {
		req()
	}
}

// BenchmarkCheckPassword is the baseline for BenchmarkPasswordSignIn: the
// password hash check alone.
func BenchmarkCheckPassword(b *testing.B) {
	h, _ := hashPassword("correct horse battery staple")
	for b.Loop() {
		if !checkPassword(h, "correct horse battery staple") {
			b.Fatal("mismatch")
		}
	}
}

// BenchmarkPasswordSignIn is a whole password sign-in on a fresh client:
// POST sign_ins + attempt_first_factor (two durable commits, one hash check,
// token minting for the response).
func BenchmarkPasswordSignIn(b *testing.B) {
	e := benchEmu(b)
	u := e.DemoUsers()[0]
	for b.Loop() {
		n := &native{e: e}
		si := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {u.Email}})
		r := n.do("POST", "/v1/client/sign_ins/"+str(si.Body, "response", "id")+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {u.Password}})
		if r.Status != 200 {
			b.Fatalf("sign-in: %s", r.Raw)
		}
	}
}
