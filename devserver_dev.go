//go:build dev

// The dev-tagged build also serves the page and its bindings over HTTP on
// loopback (Wails' dev server, for a browser or Playwright). Two things make that
// server safer: the page's gateway key travels in the page's address, which only
// whoever started the app sees (the server never puts it in a page); and the
// bindings' websocket refuses pages of other origins.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	_ "unsafe" // go:linkname

	"github.com/gorilla/websocket"
)

// devKeyParam names the gateway key in the dev server page's URL query
// (frontend/src/session.js reads it).
const devKeyParam = "gateway-key"

// devServer: this build has Wails' dev server (see page.Options.GiveKey in main.go).
const devServer = true

// wailsDevUpgrader is Wails' own websocket upgrader for /wails/ipc, which accepts
// every Origin (wails v2.13.0, internal/frontend/devserver/devserver.go: CheckOrigin
// returns true), so any web page the developer visits could call the bindings.
// Wails offers no option for it and serves /wails/ipc outside the asset server's
// middleware, so the check is set on the upgrader itself. e2e/browser checks that
// a foreign origin is refused, which also catches a Wails upgrade that renames it.
//
//go:linkname wailsDevUpgrader github.com/wailsapp/wails/v2/internal/frontend/devserver.upgrader
var wailsDevUpgrader websocket.Upgrader

func init() { wailsDevUpgrader.CheckOrigin = sameOriginWebsocket }

// sameOriginWebsocket accepts a websocket from the page's own origin on loopback.
// Browsers always send Origin; a request without one comes from a local program,
// which this check cannot stop (see README, Known limits).
func sameOriginWebsocket(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "http" || u.Host != r.Host {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
		return true
	}
	return false
}

// announceDevPage prints the dev server's page address with this launch's gateway
// key in its query (not the fragment: Clerk's UI routes by the fragment): only
// that address can use the sign-in. To stdout, not the
// log, so the key never lands in a file.
func announceDevPage(w io.Writer, key string) {
	addr := os.Getenv("devserver") // how Wails' own dev flags can also be given
	for i, arg := range os.Args[1:] {
		switch {
		case (arg == "-devserver" || arg == "--devserver") && i+2 < len(os.Args):
			addr = os.Args[i+2]
		case strings.HasPrefix(arg, "-devserver="), strings.HasPrefix(arg, "--devserver="):
			_, addr, _ = strings.Cut(arg, "=")
		}
	}
	if addr != "" {
		fmt.Fprintf(w, "Desk Clerk dev page: http://%s/?%s=%s\n", addr, devKeyParam, key)
	}
}
