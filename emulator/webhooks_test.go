package emulator

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestUserWebhooksReachTheDemoAPI(t *testing.T) {
	e := start(t, Options{})
	n := e.native()
	sid := n.signIn(t, e.user("grace@example.com"))
	e.waitWebhooks()
	tok := n.token4(t, sid, nil)
	code, body := e.api("GET", "/api/me", tok, "")
	if code != 200 || str(body, "user", "email") != "grace@example.com" || str(body, "session", "session_id") != sid {
		t.Fatalf("/api/me: %d %v", code, body)
	}

	// Profile edits go out as user.updated.
	r := n.do("PATCH", "/v1/me", url.Values{"first_name": {"Amazing"}, "last_name": {"Grace"}}).must(t, 200)
	if str(r.Body, "response", "first_name") != "Amazing" {
		t.Fatalf("PATCH /v1/me: %s", r.Raw)
	}
	e.waitWebhooks()
	if _, body := e.api("GET", "/api/me", tok, ""); str(body, "user", "first_name") != "Amazing" || str(body, "user", "last_name") != "Grace" {
		t.Fatalf("after user.updated: %v", body)
	}
	if code, _ := e.api("PUT", "/api/favorite-color", tok, `{"color":"teal"}`); code != 200 {
		t.Fatalf("PUT color: %d", code)
	}

	// Deleting the account goes out as user.deleted: the API forgets the user and their data.
	r = n.do("DELETE", "/v1/me", nil).must(t, 200)
	if dig(r.Body, "response", "deleted") != true || len(dig(r.Body, "client", "sessions").([]any)) != 0 {
		t.Fatalf("DELETE /v1/me: %s", r.Raw)
	}
	e.waitWebhooks()
	if _, body := e.api("GET", "/api/me", tok, ""); body["user"] != nil {
		t.Fatalf("after user.deleted the API still has %v", body["user"])
	}
	if _, body := e.api("GET", "/api/favorite-color", tok, ""); body["color"] != nil {
		t.Fatalf("after user.deleted the API still has color %v", body["color"])
	}
	for _, u := range e.DemoUsers() {
		if u.Email == "grace@example.com" {
			t.Error("a deleted demo user is still listed")
		}
	}
	if r := e.native().do("POST", "/v1/client/sign_ins", url.Values{"identifier": {"grace@example.com"}}); r.errCode() != "form_identifier_not_found" {
		t.Errorf("sign-in of a deleted user: %s", r.Raw)
	}
}

func TestWebhooksWaitForTheAPI(t *testing.T) {
	// An event is written to the outbox with the change it announces; while the
	// API is down it stays queued (across a restart, too) and is delivered later.
	dir := t.TempDir()
	e1 := start(t, Options{Dir: dir})
	e1.waitWebhooks()
	if err := e1.Server.api.Close(); err != nil { // the remote API goes down
		t.Fatal(err)
	}
	n := e1.native()
	su := n.do("POST", "/v1/client/sign_ups", url.Values{"email_address": {"q+clerk_test@example.com"}, "password": {"long enough pw"}}).must(t, 200)
	id := str(su.Body, "response", "id")
	n.do("POST", "/v1/client/sign_ups/"+id+"/prepare_verification", url.Values{"strategy": {"email_code"}}).must(t, 200)
	done := n.do("POST", "/v1/client/sign_ups/"+id+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {"424242"}}).must(t, 200)
	sid := str(done.Body, "response", "created_session_id")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e1.log.String(), "webhook delivery failed, will retry") {
		if time.Now().After(deadline) {
			t.Fatal("no failed delivery was logged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := start(t, Options{Dir: dir})
	e2.waitWebhooks()
	n.e = e2
	if _, body := e2.api("GET", "/api/me", n.token4(t, sid, nil), ""); str(body, "user", "email") != "q+clerk_test@example.com" {
		t.Fatalf("the queued user.created was not delivered after the restart: %v", body)
	}
}

// The demo API copies image_url from webhooks; the emulator's port changes from
// run to run, so a restart re-announces the users and the API's copy follows.
func TestImageURLFollowsARestart(t *testing.T) {
	dir := t.TempDir()
	e1 := start(t, Options{Dir: dir})
	e1.waitWebhooks()
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := start(t, Options{Dir: dir, Addr: otherFreeAddr(t, e1.FrontendAPIURL())})
	e2.waitWebhooks()
	n := e2.native()
	sid := n.signIn(t, e2.user("ada@example.com"))
	_, body := e2.api("GET", "/api/me", n.token4(t, sid, nil), "")
	if img := str(body, "user", "image_url"); !strings.HasPrefix(img, e2.FrontendAPIURL()+"/") {
		t.Fatalf("the API's image_url %q is not on this run's origin %s", img, e2.FrontendAPIURL())
	}
}

// otherFreeAddr is a free loopback address whose port differs from used's, so a
// restart is sure to serve from another origin.
func otherFreeAddr(t *testing.T, used string) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !strings.HasSuffix(used, ":"+strings.Split(addr, ":")[1]) {
			return addr
		}
	}
}
