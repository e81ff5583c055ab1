package emulator

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// noRedirects is a browser that stops at every redirect, so each hop is checked.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consent plays the person at the provider's page: it loads the page, submits
// the form and follows the redirects up to (not into) the app's redirect URL.
func consent(t *testing.T, e *testEmu, authorizeURL string, form url.Values) *url.URL {
	t.Helper()
	resp, err := noRedirects.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	for _, id := range []string{`id="approve"`, `id="deny"`, `id="identity"`, `id="new-email"`, "ada@example.com"} {
		if !strings.Contains(string(page), id) {
			t.Errorf("consent page lacks %s", id)
		}
	}
	u, _ := url.Parse(authorizeURL)
	form.Set("state", u.Query().Get("state"))
	resp, err = noRedirects.PostForm(e.FrontendAPIURL()+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent submit: %d", resp.StatusCode)
	}
	// The provider sends the browser to FAPI's callback...
	cb := resp.Header.Get("Location")
	if !strings.HasPrefix(cb, "/v1/oauth_callback?") {
		t.Fatalf("provider redirect %q", cb)
	}
	resp, err = noRedirects.Get(e.FrontendAPIURL() + cb)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	// ...which sends it to the app.
	final, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return final
}

const appRedirect = "http://127.0.0.1:45789/sso-callback?keep=1"

func startSocial(t *testing.T, n *native, path, strategy string) (id, authorizeURL string) {
	t.Helper()
	r := n.do("POST", path, url.Values{"strategy": {strategy}, "redirect_url": {appRedirect}, "action_complete_redirect_url": {appRedirect}}).must(t, 200)
	v := "first_factor_verification"
	if strings.Contains(path, "sign_ups") {
		v = "verifications"
	}
	ver, _ := dig(r.Body, "response", v).(map[string]any)
	if strings.Contains(path, "sign_ups") {
		ver, _ = ver["external_account"].(map[string]any)
	}
	if str(ver, "status") != "unverified" || str(ver, "strategy") != strategy || str(ver, "object") != "verification_oauth" {
		t.Fatalf("verification %v", ver)
	}
	return str(r.Body, "response", "id"), str(ver, "external_verification_redirect_url")
}

func TestOAuthSignInExistingUser(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	id, authorize := startSocial(t, n, "/v1/client/sign_ins", "oauth_github")
	if !strings.HasPrefix(authorize, e.FrontendAPIURL()+"/oauth/github/authorize?") {
		t.Fatalf("external_verification_redirect_url %q", authorize)
	}
	final := consent(t, e, authorize, url.Values{"decision": {"approve"}, "identity": {"grace@example.com"}})
	nonce := final.Query().Get("rotating_token_nonce")
	if final.Host != "127.0.0.1:45789" || final.Path != "/sso-callback" || final.Query().Get("keep") != "1" || nonce == "" {
		t.Fatalf("final redirect %s", final)
	}
	// A wrong nonce does nothing; the right one completes the sign-in on this client.
	if r := n.do("GET", "/v1/client/sign_ins/"+id+"?rotating_token_nonce=wrong", nil); r.Status != 422 {
		t.Fatalf("wrong nonce: %d %s", r.Status, r.Raw)
	}
	other := e.native()
	if r := other.do("GET", "/v1/client/sign_ins/"+id+"?rotating_token_nonce="+nonce, nil); r.Status != 401 {
		t.Fatalf("nonce on a client without the sign-in: %d", r.Status)
	}
	before := n.token
	r := n.do("GET", "/v1/client/sign_ins/"+id+"?rotating_token_nonce="+nonce, nil).must(t, 200)
	if str(r.Body, "response", "status") != "complete" || n.token == before {
		t.Fatalf("reload with nonce: %s (token rotated: %v)", r.Raw, n.token != before)
	}
	sess := dig(r.Body, "client", "sessions").([]any)[0].(map[string]any)
	if str(sess, "public_user_data", "identifier") != "grace@example.com" {
		t.Errorf("session user %v", sess["public_user_data"])
	}
	accounts := dig(sess, "user", "external_accounts").([]any)
	if len(accounts) != 1 || str(accounts[0].(map[string]any), "provider") != "github" {
		t.Errorf("external accounts %v", accounts)
	}
	// A replay of the nonce changes nothing.
	n.do("GET", "/v1/client/sign_ins/"+id+"?rotating_token_nonce="+nonce, nil).must(t, 200)
	// The consent page is single use.
	resp, _ := http.Get(authorize)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("consent page after use: %d", resp.StatusCode)
	}
}

func TestOAuthNewIdentityTransfersToSignUp(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	id, authorize := startSocial(t, n, "/v1/client/sign_ins", "oauth_google")
	final := consent(t, e, authorize, url.Values{"decision": {"approve"}, "email": {"dorothy@example.org"}, "first_name": {"Dorothy"}, "last_name": {"Vaughan"}})
	r := n.do("GET", "/v1/client/sign_ins/"+id+"?rotating_token_nonce="+final.Query().Get("rotating_token_nonce"), nil).must(t, 200)
	if got := str(r.Body, "response", "first_factor_verification", "status"); got != "transferable" {
		t.Fatalf("new identity: verification %q: %s", got, r.Raw)
	}
	if str(r.Body, "response", "first_factor_verification", "error", "code") != "external_account_not_found" {
		t.Errorf("transferable error: %s", r.Raw)
	}
	// <SignIn/> may start a fresh, empty sign-in while ClerkJS transfers; the transfer still finds its attempt.
	n.do("POST", "/v1/client/sign_ins", nil).must(t, 200)
	su := n.do("POST", "/v1/client/sign_ups", url.Values{"transfer": {"true"}}).must(t, 200)
	if str(su.Body, "response", "status") != "complete" || str(su.Body, "response", "email_address") != "dorothy@example.org" {
		t.Fatalf("transfer: %s", su.Raw)
	}
	if r := e.native().do("POST", "/v1/client/sign_ups", url.Values{"transfer": {"true"}}); r.Status != 422 {
		t.Errorf("transfer on a client without an OAuth attempt: %d", r.Status)
	}
	e.waitWebhooks()
	sid := str(su.Body, "response", "created_session_id")
	code, body := e.api("GET", "/api/me", n.token4(t, sid, nil), "")
	if code != 200 || str(body, "user", "email") != "dorothy@example.org" || str(body, "user", "first_name") != "Dorothy" {
		t.Fatalf("demo API after OAuth sign-up: %d %v", code, body)
	}
	// Next time the same identity signs straight in.
	n2 := e.native()
	id2, authorize2 := startSocial(t, n2, "/v1/client/sign_ins", "oauth_google")
	final2 := consent(t, e, authorize2, url.Values{"decision": {"approve"}, "email": {"dorothy@example.org"}})
	r2 := n2.do("GET", "/v1/client/sign_ins/"+id2+"?rotating_token_nonce="+final2.Query().Get("rotating_token_nonce"), nil).must(t, 200)
	if str(r2.Body, "response", "status") != "complete" {
		t.Fatalf("second OAuth sign-in: %s", r2.Raw)
	}
}

func TestOAuthSignUpOfAnExistingUserTransfersToSignIn(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	id, authorize := startSocial(t, n, "/v1/client/sign_ups", "oauth_github")
	final := consent(t, e, authorize, url.Values{"decision": {"approve"}, "identity": {"ada@example.com"}})
	r := n.do("GET", "/v1/client/sign_ups/"+id+"?rotating_token_nonce="+final.Query().Get("rotating_token_nonce"), nil).must(t, 200)
	if str(r.Body, "response", "verifications", "external_account", "status") != "transferable" {
		t.Fatalf("sign-up for an existing account: %s", r.Raw)
	}
	si := n.do("POST", "/v1/client/sign_ins", url.Values{"transfer": {"true"}}).must(t, 200)
	if str(si.Body, "response", "status") != "complete" || str(si.Body, "response", "identifier") != "ada@example.com" {
		t.Fatalf("transfer to sign-in: %s", si.Raw)
	}
}

func TestOAuthSignUpNewUser(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	id, authorize := startSocial(t, n, "/v1/client/sign_ups", "oauth_github")
	final := consent(t, e, authorize, url.Values{"decision": {"approve"}, "email": {"mae@example.org"}})
	r := n.do("GET", "/v1/client/sign_ups/"+id+"?rotating_token_nonce="+final.Query().Get("rotating_token_nonce"), nil).must(t, 200)
	if str(r.Body, "response", "status") != "complete" || str(r.Body, "response", "created_session_id") == "" {
		t.Fatalf("OAuth sign-up: %s", r.Raw)
	}
}

func TestOAuthDenied(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	id, authorize := startSocial(t, n, "/v1/client/sign_ins", "oauth_github")
	final := consent(t, e, authorize, url.Values{"decision": {"deny"}})
	q := final.Query()
	if q.Get("__clerk_status") != "failed" || q.Get("__clerk_error_code") != "oauth_access_denied" || q.Get("rotating_token_nonce") != "" {
		t.Fatalf("denied redirect %s", final)
	}
	r := n.do("GET", "/v1/client/sign_ins/"+id, nil).must(t, 200)
	if str(r.Body, "response", "first_factor_verification", "status") != "failed" || str(r.Body, "response", "status") == "complete" {
		t.Fatalf("sign-in after deny: %s", r.Raw)
	}
}

func TestOAuthBadInputs(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	_, authorize := startSocial(t, n, "/v1/client/sign_ins", "oauth_github")
	u, _ := url.Parse(authorize)
	state := u.Query().Get("state")
	for name, do := range map[string]func() (*http.Response, error){
		"unknown state": func() (*http.Response, error) {
			return noRedirects.Get(e.FrontendAPIURL() + "/oauth/github/authorize?state=nope")
		},
		"state for another provider": func() (*http.Response, error) {
			return noRedirects.Get(e.FrontendAPIURL() + "/oauth/google/authorize?state=" + state)
		},
		"unknown provider": func() (*http.Response, error) {
			return noRedirects.Get(e.FrontendAPIURL() + "/oauth/myspace/authorize?state=" + state)
		},
		"invalid new email": func() (*http.Response, error) {
			return noRedirects.PostForm(e.FrontendAPIURL()+"/oauth/github/authorize", url.Values{"state": {state}, "decision": {"approve"}, "email": {"not an email"}})
		},
		"callback with unknown state": func() (*http.Response, error) {
			return noRedirects.Get(e.FrontendAPIURL() + "/v1/oauth_callback?state=nope&code=x")
		},
	} {
		resp, err := do()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", name, resp.Header)
		}
	}
	// A forged code at the callback fails the flow instead of signing in.
	resp, err := noRedirects.Get(e.FrontendAPIURL() + "/v1/oauth_callback?state=" + state + "&code=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("__clerk_status") != "failed" {
		t.Errorf("forged code: %d %s", resp.StatusCode, loc)
	}
}
