package doctor

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/keychain"
)

// failingBackend is a keychain that refuses everything, as with no Secret Service.
type failingBackend struct{}

var errNoService = errors.New("the name org.freedesktop.secrets was not provided by any .service files")

func (failingBackend) Name() string                       { return "Secret Service" }
func (failingBackend) Get(string, string) (string, error) { return "", errNoService }
func (failingBackend) Set(string, string, string) error   { return errNoService }
func (failingBackend) Delete(string, string) error        { return errNoService }

func TestOfflineRun(t *testing.T) {
	env := Env{
		Keychain:        failingBackend{},
		InstanceProblem: "no instance in this test",
		Getenv: func(k string) string {
			return map[string]string{"HTTPS_PROXY": "http://user:hunter2@proxy.example:3128", "NO_PROXY": "localhost"}[k]
		},
	}
	env.FrontendAPIURL = "https://clerk.example.com"
	rep := Run(context.Background(), env)
	if rep.OK || rep.ExitCode() != 1 {
		t.Fatalf("a failed keychain must fail the report: %+v", rep)
	}
	byID := map[string]Check{}
	for _, c := range rep.Checks {
		byID[c.ID] = c
	}
	if c := byID["keychain"]; c.Status != StatusFail || c.Fix == "" {
		t.Errorf("keychain: %+v", c)
	}
	if c := byID["instance"]; c.Status != StatusWarn {
		t.Errorf("instance: %+v", c)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	if strings.Contains(out, "hunter2") {
		t.Error("the proxy password was printed")
	}
	for _, want := range []string{"✗ Keychain", "→ On Linux", "Frontend API via http://***@proxy.example:3128", "NO_PROXY"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

var _ keychain.Backend = failingBackend{}

func TestUntilText(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "already expired"},
		{59 * time.Minute, "in 59 min"},
		{47 * time.Hour, "in 47 h"},
		{7 * 24 * time.Hour, "in 7 days"},
		{7*24*time.Hour - time.Minute, "in 7 days"},
	} {
		if got := untilText(tc.d); got != tc.want {
			t.Errorf("untilText(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// With the URL-scheme transport, the check asks the OS which program opens the
// scheme: none registered fails (the browser's redirect could not come back).
func TestSchemeRouting(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler func(string) (string, error)
		want    Status
	}{
		{"registered", func(s string) (string, error) { return s + ".desktop", nil }, StatusOK},
		{"none registered", func(string) (string, error) { return "", nil }, StatusFail},
		{"cannot ask", func(string) (string, error) { return "", errors.New("xdg-mime: not found") }, StatusWarn},
		{"not known on this OS", nil, StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{env: Env{Redirect: "scheme", URLScheme: "deskclerk", SchemeHandler: tt.handler}}
			c := r.social()
			if c.Status != tt.want {
				t.Errorf("status %s (%s), want %s", c.Status, c.Summary, tt.want)
			}
			if !strings.Contains(c.Details[0].Value, "deskclerk://oauth-callback") {
				t.Errorf("details %+v", c.Details)
			}
		})
	}
}
