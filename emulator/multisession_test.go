package emulator

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestEnvironmentReportsSessionMode(t *testing.T) {
	for _, multi := range []bool{false, true} {
		e := start(t, Options{MultiSession: multi})
		r := e.native().do("GET", "/v1/environment", nil).must(t, 200)
		if got := dig(r.Body, "auth_config", "single_session_mode"); got != !multi {
			t.Errorf("MultiSession=%v: single_session_mode = %v", multi, got)
		}
	}
}

// liveIDs lists the client's sessions and its last active one.
func liveIDs(t *testing.T, r *fapiResp, path ...string) (ids []string, lastActive string) {
	t.Helper()
	cl, _ := dig(r.Body, path...).(map[string]any)
	if cl == nil {
		t.Fatalf("no client at %v: %s", path, r.Raw)
	}
	list, _ := cl["sessions"].([]any)
	for _, s := range list {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	last, _ := cl["last_active_session_id"].(string)
	return ids, last
}

func TestMultiSessionAccounts(t *testing.T) {
	e := start(t, Options{MultiSession: true})
	n := e.native()
	ada := n.signIn(t, e.user("ada@example.com"))
	grace := n.signIn(t, e.user("grace@example.com"))
	if ada == grace {
		t.Fatal("one session for two accounts")
	}

	ids, last := liveIDs(t, n.do("GET", "/v1/client", nil).must(t, 200), "response")
	if len(ids) != 2 || last != grace {
		t.Fatalf("after adding grace: sessions %v, last active %q (want both, grace active)", ids, last)
	}

	// Signing in again as ada is refused with her session's id, which <SignIn/> makes active.
	r := n.do("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}})
	if r.Status != http.StatusBadRequest || r.errCode() != "identifier_already_signed_in" {
		t.Fatalf("second sign-in as ada: %d %s", r.Status, r.Raw)
	}
	if got := str(r.Body["errors"].([]any)[0].(map[string]any), "meta", "session_id"); got != ada {
		t.Errorf("meta.session_id = %q, want ada's %q", got, ada)
	}

	// setActive(ada) touches her session; a restart (a fresh GET /v1/client) finds her active.
	_, last = liveIDs(t, n.do("POST", "/v1/client/sessions/"+ada+"/touch", nil).must(t, 200), "client")
	if last != ada {
		t.Fatalf("after touch: last active %q, want ada", last)
	}
	if _, last = liveIDs(t, n.do("GET", "/v1/client", nil).must(t, 200), "response"); last != ada {
		t.Fatalf("reloaded client: last active %q, want ada", last)
	}
	// Tokens are per session: each names its own user.
	if sub := claimsOf(t, n.token4(t, grace, nil))["sid"]; sub != grace {
		t.Errorf("grace's token sid = %v", sub)
	}

	// Signing out of grace (session.remove(), as <UserButton/> does) leaves ada signed in and active.
	n.do("POST", "/v1/client/sessions/"+grace+"/remove", nil).must(t, 200)
	ids, last = liveIDs(t, n.do("GET", "/v1/client", nil).must(t, 200), "response")
	if len(ids) != 1 || ids[0] != ada || last != ada {
		t.Fatalf("after removing grace: sessions %v, last active %q", ids, last)
	}
	if r := n.do("POST", "/v1/client/sessions/"+grace+"/tokens", nil); r.Status != 401 {
		t.Errorf("token for the removed session: %d", r.Status)
	}
	n.token4(t, ada, nil)

	// Ending the active one hands "last active" to a remaining session.
	grace = n.signIn(t, e.user("grace@example.com"))
	n.do("POST", "/v1/client/sessions/"+grace+"/end", nil).must(t, 200)
	if _, last = liveIDs(t, n.do("GET", "/v1/client", nil).must(t, 200), "response"); last != ada {
		t.Errorf("after ending the active grace: last active %q, want ada", last)
	}

	// "Sign out of all" ends every session.
	n.signIn(t, e.user("grace@example.com"))
	n.do("DELETE", "/v1/client/sessions", nil).must(t, 200)
	if ids, last = liveIDs(t, n.do("GET", "/v1/client", nil).must(t, 200), "response"); len(ids) != 0 || last != "" {
		t.Fatalf("after sign-out of all: sessions %v, last active %q", ids, last)
	}
}

func TestClockOffsetShowsInDateAndTokens(t *testing.T) {
	const offset = 90 * time.Second
	e := start(t, Options{ClockOffset: offset})
	r := e.native().do("GET", "/v1/environment", nil).must(t, 200)
	d, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		t.Fatalf("Date header %q: %v", r.Header.Get("Date"), err)
	}
	if skew := time.Until(d); skew < offset-5*time.Second || skew > offset+5*time.Second {
		t.Errorf("Date is %v ahead, want about %v", skew, offset)
	}
	n := e.native()
	sid := n.signIn(t, e.user("ada@example.com"))
	iat := int64(claimsOf(t, n.token4(t, sid, nil))["iat"].(float64))
	if ahead := time.Until(time.Unix(iat, 0)); ahead < offset-5*time.Second {
		t.Errorf("token iat is %v ahead, want about %v", ahead, offset)
	}
}
