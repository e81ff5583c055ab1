package verify

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"deskclerk/auth/internal/testjwt"
)

// fuzzKey is the committed test key that signed the seed tokens under
// testdata/fuzz/FuzzVerify, so they stay valid across runs (the clock is
// fixed at their iat).
func fuzzKey(tb testing.TB) *testjwt.Key {
	pem, err := os.ReadFile("testdata/fuzz_signing_key.pem")
	if err != nil {
		tb.Fatal(err)
	}
	k, err := testjwt.KeyFromPEM(kidA, pem)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func fuzzVerifier(tb testing.TB) *Verifier {
	cfg := pemConfig()
	cfg.PEM = fuzzKey(tb).PublicPEM()
	cfg.PEMKeyID = kidA
	return mustNew(tb, cfg)
}

// checkOutcome holds for any input: a refusal is a typed *Error that does not
// repeat the token; an acceptance is a complete, current session for the
// configured issuer and parties.
func checkOutcome(t *testing.T, v *Verifier, token string, c *Claims, err error) {
	if err != nil {
		if c != nil {
			t.Fatal("refused but returned claims")
		}
		var ve *Error
		if !errors.As(err, &ve) || !slices.Contains(sentinels, ve.Reason) {
			t.Fatalf("untyped error %v", err)
		}
		assertNoTokenIn(t, token, err.Error())
		return
	}
	switch {
	case c.Issuer != testIssuer:
		t.Fatalf("accepted iss %q", c.Issuer)
	case c.UserID == "" || c.SessionID == "":
		t.Fatal("accepted without sub or sid")
	case !t0.Before(c.Expiry.Add(DefaultLeeway)):
		t.Fatalf("accepted expired token (exp %v)", c.Expiry)
	case c.NotBefore.After(t0.Add(DefaultLeeway)) || c.IssuedAt.After(t0.Add(DefaultLeeway)):
		t.Fatal("accepted a token from the future")
	case c.Status == "pending":
		t.Fatal("accepted a pending session")
	case c.AuthorizedParty != "" && !slices.Contains(v.parties, c.AuthorizedParty):
		t.Fatalf("accepted azp %q", c.AuthorizedParty)
	}
}

// FuzzVerify feeds arbitrary strings to Verify.
func FuzzVerify(f *testing.F) {
	v := fuzzVerifier(f)
	for _, tc := range corpusFor(f, fuzzKey(f)) {
		f.Add(tc.token)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		checkOutcome(t, v, token, c, err)
	})
}

// FuzzVerifyClaims signs arbitrary payload bytes with the trusted key, so
// that the fuzzer reaches the claim checks behind the signature.
func FuzzVerifyClaims(f *testing.F) {
	key := fuzzKey(f)
	v := fuzzVerifier(f)
	f.Add([]byte(`{"iss":"https://clerk.example.com","sub":"user_1","sid":"sess_1","exp":1750000060,"iat":1750000000,"nbf":1749999990,"azp":"wails://wails","sts":"active","o":{"id":"org_1","rol":"admin"}}`))
	f.Add([]byte(`{"iss":"https://clerk.example.com","sub":"user_1","sid":"sess_1","exp":1.75000006e9,"sts":"pending"}`))
	f.Add([]byte(`{"iss":"https://clerk.example.com/","sub":"","sid":"s","exp":"1750000060","azp":"https://evil.example"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		token, err := key.SignHeader(clerkHeader(kidA), payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) > MaxTokenSize {
			return
		}
		c, err := v.Verify(context.Background(), token)
		if errors.Is(err, ErrSignature) || errors.Is(err, ErrAlgorithm) || errors.Is(err, ErrMissingKID) {
			t.Fatalf("a correctly signed token was refused before its claims: %v", err)
		}
		checkOutcome(t, v, token, c, err)
	})
}
