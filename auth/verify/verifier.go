package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Header cat values Clerk uses to tell its JWT classes apart; all are signed
// with the same instance key.
const (
	categorySession = "cl_B7d4PD111AAA"
	// Instances with Clerk's use_ignore_jwt_cat setting stamp this on every
	// class, so it carries no class information; @clerk/backend accepts it,
	// and the sid requirement still refuses JWT-template tokens.
	categoryIgnore = "cl_I7d4PD111III"
)

var b64 = base64.RawURLEncoding.Strict()

// Verifier verifies Clerk session tokens. It is safe for concurrent use.
type Verifier struct {
	issuer    string
	leeway    time.Duration
	now       func() time.Time
	azp       AZPPolicy
	parties   []string
	keys      keySource
	cache     *tokenCache // nil when disabled
	validator *jwt.Validator
	closeOnce sync.Once
}

// New checks cfg and returns a Verifier. It fails only on a bad
// configuration: with a JWKSURL the keys are fetched in the background, and a
// JWKS endpoint that is down at start only makes Verify answer
// ErrKeysUnavailable until it comes up. ctx bounds the background work, as
// Close does.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		issuer:  s.Issuer,
		leeway:  s.Leeway,
		now:     s.Now,
		azp:     s.AZP,
		parties: slices.Clone(s.AuthorizedParties),
		validator: jwt.NewValidator(
			jwt.WithLeeway(s.Leeway),
			jwt.WithTimeFunc(s.Now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(s.Issuer), // exact comparison
		),
	}
	if s.CacheSize > 0 {
		v.cache = newTokenCache(s.CacheSize)
	}
	if s.pemKey != nil {
		v.keys = &pemKeys{key: s.pemKey, kid: s.PEMKeyID}
		return v, nil
	}
	keys, err := newJWKSKeys(ctx, s)
	if err != nil {
		return nil, err
	}
	v.keys = keys
	return v, nil
}

// Close stops the background key refresh and waits for it. Verify keeps
// working with the keys already fetched.
func (v *Verifier) Close() error {
	v.closeOnce.Do(v.keys.close)
	return nil
}

// Verify checks token and returns its claims. Every error is an *Error
// matching one of the Err… reasons with errors.Is; none contains the token.
//
// Checks, in order: size; three base64url segments; header JSON; alg is
// RS256; no crit; typ, if present, is JWT; cat, if present, marks a session
// token; kid present and known (an unknown kid triggers one rate-limited key
// refetch); the RSA signature; then the claims: exp present, iss exact, exp,
// nbf and iat within the leeway, sub and sid present, azp per the policy, sts
// not pending. jku, x5u, jwk and x5c headers are ignored: keys come only from
// configuration.
//
// A token verified before is answered from a bounded cache, after checking
// again that it has not expired and that its key is still published.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > MaxTokenSize {
		return nil, fail(ErrTooLarge, "over 8 KiB")
	}
	if v.cache != nil {
		if e := v.cache.get(token); e != nil {
			if !v.now().Before(e.validUntil) {
				v.cache.remove(token, e)
				return nil, fail(ErrExpired, "exp is past")
			}
			if v.keys.current(e.kid) == e.key {
				c := e.claims
				return &c, nil
			}
			v.cache.remove(token, e) // its key was rotated out: start over
		}
	}
	c, kid, key, verr := v.verify(ctx, token)
	if verr != nil {
		return nil, verr
	}
	if v.cache != nil {
		v.cache.put(token, &cacheEntry{claims: *c, kid: kid, key: key, validUntil: c.Expiry.Add(v.leeway)}, v.now())
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, token string) (*Claims, string, *rsa.PublicKey, *Error) {
	// Decoders skip CR and LF; refuse them so that one token has one spelling.
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return nil, "", nil, fail(ErrMalformed, "line break in token")
	}
	d1 := strings.IndexByte(token, '.')
	d2 := d1 + 1 + strings.IndexByte(token[d1+1:], '.')
	if d1 <= 0 || d2 <= d1+1 || strings.IndexByte(token[d2+1:], '.') >= 0 {
		return nil, "", nil, fail(ErrMalformed, "want three dot-separated segments")
	}
	hSeg, pSeg, sSeg := token[:d1], token[d1+1:d2], token[d2+1:]
	// One allocation: the token's bytes (the decoder wants []byte), then room
	// for the three decoded segments.
	buf := make([]byte, len(token), len(token)+b64.DecodedLen(len(hSeg))+b64.DecodedLen(len(pSeg))+b64.DecodedLen(len(sSeg)))
	copy(buf, token)
	buf, hdr, err := decodeSegment(buf, buf[:d1])
	if err != nil {
		return nil, "", nil, fail(ErrMalformed, "header is not base64url")
	}
	buf, payload, err := decodeSegment(buf, buf[d1+1:d2])
	if err != nil {
		return nil, "", nil, fail(ErrMalformed, "payload is not base64url")
	}
	_, sig, err := decodeSegment(buf, buf[d2+1:len(token)])
	if err != nil {
		return nil, "", nil, fail(ErrMalformed, "signature is not base64url")
	}

	header, err := parseHeader(hdr)
	if err != nil {
		return nil, "", nil, &Error{Reason: ErrMalformed, Detail: "header", Err: err}
	}
	kid, herr := checkHeader(header)
	if herr != nil {
		return nil, "", nil, herr
	}
	key, kerr := v.keys.lookup(ctx, kid)
	if kerr != nil {
		return nil, "", nil, kerr
	}
	// The signature is checked before any claim is read, so that claim
	// checks cannot become an oracle for forged tokens. crypto/rsa directly on
	// the signing input (already in buf) spares the copies golang-jwt makes.
	digest := sha256.Sum256(buf[:d2])
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, "", nil, fail(ErrSignature, "")
	}

	raw, err := parseJSONObject(payload)
	if err != nil {
		return nil, "", nil, &Error{Reason: ErrMalformed, Detail: "claims", Err: err}
	}
	cs, cerr := decodeClaims(raw)
	if cerr != nil {
		return nil, "", nil, cerr
	}
	if cerr := v.checkClaims(cs); cerr != nil {
		return nil, "", nil, cerr
	}
	return &cs.Claims, kid, key, nil
}

// decodeSegment appends the decoding of seg to buf, within its capacity, and
// returns the grown buf and the decoded part.
func decodeSegment(buf, seg []byte) ([]byte, []byte, error) {
	start := len(buf)
	buf, err := b64.AppendDecode(buf, seg)
	return buf, buf[start:], err
}

// checkHeader applies the header rules and returns the kid.
func checkHeader(h joseHeader) (string, *Error) {
	switch {
	case h.present&hAlg == 0:
		return "", fail(ErrAlgorithm, "no alg")
	case h.notString&hAlg != 0:
		return "", fail(ErrMalformed, "alg is not a string")
	case h.alg != "RS256":
		return "", fail(ErrAlgorithm, "only RS256 is accepted")
	case h.crit:
		// RFC 7515 §4.1.11: extensions we do not implement must be refused.
		return "", fail(ErrMalformed, "crit header not supported")
	case h.present&hTyp != 0 && (h.notString&hTyp != 0 || !strings.EqualFold(h.typ, "JWT")):
		return "", fail(ErrTokenType, "typ is not JWT")
	case h.present&hCat != 0 && (h.notString&hCat != 0 || h.cat != categorySession && h.cat != categoryIgnore):
		return "", fail(ErrTokenType, "cat is not the session-token category")
	case h.present&hKid == 0:
		return "", fail(ErrMissingKID, "")
	case h.notString&hKid != 0:
		return "", fail(ErrMalformed, "kid is not a string")
	case h.kid == "":
		return "", fail(ErrMissingKID, "empty kid")
	}
	return h.kid, nil
}

// checkClaims runs golang-jwt's Validator for exp, nbf, iat and iss, then the
// Clerk session rules.
func (v *Verifier) checkClaims(c *claimSet) *Error {
	if c.exp == nil {
		return fail(ErrMissingClaim, "exp")
	}
	if c.Issuer == "" {
		return fail(ErrIssuer, "no iss")
	}
	if err := v.validator.Validate(c); err != nil {
		// Several may fail at once; report the most fundamental.
		switch {
		case errors.Is(err, jwt.ErrTokenInvalidIssuer):
			return fail(ErrIssuer, "iss does not equal "+v.issuer)
		case errors.Is(err, jwt.ErrTokenExpired):
			return fail(ErrExpired, "exp is past")
		case errors.Is(err, jwt.ErrTokenNotValidYet):
			return fail(ErrNotYetValid, "nbf is in the future")
		case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
			return fail(ErrNotYetValid, "iat is in the future")
		default:
			return &Error{Reason: ErrMalformed, Detail: "registered claims", Err: err}
		}
	}
	if c.UserID == "" {
		return fail(ErrMissingClaim, "sub")
	}
	if c.SessionID == "" {
		return fail(ErrMissingClaim, "sid")
	}
	switch v.azp {
	case AZPOptional:
		if c.AuthorizedParty != "" && !slices.Contains(v.parties, c.AuthorizedParty) {
			return fail(ErrAuthorizedParty, "azp not in the allowlist")
		}
	case AZPRequired:
		if c.AuthorizedParty == "" {
			return fail(ErrAuthorizedParty, "no azp")
		}
		if !slices.Contains(v.parties, c.AuthorizedParty) {
			return fail(ErrAuthorizedParty, "azp not in the allowlist")
		}
	}
	if c.Status == "pending" {
		return fail(ErrPendingSession, "")
	}
	return nil
}
