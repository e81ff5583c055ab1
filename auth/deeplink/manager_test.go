package deeplink

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"deskclerk/auth/browseropen"
	"deskclerk/auth/loopback"
)

// browser is a scripted system browser: it records the URL it was asked to open and
// runs script, standing in for Clerk redirecting to the scheme URL.
type browser struct {
	mu     sync.Mutex
	opened []string
	script func(authURL string)
	err    error
}

func (b *browser) Open(u string) error {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	b.mu.Unlock()
	if b.script != nil {
		go b.script(u)
	}
	return b.err
}

func newTest(t *testing.T, b *browser) (*Manager, *bytes.Buffer, *int) {
	t.Helper()
	var logs bytes.Buffer
	done := 0
	m, err := NewManager(Config{
		Scheme: "deskclerk", Opener: b, Timeout: 5 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnDone: func(loopback.Result, error) { done++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, &logs, &done
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func stateOf(t *testing.T, redirect string) string {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(StateParam)
}

// The whole flow: a forged launch while the flow waits changes nothing, the real
// callback completes it once, and a replay afterwards is ignored.
func TestFlowForgedRealReplay(t *testing.T) {
	var m *Manager
	b := &browser{}
	taken := make(chan [2]bool, 1)
	m, logs, done := newTest(t, b)
	redirect, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(redirect, "deskclerk://oauth-callback?deskclerk_state=") || len(stateOf(t, redirect)) != 43 {
		t.Fatalf("redirect URL %q", redirect)
	}
	realURL := redirect + "&rotating_token_nonce=rtn_REAL"
	b.script = func(string) {
		forged := m.Deliver([]string{"deskclerk://oauth-callback?deskclerk_state=forged&rotating_token_nonce=rtn_FORGED"})
		taken <- [2]bool{forged, m.Deliver([]string{realURL})}
	}
	res, err := m.Open(ctxT(t), "https://clerk.example.com/oauth")
	if err != nil {
		t.Fatal(err)
	}
	if got := <-taken; got[0] || !got[1] {
		t.Fatalf("forged taken %v, real taken %v", got[0], got[1])
	}
	if res.Nonce != "rtn_REAL" || res.CallbackURL != realURL || res.Failed {
		t.Fatalf("result %#v", res)
	}
	if m.Deliver([]string{realURL}) {
		t.Fatal("replay accepted")
	}
	if *done != 1 {
		t.Fatalf("OnDone ran %d times", *done)
	}
	if st := m.Status(); st.Active {
		t.Fatal("flow still active")
	}
	out := logs.String()
	for _, secret := range []string{"rtn_FORGED", "rtn_REAL", stateOf(t, redirect), "forged"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log leaks %q: %s", secret, out)
		}
	}
	for _, want := range []string{`"reason":"state"`, `"reason":"no_flow_waiting"`, "callback accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}

func TestDeliverIgnores(t *testing.T) {
	m, _, done := newTest(t, &browser{})
	if m.Deliver([]string{"deskclerk://oauth-callback?deskclerk_state=x"}) {
		t.Fatal("accepted with no flow waiting")
	}
	redirect, _ := m.Begin()
	for _, args := range [][]string{
		nil,
		{},
		{redirect, redirect},    // more than one argument
		{"--verbose", redirect}, // flags in front
		{strings.Replace(redirect, "deskclerk:", "other:", 1)},
		{redirect + "#frag"},
	} {
		if m.Deliver(args) {
			t.Fatalf("accepted %q", args)
		}
	}
	if !m.Status().Active || *done != 0 {
		t.Fatal("a refused launch ended the flow")
	}
	// An error callback ends the flow at once with Clerk's code.
	if !m.Deliver([]string{redirect + "&__clerk_status=failed&__clerk_error_code=oauth_access_denied"}) {
		t.Fatal("error callback refused")
	}
	res, err := m.Open(ctxT(t), "https://clerk.example.com/x") // the flow already ended: its outcome
	if err != nil {
		t.Fatal(err)
	}
	var pe *loopback.ProviderError
	if !errors.As(res.Err(), &pe) || pe.Code != "oauth_access_denied" {
		t.Fatalf("result %#v", res)
	}
	// A new flow has a new state: the old flow's URL no longer matches.
	r2, _ := m.Begin()
	if r2 == redirect {
		t.Fatal("state reused")
	}
	if m.Deliver([]string{redirect + "&rotating_token_nonce=n"}) {
		t.Fatal("a finished flow's callback completed the new flow")
	}
}

func TestBeginReusesUnopenedAndRefusesBusy(t *testing.T) {
	m, _, _ := newTest(t, &browser{})
	r1, _ := m.Begin()
	r2, _ := m.Begin()
	if r1 != r2 {
		t.Fatal("an unopened flow was not reused")
	}
	go func() { _, _ = m.Open(context.Background(), "https://clerk.example.com/x") }()
	deadline := time.Now().Add(5 * time.Second)
	for !m.Status().Opened && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := m.Begin(); !errors.Is(err, loopback.ErrBusy) {
		t.Fatalf("Begin while the browser is out = %v", err)
	}
	if err := m.Cancel(); err != nil {
		t.Fatal(err)
	}
	if err := m.Cancel(); !errors.Is(err, loopback.ErrNoFlow) {
		t.Fatalf("second Cancel = %v", err)
	}
}

func TestTimeoutAndUnsafeURL(t *testing.T) {
	m, err := NewManager(Config{Scheme: "deskclerk", Timeout: 50 * time.Millisecond, Opener: &browser{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r, _ := m.Begin()
	if _, err := m.Open(ctxT(t), "https://clerk.example.com/x"); !errors.Is(err, loopback.ErrTimeout) {
		t.Fatalf("Open = %v, want timeout", err)
	}
	if m.Deliver([]string{r}) {
		t.Fatal("accepted after the timeout")
	}
	// The real opener refuses non-https URLs: the flow ends with that error.
	m2, _ := NewManager(Config{Scheme: "deskclerk", Opener: browseropen.System{Launch: func(string) error { return nil }}})
	defer m2.Close()
	_, _ = m2.Begin()
	if _, err := m2.Open(ctxT(t), "javascript:alert(1)"); !errors.Is(err, browseropen.ErrUnsafeURL) {
		t.Fatalf("Open(javascript:) = %v", err)
	}
}

func TestOpenFailedKeepsWaiting(t *testing.T) {
	failed := make(chan string, 1)
	m, _ := NewManager(Config{Scheme: "deskclerk", Opener: &browser{err: errors.New("no browser")},
		OnOpenFailed: func(u string, _ error) { failed <- u }})
	defer m.Close()
	r, _ := m.Begin()
	go func() {
		u := <-failed
		if st := m.Status(); !st.OpenFailed || st.ManualURL != u {
			t.Errorf("status %+v", st)
		}
		m.Deliver([]string{r + "&rotating_token_nonce=n"})
	}()
	res, err := m.Open(ctxT(t), "https://clerk.example.com/x")
	if err != nil || res.Nonce != "n" {
		t.Fatalf("Open = %#v, %v", res, err)
	}
}

func TestNewManagerRefusesBadScheme(t *testing.T) {
	for _, s := range []string{"", "https", "Bad", "a b"} {
		if _, err := NewManager(Config{Scheme: s}); err == nil {
			t.Errorf("scheme %q accepted", s)
		}
	}
	if _, err := NewManager(Config{Scheme: "deskclerk", Host: "a/b"}); err == nil {
		t.Error("host a/b accepted")
	}
}
