//go:build e2e

package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"deskclerk/e2e/xharness"
)

// stacking lists the root window's children, topmost first (xwininfo's order), as
// "0xID "name": (…)" lines.
func stacking(t *testing.T, d *xharness.Display) []string {
	t.Helper()
	out := must(t, "xwininfo", "-display", d.Name, "-root", "-children")
	var wins []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "0x") {
			wins = append(wins, l)
		}
	}
	if len(wins) == 0 {
		t.Fatalf("no windows on %s:\n%s", d.Name, out)
	}
	return wins
}

// onTop reports whether the topmost window is id.
func onTop(t *testing.T, d *xharness.Display, id string) bool {
	return strings.Fields(stacking(t, d)[0])[0] == id
}

func hexID(t *testing.T, decimal string) string {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscan(decimal, &n); err != nil {
		t.Fatalf("window id %q: %v", decimal, err)
	}
	return fmt.Sprintf("0x%x", n)
}

func mapState(t *testing.T, d *xharness.Display, wid string) string {
	t.Helper()
	out := must(t, "xwininfo", "-display", d.Name, "-id", wid)
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "Map State: "); ok {
			return s
		}
	}
	return ""
}

// windows counts the windows titled exactly "Desk Clerk" (mapped or not).
func windows(t *testing.T, d *xharness.Display) []string {
	t.Helper()
	out, err := d.XDoTool("search", "--name", "^Desk Clerk$")
	if err != nil && out == "" {
		return nil // xdotool exits 1 when nothing matches
	}
	return strings.Fields(out)
}

// secondLaunch starts the app again with the first one's environment and arguments,
// records whether a second "Desk Clerk" window ever appears, and returns how long it
// ran and its exit code.
func secondLaunch(t *testing.T, d *xharness.Display, bin, state string, args ...string) (time.Duration, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"DISPLAY="+d.Name, "NO_AT_BRIDGE=1",
		"XDG_DATA_HOME="+filepath.Join(state, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(state, "config"),
		"XDG_CACHE_HOME="+filepath.Join(state, "cache"),
	)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	maxWindows := 0
	deadline := time.After(30 * time.Second)
	for {
		select {
		case <-done:
			took := time.Since(start)
			if n := len(windows(t, d)); n > maxWindows {
				maxWindows = n
			}
			if maxWindows > 1 {
				t.Errorf("a second Desk Clerk window appeared during the second launch")
			}
			t.Logf("second launch exited with %d after %v", cmd.ProcessState.ExitCode(), took.Round(time.Millisecond))
			return took, cmd.ProcessState.ExitCode()
		case <-deadline:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("the second launch is still running after 30s (it should hand over and exit); log:\n%s", log.String())
		case <-time.After(50 * time.Millisecond):
			if n := len(windows(t, d)); n > maxWindows {
				maxWindows = n
			}
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(cond func() bool) bool {
	for i := 0; i < 200; i++ {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// A second launch does not open a second window: it hands over to the running app and
// exits, and the running app's window comes to the front — above a window that covered
// it, and mapped again after it was unmapped (how an X window looks when minimised).
func TestSecondLaunchRaisesTheFirstWindow(t *testing.T) {
	needSessionBus(t) // the lock is a D-Bus name on Linux
	bin := filepath.Join(dist(t), "linux-amd64", "deskclerk")
	d := display(t)
	state := t.TempDir()
	first, err := d.Launch(bin, state)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := first.Quit(15 * time.Second); err != nil {
			t.Error(err)
		}
	}()
	if _, err := first.WaitScreen("signed-out", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := d.XDoTool("search", "--sync", "--onlyvisible", "--name", "^Desk Clerk$")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(out)
	if len(ids) != 1 {
		t.Fatalf("%d Desk Clerk windows before the second launch", len(ids))
	}
	wid := hexID(t, ids[0])

	// 1. Another window covers ours.
	cover := exec.Command("xmessage", "-display", d.Name, "-geometry", "1280x900+0+0", "-name", "cover", "a window on top")
	cover.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cover.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cover.Process.Kill(); _ = cover.Wait() }()
	if !waitFor(func() bool { return strings.Contains(stacking(t, d)[0], `"cover"`) }) {
		t.Fatalf("the covering window did not come up on top: %q", stacking(t, d))
	}
	const untrusted = "--deskclerk-untrusted-argument=hunter2"
	took, code := secondLaunch(t, d, bin, state, untrusted)
	if code == 0 {
		t.Errorf("second launch exit code 0; Wails' lock hands over and exits 1")
	}
	if took > 15*time.Second {
		t.Errorf("the second launch took %v to give way", took)
	}
	if !waitFor(func() bool { return onTop(t, d, wid) }) {
		t.Errorf("the first window was not raised above the covering one: stacking %q, ours %s", stacking(t, d), wid)
	}
	if n := windows(t, d); len(n) != 1 {
		t.Errorf("xdotool finds %d Desk Clerk windows after the second launch, want 1", len(n))
	}

	// 2. Our window is unmapped, as an iconified (minimised) X window is.
	if _, err := d.XDoTool("windowunmap", "--sync", wid); err != nil {
		t.Fatal(err)
	}
	if s := mapState(t, d, wid); s != "IsUnMapped" {
		t.Fatalf("map state after unmapping: %s", s)
	}
	secondLaunch(t, d, bin, state)
	if !waitFor(func() bool { return mapState(t, d, wid) == "IsViewable" }) {
		t.Errorf("the first window was not shown again: %s", mapState(t, d, wid))
	}
	if n := windows(t, d); len(n) != 1 {
		t.Errorf("xdotool finds %d Desk Clerk windows, want 1", len(n))
	}
	shot := filepath.Join(artifacts(t), "package-second-launch.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)

	// What the second process sent is not logged, only counted.
	log := first.Log.String()
	if !strings.Contains(log, `msg="second launch: bringing the window to the front" args=1`) ||
		!strings.Contains(log, `msg="second launch: bringing the window to the front" args=0`) {
		t.Errorf("the first app did not log both hand-overs:\n%s", log)
	}
	if strings.Contains(log, "hunter2") || strings.Contains(log, "untrusted-argument") {
		t.Errorf("the second instance's argument reached the log:\n%s", log)
	}
}
