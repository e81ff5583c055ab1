package loopback_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/browseropen"
	"deskclerk/auth/loopback"
)

// The real browser path on Linux: Manager → browseropen (validation) →
// github.com/pkg/browser → xdg-open → Debian chromium (headless). xdg-open is a stand-in
// script on PATH that starts chromium, so no desktop session is needed.

const chromiumPath = "/usr/bin/chromium"

var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run",
}

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("this test drives the real browser and needs %s (Debian package chromium): %v", chromiumPath, err)
	}
}

func TestSignInWithRealChromiumThroughPkgBrowser(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	dom := filepath.Join(dir, "dom.html")
	exited := filepath.Join(dir, "exited")
	script := "#!/bin/sh\n" + chromiumPath + " " + strings.Join(chromiumFlags, " ") +
		" --user-data-dir='" + filepath.Join(dir, "profile") + "' --dump-dom \"$1\" > '" + dom + "' 2> '" + filepath.Join(dir, "chromium.log") + "'\n" +
		"echo $? > '" + exited + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin:/bin")

	clerk := newFakeClerk(t)
	var done doneRecord
	m := loopback.NewManager(loopback.ManagerConfig{
		Options: loopback.Options{OnDone: done.hook, Timeout: time.Minute},
		Opener:  browseropen.System{AllowHTTPLoopback: true}, // the real launcher
		OnOpenFailed: func(_ string, err error) {
			t.Errorf("browser did not open: %v", err)
		},
	})
	defer m.Close()
	redirect, err := m.Begin()
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Open(ctxT(t), clerk.authorizeURL(redirect, ""))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := clerk.issued(); len(got) != 1 || res.Nonce != got[0] {
		t.Fatalf("nonce %q, Clerk issued %q", res.Nonce, got)
	}
	if calls, _, _ := done.get(); calls != 1 {
		t.Fatalf("OnDone calls = %d", calls)
	}

	// chromium printed the page it landed on, and exited.
	var rc []byte
	waitForLong(t, func() bool {
		rc, _ = os.ReadFile(exited)
		return strings.HasSuffix(string(rc), "\n")
	})
	if string(rc) != "0\n" {
		t.Fatalf("chromium exit status %q", rc)
	}
	page, err := os.ReadFile(dom)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.Contains(s, "Return to Desk Clerk") || strings.Contains(s, res.Nonce) {
		t.Fatalf("landing page as chromium saw it: %s", s)
	}
}

// DNS rebinding, for real: chromium resolves evil.example to 127.0.0.1 and loads the
// callback URL under that name, so it sends Host: evil.example:<port>. The listener must
// refuse it and keep waiting.
func TestRealChromiumRebindingIsRefused(t *testing.T) {
	needChromium(t)
	f, err := loopback.Start(ctxT(t), loopback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Cancel()
	hostport, path := splitRedirect(t, f.RedirectURL())
	port := hostport[strings.LastIndex(hostport, ":")+1:]

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append(append([]string{}, chromiumFlags...),
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"),
		"--host-resolver-rules=MAP evil.example 127.0.0.1",
		"--dump-dom", "http://evil.example:"+port+path+"?rotating_token_nonce=rtn_rebound")
	out, err := exec.CommandContext(ctx, chromiumPath, args...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !strings.Contains(string(out), "Bad request.") || strings.Contains(string(out), "rtn_rebound") {
		t.Fatalf("rebound page: %s", out)
	}
	if f.Ended() {
		t.Fatal("a rebound request ended the flow")
	}
}

func waitForLong(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
