package deeplink

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzDeliver hands arbitrary launch arguments to a Manager whose flow is waiting with
// a known state. Invariants: no panic; a launch completes the flow only if it is one
// URL of our scheme and host, with no other path, with exactly the flow's state; the
// Result matches the URL's query; a replay never completes anything; Redacted never
// returns the state or anything from the query.
func FuzzDeliver(f *testing.F) {
	base := "deskclerk://oauth-callback?deskclerk_state=" + testState
	for _, s := range []string{
		base + "&rotating_token_nonce=rtn_abc",
		base,
		base + "&__clerk_status=failed&__clerk_error_code=oauth_access_denied",
		base + "&error=access_denied",
		base + "&__clerk_modal_state=e30",
		"deskclerk://oauth-callback?deskclerk_state=wrong&rotating_token_nonce=x",
		"deskclerk://oauth-callback/?deskclerk_state=" + testState,
		"DeskClerk://oauth-callback?deskclerk_state=" + testState,
		"deskclerk://oauth-callback:443?deskclerk_state=" + testState,
		"deskclerk://oauth-callback?deskclerk_state=" + testState + "&deskclerk_state=" + testState,
		"deskclerk:oauth-callback?deskclerk_state=" + testState,
		base + "#x",
		base + "&a=%zz",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		m, err := NewManager(Config{Scheme: "deskclerk", Opener: &browser{}})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if _, err := m.Begin(); err != nil {
			t.Fatal(err)
		}
		m.cur.state = testState // a known state, so the fuzzer can find the accepting paths
		if red := Redacted(arg); strings.Contains(red, "?") && strings.Contains(red, "=") {
			t.Fatalf("redacted form %q carries a query", red)
		}
		took := m.Deliver([]string{arg})
		if !took {
			if m.cur.ended {
				t.Fatal("a refused launch ended the flow")
			}
			return
		}
		if m.Deliver([]string{arg}) {
			t.Fatal("replay accepted")
		}
		u, err := url.Parse(arg)
		if err != nil {
			t.Fatalf("accepted an unparsable URL: %v", err)
		}
		if !strings.EqualFold(u.Scheme, "deskclerk") || u.Host != DefaultHost || (u.Path != "" && u.Path != "/") || u.User != nil || strings.Contains(arg, "#") {
			t.Fatalf("accepted scheme=%q host=%q path=%q", u.Scheme, u.Host, u.Path)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || len(q[StateParam]) != 1 || q.Get(StateParam) != testState {
			t.Fatalf("accepted without exactly the flow's state: %q", u.RawQuery)
		}
		res := m.cur.res
		failed := (len(q["__clerk_status"]) == 1 && q["__clerk_status"][0] == "failed") || len(q["error"]) > 0
		if res.Failed != failed || (!failed && res.Nonce != q.Get("rotating_token_nonce")) || res.CallbackURL != arg {
			t.Fatalf("result %#v does not match %q", res, arg)
		}
	})
}
