package loopback

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testSecret is a fixed stand-in for the per-flow random path segment.
const testSecret = "c2VjcmV0LXBhdGgtZm9yLXRlc3RzLW9ubHktMDAwMDA"

var testLocal = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53124}

type recordingHandler struct {
	*callbackHandler
	delivered []Result
	accept    bool
}

func newTestHandler(t testing.TB) *recordingHandler {
	t.Helper()
	pages, err := renderLanding(DefaultLandingTitle)
	if err != nil {
		t.Fatal(err)
	}
	rh := &recordingHandler{accept: true}
	rh.callbackHandler = &callbackHandler{
		path:        "/callback/" + testSecret,
		redirectURL: "http://127.0.0.1:53124/callback/" + testSecret,
		pages:       pages,
		log:         slog.New(slog.DiscardHandler),
		deliver: func(r Result) bool {
			if !rh.accept {
				return false
			}
			rh.delivered = append(rh.delivered, r)
			rh.accept = false // like a Flow: only the first callback counts
			return true
		},
	}
	return rh
}

func serve(h http.Handler, local net.Addr, raw string) (*httptest.ResponseRecorder, error) {
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return nil, err
	}
	if local != nil {
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, nil
}

func get(target, host string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
}

func TestHandler(t *testing.T) {
	const host = "127.0.0.1:53124"
	cb := "/callback/" + testSecret
	tests := []struct {
		name   string
		raw    string
		local  net.Addr
		status int
		ok     bool // a Result was delivered
	}{
		{"valid", get(cb+"?rotating_token_nonce=rtn_abc", host), testLocal, 200, true},
		{"valid with extra params", get(cb+"?rotating_token_nonce=rtn_abc&x=1", host), testLocal, 200, true},
		{"failed status", get(cb+"?__clerk_status=failed&__clerk_error_code=oauth_access_denied", host), testLocal, 200, true},
		{"failed without code", get(cb+"?__clerk_status=failed", host), testLocal, 200, true},
		{"absolute-form target", get("http://"+host+cb+"?rotating_token_nonce=n", host), testLocal, 200, true},
		{"ipv6 listener", get(cb+"?rotating_token_nonce=n", "[::1]:53124"), &net.TCPAddr{IP: net.IPv6loopback, Port: 53124}, 200, true},

		{"host evil.example", get(cb+"?rotating_token_nonce=n", "evil.example"), testLocal, 400, false},
		{"host evil with right port", get(cb+"?rotating_token_nonce=n", "evil.example:53124"), testLocal, 400, false},
		{"host localhost", get(cb+"?rotating_token_nonce=n", "localhost:53124"), testLocal, 400, false},
		{"host without port", get(cb+"?rotating_token_nonce=n", "127.0.0.1"), testLocal, 400, false},
		{"host other port", get(cb+"?rotating_token_nonce=n", "127.0.0.1:1"), testLocal, 400, false},
		{"host v6 on v4 listener", get(cb+"?rotating_token_nonce=n", "[::1]:53124"), testLocal, 400, false},
		{"absolute-form to evil", get("http://evil.example"+cb+"?rotating_token_nonce=n", host), testLocal, 400, false},
		{"no local addr", get(cb+"?rotating_token_nonce=n", host), nil, 400, false},
		{"non-loopback local addr", get(cb+"?rotating_token_nonce=n", "192.0.2.2:53124"), &net.TCPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 53124}, 400, false},

		{"root", get("/?rotating_token_nonce=n", host), testLocal, 404, false},
		{"no secret", get("/callback/?rotating_token_nonce=n", host), testLocal, 404, false},
		{"wrong secret", get("/callback/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?rotating_token_nonce=n", host), testLocal, 404, false},
		{"secret prefix", get(cb[:len(cb)-1]+"?rotating_token_nonce=n", host), testLocal, 404, false},
		{"trailing slash", get(cb+"/?rotating_token_nonce=n", host), testLocal, 404, false},
		{"extra segment", get(cb+"/x?rotating_token_nonce=n", host), testLocal, 404, false},
		{"upper-case prefix", get("/CALLBACK/"+testSecret+"?rotating_token_nonce=n", host), testLocal, 404, false},
		{"percent-encoded secret", get("/callback/%63"+testSecret[1:]+"?rotating_token_nonce=n", host), testLocal, 404, false},
		{"dot segment", get("/x/.."+cb+"?rotating_token_nonce=n", host), testLocal, 404, false},

		{"POST", "POST " + cb + "?rotating_token_nonce=n HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n", testLocal, 400, false},
		{"PUT", "PUT " + cb + "?rotating_token_nonce=n HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n", testLocal, 400, false},
		{"HEAD", "HEAD " + cb + "?rotating_token_nonce=n HTTP/1.1\r\nHost: " + host + "\r\n\r\n", testLocal, 400, false},
		{"OPTIONS", "OPTIONS " + cb + "?rotating_token_nonce=n HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://evil.example\r\n\r\n", testLocal, 400, false},

		{"no nonce (ClerkJS reloads without one)", get(cb, host), testLocal, 200, true},
		{"OAuth error", get(cb+"?error=access_denied", host), testLocal, 200, true},
		{"repeated OAuth error", get(cb+"?error=a&error=b", host), testLocal, 400, false},
		{"empty nonce", get(cb+"?rotating_token_nonce=", host), testLocal, 400, false},
		{"repeated nonce", get(cb+"?rotating_token_nonce=a&rotating_token_nonce=b", host), testLocal, 400, false},
		{"nonce with markup", get(cb+"?rotating_token_nonce=%3Cscript%3E", host), testLocal, 400, false},
		{"nonce with space", get(cb+"?rotating_token_nonce=a+b", host), testLocal, 400, false},
		{"nonce too long", get(cb+"?rotating_token_nonce="+strings.Repeat("a", maxNonceLen+1), host), testLocal, 400, false},
		{"other status without nonce", get(cb+"?__clerk_status=verified", host), testLocal, 200, true},
		{"repeated status", get(cb+"?__clerk_status=failed&__clerk_status=failed", host), testLocal, 400, false},
		{"repeated code", get(cb+"?__clerk_status=failed&__clerk_error_code=a&__clerk_error_code=b", host), testLocal, 400, false},
		{"semicolon query", get(cb+"?rotating_token_nonce=a;b=c", host), testLocal, 400, false},
		{"bad escape", get(cb+"?rotating_token_nonce=%zz", host), testLocal, 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t)
			rec, err := serve(h, tt.local, tt.raw)
			if err != nil {
				t.Fatalf("ReadRequest: %v", err)
			}
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if got := len(h.delivered) == 1; got != tt.ok {
				t.Fatalf("delivered = %v, want %v", h.delivered, tt.ok)
			}
			checkNoLeak(t, rec, tt.raw)
		})
	}
}

// checkNoLeak asserts the response is one of the fixed bodies, sets no CORS, cookie or
// redirect header, and carries the hardening headers.
func checkNoLeak(t *testing.T, rec *httptest.ResponseRecorder, raw string) {
	t.Helper()
	body := rec.Body.Bytes()
	pages, _ := renderLanding(DefaultLandingTitle)
	known := [][]byte{bodyBadRequest, bodyNotFound, pages.success, pages.failure}
	found := false
	for _, k := range known {
		if bytes.Equal(body, k) {
			found = true
		}
	}
	if !found {
		t.Fatalf("response body is not one of the fixed bodies: %q", body)
	}
	for name := range rec.Header() {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "access-control-") || l == "set-cookie" || l == "location" || l == "refresh" {
			t.Fatalf("response sets %s", name)
		}
	}
	for _, h := range []string{"Cache-Control", "Referrer-Policy", "Content-Security-Policy", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Fatalf("response lacks %s", h)
		}
	}
	if bytes.Contains(body, []byte(testSecret)) {
		t.Fatal("response contains the secret path")
	}
}

func TestHandlerDeliversParsedResult(t *testing.T) {
	h := newTestHandler(t)
	q := "rotating_token_nonce=rtn_2x%2By&utm=1"
	if _, err := serve(h, testLocal, get("/callback/"+testSecret+"?"+q, "127.0.0.1:53124")); err != nil {
		t.Fatal(err)
	}
	want := Result{CallbackURL: h.redirectURL + "?" + q, Nonce: "rtn_2x+y"}
	if len(h.delivered) != 1 || h.delivered[0] != want {
		t.Fatalf("delivered %#v, want %+v", h.delivered, want.CallbackURL)
	}

	h = newTestHandler(t)
	q = "__clerk_status=failed&__clerk_error_code=%3Cb%3Eoops"
	rec, _ := serve(h, testLocal, get("/callback/"+testSecret+"?"+q, "127.0.0.1:53124"))
	r := h.delivered[0]
	if !r.Failed || r.ErrorCode != "" || r.Nonce != "" {
		t.Fatalf("a malformed error code must be dropped: %+v", r)
	}
	pages, _ := renderLanding(DefaultLandingTitle)
	if !bytes.Equal(rec.Body.Bytes(), pages.failure) {
		t.Fatal("a failed callback must get the failure landing page")
	}
}

func TestHandlerSecondCallbackIsRejected(t *testing.T) {
	h := newTestHandler(t)
	cb := "/callback/" + testSecret
	first, _ := serve(h, testLocal, get(cb+"?rotating_token_nonce=first", "127.0.0.1:53124"))
	replay, _ := serve(h, testLocal, get(cb+"?rotating_token_nonce=first", "127.0.0.1:53124"))
	other, _ := serve(h, testLocal, get(cb+"?rotating_token_nonce=second", "127.0.0.1:53124"))
	if first.Code != 200 || replay.Code != 404 || other.Code != 404 {
		t.Fatalf("statuses = %d, %d, %d; want 200, 404, 404", first.Code, replay.Code, other.Code)
	}
	if len(h.delivered) != 1 || h.delivered[0].Nonce != "first" {
		t.Fatalf("delivered = %v", h.delivered)
	}
	if !bytes.Equal(replay.Body.Bytes(), bodyNotFound) {
		t.Fatalf("replay body = %q", replay.Body.Bytes())
	}
}

func TestLandingPageReflectsNothingAndEscapesTitle(t *testing.T) {
	pages, err := renderLanding(`Ev<i>l "App" & co`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{pages.success, pages.failure} {
		s := string(p)
		if strings.Contains(s, "<i>") || !strings.Contains(s, "Ev&lt;i&gt;l") {
			t.Fatalf("title not escaped: %s", s)
		}
		for _, bad := range []string{"<script", "<a ", "<img", "<link", "<iframe", "<form", "http"} {
			if strings.Contains(strings.ToLower(s), bad) {
				t.Fatalf("landing page contains %q", bad)
			}
		}
	}
	if !strings.Contains(string(pages.success), "Switch back to the app") {
		t.Fatal("success page does not tell the person to return to the app")
	}
}

func TestSanitizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"oauth_access_denied":   "oauth_access_denied",
		"OAUTH":                 "",
		"a-b":                   "",
		"<x>":                   "",
		strings.Repeat("a", 65): "",
		"":                      "",
	} {
		if got := sanitizeCode(in); got != want {
			t.Errorf("sanitizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestShownErrSkipsTransfers(t *testing.T) {
	tests := []struct {
		res   Result
		shown bool
	}{
		{Result{}, false},
		{Result{Failed: true, ErrorCode: "oauth_access_denied"}, true},
		{Result{Failed: true, ErrorCode: ""}, true},
		{Result{Failed: true, ErrorCode: "external_account_not_found"}, false},
		{Result{Failed: true, ErrorCode: "external_account_exists"}, false},
	}
	for _, tc := range tests {
		if got := tc.res.ShownErr() != nil; got != tc.shown {
			t.Errorf("%v: shown %v, want %v", tc.res, got, tc.shown)
		}
		if tc.res.Failed && tc.res.Err() == nil {
			t.Errorf("%v: Err lost the failure", tc.res)
		}
	}
}
