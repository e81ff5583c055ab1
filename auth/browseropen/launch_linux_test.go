package browseropen

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeXdgOpen puts a script named xdg-open first (and alone) on PATH, so the real
// github.com/pkg/browser code path runs without starting a real browser.
func fakeXdgOpen(t *testing.T, script string) (argFile string) {
	t.Helper()
	dir := t.TempDir()
	argFile = filepath.Join(dir, "args")
	body := "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > '" + argFile + "'\n" + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return argFile
}

func TestOpenRunsXdgOpenWithTheURLAsOneArgument(t *testing.T) {
	argFile := fakeXdgOpen(t, "echo noisy-output; echo noisy-error >&2; exit 0")
	const u = "https://accounts.example.com/auth?a=1&b=$(id)&c=;ls|x"
	if err := (System{}).Open(u); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	got, err := os.ReadFile(argFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1\n" + u + "\n"; string(got) != want {
		t.Fatalf("xdg-open argv = %q, want %q", got, want)
	}
}

func TestOpenReportsLauncherFailure(t *testing.T) {
	fakeXdgOpen(t, "echo 'no method available for opening' >&2; exit 3")
	err := System{}.Open("https://accounts.example.com/auth?state=SECRET-STATE")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("Open() = %v, want exit status 3", err)
	}
	if strings.Contains(err.Error(), "SECRET-STATE") {
		t.Fatalf("error leaks the URL: %v", err)
	}
}

func TestOpenReportsMissingLauncher(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := System{}.Open("https://accounts.example.com/")
	if !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("Open() = %v, want exec.ErrNotFound", err)
	}
}

func TestOpenDoesNotLaunchRejectedURL(t *testing.T) {
	argFile := fakeXdgOpen(t, "exit 0")
	if err := (System{AllowHTTPLoopback: true}).Open("file:///etc/passwd"); !errors.Is(err, ErrUnsafeURL) {
		t.Fatalf("Open() = %v, want ErrUnsafeURL", err)
	}
	if _, err := os.Stat(argFile); !os.IsNotExist(err) {
		t.Fatalf("xdg-open ran for a rejected URL (stat err %v)", err)
	}
}
