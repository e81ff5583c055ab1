package emulator

import (
	"net/url"
	"strings"
	"testing"

	"deskclerk/auth/instance"
)

// Production mode: redirect URLs off the allowlist are refused like production FAPI
// refuses them; allowlisted ones (with the app's own query) get the nonce.
func TestProductionRedirectAllowlist(t *testing.T) {
	const allowed = "deskclerk://oauth-callback"
	e := start(t, Options{Production: true, RedirectAllowlist: []string{allowed}})
	if pk := e.PublishableKey(); !strings.HasPrefix(pk, "pk_live_") {
		t.Fatalf("publishable key %q", pk)
	}
	if inst, err := instance.FromPublishableKey(e.PublishableKey()); err != nil || inst.FrontendAPI != FrontendAPIHost {
		t.Fatalf("key does not name the host: %+v %v", inst, err)
	}
	n := e.native()
	env := n.do("GET", "/v1/environment", nil).must(t, 200)
	if got := str(env.Body, "display_config", "instance_environment_type"); got != "production" {
		t.Fatalf("instance_environment_type %q", got)
	}
	good := allowed + "?deskclerk_state=abc"
	for _, tt := range []struct{ name, redirect, complete, param string }{
		{"loopback", "http://127.0.0.1:45789/callback/x", "", "redirect_url"},
		{"other scheme", "evil://oauth-callback", "", "redirect_url"},
		{"other host", "deskclerk://evil", "", "redirect_url"},
		{"other path", "deskclerk://oauth-callback/x", "", "redirect_url"},
		{"action complete off the list", good, "https://evil.example/", "action_complete_redirect_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"strategy": {"oauth_github"}, "redirect_url": {tt.redirect}}
			if tt.complete != "" {
				form.Set("action_complete_redirect_url", tt.complete)
			}
			for _, path := range []string{"/v1/client/sign_ins", "/v1/client/sign_ups"} {
				r := n.do("POST", path, form)
				if r.Status != 422 || r.errCode() != "form_param_value_invalid" {
					t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
				}
				errs := r.Body["errors"].([]any)[0].(map[string]any)
				if str(errs, "meta", "param_name") != tt.param || str(errs, "long_message") != tt.param+" does not match one of the allowed values for parameter "+tt.param {
					t.Fatalf("error %v", errs)
				}
			}
		})
	}
	r := n.do("POST", "/v1/client/sign_ins", url.Values{"strategy": {"oauth_github"}, "redirect_url": {good}, "action_complete_redirect_url": {good}}).must(t, 200)
	authorize := str(dig(r.Body, "response", "first_factor_verification").(map[string]any), "external_verification_redirect_url")
	final := consent(t, e, authorize, url.Values{"decision": {"approve"}, "identity": {"grace@example.com"}})
	if final.Scheme != "deskclerk" || final.Host != "oauth-callback" || final.Query().Get("deskclerk_state") != "abc" || final.Query().Get("rotating_token_nonce") == "" {
		t.Fatalf("final redirect %s", final)
	}
}

func TestDevelopmentAcceptsAnyRedirect(t *testing.T) {
	e := start(t, Options{RedirectAllowlist: []string{"deskclerk://oauth-callback"}})
	if pk := e.PublishableKey(); !strings.HasPrefix(pk, "pk_test_") {
		t.Fatalf("publishable key %q", pk)
	}
	e.native().do("POST", "/v1/client/sign_ins", url.Values{"strategy": {"oauth_github"}, "redirect_url": {"http://127.0.0.1:1/callback/x"}}).must(t, 200)
}

func TestAllowlistEntries(t *testing.T) {
	for _, bad := range []string{"http://127.0.0.1:1/cb", "deskclerk://x?y=1", "nohost", "javascript://x"} {
		if _, err := Start(t.Context(), Options{Production: true, RedirectAllowlist: []string{bad}}); err == nil {
			t.Errorf("allowlist entry %q accepted", bad)
		}
	}
}

// Connect account (Manage account → Connected accounts): the account is created
// unverified with the consent URL, linked once the provider vouches for it, listed on
// the user, and removable; in production mode the same allowlist applies.
func TestConnectExternalAccount(t *testing.T) {
	const allowed = "deskclerk://oauth-callback"
	e := start(t, Options{Production: true, RedirectAllowlist: []string{allowed}})
	n := e.native()
	n.signIn(t, e.user("grace@example.com"))
	if r := n.do("POST", "/v1/me/external_accounts", url.Values{"strategy": {"oauth_google"}, "redirect_url": {"http://127.0.0.1:1/cb"}}); r.Status != 422 || r.errCode() != "form_param_value_invalid" {
		t.Fatalf("off-allowlist connect: %d %s", r.Status, r.Raw)
	}
	redirect := allowed + "?deskclerk_state=s&__clerk_modal_state=e30"
	r := n.do("POST", "/v1/me/external_accounts", url.Values{"strategy": {"oauth_google"}, "redirect_url": {redirect}}).must(t, 200)
	ver := dig(r.Body, "response", "verification").(map[string]any)
	if str(r.Body, "response", "object") != "external_account" || str(ver, "status") != "unverified" {
		t.Fatalf("created %s", r.Raw)
	}
	final := consent(t, e, str(ver, "external_verification_redirect_url"), url.Values{"decision": {"approve"}, "identity": {"grace@example.com"}})
	if final.Scheme != "deskclerk" || final.Query().Get("__clerk_modal_state") != "e30" || final.Query().Get("__clerk_status") != "" {
		t.Fatalf("final redirect %s", final)
	}
	me := n.do("GET", "/v1/me", nil).must(t, 200)
	accounts := dig(me.Body, "response", "external_accounts").([]any)
	var id string
	for _, a := range accounts {
		if m := a.(map[string]any); str(m, "provider") == "google" {
			id = str(m, "id")
		}
	}
	if id == "" {
		t.Fatalf("no google account after connecting: %v", accounts)
	}
	del := n.do("DELETE", "/v1/me/external_accounts/"+id, nil).must(t, 200)
	if dig(del.Body, "response", "deleted") != true {
		t.Fatalf("delete %s", del.Raw)
	}
	if r := n.do("DELETE", "/v1/me/external_accounts/"+id, nil); r.Status != 404 {
		t.Fatalf("second delete %d", r.Status)
	}
	// A provider account another user has is refused with Clerk's code.
	r = n.do("POST", "/v1/me/external_accounts", url.Values{"strategy": {"oauth_github"}, "redirect_url": {redirect}}).must(t, 200)
	ver = dig(r.Body, "response", "verification").(map[string]any)
	other := e.native() // ada signs in with GitHub first: that GitHub account is hers
	si := other.do("POST", "/v1/client/sign_ins", url.Values{"strategy": {"oauth_github"}, "redirect_url": {redirect}}).must(t, 200)
	_ = consent(t, e, str(dig(si.Body, "response", "first_factor_verification").(map[string]any), "external_verification_redirect_url"),
		url.Values{"decision": {"approve"}, "identity": {"ada@example.com"}})
	final = consent(t, e, str(ver, "external_verification_redirect_url"), url.Values{"decision": {"approve"}, "identity": {"ada@example.com"}})
	if final.Query().Get("__clerk_error_code") != "external_account_exists" {
		t.Fatalf("claimed account: %s", final)
	}
}
