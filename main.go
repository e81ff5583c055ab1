// Desk Clerk: a desktop app that signs a person in with Clerk, keeps them signed
// in across restarts, and calls a protected API with a token Go has verified.
// This file only wires things together; the logic lives under auth/.
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"deskclerk/auth/keychain"
	"deskclerk/auth/service"
	"deskclerk/internal/config"
	"deskclerk/internal/gzassets"
	"deskclerk/internal/logging"
	"deskclerk/internal/page"
	"deskclerk/internal/paths"
)

// The frontend as built, its assets gzipped (frontend/vite.config.js); served as
// the plain files by gzassets. -assetdir (dev builds) serves a plain folder instead.
//
//go:embed all:frontend/dist-gz
var embedded embed.FS

// assets is the page and its assets as the webview gets them.
var assets = func() fs.FS {
	sub, err := fs.Sub(embedded, "frontend/dist-gz")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return gzassets.New(sub)
}()

//go:embed build/linux/icon-256.png
var icon []byte

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println("Desk Clerk", config.Version())
		return
	}
	// Before the window and the single-instance lock: the doctor never hands over
	// to a running app, and never needs a display.
	if len(os.Args) >= 2 && os.Args[1] == "doctor" {
		os.Exit(runDoctor(os.Args[2:], os.Stdout, os.Stderr))
	}
	cfg, cfgErr := config.Load(os.Getenv, dotenvPath())
	if errors.Is(cfgErr, config.ErrNoKeyInRelease) {
		fmt.Fprintln(os.Stderr, "Desk Clerk:", cfgErr)
		os.Exit(2)
	}
	log := logging.New(logging.AlsoToFile(os.Stderr, paths.LogDir), cfg.LogLevel)
	// A new gateway key at each launch; only the app's own page gets it.
	cfg.GatewayKey = rand.Text()
	announceDevPage(os.Stdout, cfg.GatewayKey)
	app := NewApp(cfg, cfgErr, log)
	if cfgErr == nil {
		// The keychain is read now, while GTK and WebKit start, so the page's first
		// frame can be the signed-in screen (see App.boot). Reading is all this does.
		app.early = service.OpenEarly(context.Background(), cfg, localHost, log, keychain.SystemBackend())
	}
	// The rest of the auth stack starts in OnStartup, once Wails has set up the
	// window, so a second launch hands over without opening the emulator.
	app.start = func(ctx context.Context, hooks service.Hooks) (*service.Service, error) {
		return service.StartWith(ctx, app.early, cfg, log, keychain.SystemBackend(), startLocal, hooks)
	}
	webviewDir, _ := paths.WebviewDataDir() // "" keeps WebView2's default

	err := wails.Run(&options.App{
		Title:            "Desk Clerk",
		Width:            1040,
		Height:           760,
		MinWidth:         720,
		MinHeight:        560,
		BackgroundColour: &options.RGBA{R: 246, G: 247, B: 251, A: 255},
		// ClerkJS reaches the Frontend API through Go on the page's own origin.
		AssetServer: &assetserver.Options{Assets: assets, Middleware: func(next http.Handler) http.Handler {
			return app.gateway(pageMiddleware(cfg, app.boot)(next))
		}},
		Logger:     wailsLogger{log},
		OnStartup:  app.startup,
		OnShutdown: app.shutdown,
		Bind:       []any{app},
		// One app per user session: a second launch hands over to the running one
		// (over D-Bus on Linux) and exits; the running window comes to the front.
		// What the second process sends is untrusted: its working directory is never
		// used, and of its arguments only the callback of the social sign-in now
		// waiting is acted on (the OS starts the app with deskclerk://oauth-callback?…
		// on Windows and Linux); see App.launchArgs.
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: "d9bf243d-fb75-4c19-bed5-97df7ff9b262",
			OnSecondInstanceLaunch: func(second options.SecondInstanceData) {
				log.Info("second launch: bringing the window to the front", "args", len(second.Args))
				app.toFront()
				app.launchArgs(second.Args)
			},
		},
		// macOS delivers the URL scheme to the running app instead (Info.plist
		// CFBundleURLTypes, from wails.json info.protocols).
		Mac: &mac.Options{OnUrlOpen: func(u string) { app.launchArgs([]string{u}) }},
		// Forms and text need no GPU compositing; without it WebKit starts faster and
		// uses less memory, and it works the same on machines without a GPU.
		Linux:   &linux.Options{Icon: icon, ProgramName: "deskclerk", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Windows: &windows.Options{WebviewUserDataPath: webviewDir},
	})
	if err != nil {
		log.Error("app stopped", "err", err)
		os.Exit(1)
	}
}

// pageMiddleware serves index.html with this build's Content-Security-Policy and,
// to the app's own window, this launch's gateway key. Wails hands the window's
// requests to the asset server with RemoteAddr 192.0.2.1:1234 (TEST-NET; wails
// v2.13.0 pkg/assetserver/assetserver_webview.go); the dev server's requests come
// over TCP from loopback and get no key (its page takes the key from the URL
// that announceDevPage prints).
//
// The window's page also gets boot: what its first frame needs (the app's mode and
// the session snapshot), so it paints without waiting for a binding call.
func pageMiddleware(cfg config.Config, boot func() string) func(http.Handler) http.Handler {
	csp := page.CSPDevelopment
	if cfg.Release() {
		csp = page.CSPRelease
	}
	return page.Middleware(page.Options{
		CSP: csp,
		Key: cfg.GatewayKey,
		GiveKey: func(r *http.Request) bool {
			return !devServer || r.RemoteAddr == "192.0.2.1:1234"
		},
		Boot: boot,
	})
}

// dotenvPath is the .env file to read: $DESKCLERK_DOTENV, else ./.env.
func dotenvPath() string {
	if p := os.Getenv(config.EnvDotenv); p != "" {
		return p
	}
	return ".env"
}
