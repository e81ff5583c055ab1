package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// sessionTokenLifetime is Clerk's default session token lifetime.
const sessionTokenLifetime = 60 * time.Second

// clockSkew is how far nbf lies before iat, like Clerk's default allowed clock skew.
const clockSkew = 10 * time.Second

// keys holds the instance's signing material, loaded from (or created in) the database.
type keys struct {
	signing     *rsa.PrivateKey
	kid         string
	clientToken []byte // HMAC key for client tokens
}

// loadOrCreateKeys reads the signing key from the database, generating and
// storing a fresh 2048-bit RSA key (and the other instance secrets) the first time.
func loadOrCreateKeys(st *store) (*keys, error) {
	var k *keys
	err := st.view(func(t *txn) error {
		var err error
		k, err = readKeys(t)
		return err
	})
	if err != nil || k != nil {
		return k, err
	}
	// Generate outside the write transaction: RSA key generation takes a while.
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate client token secret: %w", err)
	}
	err = st.update(func(t *txn) error {
		if t.meta("signing_key") != nil {
			return nil // another process won the race; use its key
		}
		for key, v := range map[string][]byte{
			"signing_key":         der,
			"kid":                 []byte(newID("ins")),
			"client_token_secret": secret,
		} {
			if err := t.setMeta(key, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	err = st.view(func(t *txn) error {
		var err error
		k, err = readKeys(t)
		return err
	})
	return k, err
}

func readKeys(t *txn) (*keys, error) {
	der := t.meta("signing_key")
	if der == nil {
		return nil, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("decode signing key: %w", err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("decode signing key: not an RSA key")
	}
	secret := t.meta("client_token_secret")
	if len(secret) < 32 {
		return nil, errors.New("client token secret missing from database")
	}
	return &keys{signing: priv, kid: string(t.meta("kid")), clientToken: secret}, nil
}

// jwks returns the public key set served at /.well-known/jwks.json.
func (k *keys) jwks() map[string]any {
	pub := &k.signing.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"use": "sig",
		"kty": "RSA",
		"kid": k.kid,
		"alg": "RS256",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// publicKeyPEM is the PEM form Clerk's dashboard shows as "JWKS Public Key"
// (what @clerk/backend takes as jwtKey for networkless verification).
func (k *keys) publicKeyPEM() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.signing.PublicKey)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// orgClaim is the compact v2 "o" claim.
type orgClaim struct {
	ID   string `json:"id"`
	Slug string `json:"slg"`
	Role string `json:"rol"`
	Per  string `json:"per"`
	FPM  string `json:"fpm"`
}

type sessionTokenInput struct {
	issuer    string
	userID    string
	sessionID string
	origin    string // becomes azp; omitted when empty (native clients send no Origin)
	now       time.Time
	// firstFactorAt is when the session's first factor was verified (ms).
	firstFactorAt int64
	status        string
	org           *orgClaim
	features      string
}

// mintSessionToken signs a Clerk v2 session token.
func (k *keys) mintSessionToken(in sessionTokenInput) (string, error) {
	iat := in.now.Unix()
	fvaMinutes := max(in.now.Sub(time.UnixMilli(in.firstFactorAt)).Minutes(), 0)
	claims := jwt.MapClaims{
		"iss": in.issuer,
		"sub": in.userID,
		"sid": in.sessionID,
		"iat": iat,
		"nbf": iat - int64(clockSkew/time.Second),
		"exp": iat + int64(sessionTokenLifetime/time.Second),
		"jti": randomString(20, "0123456789abcdef"),
		"v":   2,
		"fva": []int64{int64(fvaMinutes), -1},
		"pla": "u:free_user",
		"fea": in.features,
		"sts": in.status,
	}
	if in.origin != "" {
		claims["azp"] = in.origin
	}
	if in.org != nil {
		claims["o"] = in.org
		claims["pla"] = "u:free_user,o:free_org"
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.signing)
	if err != nil {
		return "", fmt.Errorf("sign session token: %w", err)
	}
	return s, nil
}

// The client token is what native clients keep and send as Authorization: the
// cookie-less form of Clerk's __client cookie, a signed {id, rotating_token}.
type clientTokenClaims struct {
	ClientID      string `json:"id"`
	RotatingToken string `json:"rotating_token"`
	jwt.RegisteredClaims
}

func (k *keys) mintClientToken(c *clientRecord, now time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, clientTokenClaims{
		ClientID:         c.ID,
		RotatingToken:    c.RotatingToken,
		RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(now)},
	})
	s, err := tok.SignedString(k.clientToken)
	if err != nil {
		return "", fmt.Errorf("sign client token: %w", err)
	}
	return s, nil
}

// parseClientToken checks the signature and returns the claims; it does not
// look the client up.
func (k *keys) parseClientToken(raw string) (*clientTokenClaims, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	var claims clientTokenClaims
	// No time checks: a client token lives as long as its client (iat is informational).
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return k.clientToken, nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		return nil, fmt.Errorf("client token: %w", err)
	}
	if claims.ClientID == "" || claims.RotatingToken == "" {
		return nil, errors.New("client token: missing id or rotating_token")
	}
	return &claims, nil
}
