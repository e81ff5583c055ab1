// Package testjwt mints JWTs for tests: well-formed Clerk-shaped RS256 session
// tokens, and on purpose the wrong kinds (alg none, HS256 keyed with the RSA
// public key, RS512, ES256) that a verifier must refuse. Test use only.
package testjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Header categories Clerk puts in the cat header.
const (
	CategorySession  = "cl_B7d4PD111AAA"
	CategoryTemplate = "cl_B7d4PD222AAA"
	CategoryM2M      = "cl_B7d4PD333AAA"
	CategoryIgnore   = "cl_I7d4PD111III"
)

var b64 = base64.RawURLEncoding

// Key is an RSA signing key with the kid it is published under.
type Key struct {
	KID     string
	Private *rsa.PrivateKey

	ecOnce sync.Once
	ec     *ecdsa.PrivateKey
	ecErr  error
}

// NewKey generates an RSA-2048 key.
func NewKey(kid string) (*Key, error) { return newKey(kid, 2048) }

// MustKey is NewKey for test set-up; it panics on failure.
func MustKey(kid string) *Key { return MustKeyBits(kid, 2048) }

// MustKeyBits generates a key of another size, e.g. a weak one a verifier
// must refuse. It panics on failure.
func MustKeyBits(kid string, bits int) *Key {
	k, err := newKey(kid, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func newKey(kid string, bits int) (*Key, error) {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("testjwt: generate key: %w", err)
	}
	return &Key{KID: kid, Private: k}, nil
}

// KeyFromPEM loads a PKCS#1 or PKCS#8 RSA private key, for committed fixtures
// whose tokens must stay valid across runs.
func KeyFromPEM(kid string, pemBytes []byte) (*Key, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("testjwt: no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return &Key{KID: kid, Private: k}, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("testjwt: parse private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("testjwt: %T is not an RSA key", k)
	}
	return &Key{KID: kid, Private: rk}, nil
}

// Public returns the public half.
func (k *Key) Public() *rsa.PublicKey { return &k.Private.PublicKey }

// PublicPEM returns the public key as an SPKI "PUBLIC KEY" PEM block, the form
// Clerk's dashboard shows.
func (k *Key) PublicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic(err) // cannot fail for an RSA key
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// PrivatePEM returns the private key as PKCS#8 PEM.
func (k *Key) PrivatePEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		panic(err) // cannot fail for an RSA key
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicPKCS1PEM returns the public key as a PKCS#1 "RSA PUBLIC KEY" PEM block.
func (k *Key) PublicPKCS1PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(k.Public())})
}

// JWK returns the public key as a JWK, shaped like Clerk's.
func (k *Key) JWK() map[string]any {
	pub := k.Public()
	return map[string]any{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": k.KID,
		"n":   b64.EncodeToString(pub.N.Bytes()),
		"e":   b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// JWKS returns a key set document holding the given keys.
func JWKS(keys ...*Key) []byte {
	list := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, k.JWK())
	}
	out, err := json.Marshal(map[string]any{"keys": list})
	if err != nil {
		panic(err)
	}
	return out
}

// SessionClaims returns Clerk v2 session claims issued at now, living 60 s.
func SessionClaims(iss, sub, sid string, now time.Time) map[string]any {
	return map[string]any{
		"iss": iss,
		"sub": sub,
		"sid": sid,
		"azp": "http://localhost:3000",
		"iat": now.Unix(),
		"nbf": now.Unix() - 10,
		"exp": now.Unix() + 60,
		"jti": "jti_" + sid,
		"v":   2,
		"fva": []int{0, -1},
		"sts": "active",
	}
}

// Sign mints a token with header {alg, typ: JWT, kid} (kid omitted when empty)
// signed with k according to alg: RS256, RS384, RS512; ES256 (with a P-256
// key of its own); HS256 keyed with the PEM of k's public key (the classic
// algorithm-confusion attack); or none (empty signature).
func (k *Key) Sign(claims any, kid, alg string) (string, error) {
	h := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	return k.SignHeader(h, claims)
}

// MustSign is Sign for test set-up; it panics on failure.
func (k *Key) MustSign(claims any, kid, alg string) string {
	tok, err := k.Sign(claims, kid, alg)
	if err != nil {
		panic(err)
	}
	return tok
}

// SignHeader mints a token with the given header, signed per header["alg"]
// as in Sign (RS256 if alg is missing or not a string). claims may be a []byte or json.RawMessage to sign exact bytes.
func (k *Key) SignHeader(header map[string]any, claims any) (string, error) {
	hj, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("testjwt: header: %w", err)
	}
	var cj []byte
	switch c := claims.(type) {
	case []byte:
		cj = c
	case json.RawMessage:
		cj = c
	default:
		if cj, err = json.Marshal(claims); err != nil {
			return "", fmt.Errorf("testjwt: claims: %w", err)
		}
	}
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
	alg, ok := header["alg"].(string)
	if !ok {
		alg = "RS256" // a header without a usable alg is still signed, so only the header is wrong
	}
	sig, err := k.signature(alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

func (k *Key) signature(alg string, input []byte) ([]byte, error) {
	rsaSign := func(h crypto.Hash, sum []byte) ([]byte, error) {
		return rsa.SignPKCS1v15(rand.Reader, k.Private, h, sum)
	}
	switch alg {
	case "RS256":
		s := sha256.Sum256(input)
		return rsaSign(crypto.SHA256, s[:])
	case "RS384":
		s := sha512.Sum384(input)
		return rsaSign(crypto.SHA384, s[:])
	case "RS512":
		s := sha512.Sum512(input)
		return rsaSign(crypto.SHA512, s[:])
	case "HS256":
		m := hmac.New(sha256.New, k.PublicPEM())
		m.Write(input)
		return m.Sum(nil), nil
	case "ES256":
		k.ecOnce.Do(func() { k.ec, k.ecErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
		if k.ecErr != nil {
			return nil, k.ecErr
		}
		s := sha256.Sum256(input)
		r, sv, err := ecdsa.Sign(rand.Reader, k.ec, s[:])
		if err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		sv.FillBytes(out[32:])
		return out, nil
	}
	if strings.EqualFold(alg, "none") { // any spelling: verifiers must not be fooled by "None"
		return nil, nil
	}
	return nil, fmt.Errorf("testjwt: unsupported alg %q", alg)
}
