// Package page serves the app's index.html with what differs per build and per
// launch: the Content-Security-Policy of the build, and for the app's own window
// the gateway's per-launch key and the boot data its first frame is painted from.
// Everything else passes through untouched.
package page

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"strconv"
)

// Content-Security-Policies. Development builds also talk to the local emulator on
// loopback (avatars, consent page) and to the Wails dev server's websocket; a
// release build needs neither, so its page may not reach them.
const (
	CSPRelease     = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob: https://img.clerk.com; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self' wails:; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
	CSPDevelopment = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob: https://img.clerk.com http://127.0.0.1:*; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self' ws: wails: http://127.0.0.1:*; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
)

// KeyMeta is the name of the meta element that carries the gateway key.
const KeyMeta = "deskclerk-gateway-key"

// BootMeta is the name of the meta element that carries the boot data (JSON).
const BootMeta = "deskclerk-boot"

// Options configure Middleware.
type Options struct {
	CSP string // replaces the page's own policy; required
	// Key is the gateway's per-launch key, written into the page for requests
	// that GiveKey approves.
	Key     string
	GiveKey func(*http.Request) bool
	// Boot, if set, returns the boot data for a page that GiveKey approves: what
	// the page's first frame shows (display data only, never a token or key).
	// Written HTML-escaped into a meta element; "" writes none.
	Boot func() string
}

var (
	cspMeta = regexp.MustCompile(`(?is)<meta\s+http-equiv=["']?Content-Security-Policy["']?[^>]*>`)
	headTag = regexp.MustCompile(`(?i)<head[^>]*>`)
)

// Middleware rewrites index.html (requested as / or /index.html) as Options say.
func Middleware(o Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || (r.URL.Path != "/" && r.URL.Path != "/index.html") {
				next.ServeHTTP(w, r)
				return
			}
			buf := &buffered{header: http.Header{}}
			next.ServeHTTP(buf, r)
			if buf.code == 0 {
				buf.code = http.StatusOK
			}
			body := buf.body.Bytes()
			if buf.code == http.StatusOK {
				key, boot := "", ""
				if o.GiveKey != nil && o.GiveKey(r) {
					key = o.Key
					if o.Boot != nil {
						boot = o.Boot()
					}
				}
				body = Rewrite(body, o.CSP, key, boot)
				buf.header.Set("Cache-Control", "no-store")
				buf.header.Set("Content-Length", strconv.Itoa(len(body)))
			}
			for k, v := range buf.header {
				w.Header()[k] = v
			}
			w.WriteHeader(buf.code)
			_, _ = w.Write(body)
		})
	}
}

// buffered holds a response (index.html: a few KB) so it can be rewritten.
type buffered struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *buffered) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// Rewrite replaces the page's Content-Security-Policy meta element with csp (or
// adds one at the start of <head>) and, when key or boot is not empty, adds its
// meta element. A page without <head> gets them in front.
func Rewrite(doc []byte, csp, key, boot string) []byte {
	doc = cspMeta.ReplaceAll(doc, nil)
	var add bytes.Buffer
	add.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + html.EscapeString(csp) + `"/>`)
	if key != "" {
		add.WriteString(`<meta name="` + KeyMeta + `" content="` + html.EscapeString(key) + `"/>`)
	}
	if boot != "" {
		add.WriteString(`<meta name="` + BootMeta + `" content="` + html.EscapeString(boot) + `"/>`)
	}
	loc := headTag.FindIndex(doc)
	if loc == nil {
		return append(add.Bytes(), doc...)
	}
	out := make([]byte, 0, len(doc)+add.Len())
	out = append(out, doc[:loc[1]]...)
	out = append(out, add.Bytes()...)
	return append(out, doc[loc[1]:]...)
}
