package loopback

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzCallback drives the callback handler with arbitrary method, request target and
// Host. Invariants: no panic; only 200/400/404; the body is always one of the fixed
// pages; a 200 happens only for GET, the expected Host and the exact secret path; at
// most one Result is ever delivered, and it matches the query.
func FuzzCallback(f *testing.F) {
	cb := "/callback/" + testSecret
	const host = "127.0.0.1:53124"
	f.Add("GET", cb+"?rotating_token_nonce=rtn_abc", host)
	f.Add("GET", cb+"?__clerk_status=failed&__clerk_error_code=oauth_access_denied", host)
	f.Add("GET", cb+"?rotating_token_nonce=a&rotating_token_nonce=b", host)
	f.Add("GET", cb, host)
	f.Add("POST", cb+"?rotating_token_nonce=x", host)
	f.Add("GET", cb+"?rotating_token_nonce=x", "evil.example")
	f.Add("GET", "/callback/"+strings.ToUpper(testSecret)+"?rotating_token_nonce=x", host)
	f.Add("GET", "http://127.0.0.1:53124"+cb+"?rotating_token_nonce=x", host)
	f.Add("GET", cb+"?rotating_token_nonce=%3Cscript%3E", host)

	pages, err := renderLanding(DefaultLandingTitle)
	if err != nil {
		f.Fatal(err)
	}
	fixed := [][]byte{bodyBadRequest, bodyNotFound, pages.success, pages.failure}

	f.Fuzz(func(t *testing.T, method, target, hostHdr string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: " + hostHdr + "\r\n\r\n"
		h := newTestHandler(t)
		for round := 0; round < 2; round++ { // the second round is a replay
			rec, err := serve(h, testLocal, raw)
			if err != nil {
				return // not an HTTP request; net/http never hands it to the handler
			}
			switch rec.Code {
			case 200, 400, 404:
			default:
				t.Fatalf("status %d", rec.Code)
			}
			known := false
			for _, b := range fixed {
				known = known || bytes.Equal(rec.Body.Bytes(), b)
			}
			if !known {
				t.Fatalf("unexpected body %q", rec.Body.Bytes())
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Location") != "" {
				t.Fatal("CORS or redirect header set")
			}
			if rec.Code != 200 {
				continue
			}
			if round == 1 {
				t.Fatal("replay accepted")
			}
			req, _ := http.ReadRequest(bufioReader(raw))
			if method != "GET" || req.Host != host || req.URL.EscapedPath() != cb {
				t.Fatalf("accepted method=%q host=%q path=%q", method, req.Host, req.URL.EscapedPath())
			}
			q, err := url.ParseQuery(req.URL.RawQuery)
			if err != nil {
				t.Fatalf("accepted unparsable query: %v", err)
			}
			got := h.delivered[0]
			failed := (len(q["__clerk_status"]) == 1 && q["__clerk_status"][0] == "failed") || len(q["error"]) > 0
			if got.Failed != failed || (!got.Failed && got.Nonce != q.Get("rotating_token_nonce")) {
				t.Fatalf("result %#v does not match query %q", got, req.URL.RawQuery)
			}
			if got.CallbackURL != h.redirectURL+"?"+req.URL.RawQuery {
				t.Fatal("callback URL does not carry the query")
			}
		}
		if len(h.delivered) > 1 {
			t.Fatalf("%d results delivered", len(h.delivered))
		}
	})
}
