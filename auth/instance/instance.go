package instance

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Publishable key prefixes; the rest of the key is base64("<frontend api host>$").
const (
	prefixTest = "pk_test_"
	prefixLive = "pk_live_"
)

// maxKeyLen bounds the work done on a key; real keys are well under 100 characters.
const maxKeyLen = 512

// ErrMalformedKey reports a publishable key that cannot be decoded to a
// Frontend API host. Errors wrapping it never contain the key itself.
var ErrMalformedKey = errors.New("malformed publishable key")

// Instance is the public identity of a Clerk instance.
type Instance struct {
	FrontendAPI string // host[:port] of the Frontend API, no scheme
	Issuer      string // https://<FrontendAPI>, the exact iss of its session tokens
	JWKSURL     string // https://<FrontendAPI>/.well-known/jwks.json
	Production  bool   // pk_live_ key
	ProxyURL    string // the instance's Clerk proxy, if it is reached through one (BehindProxy)
}

// BehindProxy is the instance reached through a Clerk proxy at proxyURL (an https
// URL on the application's domain, e.g. https://example.com/__clerk). Such an
// instance's session tokens carry the proxy URL as iss (clerk-sdk-go jwt/jwt.go
// isValidIssuer accepts iss == ProxyURL; Clerk docs "Proxying the Clerk Frontend
// API"), and the JWKS and Frontend API are served under it. FrontendAPI stays
// the instance's own host: it names the instance (keychain entries).
func (i Instance) BehindProxy(proxyURL string) (Instance, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(proxyURL), "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Instance{}, fmt.Errorf("instance: proxy URL %q: want an https URL without query or fragment", proxyURL)
	}
	i.ProxyURL = u.String()
	i.Issuer = i.ProxyURL
	i.JWKSURL = i.ProxyURL + "/.well-known/jwks.json"
	return i, nil
}

// FrontendAPIURL is where the Frontend API is reached: the proxy if there is one.
func (i Instance) FrontendAPIURL() string {
	if i.ProxyURL != "" {
		return i.ProxyURL
	}
	return "https://" + i.FrontendAPI
}

// FromFrontendAPI builds the Instance for a Frontend API host (host[:port]).
func FromFrontendAPI(host string, production bool) (Instance, error) {
	if err := checkHost(host); err != nil {
		return Instance{}, fmt.Errorf("instance: frontend API host: %w", err)
	}
	return Instance{
		FrontendAPI: host,
		Issuer:      "https://" + host,
		JWKSURL:     "https://" + host + "/.well-known/jwks.json",
		Production:  production,
	}, nil
}

// FromPublishableKey decodes a pk_test_/pk_live_ key. Surrounding white space is
// ignored (keys often arrive from .env files); anything else malformed is an
// error wrapping ErrMalformedKey.
func FromPublishableKey(pk string) (Instance, error) {
	pk = strings.TrimSpace(pk)
	var production bool
	var rest string
	switch {
	case pk == "":
		return Instance{}, keyError("", "empty")
	case len(pk) > maxKeyLen:
		return Instance{}, keyError(pk, "too long")
	case strings.HasPrefix(pk, prefixLive):
		production, rest = true, pk[len(prefixLive):]
	case strings.HasPrefix(pk, prefixTest):
		rest = pk[len(prefixTest):]
	case strings.HasPrefix(pk, "sk_"):
		// Never a publishable key; say so without repeating any of it.
		return Instance{}, keyError("", "this is a secret key (sk_…), not a publishable key")
	default:
		return Instance{}, keyError(pk, "want a pk_test_ or pk_live_ prefix")
	}
	// Clerk strips the padding; accept it anyway since some tools add it back.
	decoded, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return Instance{}, keyError(pk, "not base64")
	}
	host, ok := strings.CutSuffix(string(decoded), "$")
	if !ok || strings.Contains(host, "$") {
		return Instance{}, keyError(pk, "decoded value must end with a single $")
	}
	if err := checkHost(host); err != nil {
		return Instance{}, keyError(pk, err.Error())
	}
	inst, _ := FromFrontendAPI(host, production) // host already checked
	return inst, nil
}

// PublishableKeyFor builds the publishable key that names frontendAPI, as Clerk
// does: the prefix, then base64("<host>$") without padding.
func PublishableKeyFor(frontendAPI string, production bool) string {
	prefix := prefixTest
	if production {
		prefix = prefixLive
	}
	return prefix + base64.RawStdEncoding.EncodeToString([]byte(frontendAPI+"$"))
}

// keyError wraps ErrMalformedKey. Only the key's prefix is shown: the rest
// identifies the instance and has no place in logs.
func keyError(pk, why string) error {
	shown := ""
	switch {
	case strings.HasPrefix(pk, prefixTest):
		shown = fmt.Sprintf(" (%s…, %d chars)", prefixTest, len(pk))
	case strings.HasPrefix(pk, prefixLive):
		shown = fmt.Sprintf(" (%s…, %d chars)", prefixLive, len(pk))
	case pk != "":
		shown = fmt.Sprintf(" (%d chars)", len(pk))
	}
	return fmt.Errorf("instance: %w%s: %s", ErrMalformedKey, shown, why)
}

// checkHost accepts a DNS name or IPv4 address with an optional port. Like
// Clerk's own parser it requires a dot, which rules out bare "localhost".
func checkHost(hostport string) error {
	host, port, hasPort := strings.Cut(hostport, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return errors.New("bad port")
		}
	}
	if host == "" || len(host) > 253 {
		return errors.New("empty or overlong host")
	}
	if !strings.Contains(host, ".") {
		return errors.New("host must contain a dot")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("empty or overlong host label")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("host label starts or ends with '-'")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				// Upper case is refused rather than folded: the issuer is compared exactly.
				return errors.New("host may hold only lower-case letters, digits, '-' and '.'")
			}
		}
	}
	return nil
}
