package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEnvironmentIsBareAndAdvertisesWhatIsImplemented(t *testing.T) {
	e := start(t, Options{})
	r := e.native().do("GET", "/v1/environment", nil).must(t, 200)
	if _, wrapped := r.Body["response"]; wrapped {
		t.Fatal("environment must be the bare object, not wrapped in {response}")
	}
	for _, key := range []string{"auth_config", "display_config", "user_settings", "organization_settings", "commerce_settings", "api_keys_settings", "maintenance_mode"} {
		if _, ok := r.Body[key]; !ok {
			t.Errorf("environment lacks %s", key)
		}
	}
	if got := str(r.Body, "display_config", "application_name"); !strings.Contains(got, "local emulator") {
		t.Errorf("application_name %q does not say it is the local emulator", got)
	}
	if v := dig(r.Body, "display_config", "captcha_public_key"); v != nil {
		t.Errorf("captcha_public_key = %v, want null (no CAPTCHA)", v)
	}
	social, _ := dig(r.Body, "user_settings", "social").(map[string]any)
	for _, p := range []string{"oauth_github", "oauth_google"} {
		if dig(social, p, "enabled") != true {
			t.Errorf("%s not enabled in user_settings.social", p)
		}
	}
	if dig(r.Body, "auth_config", "native_settings", "api_enabled") != true {
		t.Error("native API not enabled")
	}
}

func TestClerkShapedErrors(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	tests := []struct {
		name, method, path string
		form               url.Values
		contentType        string
		body               string
		status             int
		code, param        string
	}{
		{name: "unknown route", method: "GET", path: "/v1/nothing/here", status: 404, code: "resource_not_found"},
		{name: "unknown route under client", method: "POST", path: "/v1/client/sign_ins/x/nope", status: 404, code: "resource_not_found"},
		{name: "wrong method on a known path", method: "PUT", path: "/v1/environment", status: 404, code: "resource_not_found"},
		{name: "root", method: "GET", path: "/", status: 404, code: "resource_not_found"},
		{name: "bad urlencoded body", method: "POST", path: "/v1/client/sign_ins", contentType: "application/x-www-form-urlencoded", body: "identifier=%zz", status: 422, code: "malformed_request"},
		{name: "bad JSON body", method: "POST", path: "/v1/client/sign_ins", contentType: "application/json", body: `{"identifier":`, status: 422, code: "malformed_request"},
		{name: "JSON array body", method: "POST", path: "/v1/client/sign_ins", contentType: "application/json", body: `["identifier"]`, status: 422, code: "malformed_request"},
		{name: "unsupported content type", method: "POST", path: "/v1/client/sign_ins", contentType: "application/xml", body: "<x/>", status: 422, code: "malformed_request"},
		{name: "body too large", method: "POST", path: "/v1/client/sign_ins", contentType: "application/x-www-form-urlencoded", body: "identifier=" + strings.Repeat("a", maxBodyBytes), status: 422, code: "malformed_request"},
		{name: "unknown identifier", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"identifier": {"nobody@example.com"}}, status: 422, code: "form_identifier_not_found", param: "identifier"},
		{name: "strategy without identifier", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"strategy": {"password"}}, status: 422, code: "form_param_missing", param: "identifier"},
		{name: "oauth without redirect_url", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"strategy": {"oauth_github"}}, status: 422, code: "form_param_missing", param: "redirect_url"},
		{name: "oauth with a javascript: redirect", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"strategy": {"oauth_github"}, "redirect_url": {"javascript:alert(1)"}}, status: 422, code: "form_param_format_invalid", param: "redirect_url"},
		{name: "provider not enabled", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"strategy": {"oauth_facebook"}, "redirect_url": {"http://127.0.0.1:1/cb"}}, status: 422, code: "form_param_value_invalid", param: "strategy"},
		{name: "inline wrong password", method: "POST", path: "/v1/client/sign_ins", form: url.Values{"identifier": {ada.Email}, "password": {"nope-nope"}}, status: 422, code: "form_password_incorrect", param: "password"},
		{name: "sign-up with a bad email", method: "POST", path: "/v1/client/sign_ups", form: url.Values{"email_address": {"not-an-email"}}, status: 422, code: "form_param_format_invalid", param: "email_address"},
		{name: "sign-up with a taken email", method: "POST", path: "/v1/client/sign_ups", form: url.Values{"email_address": {ada.Email}}, status: 422, code: "form_identifier_exists", param: "email_address"},
		{name: "sign-up with a short password", method: "POST", path: "/v1/client/sign_ups", form: url.Values{"email_address": {"new@example.com"}, "password": {"short"}}, status: 422, code: "form_password_length_too_short", param: "password"},
		{name: "token for a session without a client", method: "POST", path: "/v1/client/sessions/sess_x/tokens", status: 401, code: "signed_out"},
		{name: "me without a client", method: "GET", path: "/v1/me", status: 401, code: "signed_out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := e.native()
			var r *fapiResp
			if tc.form != nil || tc.body == "" {
				r = n.do(tc.method, tc.path, tc.form)
			} else {
				r = n.doRaw(tc.method, tc.path, tc.contentType, []byte(tc.body))
			}
			if r.Status != tc.status || r.errCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", r.Status, r.errCode(), tc.status, tc.code, r.Raw)
			}
			errs := r.Body["errors"].([]any)
			first := errs[0].(map[string]any)
			for _, k := range []string{"message", "long_message"} {
				if s, _ := first[k].(string); s == "" {
					t.Errorf("error lacks %s", k)
				}
			}
			if _, ok := first["meta"].(map[string]any); !ok {
				t.Error("error lacks meta object")
			}
			if tc.param != "" && dig(first, "meta", "param_name") != tc.param {
				t.Errorf("meta.param_name = %v, want %s", dig(first, "meta", "param_name"), tc.param)
			}
			if s, _ := r.Body["clerk_trace_id"].(string); len(s) != 32 || r.Header.Get("X-Clerk-Trace-Id") != s {
				t.Errorf("clerk_trace_id %q / header %q", s, r.Header.Get("X-Clerk-Trace-Id"))
			}
		})
	}
}

func TestDeadClientToken(t *testing.T) {
	e := start(t, Options{})
	for _, tok := range []string{"garbage", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImNsaWVudF94Iiwicm90YXRpbmdfdG9rZW4iOiJ4In0.AAAA"} {
		n := e.native()
		n.token = tok
		// GET /v1/client answers "no client" (a 401 here would make ClerkJS reload this very route)...
		r := n.do("GET", "/v1/client", nil).must(t, 200)
		if r.Body["response"] != nil || r.Body["client"] != nil {
			t.Errorf("dead token: client = %s, want {response:null, client:null}", r.Raw)
		}
		// ...routes that act on the client's sessions answer 401, which ClerkJS answers by reloading the client...
		if r := n.do("POST", "/v1/client/sessions/sess_x/touch", nil); r.Status != 401 || r.errCode() != "signed_out" {
			t.Errorf("touch with a dead token: %d %s", r.Status, r.Raw)
		}
		// ...and a new sign-in replaces it with a fresh client and token.
		before := n.token
		n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}}).must(t, 200)
		if n.token == before || n.token == "" {
			t.Error("no replacement client token issued")
		}
	}
}

func TestMethodOverride(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	sid := n.signIn(t, e.user("ada@example.com"))
	// The wire method is POST; _method in the body works as in the query.
	req, _ := http.NewRequest("POST", e.FrontendAPIURL()+"/v1/client/sessions?_is_native=1", strings.NewReader("_method=DELETE"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign-out via body _method: %d", resp.StatusCode)
	}
	c := n.do("GET", "/v1/client", nil).must(t, 200)
	if sessions := dig(c.Body, "response", "sessions").([]any); len(sessions) != 0 {
		t.Errorf("still %d sessions after sign-out", len(sessions))
	}
	if r := n.do("POST", "/v1/client/sessions/"+sid+"/tokens", nil); r.Status != 401 {
		t.Errorf("token for an ended session: %d", r.Status)
	}
	// _method on a GET is not an override.
	if r := n.doRaw("GET", "/v1/client?_method=DELETE", "", nil); r.Status != 200 {
		t.Errorf("GET with _method: %d", r.Status)
	}
}

func TestCORS(t *testing.T) {
	e := start(t, Options{})
	const origin = "wails://wails"
	req, _ := http.NewRequest("OPTIONS", e.FrontendAPIURL()+"/v1/client/sign_ins?_is_native=1", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	n := e.native()
	n.origin = origin
	r := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}}).must(t, 200)
	if r.Header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Authorization") {
		t.Errorf("response CORS headers: %v", r.Header)
	}
}
