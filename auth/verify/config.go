package verify

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AZPPolicy says what to do with the azp (authorized party) claim. Clerk sets
// it to the Origin of the request that minted the token, so a token minted by
// a native client that sends no Origin has none.
type AZPPolicy int

const (
	// AZPOptional accepts a token without azp; one with azp must name an
	// entry of AuthorizedParties (an empty list therefore refuses every azp).
	AZPOptional AZPPolicy = iota
	// AZPRequired accepts only tokens whose azp is in AuthorizedParties.
	AZPRequired
	// AZPIgnore does not look at azp, as Clerk's SDKs do when no authorized
	// parties are configured. Use it only for an API that accepts tokens
	// minted for any origin of the instance.
	AZPIgnore
)

func (p AZPPolicy) String() string {
	switch p {
	case AZPOptional:
		return "optional"
	case AZPRequired:
		return "required"
	case AZPIgnore:
		return "ignore"
	}
	return fmt.Sprintf("AZPPolicy(%d)", int(p))
}

// Defaults for the zero values of Config.
const (
	DefaultLeeway             = 5 * time.Second
	DefaultHTTPTimeout        = 10 * time.Second
	DefaultRefreshInterval    = 15 * time.Minute
	DefaultMinRefetchInterval = 30 * time.Second
	DefaultCacheSize          = 1024
)

// MaxTokenSize caps the token length, checked before any parsing. Clerk
// session tokens are under 2 KiB.
const MaxTokenSize = 8 << 10

// Config configures a Verifier. Exactly one of JWKSURL and PEM is set.
type Config struct {
	// Issuer is the exact iss the tokens must carry, e.g. instance.Issuer.
	Issuer string

	// JWKSURL is the instance's key set, fetched with jwk.Cache (e.g.
	// instance.JWKSURL). It must be https, or http on a loopback address.
	JWKSURL string

	// PEM is one RSA public key (SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY"),
	// for networkless verification with the key from Clerk's dashboard.
	PEM []byte
	// PEMKeyID, if set, is the only kid accepted with PEM. If empty, a token
	// must still carry a kid but any value is accepted: the PEM pins exactly
	// one key, so the kid selects nothing, and the signature must verify
	// under that key regardless (this is what Clerk's SDKs do with a PEM).
	PEMKeyID string

	AuthorizedParties []string  // azp allowlist, compared exactly (e.g. "wails://wails")
	AZP               AZPPolicy // what a missing azp means; see AZPPolicy

	// Leeway is the clock skew allowed for exp, nbf and iat: DefaultLeeway
	// when zero; a negative value means none.
	Leeway time.Duration

	// HTTPClient fetches the JWKS. Default: a client with a DefaultHTTPTimeout
	// timeout that does not follow redirects. A client without a timeout still
	// gets DefaultHTTPTimeout per request.
	HTTPClient *http.Client

	// RefreshInterval is how often the key set is fetched again (default
	// DefaultRefreshInterval, at least 1 s). A refresh that fails keeps the
	// last good set.
	RefreshInterval time.Duration

	// MinRefetchInterval limits the extra fetches an unknown kid triggers
	// (default DefaultMinRefetchInterval): at most one per interval, shared by
	// every goroutine waiting for it.
	MinRefetchInterval time.Duration

	// CacheSize is the number of verified tokens remembered until their exp
	// (default DefaultCacheSize); negative disables the cache.
	CacheSize int

	// Now is the clock for exp, nbf and iat (default time.Now). Refetch rate
	// limits always use the real clock.
	Now func() time.Time

	// Logger receives background key-set events (default slog.Default()).
	// Tokens never reach it.
	Logger *slog.Logger

	// refetchClock stands in for the real clock of the refetch rate limit, so
	// tests can move past MinRefetchInterval without sleeping.
	refetchClock func() time.Time
}

// settings is a validated Config with defaults applied.
type settings struct {
	Config
	pemKey *rsa.PublicKey
}

func (c Config) settings() (settings, error) {
	s := settings{Config: c}
	bad := func(format string, args ...any) (settings, error) {
		return settings{}, fmt.Errorf("verify: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if s.Issuer == "" {
		return bad("Issuer is required")
	}
	switch {
	case s.JWKSURL != "" && len(s.PEM) > 0:
		return bad("set JWKSURL or PEM, not both")
	case s.JWKSURL != "":
		if err := checkJWKSURL(s.JWKSURL); err != nil {
			return bad("JWKSURL: %v", err)
		}
	case len(s.PEM) > 0:
		k, err := parsePEM(s.PEM)
		if err != nil {
			return bad("PEM: %v", err)
		}
		s.pemKey = k
	default:
		return bad("one of JWKSURL or PEM is required")
	}
	if s.PEMKeyID != "" && len(s.PEM) == 0 {
		return bad("PEMKeyID needs PEM")
	}
	switch s.AZP {
	case AZPOptional, AZPIgnore:
	case AZPRequired:
		if len(s.AuthorizedParties) == 0 {
			return bad("AZPRequired with no AuthorizedParties would refuse every token")
		}
	default:
		return bad("unknown AZP policy %d", int(s.AZP))
	}
	for _, p := range s.AuthorizedParties {
		if p == "" {
			return bad("AuthorizedParties holds an empty entry")
		}
	}
	switch {
	case s.Leeway == 0:
		s.Leeway = DefaultLeeway
	case s.Leeway < 0:
		s.Leeway = 0
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{
			Timeout: DefaultHTTPTimeout,
			// The JWKS URL is configuration; a redirect would let the server
			// move it somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.RefreshInterval == 0 {
		s.RefreshInterval = DefaultRefreshInterval
	}
	if s.RefreshInterval < time.Second {
		return bad("RefreshInterval %v is below 1s", s.RefreshInterval)
	}
	if s.MinRefetchInterval == 0 {
		s.MinRefetchInterval = DefaultMinRefetchInterval
	}
	if s.MinRefetchInterval < 0 {
		return bad("negative MinRefetchInterval")
	}
	if s.CacheSize == 0 {
		s.CacheSize = DefaultCacheSize
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	return s, nil
}

func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("want an absolute URL without user info or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("http is allowed only for loopback hosts; use https")
	}
	return errors.New("want https")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parsePEM reads exactly one RSA public key.
func parsePEM(data []byte) (*rsa.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	var key *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse SPKI public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an RSA key", k)
		}
		key = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#1 public key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err := checkRSAKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

// checkRSAKey refuses keys too weak to trust or big enough to make each
// verification a denial of service.
func checkRSAKey(k *rsa.PublicKey) error {
	if k.N == nil {
		return errors.New("RSA key has no modulus")
	}
	if bits := k.N.BitLen(); bits < 2048 || bits > 8192 {
		return fmt.Errorf("RSA key of %d bits; want 2048 to 8192", bits)
	}
	if k.E < 3 || k.E%2 == 0 {
		return errors.New("RSA key has a bad public exponent")
	}
	return nil
}

// keySource finds the public key for a kid.
type keySource interface {
	// lookup returns the key for kid, fetching if the source can; errors are *Error.
	lookup(ctx context.Context, kid string) (*rsa.PublicKey, *Error)
	// current returns the key for kid without fetching, or nil.
	current(kid string) *rsa.PublicKey
	close()
}

// pemKeys is the networkless key source.
type pemKeys struct {
	key *rsa.PublicKey
	kid string // "" accepts any kid
}

func (p *pemKeys) lookup(_ context.Context, kid string) (*rsa.PublicKey, *Error) {
	if k := p.current(kid); k != nil {
		return k, nil
	}
	return nil, fail(ErrUnknownKey, "kid is not the configured key's")
}

func (p *pemKeys) current(kid string) *rsa.PublicKey {
	if p.kid != "" && kid != p.kid {
		return nil
	}
	return p.key
}

func (p *pemKeys) close() {}
