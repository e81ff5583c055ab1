// Command fakebrowser stands in for the system browser in the end-to-end tests of
// social sign-in. Installed as "xdg-open" on PATH, it receives the URL that
// github.com/pkg/browser opens, loads the local emulator's consent page, submits
// it like a person would, and follows the redirects to the app's loopback listener —
// or, when Clerk redirects to the app's own URL scheme (deskclerk://…), hands that URL
// to the OS with xdg-open, as a browser does with a scheme it does not handle itself.
//
// FAKEBROWSER_CONFIG names a JSON file read at each run, so a test can change the
// person's choice between sign-ins: {"decision": "approve"|"deny", "identity":
// "<existing account's email>", "newEmail": "<new identity, takes precedence>",
// "noBrowser": true (fail like a machine without a browser), "ignore": true (open
// nothing, like a person who walks away), "delayMs": N (take N ms before answering),
// "forgeFirst": true (before the real scheme URL, launch one with a wrong state, as a
// hostile page or program could)}. FAKEBROWSER_LOG names
// a file the outcome is appended to.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"time"
)

var (
	formAction = regexp.MustCompile(`<form id="consent" method="post" action="([^"]*)"`)
	stateInput = regexp.MustCompile(`name="state" value="([^"]*)"`)
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakebrowser URL")
		os.Exit(2)
	}
	var cfg config
	if f := os.Getenv("FAKEBROWSER_CONFIG"); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			_ = json.Unmarshal(b, &cfg)
		}
	}
	if cfg.NoBrowser {
		logOutcome("no browser")
		os.Exit(3)
	}
	if cfg.Ignore {
		logOutcome("ignored")
		return
	}
	time.Sleep(time.Duration(cfg.DelayMs) * time.Millisecond)
	outcome, err := visit(os.Args[1], cfg)
	if err != nil {
		outcome = "error: " + err.Error()
	}
	logOutcome(outcome)
	if err != nil {
		os.Exit(1)
	}
}

type config struct {
	Decision  string `json:"decision"`
	Identity  string `json:"identity"`
	NewEmail  string `json:"newEmail"`
	NoBrowser bool   `json:"noBrowser"`
	Ignore    bool   `json:"ignore"`
	DelayMs   int    `json:"delayMs"`
	Forge     bool   `json:"forgeFirst"`
}

func logOutcome(outcome string) {
	if f := os.Getenv("FAKEBROWSER_LOG"); f != "" {
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			fmt.Fprintln(fh, outcome)
			fh.Close()
		}
	}
}

func visit(start string, cfg config) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return http.ErrUseLastResponse // the app's URL scheme: the OS's business
		}
		return nil
	}}
	resp, err := c.Get(start)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, s := formAction.FindSubmatch(page), stateInput.FindSubmatch(page)
	if m == nil || s == nil {
		return "", fmt.Errorf("no consent form at %s (status %d)", resp.Request.URL.Host, resp.StatusCode)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return "", err
	}
	form := url.Values{"state": {html.UnescapeString(string(s[1]))}, "decision": {"approve"}}
	if cfg.Decision != "" {
		form.Set("decision", cfg.Decision)
	}
	if cfg.Identity != "" {
		form.Set("identity", cfg.Identity)
	}
	if cfg.NewEmail != "" {
		form.Set("email", cfg.NewEmail)
		form.Set("first_name", "Test")
		form.Set("last_name", "Person")
	}
	resp, err = c.PostForm(action.String(), form)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if loc, err := resp.Location(); err == nil && loc.Scheme != "http" && loc.Scheme != "https" {
		return handOver(loc, cfg, form.Get("decision"))
	}
	final := resp.Request.URL
	if final.Hostname() != "127.0.0.1" && final.Hostname() != "::1" {
		return "", errors.New("the redirects did not end on the loopback listener")
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("loopback listener answered %d", resp.StatusCode)
	}
	return form.Get("decision") + " ok", nil
}

// handOver gives a custom-scheme redirect to the OS (xdg-open → the registered .desktop
// entry → a second launch of the app), first a forged one if asked.
func handOver(loc *url.URL, cfg config, decision string) (string, error) {
	if cfg.Forge {
		forged := *loc
		q := forged.Query()
		q.Set("deskclerk_state", "forged-state-from-another-program")
		q.Set("rotating_token_nonce", "rtn_forged")
		forged.RawQuery = q.Encode()
		// The second instance hands over and exits non-zero; xdg-open reports that.
		_ = exec.Command("xdg-open", forged.String()).Run()
		logOutcome("forged launch done")
	}
	// The second instance hands over and exits non-zero, so only a missing xdg-open
	// is an error here; whether the app got the URL, the test sees in the window.
	if err := exec.Command("xdg-open", loc.String()).Run(); err != nil {
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) {
			return "", fmt.Errorf("xdg-open: %w", err)
		}
	}
	return decision + " ok (" + loc.Scheme + " scheme via xdg-open)", nil
}
