package emulator

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPasswordSignInRotatesTheClientToken(t *testing.T) {
	clock := newFakeClock()
	e := start(t, Options{Now: clock.Now, NoClientTrust: true})
	ada := e.user("ada@example.com")
	n := e.native()

	created := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}, "locale": {"en-US"}}).must(t, 200)
	if created.Header.Get("Authorization") == "" {
		t.Fatal("the first sign-in request must create a client and return its token")
	}
	if got := str(created.Body, "response", "status"); got != "needs_first_factor" {
		t.Fatalf("status %q", got)
	}
	if str(created.Body, "client", "sign_in", "id") != str(created.Body, "response", "id") {
		t.Error("client.sign_in is not the new sign-in")
	}
	factors := dig(created.Body, "response", "supported_first_factors").([]any)
	var strategies []string
	for _, f := range factors {
		strategies = append(strategies, f.(map[string]any)["strategy"].(string))
	}
	if strings.Join(strategies, ",") != "password,email_code" {
		t.Errorf("supported_first_factors %v", strategies)
	}
	if v, ok := created.Body["client"].(map[string]any)["created_at"].(float64); !ok || v < 1e12 {
		t.Errorf("created_at %v is not in milliseconds", created.Body["client"].(map[string]any)["created_at"])
	}

	first := n.token
	id := str(created.Body, "response", "id")
	done := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {ada.Password}}).must(t, 200)
	rotated := done.Header.Get("Authorization")
	if rotated == "" || rotated == first {
		t.Fatal("completing a sign-in must rotate the client token")
	}
	sid := str(done.Body, "response", "created_session_id")
	if str(done.Body, "client", "last_active_session_id") != sid || done.Body["client"].(map[string]any)["sign_in"] != nil {
		t.Errorf("client after sign-in: %s", done.Raw)
	}
	sess := dig(done.Body, "client", "sessions").([]any)[0].(map[string]any)
	if str(sess, "last_active_token", "object") != "token" || str(sess, "user", "id") == "" {
		t.Errorf("session lacks last_active_token or user: %v", sess)
	}

	// The token from before the rotation is dead at once, as in Clerk (no grace):
	// FAPI answers it as no client at all.
	old := e.native()
	old.token = first
	if r := old.do("GET", "/v1/client", nil).must(t, 200); r.Body["response"] != nil || r.Header.Get("Authorization") != "" {
		t.Errorf("GET /v1/client with the replaced token: a client (%v) or a new token (%v)", r.Body["response"] != nil, r.Header.Get("Authorization") != "")
	}
	if r := old.do("POST", "/v1/client/sessions/"+sid+"/tokens", nil); r.Status != 401 || r.errCode() != "signed_out" {
		t.Errorf("session token with the replaced token: %d %s", r.Status, r.errCode())
	}
	// The current token is not rotated by ordinary requests and does not age out.
	clock.Advance(72 * time.Hour)
	for i := 0; i < 3; i++ {
		r := n.do("GET", "/v1/client", nil).must(t, 200)
		if r.Header.Get("Authorization") != "" || str(r.Body, "response", "last_active_session_id") != sid {
			t.Fatalf("GET /v1/client %d: rotated %v, last active session %q", i, r.Header.Get("Authorization") != "", str(r.Body, "response", "last_active_session_id"))
		}
	}
	n.do("POST", "/v1/client/sessions/"+sid+"/touch", nil).must(t, 200)
	if n.token != rotated {
		t.Error("the client token changed without a sign-in")
	}
}

func TestSingleSessionMode(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	n.signIn(t, e.user("ada@example.com"))
	if r := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {"grace@example.com"}}); r.Status != 400 || r.errCode() != "session_exists" {
		t.Fatalf("second sign-in on a signed-in client: %d %s", r.Status, r.Raw)
	}
}

func TestRepeatedWrongPasswordsAre429WithRetryAfter(t *testing.T) {
	clock := newFakeClock()
	e := start(t, Options{Now: clock.Now, NoClientTrust: true})
	grace := e.user("grace@example.com")
	n := e.native()
	id := str(n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {grace.Email}}).must(t, 200).Body, "response", "id")
	attempt := func(pw string) *fapiResp {
		return n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {pw}})
	}
	for i := 0; i < maxFailedAttempts; i++ {
		if r := attempt("wrong-" + strconv.Itoa(i)); r.Status != 422 || r.errCode() != "form_password_incorrect" {
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := attempt(grace.Password) // even the right password waits
	if r.Status != 429 || r.errCode() != "too_many_requests" {
		t.Fatalf("after %d failures: %d %s", maxFailedAttempts, r.Status, r.Raw)
	}
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry <= 0 || retry > int(failureWindow/time.Second) {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Other accounts are not affected.
	e.native().signIn(t, e.user("ada@example.com"))

	clock.Advance(time.Duration(retry) * time.Second)
	if r := attempt(grace.Password); r.Status != 200 || str(r.Body, "response", "status") != "complete" {
		t.Fatalf("after Retry-After: %d %s", r.Status, r.Raw)
	}
}

func TestConcurrentSignInsOnOneClientStayConsistent(t *testing.T) {
	e := start(t, Options{NoClientTrust: true})
	ada := e.user("ada@example.com")
	n := e.native()
	// Create the client first so that every goroutine starts on it.
	shared := str(n.do("POST", "/v1/client", nil).must(t, 200).Body, "response", "id")
	token := n.token

	const workers = 12
	var wg sync.WaitGroup
	results := make(chan string, workers*2)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.native()
			c.token = token
			r := c.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}})
			if r.Status != 200 {
				results <- fmt.Sprintf("create:%d:%s", r.Status, r.errCode())
				return
			}
			id := str(r.Body, "response", "id")
			r = c.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {ada.Password}})
			if r.Status == 200 {
				results <- "complete:" + str(r.Body, "client", "id") + ":" + str(r.Body, "response", "created_session_id")
				return
			}
			results <- fmt.Sprintf("attempt:%d:%s", r.Status, r.errCode())
		}()
	}
	wg.Wait()
	close(results)
	var onShared []string
	clients := map[string]bool{}
	for res := range results {
		switch {
		case strings.HasPrefix(res, "complete:"):
			parts := strings.Split(res, ":")
			if clients[parts[1]] {
				t.Errorf("two sign-ins completed on client %s", parts[1])
			}
			clients[parts[1]] = true
			if parts[1] == shared {
				onShared = append(onShared, parts[2])
			}
		case strings.HasSuffix(res, ":400:session_exists"):
		case strings.HasSuffix(res, ":401:signed_out"): // the shared token was replaced mid-flight
		case res == "attempt:404:resource_not_found": // replaced by a newer sign-in on the same client
		default:
			t.Errorf("unexpected outcome %s", res)
		}
	}
	// Single-session mode: the shared client got exactly one session. A worker whose
	// first request came after that sign-in rotated the token carried a dead token,
	// so it started a client of its own (as Clerk does with a replaced token).
	if len(onShared) != 1 {
		t.Fatalf("%d sign-ins completed on the shared client, want exactly 1: %v", len(onShared), onShared)
	}
	// The token from before the sign-in names no client any more.
	c := e.native()
	c.token = token
	if r := c.do("GET", "/v1/client", nil).must(t, 200); r.Body["response"] != nil {
		t.Fatal("the pre-sign-in token still reaches the client")
	}
}

func TestConcurrentSignInsOnManyClients(t *testing.T) {
	e := start(t, Options{})
	users := e.DemoUsers()
	const workers = 10
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(u DemoUser) {
			defer wg.Done()
			c := e.native()
			si := c.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {u.Email}})
			if si.Status != 200 {
				errs <- string(si.Raw)
				return
			}
			r := c.do("POST", "/v1/client/sign_ins/"+str(si.Body, "response", "id")+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {u.Password}})
			if r.Status != 200 {
				errs <- string(r.Raw)
			}
		}(users[i%len(users)])
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestEmailCodeSignIn(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	n := e.native()
	si := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}}).must(t, 200)
	id := str(si.Body, "response", "id")
	if r := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {"123456"}}); r.Status != 422 || r.errCode() != "verification_missing" {
		t.Fatalf("attempt before prepare: %d %s", r.Status, r.Raw)
	}
	var emailID string
	for _, f := range dig(si.Body, "response", "supported_first_factors").([]any) {
		if f.(map[string]any)["strategy"] == "email_code" {
			emailID = f.(map[string]any)["email_address_id"].(string)
		}
	}
	prep := n.do("POST", "/v1/client/sign_ins/"+id+"/prepare_first_factor", url.Values{"strategy": {"email_code"}, "email_address_id": {emailID}}).must(t, 200)
	if str(prep.Body, "response", "first_factor_verification", "status") != "unverified" {
		t.Errorf("after prepare: %s", prep.Raw)
	}
	code, ok := e.LastEmailCode(ada.Email)
	if !ok || len(code) != 6 {
		t.Fatalf("no code sent: %q", code)
	}
	if !strings.Contains(e.log.String(), "your verification code is "+code) {
		t.Error("the code is not in the log (the emulator's mailbox)")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {wrong}}); r.Status != 422 || r.errCode() != "form_code_incorrect" {
		t.Fatalf("wrong code: %d %s", r.Status, r.Raw)
	}
	done := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"email_code"}, "code": {code}}).must(t, 200)
	if str(done.Body, "response", "status") != "complete" || str(done.Body, "client", "last_authentication_strategy") != "email_code" {
		t.Fatalf("after the right code: %s", done.Raw)
	}
}

func TestSignUpWithEmailCodeAndTestAddress(t *testing.T) {
	e := start(t, Options{})
	tests := []struct {
		email   string
		useCode func() string
	}{
		{"lin+clerk_test@example.com", func() string { return "424242" }},
		{"mary@example.com", func() string { c, _ := e.LastEmailCode("mary@example.com"); return c }},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			n := e.native()
			su := n.do("POST", "/v1/client/sign_ups", url.Values{"email_address": {tc.email}, "password": {"a fine password"}, "first_name": {"Mary"}}).must(t, 200)
			id := str(su.Body, "response", "id")
			if str(su.Body, "response", "status") != "missing_requirements" || fmt.Sprint(dig(su.Body, "response", "unverified_fields")) != "[email_address]" {
				t.Fatalf("created: %s", su.Raw)
			}
			n.do("POST", "/v1/client/sign_ups/"+id+"/prepare_verification", url.Values{"strategy": {"email_code"}}).must(t, 200)
			done := n.do("POST", "/v1/client/sign_ups/"+id+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {tc.useCode()}}).must(t, 200)
			if str(done.Body, "response", "status") != "complete" || str(done.Body, "response", "created_user_id") == "" {
				t.Fatalf("attempt: %s", done.Raw)
			}
			// The new account signs in with its password on another client.
			other := e.native()
			other.signIn(t, DemoUser{Email: tc.email, Password: "a fine password"})
			// And its address is taken now.
			if r := e.native().do("POST", "/v1/client/sign_ups", url.Values{"email_address": {strings.ToUpper(tc.email)}}); r.errCode() != "form_identifier_exists" {
				t.Errorf("sign-up with a taken address (other case): %s", r.Raw)
			}
		})
	}
	if !strings.Contains(e.log.String(), "use the test code 424242") {
		t.Error("a +clerk_test address should be logged as not mailed")
	}
}

func TestEndAndRemoveSession(t *testing.T) {
	e := start(t, Options{})
	for _, action := range []string{"end", "remove"} {
		t.Run(action, func(t *testing.T) {
			n := e.native()
			sid := n.signIn(t, e.user("ada@example.com"))
			r := n.do("POST", "/v1/client/sessions/"+sid+"/"+action, nil).must(t, 200)
			want := map[string]string{"end": "ended", "remove": "removed"}[action]
			if str(r.Body, "response", "status") != want || len(dig(r.Body, "client", "sessions").([]any)) != 0 {
				t.Fatalf("%s: %s", action, r.Raw)
			}
			if r := n.do("POST", "/v1/client/sessions/"+sid+"/touch", nil); r.Status != 401 {
				t.Errorf("touch after %s: %d", action, r.Status)
			}
		})
	}
}

func TestDeleteClient(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	n.signIn(t, e.user("ada@example.com"))
	r := n.do("DELETE", "/v1/client", nil).must(t, 200)
	if r.Body["client"] != nil || str(r.Body, "response", "object") != "client" {
		t.Fatalf("delete client: %s", r.Raw)
	}
	if r := n.do("GET", "/v1/client", nil).must(t, 200); r.Body["response"] != nil {
		t.Errorf("the deleted client's token still names a client: %s", r.Raw)
	}
}

func TestSessionExpires(t *testing.T) {
	clock := newFakeClock()
	e := start(t, Options{Now: clock.Now})
	n := e.native()
	sid := n.signIn(t, e.user("ada@example.com"))
	clock.Advance(sessionLifetime + time.Minute)
	r := n.do("GET", "/v1/client", nil).must(t, 200)
	if len(dig(r.Body, "response", "sessions").([]any)) != 0 {
		t.Fatalf("expired session still listed: %s", r.Raw)
	}
	if r := n.do("POST", "/v1/client/sessions/"+sid+"/tokens", nil); r.Status != 401 {
		t.Errorf("token for an expired session: %d", r.Status)
	}
}

func TestSecretsStayOutOfTheLog(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	ada := e.user("ada@example.com")
	sid := n.signIn(t, ada)
	jwt := n.token4(t, sid, nil)
	n.do("POST", "/v1/client/sign_ups", url.Values{"email_address": {"x@example.com"}, "password": {"hunter2hunter2"}})
	log := e.log.String()
	for name, secret := range map[string]string{"demo password": ada.Password, "client token": n.token, "session token": jwt, "sign-up password": "hunter2hunter2"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains a %s", name)
		}
	}
}

func TestClientTrust(t *testing.T) {
	e := start(t, Options{})
	ada := e.user("ada@example.com")
	n := e.native()

	// A new client: the right password stops at needs_client_trust, no session yet.
	si := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}}).must(t, 200)
	id := str(si.Body, "response", "id")
	if got := str(si.Body, "response", "client_trust_state"); got != "new" {
		t.Errorf("client_trust_state before the password: %q", got)
	}
	if r := n.do("POST", "/v1/client/sign_ins/"+id+"/prepare_second_factor", url.Values{"strategy": {"email_code"}}); r.Status != 400 {
		t.Errorf("prepare_second_factor before the password: %d %s", r.Status, r.Raw)
	}
	r := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_first_factor", url.Values{"strategy": {"password"}, "password": {ada.Password}}).must(t, 200)
	if st := str(r.Body, "response", "status"); st != "needs_client_trust" {
		t.Fatalf("status %q, want needs_client_trust", st)
	}
	if n := len(dig(r.Body, "client", "sessions").([]any)); n != 0 {
		t.Fatalf("%d sessions before the code", n)
	}
	f := dig(r.Body, "response", "supported_second_factors").([]any)[0].(map[string]any)
	if f["strategy"] != "email_code" || f["safe_identifier"] != ada.Email || f["email_address_id"] == "" {
		t.Errorf("supported_second_factors: %v", f)
	}
	if _, has := dig(r.Body, "response", "first_factor_verification").(map[string]any)["error"]; has {
		t.Error("a password verification has no error field in Clerk's spec")
	}
	if ids := dig(r.Body, "response", "supported_identifiers").([]any); len(ids) != 1 || ids[0] != "email_address" {
		t.Errorf("supported_identifiers %v: identifiers only, no oauth_* (spec enum)", ids)
	}
	n.do("POST", "/v1/client/sign_ins/"+id+"/prepare_second_factor", url.Values{"strategy": {"email_code"}}).must(t, 200)
	if r := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {"000000"}}); r.Status != 422 {
		t.Errorf("wrong code: %d %s", r.Status, r.Raw)
	}
	code, _ := e.LastEmailCode(ada.Email)
	if raw, err := os.ReadFile(MailboxFile(e.Dir(), ada.Email)); err != nil || strings.TrimSpace(string(raw)) != code {
		t.Errorf("mailbox holds %q (%v), want the code sent", raw, err)
	}
	done := n.do("POST", "/v1/client/sign_ins/"+id+"/attempt_second_factor", url.Values{"strategy": {"email_code"}, "code": {code}}).must(t, 200)
	sid := str(done.Body, "response", "created_session_id")
	if str(done.Body, "response", "status") != "complete" || sid == "" {
		t.Fatalf("after the code: %s", done.Raw)
	}

	// Signed out, same client: recognised, the password is enough.
	n.do("DELETE", "/v1/client/sessions", nil).must(t, 200)
	si = n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}, "password": {ada.Password}}).must(t, 200)
	if st, ts := str(si.Body, "response", "status"), str(si.Body, "response", "client_trust_state"); st != "complete" || ts != "known" {
		t.Fatalf("returning device: status %q, client_trust_state %q", st, ts)
	}

	// Another client (a forgotten device) is new again, and so is another user here.
	if st := str(e.native().do("POST", "/v1/client/sign_ins", url.Values{"identifier": {ada.Email}, "password": {ada.Password}}).must(t, 200).Body, "response", "status"); st != "needs_client_trust" {
		t.Errorf("new client: %q", st)
	}
	n.do("DELETE", "/v1/client/sessions", nil).must(t, 200)
	grace := e.user("grace@example.com")
	if st := str(n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {grace.Email}, "password": {grace.Password}}).must(t, 200).Body, "response", "status"); st != "needs_client_trust" {
		t.Errorf("another user on a known client: %q", st)
	}

	// With Client Trust off, a new client signs in with the password alone.
	off := start(t, Options{NoClientTrust: true})
	u := off.user("ada@example.com")
	r = off.native().do("POST", "/v1/client/sign_ins", url.Values{"identifier": {u.Email}, "password": {u.Password}}).must(t, 200)
	if str(r.Body, "response", "status") != "complete" || dig(r.Body, "response", "client_trust_state") != nil {
		t.Errorf("Client Trust off: %s", r.Raw)
	}
}
