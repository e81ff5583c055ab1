//go:build e2e

// Package desktop holds the end-to-end tests of the real Desk Clerk binary in a
// real window under Xvfb. They drive make build's binary with the test hooks added
// (make build-test: the ready file and auto-quit, tag testhooks). Run through
// `make test` (it builds both binaries and sets DESKCLERK_APP_BIN and
// DESKCLERK_PLAIN_BIN), or by hand:
//
//	DESKCLERK_APP_BIN=$PWD/build/bin/deskclerk-test DESKCLERK_PLAIN_BIN=$PWD/build/bin/deskclerk \
//	  go test -tags e2e ./e2e/desktop/
package desktop

import (
	"bytes"
	"debug/buildinfo"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"deskclerk/e2e/xharness"
)

// appBin is the binary under test; the tests refuse to run without it rather than skip.
func appBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("DESKCLERK_APP_BIN")
	if bin == "" {
		t.Fatal("DESKCLERK_APP_BIN is not set: build the app with its test hooks (make build-test) and point it at build/bin/deskclerk-test")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("app binary: %v", err)
	}
	return bin
}

// make build's binary, and so every binary a person runs, has no test hooks: no
// testhooks tag in its build settings and none of the hooks' code (their variable
// names) in it. The binary the tests drive has both, so the check can fail.
func TestMakeBuildHasNoTestHooks(t *testing.T) {
	plain := os.Getenv("DESKCLERK_PLAIN_BIN")
	if plain == "" {
		t.Fatal("DESKCLERK_PLAIN_BIN is not set: point it at make build's build/bin/deskclerk")
	}
	for _, tt := range []struct {
		bin   string
		hooks bool
	}{{plain, false}, {appBin(t), true}} {
		info, err := buildinfo.ReadFile(tt.bin)
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, s := range info.Settings {
			if s.Key == "-tags" {
				tags = strings.Split(s.Value, ",")
			}
		}
		raw, err := os.ReadFile(tt.bin)
		if err != nil {
			t.Fatal(err)
		}
		tagged := slices.Contains(tags, "testhooks")
		for _, v := range []string{"DESKCLERK_READY_FILE", "DESKCLERK_AUTOQUIT_MS"} {
			if linked := bytes.Contains(raw, []byte(v)); linked != tt.hooks {
				t.Errorf("%s: %s in the binary = %v, want %v", filepath.Base(tt.bin), v, linked, tt.hooks)
			}
		}
		if tagged != tt.hooks {
			t.Errorf("%s: built with tags %v; testhooks = %v, want %v", filepath.Base(tt.bin), tags, tagged, tt.hooks)
		}
	}
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
