//go:build e2e

// Package packaging tests the installable artifacts that `make package` writes to
// build/bin/dist: the .deb is installed, launched under Xvfb and purged on this
// machine; the Windows exe and installer are inspected; the single-instance lock is
// exercised with two real launches; the CI workflows are linted. Run through
// `make test-package` (it packages first and runs this inside a private D-Bus session
// with an unlocked gnome-keyring), or by hand after `make package`:
//
//	auth/keychain/testdata/run-with-keyring.sh env DESKCLERK_DIST=$PWD/build/bin/dist \
//	  go test -tags e2e -v ./e2e/packaging/
//
// Installing the .deb needs root (or password-less sudo).
package packaging

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskclerk/e2e/xharness"
)

// repoRoot is the repository, two levels up from this package.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

// dist is the folder make package wrote; the tests refuse to run without it rather than skip.
func dist(t *testing.T) string {
	t.Helper()
	d := os.Getenv("DESKCLERK_DIST")
	if d == "" {
		d = filepath.Join(repoRoot, "build", "bin", "dist")
	}
	if _, err := os.Stat(filepath.Join(d, "manifest.env")); err != nil {
		t.Fatalf("no packaged artifacts in %s (run make package): %v", d, err)
	}
	return d
}

// manifest reads dist/manifest.env: the versions and file names of this packaging run.
func manifest(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dist(t), "manifest.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	for _, k := range []string{"APP_VERSION", "NUMERIC_VERSION", "WINDOWS_VERSION", "DEB_VERSION", "CHANNEL", "SOURCE_DATE_EPOCH"} {
		if m[k] == "" {
			t.Fatalf("manifest.env lacks %s: %v", k, m)
		}
	}
	return m
}

// artifact returns the path of the file manifest key names, failing when there is none.
func artifact(t *testing.T, key string) string {
	t.Helper()
	name := manifest(t)[key]
	if name == "" {
		t.Fatalf("make package built no %s (manifest.env)", key)
	}
	p := filepath.Join(dist(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a command with a time limit and returns its combined output.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// must is run that fails the test on error.
func must(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := run(t, 2*time.Minute, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// asRoot prefixes sudo when the tests do not run as root.
func asRoot(args ...string) (string, []string) {
	if os.Geteuid() == 0 {
		return args[0], args[1:]
	}
	return "sudo", append([]string{"-n"}, args...)
}

var (
	artifacts      = xharness.ArtifactsDir
	display        = xharness.NewDisplay
	assertRendered = xharness.AssertRendered
)

// needSessionBus fails unless the tests run inside a D-Bus session: the keychain and
// (on Linux) the single-instance lock live on it.
func needSessionBus(t *testing.T) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no D-Bus session: run under auth/keychain/testdata/run-with-keyring.sh (make test-package does)")
	}
}
