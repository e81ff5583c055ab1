//go:build e2e

// Package desktop holds the end-to-end tests of the real Desk Clerk binary in a
// real window under Xvfb. Run through `make test` (it builds the binary and sets
// DESKCLERK_APP_BIN), or by hand:
//
//	DESKCLERK_APP_BIN=$PWD/build/bin/deskclerk go test -tags e2e ./e2e/desktop/
package desktop

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"deskclerk/e2e/xharness"
)

// appBin is the binary under test; the tests refuse to run without it rather than skip.
func appBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DESKCLERK_APP_BIN")
	if bin == "" {
		t.Fatal("DESKCLERK_APP_BIN is not set: build the app (make build) and point it at build/bin/deskclerk")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("app binary: %v", err)
	}
	return bin
}

var (
	artifacts      = xharness.ArtifactsDir
	display        = xharness.NewDisplay
	assertRendered = xharness.AssertRendered
)

func TestLaunchShowsSignedOutScreen(t *testing.T) {
	bin, out := appBin(t), artifacts(t)
	d := display(t)
	app, err := d.Launch(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := app.WaitScreen("signed-out", 60*time.Second)
	if err != nil {
		app.Kill()
		t.Fatal(err)
	}
	if first := app.Events()[0].Screen; first != "loading" {
		app.Kill()
		t.Fatalf("first screen = %q, want loading; log:\n%s", first, app.Log)
	}
	t.Logf("exec → signed-out screen painted: %v", time.Unix(0, ev.ReadyUnixNano).Sub(app.Started).Round(time.Millisecond))
	if _, err := d.XDoTool("search", "--sync", "--onlyvisible", "--name", "^Desk Clerk$"); err != nil {
		t.Errorf("window titled 'Desk Clerk' not found: %v", err)
	}
	shot := filepath.Join(out, "launch-signed-out.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	if err := app.Quit(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	if code := app.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM; log:\n%s", code, app.Log)
	}
}
