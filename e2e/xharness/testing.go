package xharness

import (
	"os"
	"path/filepath"
	"testing"
)

// ArtifactsDir is where end-to-end tests keep screenshots for people to look at:
// $DESKCLERK_ARTIFACTS, else test-artifacts/ at the module root.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("DESKCLERK_ARTIFACTS")
	if dir == "" {
		root, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for root != filepath.Dir(root) {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			root = filepath.Dir(root)
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// NewDisplay starts an Xvfb screen for the test and stops it when the test ends.
func NewDisplay(t testing.TB) *Display {
	t.Helper()
	d, err := StartDisplay(1280, 900)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// AssertRendered fails when a screenshot looks blank: a black or empty window has
// one or two colours and almost no spread of luminance.
func AssertRendered(t testing.TB, shot string) {
	t.Helper()
	colours, spread, err := ColourStats(shot)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d colours, luminance stddev %.1f", filepath.Base(shot), colours, spread)
	if colours < 32 || spread < 5 {
		t.Fatalf("screenshot %s looks blank: %d colours, stddev %.1f", shot, colours, spread)
	}
}
