package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkjwks "github.com/clerk/clerk-sdk-go/v2/jwks"
	clerkjwt "github.com/clerk/clerk-sdk-go/v2/jwt"

	"deskclerk/auth/instance"
	"deskclerk/auth/verify"
)

// issuedTokens collects one token of every kind the emulator issues: from the
// tokens endpoint (personal, with an organization, with an Origin), and the
// last_active_token of client, touch and sign-in responses.
func issuedTokens(t *testing.T, e *testEmu) map[string]string {
	t.Helper()
	out := map[string]string{}
	n := e.native()
	ada := e.user("ada@example.com")
	si := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}}).must(t, 200)
	done := n.do("POST", "/v1/client/sign_ins/"+str(si.Body, "response", "id")+"/attempt_first_factor",
		url.Values{"strategy": {"password"}, "password": {ada.Password}}).must(t, 200)
	if str(done.Body, "response", "status") == "needs_client_trust" {
		done = n.passClientTrust(t, str(si.Body, "response", "id"), ada.Email)
	}
	sid := str(done.Body, "response", "created_session_id")
	out["sign-in last_active_token"] = str(dig(done.Body, "client", "sessions").([]any)[0].(map[string]any), "last_active_token", "jwt")
	out["tokens, personal"] = n.token4(t, sid, url.Values{"organization_id": {""}, "tab_state": {"hidden"}})
	me := n.do("GET", "/v1/me?_clerk_session_id="+sid, nil).must(t, 200)
	orgID := str(dig(me.Body, "response", "organization_memberships").([]any)[0].(map[string]any), "organization", "id")
	touched := n.do("POST", "/v1/client/sessions/"+sid+"/touch", url.Values{"active_organization_id": {orgID}, "intent": {"select_org"}}).must(t, 200)
	out["touch last_active_token"] = str(touched.Body, "response", "last_active_token", "jwt")
	out["tokens, organization"] = n.token4(t, sid, url.Values{"organization_id": {orgID}})
	out["client last_active_token"] = str(dig(n.do("GET", "/v1/client", nil).must(t, 200).Body, "response", "sessions").([]any)[0].(map[string]any), "last_active_token", "jwt")
	web := e.native()
	web.origin = "wails://wails"
	wsid := web.signIn(t, e.user("grace@example.com"))
	out["tokens, with Origin"] = web.token4(t, wsid, nil)
	for k, v := range out {
		if v == "" {
			t.Fatalf("%s: no token", k)
		}
	}
	return out
}

// withOrg names the issued tokens minted while an organization was active.
var withOrg = map[string]bool{"touch last_active_token": true, "tokens, organization": true, "client last_active_token": true}

func TestEveryTokenVerifiesWithOurVerifier(t *testing.T) {
	e := start(t, Options{})
	inst, err := instance.FromPublishableKey(e.PublishableKey())
	if err != nil {
		t.Fatal(err)
	}
	if inst.Issuer != e.Issuer() || inst.FrontendAPI != FrontendAPIHost {
		t.Fatalf("publishable key names %+v", inst)
	}
	v, err := verify.New(context.Background(), verify.Config{
		Issuer: e.Issuer(), JWKSURL: e.JWKSURL(), AuthorizedParties: []string{"wails://wails"}, AZP: verify.AZPOptional,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	pemV, err := verify.New(context.Background(), verify.Config{Issuer: e.Issuer(), PEM: []byte(e.PublicKeyPEM()), AZP: verify.AZPIgnore})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range issuedTokens(t, e) {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("verify (JWKS): %v", err)
			}
			if _, err := pemV.Verify(context.Background(), tok); err != nil {
				t.Fatalf("verify (PEM): %v", err)
			}
			if !strings.HasPrefix(c.UserID, "user_") || !strings.HasPrefix(c.SessionID, "sess_") || c.Status != "active" {
				t.Errorf("claims %+v", c)
			}
			if withOrg[name] != (c.OrgID != "") {
				t.Errorf("org claim: %q", c.OrgID)
			}
			if withOrg[name] && (c.OrgSlug != "analytical-engines" || c.OrgRole != "org:admin") {
				t.Errorf("org claims %q %q", c.OrgSlug, c.OrgRole)
			}
			if got := c.Expiry.Sub(c.IssuedAt); got != sessionTokenLifetime {
				t.Errorf("lifetime %v", got)
			}
		})
	}
}

func TestEveryTokenVerifiesWithClerkSDKGo(t *testing.T) {
	e := start(t, Options{})
	// The key three ways: the served JWKS parsed by the SDK's own type, the PEM,
	// and the SDK's JWKS client pointed at the emulator's /v1/jwks.
	resp, err := http.Get(e.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	var set clerk.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS: %v, %d keys", err, len(set.Keys))
	}
	fromPEM, err := clerk.JSONWebKeyFromPEM(e.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	base := e.FrontendAPIURL() + "/v1"
	secret := "sk_test_not_needed_by_the_emulator"
	jwksClient := clerkjwks.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &base, Key: &secret}})

	for name, tok := range issuedTokens(t, e) {
		t.Run(name, func(t *testing.T) {
			for how, params := range map[string]*clerkjwt.VerifyParams{
				"JWKS document": {Token: tok, JWK: set.Keys[0]},
				"PEM":           {Token: tok, JWK: fromPEM},
				"JWKS client":   {Token: tok, JWKSClient: jwksClient},
			} {
				params.AuthorizedPartyHandler = func(azp string) bool { return azp == "" || azp == "wails://wails" }
				c, err := clerkjwt.Verify(context.Background(), params)
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if c.Issuer != "https://clerk.deskclerk.localhost" || c.SessionID == "" || c.Subject == "" {
					t.Errorf("%s: claims %+v", how, c.RegisteredClaims)
				}
				// The SDK reports v2 only for tokens with an organization (it resets Version to 1 otherwise).
				if withOrg[name] {
					if c.Version != 2 || c.ActiveOrganizationRole != "org:admin" || !c.HasPermission("org:dashboard:manage") {
						t.Errorf("%s: org role %q permissions %v", how, c.ActiveOrganizationRole, c.ActiveOrganizationPermissions)
					}
				}
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	clock := newFakeClock()
	e := start(t, Options{Now: clock.Now})
	n := e.native()
	sid := n.signIn(t, e.user("ada@example.com"))
	clock.Advance(7 * time.Minute)
	c := claimsOf(t, n.token4(t, sid, nil))
	want := map[string]any{"iss": "https://clerk.deskclerk.localhost", "sid": sid, "v": float64(2), "sts": "active", "pla": "u:free_user"}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	for _, k := range []string{"sub", "exp", "iat", "nbf", "jti", "fea"} {
		if _, ok := c[k]; !ok {
			t.Errorf("no %s claim", k)
		}
	}
	if _, ok := c["azp"]; ok {
		t.Error("azp set although the request had no Origin")
	}
	if fva := c["fva"].([]any); fva[0] != float64(7) || fva[1] != float64(-1) {
		t.Errorf("fva = %v, want [7 -1]", fva)
	}
	if c["iat"].(float64)-c["nbf"].(float64) != 10 || c["exp"].(float64)-c["iat"].(float64) != 60 {
		t.Errorf("nbf/iat/exp = %v/%v/%v", c["nbf"], c["iat"], c["exp"])
	}
	if r := n.do("POST", "/v1/client/sessions/"+sid+"/tokens", url.Values{"organization_id": {"org_not_mine"}}); r.Status != 404 {
		t.Errorf("token for a foreign organization: %d", r.Status)
	}
	if r := n.do("POST", "/v1/client/sessions/"+sid+"/tokens/supabase", nil); r.Status != 404 || r.errCode() != "resource_not_found" {
		t.Errorf("JWT template: %d %s", r.Status, r.Raw)
	}
}

// TestProxiedInstanceIssuer: behind a Clerk proxy, tokens carry the proxy URL as
// iss; clerk-sdk-go accepts them only with ProxyURL, and this app's verifier with
// the issuer instance.BehindProxy derives.
func TestProxiedInstanceIssuer(t *testing.T) {
	const proxy = "https://app.example.com/__clerk"
	e := start(t, Options{ProxyURL: proxy})
	tok := issuedTokens(t, e)["tokens, personal"]
	if iss := claimsOf(t, tok)["iss"]; iss != proxy {
		t.Fatalf("iss %v", iss)
	}
	jwk, err := clerk.JSONWebKeyFromPEM(e.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clerkjwt.Verify(context.Background(), &clerkjwt.VerifyParams{Token: tok, JWK: jwk}); err == nil {
		t.Error("clerk-sdk-go accepted a proxy issuer without ProxyURL")
	}
	p := proxy
	if _, err := clerkjwt.Verify(context.Background(), &clerkjwt.VerifyParams{Token: tok, JWK: jwk, ProxyURL: &p}); err != nil {
		t.Errorf("clerk-sdk-go with ProxyURL: %v", err)
	}
	inst, err := instance.FromPublishableKey(e.PublishableKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		issuer string
		ok     bool
	}{{inst.Issuer, false}, {mustProxy(t, inst, proxy).Issuer, true}} {
		v, err := verify.New(context.Background(), verify.Config{Issuer: tc.issuer, PEM: []byte(e.PublicKeyPEM())})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok)
		v.Close()
		if (err == nil) != tc.ok {
			t.Errorf("issuer %s: err %v", tc.issuer, err)
		}
	}
}

func mustProxy(t *testing.T, inst instance.Instance, proxy string) instance.Instance {
	t.Helper()
	p, err := inst.BehindProxy(proxy)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
