package verify

import (
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims of a Clerk session token. Treat them as
// read-only: Raw may be shared with the verifier's token cache.
type Claims struct {
	UserID          string         `json:"user_id"`            // sub
	SessionID       string         `json:"session_id"`         // sid
	OrgID           string         `json:"org_id,omitempty"`   // o.id (v2) or org_id (v1): the active organization
	OrgSlug         string         `json:"org_slug,omitempty"` // o.slg or org_slug
	OrgRole         string         `json:"org_role,omitempty"` // "org:"+o.rol or org_role, e.g. "org:admin"
	AuthorizedParty string         `json:"azp,omitempty"`      // azp: the origin the token was minted for
	Issuer          string         `json:"iss"`                // iss
	TokenID         string         `json:"jti,omitempty"`      // jti
	IssuedAt        time.Time      `json:"iat,omitzero"`       // iat
	NotBefore       time.Time      `json:"nbf,omitzero"`       // nbf
	Expiry          time.Time      `json:"exp"`                // exp
	Status          string         `json:"sts,omitempty"`      // sts: "active" (or absent in v1 tokens)
	Raw             map[string]any `json:"-"`                  // every claim, as encoding/json would decode it
}

// claimSet is the decoded payload on its way to becoming Claims; it also
// carries the registered claims in the form golang-jwt's Validator checks.
type claimSet struct {
	Claims
	exp, iat, nbf       *jwt.NumericDate // nil when absent; else point at the fields below
	expND, iatND, nbfND jwt.NumericDate
}

// jwt.Claims, so that golang-jwt's Validator checks exp, nbf, iat and iss.
func (c *claimSet) GetExpirationTime() (*jwt.NumericDate, error) { return c.exp, nil }
func (c *claimSet) GetIssuedAt() (*jwt.NumericDate, error)       { return c.iat, nil }
func (c *claimSet) GetNotBefore() (*jwt.NumericDate, error)      { return c.nbf, nil }
func (c *claimSet) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *claimSet) GetSubject() (string, error)                  { return c.UserID, nil }
func (c *claimSet) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// decodeClaims types the claims; a claim of the wrong JSON type is malformed.
func decodeClaims(raw map[string]any) (*claimSet, *Error) {
	c := &claimSet{Claims: Claims{Raw: raw}}
	var e *Error
	str := func(m map[string]any, name string) string {
		v, ok := m[name]
		if !ok || e != nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			e = fail(ErrMalformed, "claim "+name+" is not a string")
		}
		return s
	}
	date := func(name string, dst *jwt.NumericDate) *jwt.NumericDate {
		v, ok := raw[name]
		if !ok || e != nil {
			return nil
		}
		f, ok := v.(float64)
		// ±2^53 s is far beyond any real date and keeps the conversion exact.
		if !ok || math.Abs(f) > 1<<53 {
			e = fail(ErrMalformed, "claim "+name+" is not a NumericDate")
			return nil
		}
		sec, frac := math.Modf(f)
		*dst = *jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9))) // NewNumericDate applies jwt.TimePrecision
		return dst
	}
	c.UserID = str(raw, "sub")
	c.SessionID = str(raw, "sid")
	c.AuthorizedParty = str(raw, "azp")
	c.Issuer = str(raw, "iss")
	c.TokenID = str(raw, "jti")
	c.Status = str(raw, "sts")
	c.exp, c.iat, c.nbf = date("exp", &c.expND), date("iat", &c.iatND), date("nbf", &c.nbfND)
	if c.exp != nil {
		c.Expiry = c.exp.Time
	}
	if c.iat != nil {
		c.IssuedAt = c.iat.Time
	}
	if c.nbf != nil {
		c.NotBefore = c.nbf.Time
	}
	// Active organization: v2 nests it under "o" with a bare role; v1 used flat claims.
	if o, ok := raw["o"]; ok && e == nil {
		om, ok := o.(map[string]any)
		if !ok {
			return nil, fail(ErrMalformed, "claim o is not an object")
		}
		c.OrgID, c.OrgSlug, c.OrgRole = str(om, "id"), str(om, "slg"), str(om, "rol")
		if c.OrgRole != "" && !strings.HasPrefix(c.OrgRole, "org:") {
			c.OrgRole = "org:" + c.OrgRole
		}
	} else {
		c.OrgID, c.OrgSlug, c.OrgRole = str(raw, "org_id"), str(raw, "org_slug"), str(raw, "org_role")
	}
	if e != nil {
		return nil, e
	}
	return c, nil
}
