package testjwt

import (
	"crypto/rsa"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestSignVerifiesWithGolangJWT(t *testing.T) {
	k := MustKey("ins_1")
	now := time.Now()
	claims := SessionClaims("https://clerk.example.com", "user_1", "sess_1", now)
	for alg, key := range map[string]any{"RS256": k.Public(), "RS512": k.Public(), "HS256": k.PublicPEM()} {
		tok, err := k.Sign(claims, "ins_1", alg)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return key, nil }, jwt.WithValidMethods([]string{alg}))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if parsed.Header["kid"] != "ins_1" || parsed.Header["typ"] != "JWT" {
			t.Fatalf("%s header %v", alg, parsed.Header)
		}
	}
	if _, err := k.Sign(claims, "", "PS256"); err == nil {
		t.Fatal("unsupported alg accepted")
	}
}

func TestJWKSAndPEM(t *testing.T) {
	k := MustKey("ins_1")
	set, err := jwk.Parse(JWKS(k))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := set.LookupKeyID("ins_1")
	if !ok {
		t.Fatal("kid missing from JWKS")
	}
	var pub rsa.PublicKey
	if err := got.Raw(&pub); err != nil || !pub.Equal(k.Public()) {
		t.Fatalf("JWKS key differs: %v", err)
	}
	again, err := KeyFromPEM("ins_1", k.PrivatePEM())
	if err != nil || !again.Private.Equal(k.Private) {
		t.Fatalf("PEM round trip: %v", err)
	}
}
