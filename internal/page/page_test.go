package page

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

var cspContent = regexp.MustCompile(`(?i)http-equiv="Content-Security-Policy" content="([^"]*)"`)

// policies returns the CSPs of a served page.
func policies(t *testing.T, doc string) []string {
	t.Helper()
	var out []string
	for _, m := range cspContent.FindAllStringSubmatch(doc, -1) {
		out = append(out, strings.ReplaceAll(m[1], "&#39;", "'"))
	}
	return out
}

func serve(t *testing.T, o Options, target, remote string) *httptest.ResponseRecorder {
	t.Helper()
	index, err := os.ReadFile("../../frontend/index.html") // the page the build embeds
	if err != nil {
		t.Fatal(err)
	}
	h := Middleware(o)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(index)
			return
		}
		_, _ = io.WriteString(w, "asset "+r.URL.Path)
	}))
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The release page allows neither ws: nor plain http to loopback (dev-only needs);
// the development page keeps them. Exactly one policy is in force either way.
func TestCSPPerBuild(t *testing.T) {
	for _, tt := range []struct {
		name, csp string
		devOnly   bool
	}{{"release", CSPRelease, false}, {"development", CSPDevelopment, true}} {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []string{"/", "/index.html"} {
				w := serve(t, Options{CSP: tt.csp}, target, "192.0.2.1:1234")
				got := policies(t, w.Body.String())
				if len(got) != 1 || got[0] != tt.csp {
					t.Fatalf("%s: policies %q, want exactly %q", target, got, tt.csp)
				}
				hasDev := strings.Contains(got[0], "ws:") || strings.Contains(got[0], "http://127.0.0.1")
				if hasDev != tt.devOnly {
					t.Fatalf("%s: policy %q: dev-only sources present = %v", target, got[0], hasDev)
				}
				if !strings.Contains(w.Body.String(), `src="./src/main.js"`) {
					t.Fatal("the rest of the page was lost")
				}
			}
		})
	}
}

func TestKeyOnlyForApprovedRequests(t *testing.T) {
	o := Options{CSP: CSPRelease, Key: "k3y-value", GiveKey: func(r *http.Request) bool { return r.RemoteAddr == "192.0.2.1:1234" }}
	w := serve(t, o, "/", "192.0.2.1:1234")
	if !strings.Contains(w.Body.String(), `<meta name="`+KeyMeta+`" content="k3y-value"/>`) {
		t.Fatalf("the window's page lacks the key: %s", w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	if w := serve(t, o, "/index.html", "127.0.0.1:50000"); strings.Contains(w.Body.String(), "k3y-value") {
		t.Fatal("a request over the network got the key")
	}
	if w := serve(t, o, "/assets/x.js", "192.0.2.1:1234"); w.Body.String() != "asset /assets/x.js" {
		t.Fatalf("other paths changed: %q", w.Body)
	}
}

// The boot data reaches only the window's page, escaped so that no value can end
// the attribute or add markup, and reads back exactly.
func TestBootOnlyForApprovedRequestsAndEscaped(t *testing.T) {
	const boot = `{"snapshot":{"name":"Ada \"><script>alert(1)</script> & 'co'"}}`
	o := Options{CSP: CSPRelease, Key: "k3y", GiveKey: func(r *http.Request) bool { return r.RemoteAddr == "192.0.2.1:1234" },
		Boot: func() string { return boot }}
	doc := serve(t, o, "/", "192.0.2.1:1234").Body.String()
	if strings.Contains(doc, "<script>alert") {
		t.Fatalf("boot data not escaped: %s", doc)
	}
	m := regexp.MustCompile(`<meta name="` + BootMeta + `" content="([^"]*)"/>`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("the window's page lacks the boot data: %s", doc)
	}
	if got := html.UnescapeString(m[1]); got != boot {
		t.Fatalf("boot data read back as %q, want %q", got, boot)
	}
	if doc := serve(t, o, "/", "127.0.0.1:50000").Body.String(); strings.Contains(doc, BootMeta) || strings.Contains(doc, "Ada") {
		t.Fatal("a request over the network got the boot data")
	}
	o.Boot = func() string { return "" }
	if doc := serve(t, o, "/", "192.0.2.1:1234").Body.String(); strings.Contains(doc, BootMeta) {
		t.Fatal("empty boot data wrote a meta element")
	}
}
