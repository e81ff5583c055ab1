//go:build e2e

package packaging

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cleanEnv is the environment without any Clerk key or .env pointer of the caller's.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CLERK_PUBLISHABLE_KEY=") || strings.HasPrefix(kv, "DESKCLERK_DOTENV=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// pkgScript runs scripts/package/package.sh with env and returns its output.
func pkgScript(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts/package/package.sh"), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A publishable key given at package time makes a release-channel build that carries
// it; no key makes a development build. Checked end to end: the -ldflags package.sh
// produces are compiled into a program that asks deskclerk/internal/config what it got,
// so a mistyped -X path (which Go ignores silently) fails here.
func TestPackagedKeyAndChannelReachConfig(t *testing.T) {
	key := "pk_test_" + base64.RawStdEncoding.EncodeToString([]byte("clerk.example.com$"))
	hostile := []string{"CLERK_PUBLISHABLE_KEY=pk_live_YXR0YWNrZXIuZXhhbXBsZSQ", "DESKCLERK_API_URL=https://attacker.example"}
	tests := []struct {
		name   string
		env    []string
		want   string
		runEnv []string // the environment the built program runs in, besides cleanEnv's
		dotenv string   // a .env in its working directory
	}{
		{"release with a key", []string{"VERSION=v9.8.7", "CLERK_PUBLISHABLE_KEY=" + key},
			"version=9.8.7 channel=release key=" + key + " release=true emulator=false api= err=<nil>", nil, ""},
		// A release build takes its key and API URL from the build only.
		{"release ignores the launch directory and environment", []string{"VERSION=v9.8.7", "CLERK_PUBLISHABLE_KEY=" + key},
			"version=9.8.7 channel=release key=" + key + " release=true emulator=false api= err=<nil>",
			hostile, strings.Join(hostile, "\n") + "\n"},
		{"development without one", []string{"VERSION=v9.8.7-2-gabc1234-dirty", "CLERK_PUBLISHABLE_KEY="},
			"version=9.8.7-2-gabc1234-dirty channel=development key= release=false emulator=true api= err=<nil>", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ldflags, err := pkgScript(t, cleanEnv(tt.env...), "ldflags")
			if err != nil {
				t.Fatalf("package.sh ldflags: %v\n%s", err, ldflags)
			}
			probe := filepath.Join(t.TempDir(), "configprobe")
			build := exec.Command("go", "build", "-ldflags", strings.TrimSpace(ldflags), "-o", probe, "./e2e/packaging/testdata/configprobe")
			build.Dir = repoRoot
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build the probe: %v\n%s", err, out)
			}
			cmd := exec.Command(probe)
			cmd.Env, cmd.Dir = cleanEnv(tt.runEnv...), t.TempDir()
			if tt.dotenv != "" {
				if err := os.WriteFile(filepath.Join(cmd.Dir, ".env"), []byte(tt.dotenv), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Errorf("config sees\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

// A release package links none of the local stand-ins: the build tags package.sh
// gives a keyed build leave the emulator, the demo API and bbolt out of the app's
// dependency graph, while a development build keeps them (so the check can fail).
func TestReleaseBuildLeavesOutTheStandIns(t *testing.T) {
	key := "pk_live_" + base64.RawStdEncoding.EncodeToString([]byte("clerk.example.com$"))
	standIns := regexp.MustCompile(`(?m)^(deskclerk/emulator|deskclerk/demoapi|go\.etcd\.io/bbolt)$`)
	for _, tt := range []struct {
		name   string
		env    []string
		linked bool
	}{
		{"release", []string{"CLERK_PUBLISHABLE_KEY=" + key}, false},
		{"development", []string{"CLERK_PUBLISHABLE_KEY="}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tags, err := pkgScript(t, cleanEnv(append(tt.env, "TAGS=webkit2_41")...), "tags")
			if err != nil {
				t.Fatalf("package.sh tags: %v\n%s", err, tags)
			}
			list := exec.Command("go", "list", "-deps", "-tags", strings.TrimSpace(tags), ".")
			list.Dir = repoRoot
			out, err := list.Output()
			if err != nil {
				t.Fatalf("go list -deps -tags %s: %v", tags, err)
			}
			found := standIns.FindAllString(string(out), -1)
			if linked := len(found) == 3; linked != tt.linked {
				t.Errorf("tags %q: stand-ins linked = %v (%v), want %v", strings.TrimSpace(tags), found, linked, tt.linked)
			}
			if !tt.linked && len(found) > 0 {
				t.Errorf("tags %q link %v", strings.TrimSpace(tags), found)
			}
		})
	}
}

func TestPackageRefusesBadKeysAndVersions(t *testing.T) {
	secretKey := "sk_" + "live_" + strings.Repeat("Q7", 12) // assembled: no key-shaped literal in the tree
	for name, env := range map[string][]string{
		"secret key":      {"CLERK_PUBLISHABLE_KEY=" + secretKey},
		"not a key":       {"CLERK_PUBLISHABLE_KEY=pk_test_ha ha"},
		"quote injection": {`CLERK_PUBLISHABLE_KEY=pk_test_a" -X main.evil=1`},
		"bad version":     {"VERSION=1.0; rm -rf /"},
		"test hooks in a release": {"TAGS=webkit2_41,testhooks",
			"CLERK_PUBLISHABLE_KEY=pk_live_" + base64.RawStdEncoding.EncodeToString([]byte("clerk.example.com$"))},
	} {
		out, err := pkgScript(t, cleanEnv(env...), "ldflags")
		if err == nil {
			t.Errorf("%s: package.sh accepted it: %s", name, out)
		}
		if strings.Contains(out, secretKey) {
			t.Errorf("%s: the secret key was echoed: %s", name, out)
		}
	}
}

// The real app, built from the packaging stage as a release without a key, refuses
// to start (the emulator is never a release build's fallback).
func TestReleaseBuildWithoutKeyRefusesToStart(t *testing.T) {
	st := stage(t)
	if _, err := os.Stat(filepath.Join(st, "wails.json")); err != nil {
		t.Fatalf("no packaging stage at %s (run make package): %v", st, err)
	}
	ldflags, err := pkgScript(t, cleanEnv("VERSION=v1.0.0"), "ldflags")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "deskclerk-release")
	build := exec.Command("go", "build", "-tags", "desktop,production,webkit2_41",
		"-ldflags", strings.TrimSpace(ldflags)+" -X deskclerk/internal/config.buildChannel=release -w -s", "-o", bin, ".")
	build.Dir = st
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Logf("release build without a key: %v", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env, cmd.Dir = cleanEnv(), t.TempDir()
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "release build has no Clerk publishable key") {
		t.Errorf("output does not say why:\n%s", out)
	}
}

// Staging stamps the version into a copy; the work tree's files stay as they were.
func TestStagingLeavesTheTreeClean(t *testing.T) {
	files := []string{"wails.json", "build/windows/info.json", "build/windows/wails.exe.manifest",
		"build/darwin/Info.plist", "build/windows/installer/wails_tools.nsh", "build/windows/installer/project.nsi"}
	sums := func(root string) map[string]string {
		m := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Fatal(err)
			}
			m[f] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		return m
	}
	before := sums(repoRoot)
	st := filepath.Join(t.TempDir(), "stage")
	if out, err := pkgScript(t, cleanEnv("VERSION=v7.6.5-4-gabc1234", "STAGE="+st), "stage"); err != nil {
		t.Fatalf("package.sh stage: %v\n%s", err, out)
	}
	after := sums(repoRoot)
	for _, f := range files {
		if before[f] != after[f] {
			t.Errorf("staging changed the tree's %s", f)
		}
	}
	var w struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
		} `json:"info"`
	}
	b, _ := os.ReadFile(filepath.Join(st, "wails.json"))
	if err := json.Unmarshal(b, &w); err != nil || w.Info.ProductVersion != "7.6.5" {
		t.Errorf("stage's wails.json productVersion = %q (%v)", w.Info.ProductVersion, err)
	}
	info, _ := os.ReadFile(filepath.Join(st, "build/windows/info.json"))
	if !strings.Contains(string(info), `"ProductVersion": "7.6.5-4-gabc1234"`) || !strings.Contains(string(info), `"file_version": "7.6.5.4"`) {
		t.Errorf("stage's info.json not stamped:\n%s", info)
	}
	for _, p := range []string{".git", ".env", "frontend/node_modules", "build/bin"} {
		if _, err := os.Stat(filepath.Join(st, p)); !os.IsNotExist(err) {
			t.Errorf("the stage holds %s (%v)", p, err)
		}
	}
}

// The CI workflows are valid (actionlint, pinned), and every make target they call exists.
func TestWorkflows(t *testing.T) {
	wf, _ := filepath.Glob(filepath.Join(repoRoot, ".github/workflows/*.yml"))
	if len(wf) == 0 {
		t.Fatal("no workflow files in .github/workflows")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lint := exec.CommandContext(ctx, "go", "run", "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12", "-no-color")
	lint.Dir = repoRoot
	if out, err := lint.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
	// "make a b", "run: make a", "VERSION=$(…) make a": the command word, not a word in a package list.
	makeCall := regexp.MustCompile(`(?m)^[ \t]*(?:run:[ \t]*)?(?:[A-Z_]+=(?:\$\([^)]*\)|\S)*[ \t]+)*make((?:[ \t]+[a-z][a-z-]*)+)`)
	for _, f := range wf {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		calls := makeCall.FindAllStringSubmatch(string(b), -1)
		if len(calls) == 0 {
			t.Errorf("%s calls no make target", filepath.Base(f))
		}
		for _, m := range calls {
			for _, target := range strings.Fields(m[1]) {
				check := exec.Command("make", "-n", target)
				check.Dir = repoRoot
				if out, err := check.CombinedOutput(); err != nil {
					t.Errorf("%s calls make %s, which does not exist: %s", filepath.Base(f), target, out)
				}
			}
		}
	}
}
