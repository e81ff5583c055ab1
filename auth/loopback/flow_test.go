package loopback_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deskclerk/auth/browseropen"
	"deskclerk/auth/loopback"
)

var redirectRE = regexp.MustCompile(`^http://127\.0\.0\.1:([0-9]+)/callback/[A-Za-z0-9_-]{43}$`)

type doneRecord struct {
	mu    sync.Mutex
	calls int
	res   loopback.Result
	err   error
}

func (d *doneRecord) hook(r loopback.Result, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	d.res, d.err = r, err
}

func (d *doneRecord) get() (int, loopback.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls, d.res, d.err
}

// The whole social sign-in as the app runs it, with a scripted browser and a fake Clerk.
func TestManagerFullFlowWithScriptedBrowser(t *testing.T) {
	clerk := newFakeClerk(t)
	browser := newScriptedBrowser()
	var logs logBuffer
	var done doneRecord
	m := loopback.NewManager(loopback.ManagerConfig{
		Options: loopback.Options{Logger: newLogger(&logs), OnDone: done.hook},
		Opener:  browseropen.System{AllowHTTPLoopback: true, Launch: browser.Launch},
		OnOpenFailed: func(string, error) {
			t.Error("OnOpenFailed called although the browser opened")
		},
	})
	defer m.Close()

	redirect, err := m.Begin() // ClerkJS: transport.getRedirectUrl()
	if err != nil {
		t.Fatal(err)
	}
	if !redirectRE.MatchString(redirect) {
		t.Fatalf("redirect URL %q does not have the expected form", redirect)
	}
	hostport, secretPath := splitRedirect(t, redirect)
	if st := m.Status(); !st.Active || st.Opened || time.Until(st.Deadline) < 2*time.Minute {
		t.Fatalf("status after Begin = %+v", st)
	}

	res, err := m.Open(ctxT(t), clerk.authorizeURL(redirect, "")) // ClerkJS: transport.open(url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	issued := clerk.issued()
	if len(issued) != 1 || res.Nonce != issued[0] {
		t.Fatalf("nonce = %q, Clerk issued %q", res.Nonce, issued)
	}
	if res.Failed || res.Err() != nil {
		t.Fatalf("unexpected failure: %v", res.Err())
	}
	// ClerkJS does: new URL(callbackUrl).searchParams.get('rotating_token_nonce')
	cu, err := url.Parse(res.CallbackURL)
	if err != nil || !strings.HasPrefix(res.CallbackURL, redirect+"?") || cu.Query().Get("rotating_token_nonce") != issued[0] {
		t.Fatalf("callback URL %q does not carry the nonce", res.CallbackURL)
	}

	p := browser.next(t)
	if p.err != nil || p.status != 200 || !strings.HasPrefix(p.url, redirect) {
		t.Fatalf("browser ended on %d %v", p.status, p.err)
	}
	if !strings.Contains(p.body, "Return to Desk Clerk") || strings.Contains(p.body, issued[0]) || strings.Contains(p.body, secretPath) {
		t.Fatal("landing page must tell the person to return and reflect nothing")
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("landing page headers: %v", p.header)
	}

	// The flow is over: OnDone ran once, the listener is gone, the Manager is idle.
	if calls, dres, derr := done.get(); calls != 1 || derr != nil || dres.Nonce != res.Nonce {
		t.Fatalf("OnDone calls=%d res=%v err=%v", calls, dres, derr)
	}
	assertRefused(t, hostport)
	if st := m.Status(); st != (loopback.Status{}) {
		t.Fatalf("status after the flow = %+v", st)
	}
	if _, err := m.Wait(ctxT(t)); !errors.Is(err, loopback.ErrNoFlow) {
		t.Fatalf("Wait after the flow = %v, want ErrNoFlow", err)
	}

	// Secrets never reach the logs.
	out := logs.String()
	if out == "" {
		t.Fatal("expected debug logs")
	}
	for _, secret := range []string{issued[0], secretPath, strings.TrimPrefix(secretPath, "/callback/")} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains a secret: %s", out)
		}
	}

	// A second sign-in gets a fresh listener and secret.
	redirect2, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, path2 := splitRedirect(t, redirect2); path2 == secretPath {
		t.Fatal("secret path reused across flows")
	}
	if err := m.Cancel(); err != nil {
		t.Fatal(err)
	}
}

func TestManagerProviderFailure(t *testing.T) {
	tests := []struct {
		code     string
		transfer bool
	}{
		{"oauth_access_denied", false},
		{"external_account_not_found", true},
		{"external_account_exists", true},
		{"some_future_code", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			clerk := newFakeClerk(t)
			browser := newScriptedBrowser()
			m := loopback.NewManager(loopback.ManagerConfig{
				Opener: browseropen.System{AllowHTTPLoopback: true, Launch: browser.Launch},
			})
			defer m.Close()
			redirect, err := m.Begin()
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Open(ctxT(t), clerk.authorizeURL(redirect, tt.code))
			if err != nil {
				t.Fatalf("Open: %v (a Clerk failure is a Result, not an error)", err)
			}
			var pe *loopback.ProviderError
			if !res.Failed || !errors.As(res.Err(), &pe) {
				t.Fatalf("result %v, Err %v", res, res.Err())
			}
			if pe.Code != tt.code || pe.Transfer != tt.transfer || pe.Message != loopback.Message(tt.code) || pe.Message == "" {
				t.Fatalf("ProviderError = %+v", pe)
			}
			if loopback.UserMessage(res.Err()) != pe.Message {
				t.Fatal("UserMessage must use the provider message")
			}
			// ClerkJS must still get the URL to reset or transfer the attempt.
			cu, _ := url.Parse(res.CallbackURL)
			if cu.Query().Get("__clerk_status") != "failed" || cu.Query().Get("__clerk_error_code") != tt.code {
				t.Fatalf("callback URL lost Clerk's status: %q", res.CallbackURL)
			}
			p := browser.next(t)
			if p.status != 200 || !strings.Contains(p.body, "did not finish") || strings.Contains(p.body, tt.code) {
				t.Fatalf("failure landing page: %d %q", p.status, p.body)
			}
		})
	}
}

func TestStartBindsLoopbackOnly(t *testing.T) {
	f, err := loopback.Start(ctxT(t), loopback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Cancel()
	addrs := f.Addrs()
	if len(addrs) == 0 {
		t.Fatal("no addresses")
	}
	port := addrs[0].Port()
	for _, a := range addrs {
		if !a.Addr().IsLoopback() || a.Addr().IsUnspecified() || a.Port() != port {
			t.Fatalf("bound to %v", a)
		}
	}
	if addrs[0].Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("first address %v, want 127.0.0.1", addrs[0])
	}
	if !strings.HasPrefix(f.RedirectURL(), "http://127.0.0.1:"+strconv.Itoa(int(port))+"/callback/") {
		t.Fatal("redirect URL does not name 127.0.0.1 and the bound port")
	}
	if hasIPv6Loopback() {
		if len(addrs) != 2 || addrs[1].Addr() != netip.IPv6Loopback() {
			t.Fatalf("addrs = %v, want 127.0.0.1 and [::1] on one port", addrs)
		}
	}

	// Every non-loopback address of this machine refuses the port.
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	probed := 0
	for _, ia := range ifAddrs {
		ipn, ok := ia.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		assertRefused(t, net.JoinHostPort(ipn.IP.String(), strconv.Itoa(int(port))))
		probed++
	}
	t.Logf("probed %d non-loopback addresses", probed)

	// And the listener is really up on loopback (so the refusals above mean something).
	hostport, path := splitRedirect(t, f.RedirectURL())
	if code, _ := rawGET(t, hostport, path+"?rotating_token_nonce=", hostport); code != 400 {
		t.Fatalf("loopback probe got %d, want 400 (empty nonce)", code)
	}
}

func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestStartIPv6Disabled(t *testing.T) {
	f, err := loopback.Start(ctxT(t), loopback.Options{DisableIPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Cancel()
	if a := f.Addrs(); len(a) != 1 || a[0].Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("addrs = %v", a)
	}
}

// Each request that does not match is refused with 400/404, leaks nothing, and the flow
// still completes afterwards.
func TestStrayRequestsDoNotEndTheFlow(t *testing.T) {
	var logs logBuffer
	f, err := loopback.Start(ctxT(t), loopback.Options{Logger: newLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Cancel()
	hostport, path := splitRedirect(t, f.RedirectURL())
	secret := strings.TrimPrefix(path, "/callback/")
	wrongSecret := "A" + secret[1:]
	if wrongSecret == secret {
		wrongSecret = "B" + secret[1:]
	}
	const probeNonce = "rtn_PROBE_NONCE_123"

	tests := []struct {
		name   string
		target string
		host   string
		method string
		want   int
	}{
		{"wrong path", "/callback/" + wrongSecret + "?rotating_token_nonce=" + probeNonce, hostport, "GET", 404},
		{"root", "/?rotating_token_nonce=" + probeNonce, hostport, "GET", 404},
		{"favicon", "/favicon.ico", hostport, "GET", 404},
		{"empty nonce", path + "?rotating_token_nonce=", hostport, "GET", 400},
		{"malformed nonce", path + "?rotating_token_nonce=%3Cscript%3Ealert(1)%3C/script%3E", hostport, "GET", 400},
		{"Host evil.example", path + "?rotating_token_nonce=" + probeNonce, "evil.example", "GET", 400},
		{"Host localhost", path + "?rotating_token_nonce=" + probeNonce, "localhost:" + strings.Split(hostport, ":")[1], "GET", 400},
		{"POST", path + "?rotating_token_nonce=" + probeNonce, hostport, "POST", 400},
		{"DELETE", path + "?rotating_token_nonce=" + probeNonce, hostport, "DELETE", 400},
		{"OPTIONS preflight", path + "?rotating_token_nonce=" + probeNonce, hostport, "OPTIONS", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.method + " " + tt.target + " HTTP/1.1\r\nHost: " + tt.host +
				"\r\nOrigin: https://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
			code, body := rawRequest(t, hostport, raw)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if body != "Bad request.\n" && body != "Not found.\n" {
				t.Fatalf("body %q is not a fixed error body", body)
			}
			if f.Ended() {
				t.Fatal("a stray request ended the flow")
			}
		})
	}

	// The real callback still works.
	code, body := rawGET(t, hostport, path+"?rotating_token_nonce=rtn_real", hostport)
	if code != 200 || !strings.Contains(body, "Return to") {
		t.Fatalf("real callback got %d", code)
	}
	res, err := f.Wait(ctxT(t))
	if err != nil || res.Nonce != "rtn_real" {
		t.Fatalf("Wait = %v, %v", res, err)
	}
	if out := logs.String(); strings.Contains(out, probeNonce) || strings.Contains(out, secret) || strings.Contains(out, "rtn_real") {
		t.Fatalf("logs leak request data: %s", out)
	}
	if !strings.Contains(logs.String(), `"reason":"host"`) || !strings.Contains(logs.String(), `"reason":"path"`) {
		t.Fatalf("rejections should be logged with their reason: %s", logs.String())
	}
}

// A callback replayed, or a second one sent, after the first was accepted: on a
// connection opened before the first callback, net/http drops requests read during the
// shutdown (and the handler answers 404 to any that slip in first, see
// TestHandlerSecondCallbackIsRejected); once the listener has closed the port refuses
// connections. Either way the first result stands and nothing is leaked.
func TestReplayAndSecondCallbackAfterSuccess(t *testing.T) {
	f, err := loopback.Start(ctxT(t), loopback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hostport, path := splitRedirect(t, f.RedirectURL())

	early := make([]net.Conn, 2)
	for i := range early {
		c, err := net.Dial("tcp", hostport)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		early[i] = c
	}

	first := path + "?rotating_token_nonce=rtn_first"
	if code, _ := rawGET(t, hostport, first, hostport); code != 200 {
		t.Fatalf("first callback got %d", code)
	}
	waitFor(t, f.Ended)
	for i, target := range []string{first, path + "?rotating_token_nonce=rtn_second"} {
		resp := sendOn(t, early[i], "GET "+target+" HTTP/1.1\r\nHost: "+hostport+"\r\nConnection: close\r\n\r\n")
		if resp != "" && !strings.HasPrefix(resp, "HTTP/1.1 404 ") {
			t.Fatalf("late callback %d got %q, want no answer or 404", i, resp)
		}
		if strings.Contains(resp, "rtn_") {
			t.Fatal("late answer reflects the nonce")
		}
	}
	res, err := f.Wait(ctxT(t))
	if err != nil || res.Nonce != "rtn_first" {
		t.Fatalf("Wait = %v, %v; the first callback must stand", res, err)
	}
	// Replaying the callback now: nothing listens.
	assertRefused(t, hostport)
}

// sendOn writes raw on c and returns everything read until the server closes it.
func sendOn(t *testing.T, c net.Conn, raw string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		return "" // already closed by the server: nothing answered
	}
	buf := make([]byte, 4096)
	n, _ := readAll(c, buf)
	return string(buf[:n])
}

func readAll(c net.Conn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestFixedPort(t *testing.T) {
	t.Run("taken", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		_, err = loopback.Start(ctxT(t), loopback.Options{Port: port})
		if !errors.Is(err, loopback.ErrPortInUse) {
			t.Fatalf("Start = %v, want ErrPortInUse", err)
		}
		if !strings.Contains(err.Error(), strconv.Itoa(port)) || loopback.UserMessage(err) == "" {
			t.Fatalf("error %q should name the port and have a user message", err)
		}
	})
	t.Run("taken on all interfaces", func(t *testing.T) {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, err = loopback.Start(ctxT(t), loopback.Options{Port: l.Addr().(*net.TCPAddr).Port})
		if !errors.Is(err, loopback.ErrPortInUse) {
			t.Fatalf("Start = %v, want ErrPortInUse", err)
		}
	})
	t.Run("free", func(t *testing.T) {
		port := freePort(t)
		f, err := loopback.Start(ctxT(t), loopback.Options{Port: port})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Cancel()
		if m := redirectRE.FindStringSubmatch(f.RedirectURL()); m == nil || m[1] != strconv.Itoa(port) {
			t.Fatalf("redirect URL does not use port %d", port)
		}
		// The same fixed port for a second flow while the first runs.
		if _, err := loopback.Start(ctxT(t), loopback.Options{Port: port}); !errors.Is(err, loopback.ErrPortInUse) {
			t.Fatalf("second Start = %v, want ErrPortInUse", err)
		}
	})
	t.Run("taken on [::1] only", func(t *testing.T) {
		if !hasIPv6Loopback() {
			t.Log("no IPv6 loopback here: the [::1]-only case cannot arise")
			return
		}
		l6, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l6.Close()
		port := l6.Addr().(*net.TCPAddr).Port
		f, err := loopback.Start(ctxT(t), loopback.Options{Port: port})
		if err != nil {
			t.Fatalf("Start = %v; 127.0.0.1 is free, so the flow should run", err)
		}
		defer f.Cancel()
		if a := f.Addrs(); len(a) != 1 || a[0].Addr() != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("addrs = %v", a)
		}
	})
	t.Run("out of range", func(t *testing.T) {
		if _, err := loopback.Start(ctxT(t), loopback.Options{Port: 70000}); err == nil {
			t.Fatal("port 70000 accepted")
		}
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestTimeout(t *testing.T) {
	var done doneRecord
	const timeout = 150 * time.Millisecond
	before := time.Now()
	f, err := loopback.Start(ctxT(t), loopback.Options{Timeout: timeout, OnDone: done.hook})
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Deadline(); d.Before(before.Add(timeout)) || d.After(time.Now().Add(timeout)) {
		t.Fatalf("deadline %v not ~%v from start", d, timeout)
	}
	hostport, _ := splitRedirect(t, f.RedirectURL())
	_, err = f.Wait(ctxT(t))
	if !errors.Is(err, loopback.ErrTimeout) {
		t.Fatalf("Wait = %v, want ErrTimeout", err)
	}
	if calls, _, derr := done.get(); calls != 1 || !errors.Is(derr, loopback.ErrTimeout) {
		t.Fatalf("OnDone calls=%d err=%v", calls, derr)
	}
	assertRefused(t, hostport)
	if !strings.Contains(loopback.UserMessage(err), "in time") {
		t.Fatalf("UserMessage(timeout) = %q", loopback.UserMessage(err))
	}
}

func TestCancel(t *testing.T) {
	t.Run("Cancel", func(t *testing.T) {
		f, err := loopback.Start(ctxT(t), loopback.Options{})
		if err != nil {
			t.Fatal(err)
		}
		hostport, _ := splitRedirect(t, f.RedirectURL())
		f.Cancel()
		f.Cancel() // idempotent
		if _, err := f.Wait(ctxT(t)); !errors.Is(err, loopback.ErrCanceled) {
			t.Fatalf("Wait = %v, want ErrCanceled", err)
		}
		assertRefused(t, hostport)
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		f, err := loopback.Start(ctx, loopback.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		_, err = f.Wait(ctxT(t))
		if !errors.Is(err, loopback.ErrCanceled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want ErrCanceled wrapping context.Canceled", err)
		}
	})
	t.Run("already canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := loopback.Start(ctx, loopback.Options{}); !errors.Is(err, loopback.ErrCanceled) {
			t.Fatalf("Start = %v", err)
		}
	})
	t.Run("Wait context only stops waiting", func(t *testing.T) {
		f, err := loopback.Start(ctxT(t), loopback.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := f.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v", err)
		}
		if f.Ended() {
			t.Fatal("the caller's wait context ended the flow")
		}
		hostport, path := splitRedirect(t, f.RedirectURL())
		if code, _ := rawGET(t, hostport, path+"?rotating_token_nonce=n", hostport); code != 200 {
			t.Fatalf("callback after an abandoned Wait got %d", code)
		}
	})
	t.Run("Manager Cancel button", func(t *testing.T) {
		var done doneRecord
		m := loopback.NewManager(loopback.ManagerConfig{
			Options: loopback.Options{OnDone: done.hook},
			Opener:  loopback.OpenerFunc(func(string) error { return nil }), // browser opens, person never finishes
		})
		defer m.Close()
		if err := m.Cancel(); !errors.Is(err, loopback.ErrNoFlow) {
			t.Fatalf("Cancel with no flow = %v", err)
		}
		redirect, err := m.Begin()
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { _, err := m.Open(context.Background(), "https://clerk.example.com/x"); errc <- err }()
		waitFor(t, func() bool { return m.Status().Opened })
		if err := m.Cancel(); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; !errors.Is(err, loopback.ErrCanceled) {
			t.Fatalf("Open = %v, want ErrCanceled", err)
		}
		if calls, _, derr := done.get(); calls != 1 || !errors.Is(derr, loopback.ErrCanceled) {
			t.Fatalf("OnDone calls=%d err=%v", calls, derr)
		}
		hostport, _ := splitRedirect(t, redirect)
		assertRefused(t, hostport)
		if _, err := m.Begin(); err != nil {
			t.Fatalf("Begin after cancel = %v", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
	}
}

func TestManagerOneFlowAtATime(t *testing.T) {
	var opened atomic.Int32
	m := loopback.NewManager(loopback.ManagerConfig{
		Opener: loopback.OpenerFunc(func(string) error { opened.Add(1); return nil }),
	})
	defer m.Close()

	// Two sign-ins started at once (double click, two windows): one listener, one URL.
	const n = 8
	urls := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := m.Begin()
			if err != nil {
				t.Error(err)
			}
			urls[i] = u
		}()
	}
	wg.Wait()
	for _, u := range urls {
		if u != urls[0] {
			t.Fatalf("concurrent Begin gave different flows: %q vs %q", u, urls[0])
		}
	}

	errc := make(chan error, 2)
	for range 2 {
		go func() { _, err := m.Open(context.Background(), "https://clerk.example.com/a"); errc <- err }()
	}
	// Exactly one Open wins; the other is refused at once.
	if err := <-errc; !errors.Is(err, loopback.ErrBusy) {
		t.Fatalf("second Open = %v, want ErrBusy", err)
	}
	waitFor(t, func() bool { return opened.Load() == 1 })
	// With the browser out on Clerk's page, a new sign-in is refused.
	if _, err := m.Begin(); !errors.Is(err, loopback.ErrBusy) {
		t.Fatalf("Begin while the browser is out = %v, want ErrBusy", err)
	}
	if loopback.UserMessage(loopback.ErrBusy) == "" {
		t.Fatal("no user message for ErrBusy")
	}
	// The person completes the flow.
	hostport, path := splitRedirect(t, urls[0])
	if code, _ := rawGET(t, hostport, path+"?rotating_token_nonce=rtn_ok", hostport); code != 200 {
		t.Fatalf("callback got %d", code)
	}
	if err := <-errc; err != nil {
		t.Fatalf("winning Open = %v", err)
	}
	if opened.Load() != 1 {
		t.Fatalf("browser opened %d times", opened.Load())
	}
}

func TestManagerBeginReusesUnopenedFlow(t *testing.T) {
	m := loopback.NewManager(loopback.ManagerConfig{Options: loopback.Options{Timeout: time.Hour}})
	defer m.Close()
	u1, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	d1 := m.Status().Deadline
	// Until the clock moves on, a restarted deadline would equal d1.
	waitFor(t, func() bool { return time.Now().Add(time.Hour).After(d1) })
	u2, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if u1 != u2 {
		t.Fatal("an unopened flow should be reused")
	}
	if d2 := m.Status().Deadline; !d2.After(d1) {
		t.Fatalf("deadline not restarted: %v then %v", d1, d2)
	}
}

// The browser cannot be opened: the app is told (to show the URL with a Copy button),
// and the flow completes when the person opens the URL by hand.
func TestManagerOpenFailureKeepsWaiting(t *testing.T) {
	clerk := newFakeClerk(t)
	type failure struct {
		url string
		err error
	}
	failed := make(chan failure, 1)
	launchErr := errors.New("xdg-open: no method available")
	m := loopback.NewManager(loopback.ManagerConfig{
		Opener:       browseropen.System{AllowHTTPLoopback: true, Launch: func(string) error { return launchErr }},
		OnOpenFailed: func(u string, err error) { failed <- failure{u, err} },
	})
	defer m.Close()
	redirect, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	authURL := clerk.authorizeURL(redirect, "")
	type outcome struct {
		res loopback.Result
		err error
	}
	out := make(chan outcome, 1)
	go func() { r, err := m.Open(context.Background(), authURL); out <- outcome{r, err} }()

	var fl failure
	select {
	case fl = <-failed:
	case <-time.After(5 * time.Second):
		t.Fatal("OnOpenFailed not called")
	}
	if fl.url != authURL || !errors.Is(fl.err, launchErr) {
		t.Fatalf("OnOpenFailed(%q, %v)", fl.url, fl.err)
	}
	st := m.Status()
	if !st.Active || !st.Opened || !st.OpenFailed || st.ManualURL != authURL || st.OpenError == "" {
		t.Fatalf("status = %+v", st)
	}
	if strings.Contains(st.OpenError, "xdg-open") {
		t.Fatal("OpenError should be readable, not the raw launcher error")
	}

	// The person copies the URL into their browser.
	hand := newScriptedBrowser()
	if err := hand.Launch(st.ManualURL); err != nil {
		t.Fatal(err)
	}
	if p := hand.next(t); p.status != 200 {
		t.Fatalf("manual open ended on %d", p.status)
	}
	o := <-out
	if o.err != nil || o.res.Nonce == "" || o.res.Nonce != clerk.issued()[0] {
		t.Fatalf("Open = %v, %v", o.res, o.err)
	}
}

func TestManagerRefusesUnsafeURL(t *testing.T) {
	var launched atomic.Bool
	m := loopback.NewManager(loopback.ManagerConfig{
		Opener:       browseropen.System{Launch: func(string) error { launched.Store(true); return nil }},
		OnOpenFailed: func(string, error) { t.Error("unsafe URL must not be offered for copying") },
	})
	defer m.Close()
	for _, bad := range []string{"javascript:alert(1)", "file:///etc/passwd", "http://127.0.0.1:1/x"} {
		if _, err := m.Begin(); err != nil {
			t.Fatal(err)
		}
		_, err := m.Open(ctxT(t), bad)
		if !errors.Is(err, browseropen.ErrUnsafeURL) {
			t.Fatalf("Open(%q) = %v, want ErrUnsafeURL", bad, err)
		}
		if st := m.Status(); st.Active {
			t.Fatalf("flow still active after an unsafe URL: %+v", st)
		}
	}
	if launched.Load() {
		t.Fatal("an unsafe URL reached the launcher")
	}
}

func TestManagerWithoutFlow(t *testing.T) {
	m := loopback.NewManager(loopback.ManagerConfig{})
	if _, err := m.Open(ctxT(t), "https://clerk.example.com/"); !errors.Is(err, loopback.ErrNoFlow) {
		t.Fatalf("Open = %v", err)
	}
	if _, err := m.Wait(ctxT(t)); !errors.Is(err, loopback.ErrNoFlow) {
		t.Fatalf("Wait = %v", err)
	}
	if st := m.Status(); st != (loopback.Status{}) {
		t.Fatalf("Status = %+v", st)
	}
	u, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	hostport, _ := splitRedirect(t, u)
	assertRefused(t, hostport)
	if _, err := m.Begin(); err == nil {
		t.Fatal("Begin after Close succeeded")
	}
}

func TestResultRedactsSecrets(t *testing.T) {
	f, err := loopback.Start(ctxT(t), loopback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hostport, path := splitRedirect(t, f.RedirectURL())
	rawGET(t, hostport, path+"?rotating_token_nonce=rtn_TOPSECRET", hostport)
	res, err := f.Wait(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(res), fmt.Sprintf("%+v", res), fmt.Sprintf("%#v", res), fmt.Sprint(f)} {
		if strings.Contains(s, "rtn_TOPSECRET") || strings.Contains(s, path) {
			t.Fatalf("printed form leaks: %s", s)
		}
	}
}

// An unopened flow that timed out is not handed out again: Open reports the timeout and
// the next Begin gets a fresh listener.
func TestManagerAfterUnopenedTimeout(t *testing.T) {
	m := loopback.NewManager(loopback.ManagerConfig{
		Options: loopback.Options{Timeout: 50 * time.Millisecond},
		Opener:  loopback.OpenerFunc(func(string) error { t.Error("browser opened for a dead flow"); return nil }),
	})
	defer m.Close()
	u1, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !m.Status().Active }) // ClerkJS took too long to call open()
	if _, err := m.Open(ctxT(t), "https://clerk.example.com/x"); !errors.Is(err, loopback.ErrTimeout) && !errors.Is(err, loopback.ErrNoFlow) {
		t.Fatalf("Open on a timed-out flow = %v", err)
	}
	u2, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if u2 == u1 {
		t.Fatal("Begin handed out a timed-out flow's URL")
	}
	hostport, path := splitRedirect(t, u2)
	if code, _ := rawGET(t, hostport, path+"?rotating_token_nonce=", hostport); code != 400 {
		t.Fatalf("new flow not listening (got %d)", code)
	}
}
