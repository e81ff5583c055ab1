package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/internal/testjwt"
)

// corpusCase is a token and the error Verify must give (nil: accepted).
type corpusCase struct {
	name  string
	token string
	want  error
}

// corpus mints the good and bad tokens every key-source test runs. Tokens are
// signed with key A under kid A unless the case says otherwise.
func corpus(t testing.TB) []corpusCase {
	a, _, _ := keys()
	return corpusFor(t, a)
}

// corpusFor is corpus with a as the trusted key (the fuzz seeds use a fixed one).
func corpusFor(t testing.TB, a *testjwt.Key) []corpusCase {
	_, b, attacker := keys()
	sign := func(h map[string]any, c any) string {
		tok, err := a.SignHeader(h, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(clerkHeader(kidA), claims(nil))
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	// A payload that differs from the signed one by a single claim value.
	tamperedPayload := parts[0] + "." + enc(mustJSON(t, claims(map[string]any{"sub": "user_admin"}))) + "." + parts[2]
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0x01
	tamperedSig := parts[0] + "." + parts[1] + "." + enc(sig)

	nested := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	deepClaims := []byte(`{"iss":"` + testIssuer + `","sub":"u","sid":"s","exp":1750000060,"x":` + nested + `}`)
	big := claims(map[string]any{"pad": strings.Repeat("x", MaxTokenSize)})

	with := func(h map[string]any, k string, v any) map[string]any {
		h[k] = v
		return h
	}
	without := func(h map[string]any, k string) map[string]any {
		delete(h, k)
		return h
	}
	exp := t0.Unix() + 60

	return []corpusCase{
		{"valid", good, nil},
		{"valid without cat and typ", sign(map[string]any{"alg": "RS256", "kid": kidA}, claims(nil)), nil},
		{"valid with cat ignore", sign(with(clerkHeader(kidA), "cat", testjwt.CategoryIgnore), claims(nil)), nil},
		{"valid without azp", sign(clerkHeader(kidA), claims(map[string]any{"azp": nil})), nil},
		{"valid with azp wails", sign(clerkHeader(kidA), claims(map[string]any{"azp": "wails://wails"})), nil},
		{"valid v1 with unknown header jku ignored", sign(with(clerkHeader(kidA), "jku", "https://evil.example/jwks.json"), claims(nil)), nil},
		{"exp just inside leeway", sign(clerkHeader(kidA), claims(map[string]any{"exp": t0.Unix() - 4})), nil},
		{"nbf just inside leeway", sign(clerkHeader(kidA), claims(map[string]any{"nbf": t0.Unix() + 4})), nil},
		{"iat just inside leeway", sign(clerkHeader(kidA), claims(map[string]any{"iat": t0.Unix() + 4})), nil},
		{"v2 org claims", sign(clerkHeader(kidA), claims(map[string]any{"o": map[string]any{"id": "org_1", "slg": "acme", "rol": "admin"}})), nil},

		{"tampered payload", tamperedPayload, ErrSignature},
		{"tampered signature", tamperedSig, ErrSignature},
		{"signed by another key under a known kid", attacker.MustSign(claims(nil), kidA, "RS256"), ErrSignature},
		{"jwk header embedding the signing key", func() string {
			tok, err := attacker.SignHeader(with(clerkHeader(kidA), "jwk", attacker.JWK()), claims(nil))
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}(), ErrSignature},
		{"alg none", a.MustSign(claims(nil), kidA, "none"), ErrAlgorithm},
		{"alg none capitalised", sign(with(clerkHeader(kidA), "alg", "None"), claims(nil)), ErrAlgorithm},
		{"HS256 keyed with the public key", a.MustSign(claims(nil), kidA, "HS256"), ErrAlgorithm},
		{"RS384", a.MustSign(claims(nil), kidA, "RS384"), ErrAlgorithm},
		{"RS512", a.MustSign(claims(nil), kidA, "RS512"), ErrAlgorithm},
		{"ES256", a.MustSign(claims(nil), kidA, "ES256"), ErrAlgorithm},
		{"no alg", sign(without(clerkHeader(kidA), "alg"), claims(nil)), ErrAlgorithm},
		{"missing kid", sign(without(clerkHeader(kidA), "kid"), claims(nil)), ErrMissingKID},
		{"empty kid", sign(clerkHeader(""), claims(nil)), ErrMissingKID},
		{"expired", sign(clerkHeader(kidA), claims(map[string]any{"exp": t0.Unix() - 6})), ErrExpired},
		{"expired long ago", sign(clerkHeader(kidA), claims(map[string]any{"exp": t0.Unix() - 3600})), ErrExpired},
		{"nbf beyond leeway", sign(clerkHeader(kidA), claims(map[string]any{"nbf": t0.Unix() + 6})), ErrNotYetValid},
		{"iat beyond leeway", sign(clerkHeader(kidA), claims(map[string]any{"iat": t0.Unix() + 6})), ErrNotYetValid},
		{"missing exp", sign(clerkHeader(kidA), claims(map[string]any{"exp": nil})), ErrMissingClaim},
		{"wrong iss", sign(clerkHeader(kidA), claims(map[string]any{"iss": "https://clerk.other.com"})), ErrIssuer},
		{"iss suffix attack", sign(clerkHeader(kidA), claims(map[string]any{"iss": "https://clerk.example.com.evil.com"})), ErrIssuer},
		{"iss trailing slash", sign(clerkHeader(kidA), claims(map[string]any{"iss": testIssuer + "/"})), ErrIssuer},
		{"iss http", sign(clerkHeader(kidA), claims(map[string]any{"iss": "http://clerk.example.com"})), ErrIssuer},
		{"iss upper case", sign(clerkHeader(kidA), claims(map[string]any{"iss": "https://CLERK.example.com"})), ErrIssuer},
		{"missing iss", sign(clerkHeader(kidA), claims(map[string]any{"iss": nil})), ErrIssuer},
		{"azp not allowed", sign(clerkHeader(kidA), claims(map[string]any{"azp": "https://evil.example"})), ErrAuthorizedParty},
		{"missing sub", sign(clerkHeader(kidA), claims(map[string]any{"sub": nil})), ErrMissingClaim},
		{"empty sub", sign(clerkHeader(kidA), claims(map[string]any{"sub": ""})), ErrMissingClaim},
		{"missing sid", sign(clerkHeader(kidA), claims(map[string]any{"sid": nil})), ErrMissingClaim},
		{"sts pending", sign(clerkHeader(kidA), claims(map[string]any{"sts": "pending"})), ErrPendingSession},
		{"cat JWT template", sign(with(clerkHeader(kidA), "cat", testjwt.CategoryTemplate), claims(nil)), ErrTokenType},
		{"cat M2M", sign(with(clerkHeader(kidA), "cat", testjwt.CategoryM2M), claims(nil)), ErrTokenType},
		{"cat not a string", sign(with(clerkHeader(kidA), "cat", 1), claims(nil)), ErrTokenType},
		{"typ at+jwt", sign(with(clerkHeader(kidA), "typ", "at+jwt"), claims(nil)), ErrTokenType},
		{"crit header", sign(with(clerkHeader(kidA), "crit", []string{"exp"}), claims(nil)), ErrMalformed},
		{"over the size cap", sign(clerkHeader(kidA), big), ErrTooLarge},
		{"bad base64 in header", "eyJ*bGci." + parts[1] + "." + parts[2], ErrMalformed},
		{"bad base64 in payload", parts[0] + ".e30=." + parts[2], ErrMalformed},
		{"bad base64 in signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "+/" + parts[2][12:], ErrMalformed},
		{"non-canonical base64 in signature", parts[0] + "." + parts[1] + "." + nonCanonical(parts[2]), ErrMalformed},
		{"line break in token", parts[0] + ".\n" + parts[1] + "." + parts[2], ErrMalformed},
		{"empty", "", ErrMalformed},
		{"one segment", parts[0], ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], ErrMalformed},
		{"four segments", good + ".x", ErrMalformed},
		{"JWE-shaped", parts[0] + ".." + parts[1] + ".." + parts[2], ErrMalformed},
		{"empty header", "." + parts[1] + "." + parts[2], ErrMalformed},
		{"header not JSON", enc([]byte("not json")) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"header deeply nested", enc([]byte(`{"alg":"RS256","kid":"`+kidA+`","x":`+nested+`}`)) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"claims deeply nested", sign(clerkHeader(kidA), deepClaims), ErrMalformed},
		{"claims not an object", sign(clerkHeader(kidA), []byte(`["sub"]`)), ErrMalformed},
		{"claims with duplicate iss", sign(clerkHeader(kidA), []byte(`{"iss":"https://evil.example","iss":"`+testIssuer+`","sub":"u","sid":"s","exp":`+itoa(exp)+`}`)), ErrMalformed},
		{"sub not a string", sign(clerkHeader(kidA), claims(map[string]any{"sub": 42})), ErrMalformed},
		{"exp not a number", sign(clerkHeader(kidA), claims(map[string]any{"exp": "tomorrow"})), ErrMalformed},
		{"o not an object", sign(clerkHeader(kidA), claims(map[string]any{"o": "org_1"})), ErrMalformed},
		{"kid of key B signed by B (unknown to A-only config)", b.MustSign(claims(nil), kidB, "RS256"), ErrUnknownKey},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// nonCanonical changes the unused low bits of the last base64url character, a
// spelling that lax decoders map to the same bytes.
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

func TestVerifyCorpusPEM(t *testing.T) {
	cfg := pemConfig()
	cfg.PEMKeyID = kidA // so that an unknown kid is refused in PEM mode too
	v := mustNew(t, cfg)
	for _, tc := range corpus(t) {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			checkErr(t, tc.token, err, tc.want)
			if tc.want == nil && (c == nil || c.UserID == "" || c.SessionID == "") {
				t.Fatalf("accepted without claims: %+v", c)
			}
			if tc.want != nil && c != nil {
				t.Fatalf("refused but returned claims")
			}
			// Twice: the second answer may come from the cache and must agree.
			_, err2 := v.Verify(context.Background(), tc.token)
			checkErr(t, tc.token, err2, tc.want)
		})
	}
}

func TestVerifyCorpusJWKS(t *testing.T) {
	a, _, _ := keys()
	srv := newJWKSServer(t, a)
	v := mustNew(t, jwksConfig(srv.url()))
	for _, tc := range corpus(t) {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			checkErr(t, tc.token, err, tc.want)
		})
	}
}

func TestClaimsAreTyped(t *testing.T) {
	a, _, _ := keys()
	v := mustNew(t, pemConfig())
	tok := a.MustSign(claims(map[string]any{
		"o":   map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read"},
		"act": map[string]any{"sub": "user_support"},
	}), kidA, "RS256")
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		UserID: "user_2GIabcdefghijklmnopqrstu", SessionID: "sess_2Gbabcdefghijklmnopqrstu",
		OrgID: "org_1", OrgSlug: "acme", OrgRole: "org:admin",
		AuthorizedParty: "http://localhost:3000", Issuer: testIssuer, TokenID: "jti_sess_2Gbabcdefghijklmnopqrstu",
		IssuedAt: t0, NotBefore: t0.Add(-10 * time.Second), Expiry: t0.Add(60 * time.Second), Status: "active",
	}
	got := *c
	got.Raw = nil
	if got.UserID != want.UserID || got.SessionID != want.SessionID || got.OrgID != want.OrgID || got.OrgSlug != want.OrgSlug ||
		got.OrgRole != want.OrgRole || got.AuthorizedParty != want.AuthorizedParty || got.Issuer != want.Issuer ||
		got.TokenID != want.TokenID || !got.IssuedAt.Equal(want.IssuedAt) || !got.NotBefore.Equal(want.NotBefore) ||
		!got.Expiry.Equal(want.Expiry) || got.Status != want.Status {
		t.Fatalf("claims\n got %+v\nwant %+v", got, want)
	}
	act, _ := c.Raw["act"].(map[string]any)
	if act["sub"] != "user_support" || c.Raw["v"] != float64(2) {
		t.Fatalf("raw claims %v", c.Raw)
	}

	// v1 tokens carry the organization in flat claims.
	tok = a.MustSign(claims(map[string]any{"org_id": "org_9", "org_slug": "old", "org_role": "org:member", "v": nil}), kidA, "RS256")
	if c, err = v.Verify(context.Background(), tok); err != nil || c.OrgID != "org_9" || c.OrgSlug != "old" || c.OrgRole != "org:member" {
		t.Fatalf("v1 org claims: %+v, %v", c, err)
	}
}

func TestAZPPolicies(t *testing.T) {
	a, _, _ := keys()
	with := a.MustSign(claims(nil), kidA, "RS256")                                            // azp http://localhost:3000
	other := a.MustSign(claims(map[string]any{"azp": "https://evil.example"}), kidA, "RS256") // azp not listed
	none := a.MustSign(claims(map[string]any{"azp": nil}), kidA, "RS256")
	empty := a.MustSign(claims(map[string]any{"azp": ""}), kidA, "RS256")
	tests := []struct {
		policy  AZPPolicy
		parties []string
		want    map[string]error
	}{
		{AZPOptional, []string{"http://localhost:3000"}, map[string]error{"with": nil, "other": ErrAuthorizedParty, "none": nil, "empty": nil}},
		{AZPOptional, nil, map[string]error{"with": ErrAuthorizedParty, "other": ErrAuthorizedParty, "none": nil, "empty": nil}},
		{AZPRequired, []string{"http://localhost:3000"}, map[string]error{"with": nil, "other": ErrAuthorizedParty, "none": ErrAuthorizedParty, "empty": ErrAuthorizedParty}},
		{AZPIgnore, nil, map[string]error{"with": nil, "other": nil, "none": nil, "empty": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			cfg := pemConfig()
			cfg.AZP, cfg.AuthorizedParties, cfg.CacheSize = tt.policy, tt.parties, -1
			v := mustNew(t, cfg)
			for name, tok := range map[string]string{"with": with, "other": other, "none": none, "empty": empty} {
				_, err := v.Verify(context.Background(), tok)
				if want := tt.want[name]; (want == nil) != (err == nil) || want != nil && !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", name, err, want)
				}
			}
		})
	}
}

func TestLeewayConfigurable(t *testing.T) {
	a, _, _ := keys()
	tok := a.MustSign(claims(map[string]any{"exp": t0.Unix() - 20}), kidA, "RS256")
	for _, tt := range []struct {
		leeway time.Duration
		want   error
	}{{0, ErrExpired}, {-1, ErrExpired}, {30 * time.Second, nil}} {
		cfg := pemConfig()
		cfg.Leeway = tt.leeway
		_, err := mustNew(t, cfg).Verify(context.Background(), tok)
		checkErr(t, tok, err, tt.want)
	}
	// Negative means none: a token expiring exactly now is expired.
	cfg := pemConfig()
	cfg.Leeway = -1
	tok = a.MustSign(claims(map[string]any{"exp": t0.Unix()}), kidA, "RS256")
	_, err := mustNew(t, cfg).Verify(context.Background(), tok)
	checkErr(t, tok, err, ErrExpired)
}

func TestPEMForms(t *testing.T) {
	a, _, _ := keys()
	tok := a.MustSign(claims(nil), "any-kid-at-all", "RS256")
	for name, pem := range map[string][]byte{"SPKI": a.PublicPEM(), "PKCS1": a.PublicPKCS1PEM()} {
		cfg := pemConfig()
		cfg.PEM = pem
		if _, err := mustNew(t, cfg).Verify(context.Background(), tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// With PEMKeyID only that kid passes.
	cfg := pemConfig()
	cfg.PEMKeyID = kidA
	_, err := mustNew(t, cfg).Verify(context.Background(), tok)
	checkErr(t, tok, err, ErrUnknownKey)
}

func TestConfigErrors(t *testing.T) {
	a, _, _ := keys()
	small := testjwt.MustKeyBits("small", 1024)
	tests := map[string]func(*Config){
		"no issuer":                func(c *Config) { c.Issuer = "" },
		"no key source":            func(c *Config) { c.PEM = nil },
		"both key sources":         func(c *Config) { c.JWKSURL = "https://clerk.example.com/.well-known/jwks.json" },
		"PEM garbage":              func(c *Config) { c.PEM = []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") },
		"PEM not a PEM":            func(c *Config) { c.PEM = []byte("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA") },
		"PEM two keys":             func(c *Config) { c.PEM = append(a.PublicPEM(), a.PublicPEM()...) },
		"PEM private key":          func(c *Config) { c.PEM = a.PrivatePEM() },
		"PEM 1024-bit key":         func(c *Config) { c.PEM = small.PublicPEM() },
		"AZPRequired without list": func(c *Config) { c.AZP, c.AuthorizedParties = AZPRequired, nil },
		"unknown AZP policy":       func(c *Config) { c.AZP = 7 },
		"empty party":              func(c *Config) { c.AuthorizedParties = []string{""} },
		"refresh below 1s": func(c *Config) {
			c.PEM, c.JWKSURL, c.RefreshInterval = nil, "https://clerk.example.com/.well-known/jwks.json", time.Millisecond
		},
		"http JWKS off loopback": func(c *Config) { c.PEM, c.JWKSURL = nil, "http://clerk.example.com/.well-known/jwks.json" },
		"JWKS not a URL":         func(c *Config) { c.PEM, c.JWKSURL = nil, "clerk.example.com/jwks" },
		"JWKS with user info":    func(c *Config) { c.PEM, c.JWKSURL = nil, "https://u:p@clerk.example.com/jwks" },
		"PEMKeyID without PEM": func(c *Config) {
			c.PEM, c.JWKSURL, c.PEMKeyID = nil, "https://clerk.example.com/.well-known/jwks.json", "k"
		},
		"negative refetch": func(c *Config) { c.MinRefetchInterval = -time.Second },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := pemConfig()
			change(&cfg)
			if v, err := New(context.Background(), cfg); !errors.Is(err, ErrInvalidConfig) {
				if v != nil {
					_ = v.Close()
				}
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
	// Loopback http is fine (the emulator), as is https.
	for _, u := range []string{"http://127.0.0.1:1/.well-known/jwks.json", "http://localhost:1/x", "http://[::1]:1/x", "https://clerk.example.com/.well-known/jwks.json"} {
		cfg := pemConfig()
		cfg.PEM, cfg.JWKSURL = nil, u
		v, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		_ = v.Close()
	}
}

func TestTokenCache(t *testing.T) {
	a, _, _ := keys()
	now := t0
	cfg := pemConfig()
	cfg.Now = func() time.Time { return now }
	cfg.CacheSize = 3
	v := mustNew(t, cfg)
	tok := a.MustSign(claims(nil), kidA, "RS256")

	c1, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache holds %d entries after one token", v.cache.len())
	}
	c1.UserID = "changed by caller" // must not leak into the cache
	c2, err := v.Verify(context.Background(), tok)
	if err != nil || c2.UserID != "user_2GIabcdefghijklmnopqrstu" {
		t.Fatalf("cache hit: %+v, %v", c2, err)
	}

	// exp is checked on every hit: at exp+leeway the cached token is expired.
	now = t0.Add(65 * time.Second)
	_, err = v.Verify(context.Background(), tok)
	checkErr(t, tok, err, ErrExpired)
	if v.cache.len() != 0 {
		t.Fatal("expired entry was kept")
	}

	// Bounded: more distinct tokens than entries never grows past the cap.
	now = t0
	for i := range 6 {
		tok := a.MustSign(claims(map[string]any{"jti": itoa(int64(i))}), kidA, "RS256")
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.len(); n > 3 {
			t.Fatalf("cache grew to %d entries, cap 3", n)
		}
	}

	// Refused tokens are not cached.
	bad := a.MustSign(claims(map[string]any{"sts": "pending"}), kidA, "RS256")
	before := v.cache.len()
	_, _ = v.Verify(context.Background(), bad)
	if _, ok := v.cache.m[bad]; ok || v.cache.len() > before {
		t.Fatal("a refused token was cached")
	}

	// Disabled.
	cfg.CacheSize = -1
	if v := mustNew(t, cfg); v.cache != nil {
		t.Fatal("negative CacheSize left a cache")
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	c := newTokenCache(2)
	c.put("old", &cacheEntry{validUntil: t0}, t0)
	c.put("live", &cacheEntry{validUntil: t0.Add(time.Hour)}, t0)
	c.put("new", &cacheEntry{validUntil: t0.Add(time.Hour)}, t0.Add(time.Second))
	if c.get("old") != nil || c.get("live") == nil || c.get("new") == nil {
		t.Fatalf("eviction dropped the wrong entry: %v", c.m)
	}
}

func TestErrorShape(t *testing.T) {
	e := &Error{Reason: ErrKeysUnavailable, Detail: "no key set fetched yet", Err: context.DeadlineExceeded}
	if !errors.Is(e, ErrKeysUnavailable) || !errors.Is(e, context.DeadlineExceeded) {
		t.Fatal("errors.Is does not see reason and cause")
	}
	if got := e.Error(); got != "verify session token: signing keys unavailable: no key set fetched yet: context deadline exceeded" {
		t.Fatalf("message %q", got)
	}
}
