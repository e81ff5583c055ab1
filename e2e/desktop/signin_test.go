//go:build e2e

package desktop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskclerk/e2e/xharness"
	"deskclerk/emulator"
)

// keychainService is where the app keeps the emulator instance's client token.
const keychainService = "deskclerk-dev (clerk.deskclerk.localhost)" // a development build's own entry

// needKeyring fails unless the test runs on a private bus with a real Secret Service.
func needKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("DESKCLERK_KEYRING_SANDBOX") == "" {
		t.Fatal("run under auth/keychain/testdata/run-with-keyring.sh (make test-desktop does)")
	}
}

// seedEmulator creates the emulator's state (demo users) in dir and returns them.
func seedEmulator(t *testing.T, dir string) []emulator.DemoUser {
	t.Helper()
	em, err := emulator.Start(context.Background(), emulator.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	users := em.DemoUsers()
	if err := em.Close(); err != nil {
		t.Fatal(err)
	}
	return users
}

func keychainEntries(t *testing.T) int {
	out, _ := exec.Command("secret-tool", "search", "--all", "service", keychainService).CombinedOutput()
	return strings.Count(string(out), "secret = ")
}

// forgetKeychain clears the development build's entries (client token, snapshot)
// that an earlier test left: sign-out keeps the client token (Client Trust), and
// a leftover sign-in for another emulator would open on its "ended" screen.
func forgetKeychain(t *testing.T) {
	t.Helper()
	if keychainEntries(t) == 0 {
		return // secret-tool clear fails when nothing matches
	}
	if out, err := exec.Command("secret-tool", "clear", "service", keychainService).CombinedOutput(); err != nil {
		t.Fatalf("secret-tool clear: %v %s", err, out)
	}
}

// window returns the app window's top-left corner on the screen.
func window(t *testing.T, d *xharness.Display) (x, y int) {
	t.Helper()
	id, err := d.XDoTool("search", "--sync", "--onlyvisible", "--name", "^Desk Clerk$")
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.XDoTool("getwindowgeometry", "--shell", strings.Fields(id)[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "X="); ok {
			x, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "Y="); ok {
			y, _ = strconv.Atoi(v)
		}
	}
	return x, y
}

// click presses the left button at (dx, dy) inside the window of the default size.
func click(t *testing.T, d *xharness.Display, dx, dy int) {
	t.Helper()
	x, y := window(t, d)
	if _, err := d.XDoTool("mousemove", "--sync", strconv.Itoa(x+dx), strconv.Itoa(y+dy), "click", "1"); err != nil {
		t.Fatal(err)
	}
}

func typeText(t *testing.T, d *xharness.Display, s string) {
	t.Helper()
	if _, err := d.XDoTool("type", "--delay", "25", s); err != nil {
		t.Fatal(err)
	}
	if _, err := d.XDoTool("key", "Return"); err != nil {
		t.Fatal(err)
	}
}

func launchWait(t *testing.T, d *xharness.Display, bin, dir string, env []string, screen string) *xharness.App {
	t.Helper()
	app, err := d.Launch(bin, dir, env...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.WaitScreen(screen, 60*time.Second); err != nil {
		app.Kill()
		t.Fatal(err)
	}
	return app
}

func quit(t *testing.T, app *xharness.App) {
	t.Helper()
	if err := app.Quit(15 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// Positions inside the 1040×760 window, from the layout at that size.
const (
	emailX, emailY     = 520, 334 // Clerk's email field on the sign-in card
	githubX, githubY   = 451, 213 // Clerk's "GitHub" social button
	signOutX, signOutY = 762, 132 // the Sign out button on the profile card
)

func TestSignInStaysSignedInAcrossRestarts(t *testing.T) {
	needKeyring(t)
	forgetKeychain(t)
	bin, out := appBin(t), artifacts(t)
	dir := t.TempDir()
	users := seedEmulator(t, filepath.Join(dir, "emu"))
	env := []string{"DESKCLERK_EMULATOR_DIR=" + filepath.Join(dir, "emu")}
	d := display(t)

	// 1. Signed out: type the email and password into Clerk's card in the window,
	// and the code Client Trust emails to a new device (the emulator's mailbox
	// stands in for the person's inbox).
	app := launchWait(t, d, bin, dir, env, "signed-out")
	signInCard(t, d, app, filepath.Join(dir, "emu"), users[0], emailX, emailY)
	shot := filepath.Join(out, "desktop-signed-in.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	if n := keychainEntries(t); n == 0 {
		t.Fatal("no client token in the keychain after sign-in")
	}
	quit(t, app)

	// 2. Relaunch: signed in without typing (painted from the session snapshot, then
	// confirmed by ClerkJS), and the API answers.
	app = launchWait(t, d, bin, dir, env, "signed-in")
	for _, screen := range []string{"api-me:200", "reconciled"} {
		if _, err := app.WaitScreen(screen, 20*time.Second); err != nil {
			app.Kill()
			t.Fatal(err)
		}
	}
	if err := d.Screenshot(filepath.Join(out, "desktop-restarted.png")); err != nil {
		t.Fatal(err)
	}
	if snapshotEntries(t) == 0 {
		app.Kill()
		t.Fatal("no session snapshot in the keychain while signed in")
	}

	// 3. Sign out: the client token stays (Clerk keeps the client; Client Trust
	// knows this device by it), and the next launch shows the sign-in card.
	seen := len(app.Events())
	click(t, d, signOutX, signOutY)
	waitFrom(t, app, seen, "signed-out")
	if n := snapshotEntries(t); n != 0 {
		t.Fatalf("%d session snapshot entries left after sign-out", n)
	}
	if n := keychainEntries(t); n == 0 {
		t.Fatal("sign-out deleted the client token")
	}
	quit(t, app)
	app = launchWait(t, d, bin, dir, env, "signed-out")
	quit(t, app)
}

// signInCard types user's email, password and the emailed Client Trust code into a
// Clerk sign-in card whose email field is at (x, y), and waits for the signed-in
// screen and the API's answer.
func signInCard(t *testing.T, d *xharness.Display, app *xharness.App, emuDir string, user emulator.DemoUser, x, y int) {
	t.Helper()
	seen := len(app.Events())
	click(t, d, x, y)
	typeText(t, d, user.Email)
	waitFrom(t, app, seen, "route:#/factor-one")
	typeText(t, d, user.Password)
	waitFrom(t, app, seen, "route:#/client-trust")
	typeText(t, d, mailboxCode(t, emuDir, user.Email))
	waitFrom(t, app, seen, "signed-in")
	waitFrom(t, app, seen, "api-me:200")
}

// mailboxCode waits for the code the emulator with state in dir "emailed" to address.
func mailboxCode(t *testing.T, dir, address string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, err := os.ReadFile(emulator.MailboxFile(dir, address))
		if code := strings.TrimSpace(string(raw)); err == nil && code != "" {
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("no code emailed to %s: %v", address, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitNext waits for screen to be reported after the events seen so far.
func waitNext(t *testing.T, app *xharness.App, screen string) xharness.ReadyEvent {
	t.Helper()
	return waitFrom(t, app, len(app.Events()), screen)
}

// waitFrom waits for screen among the events after the first seen ones: take seen
// before the action that leads there, or a fast screen may come before the wait.
func waitFrom(t *testing.T, app *xharness.App, seen int, screen string) xharness.ReadyEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		evs := app.Events()
		for _, e := range evs[seen:] {
			if e.Screen == screen {
				return e
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	app.Kill()
	t.Fatalf("no %q screen; events %v; log:\n%s", screen, app.Events(), app.Log)
	return xharness.ReadyEvent{}
}

// TestSocialSignInThroughTheSystemBrowser runs the real pkg/browser path: the app
// opens "xdg-open", which here is the scripted browser that approves the emulator's
// consent page and follows Clerk's redirect to the app's loopback listener.
func TestSocialSignInThroughTheSystemBrowser(t *testing.T) {
	needKeyring(t)
	bin, out := appBin(t), artifacts(t)
	fake := os.Getenv("DESKCLERK_FAKEBROWSER_BIN")
	if fake == "" {
		t.Fatal("DESKCLERK_FAKEBROWSER_BIN is not set (make tools builds build/bin/fakebrowser)")
	}
	dir := t.TempDir()
	users := seedEmulator(t, filepath.Join(dir, "emu"))
	shim := filepath.Join(dir, "shim")
	log := filepath.Join(dir, "browser.log")
	cfg := filepath.Join(dir, "browser.json")
	if err := os.MkdirAll(shim, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nFAKEBROWSER_CONFIG='" + cfg + "' FAKEBROWSER_LOG='" + log + "' exec '" + fake + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The browser takes its time, as a person does; meanwhile the app window goes away.
	if err := os.WriteFile(cfg, []byte(`{"decision":"approve","delayMs":2500,"identity":"`+users[1].Email+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DESKCLERK_EMULATOR_DIR=" + filepath.Join(dir, "emu"), "PATH=" + shim + ":" + os.Getenv("PATH")}
	d := display(t)
	app := launchWait(t, d, bin, dir, env, "signed-out")
	if b := socialSignInMinimised(t, d, app, log, 30*time.Second); !strings.Contains(string(b), "approve ok") {
		t.Errorf("browser log %q", b)
	}
	shot := filepath.Join(out, "desktop-social-signed-in.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	quit(t, app)
}

// socialSignInMinimised presses "GitHub" on the sign-in card, minimises the window
// (without a window manager an unmapped window is what a minimised one looks like),
// waits for the API's answer after the browser's round trip, and checks that the
// flow's end brought the window back. It returns the scripted browser's log.
func socialSignInMinimised(t *testing.T, d *xharness.Display, app *xharness.App, browserLog string, timeout time.Duration) []byte {
	t.Helper()
	click(t, d, githubX, githubY)
	wid, err := d.XDoTool("search", "--sync", "--onlyvisible", "--name", "^Desk Clerk$")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.XDoTool("windowunmap", "--sync", strings.Fields(wid)[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := app.WaitScreen("api-me:200", timeout); err != nil {
		b, _ := os.ReadFile(browserLog)
		app.Kill()
		t.Fatalf("%v\nbrowser: %s\napp log:\n%s", err, b, app.Log)
	}
	back := false
	for deadline := time.Now().Add(5 * time.Second); !back && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, err := d.XDoTool("search", "--onlyvisible", "--name", "^Desk Clerk$")
		back = err == nil
	}
	if !back {
		t.Error("the window did not come back after social sign-in")
	}
	b, _ := os.ReadFile(browserLog)
	return b
}

// registerHandler makes entry (Exec=exec %u) the user's handler of the URL schemes, in
// the XDG dirs the app is launched with (xharness: <dataDir>/data and /config).
func registerHandler(t *testing.T, dataDir, entry, exec string, schemes ...string) {
	t.Helper()
	apps := filepath.Join(dataDir, "data", "applications")
	if err := os.MkdirAll(apps, 0o755); err != nil {
		t.Fatal(err)
	}
	var mime []string
	for _, s := range schemes {
		mime = append(mime, "x-scheme-handler/"+s)
	}
	desktop := "[Desktop Entry]\nType=Application\nName=" + entry + "\nExec=" + exec + " %u\nNoDisplay=true\nMimeType=" + strings.Join(mime, ";") + ";\n"
	if err := os.WriteFile(filepath.Join(apps, entry), []byte(desktop), 0o644); err != nil {
		t.Fatal(err)
	}
	xdgRun(t, dataDir, "update-desktop-database", apps)
	for _, m := range mime {
		xdgRun(t, dataDir, "xdg-mime", "default", entry, m)
	}
}

func xdgRun(t *testing.T, dataDir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dataDir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dataDir, "config"), "XDG_CURRENT_DESKTOP=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestSocialSignInProductionSchemeThroughTheOS runs social sign-in against the emulator
// in production mode, where only the allowlisted deskclerk://oauth-callback gets the
// nonce. Everything between the app and back is the OS's: pkg/browser runs the real
// xdg-open, which finds the scripted browser as the user's http handler; Clerk's
// redirect to deskclerk://… goes through xdg-open again to the app binary, registered
// per user by scripts/register-scheme.sh; that second process hands the URL over the
// real D-Bus single-instance lock. Before the real callback a forged deskclerk:// launch
// with a wrong state arrives while the flow waits: it must change nothing. Then a new
// person signs up the same way.
func TestSocialSignInProductionSchemeThroughTheOS(t *testing.T) {
	needKeyring(t)
	forgetKeychain(t)
	bin, out := appBin(t), artifacts(t)
	fake := os.Getenv("DESKCLERK_FAKEBROWSER_BIN")
	if fake == "" {
		t.Fatal("DESKCLERK_FAKEBROWSER_BIN is not set (make tools builds build/bin/fakebrowser)")
	}
	dir := t.TempDir()
	users := seedEmulator(t, filepath.Join(dir, "emu"))
	log := filepath.Join(dir, "browser.log")
	cfg := filepath.Join(dir, "browser.json")
	shim := filepath.Join(dir, "browser.sh")
	script := "#!/bin/sh\nFAKEBROWSER_CONFIG='" + cfg + "' FAKEBROWSER_LOG='" + log + "' exec '" + fake + "' \"$@\"\n"
	if err := os.WriteFile(shim, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(`{"decision":"approve","delayMs":1500,"forgeFirst":true,"identity":"`+users[1].Email+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	registerHandler(t, dir, "fakebrowser.desktop", shim, "http", "https")
	reg := exec.Command("../../scripts/register-scheme.sh", bin, "deskclerk")
	reg.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	if b, err := reg.CombinedOutput(); err != nil {
		t.Fatalf("register-scheme.sh: %v\n%s", err, b)
	}
	if got := xdgRun(t, dir, "xdg-mime", "query", "default", "x-scheme-handler/deskclerk"); got != "deskclerk-dev.desktop" {
		t.Fatalf("deskclerk:// handler %q", got)
	}

	env := []string{
		"DESKCLERK_EMULATOR_DIR=" + filepath.Join(dir, "emu"), "DESKCLERK_EMULATOR_PRODUCTION=1",
		"DESKCLERK_LOG_LEVEL=debug",
		// xdg-open's generic path (no desktop environment): xdg-mime and .desktop files.
		"XDG_CURRENT_DESKTOP=", "DESKTOP_SESSION=", "BROWSER=",
	}
	d := display(t)
	app := launchWait(t, d, bin, dir, env, "signed-out")
	b := socialSignInMinimised(t, d, app, log, 45*time.Second)
	if !strings.Contains(string(b), "forged launch done") || !strings.Contains(string(b), "approve ok (deskclerk scheme via xdg-open)") {
		t.Errorf("browser log %q", b)
	}
	shot := filepath.Join(out, "desktop-social-scheme-signed-in.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)

	// Sign-up: a provider identity no account has yet (Clerk's external_account_not_found
	// transfer, done by ClerkJS in the window), through the scheme again with a new state.
	seen := len(app.Events())
	click(t, d, signOutX, signOutY)
	waitFrom(t, app, seen, "signed-out")
	if err := os.WriteFile(cfg, []byte(`{"decision":"approve","newEmail":"scheme.newcomer@example.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	seen = len(app.Events())
	click(t, d, githubX, githubY)
	waitFrom(t, app, seen, "api-me:200")
	if b, _ := os.ReadFile(log); strings.Count(string(b), "approve ok (deskclerk scheme via xdg-open)") != 2 {
		t.Errorf("browser log %q", b)
	}
	quit(t, app)
	logText := app.Log.String()
	for _, want := range []string{"redirect=scheme", "reason=state", "deeplink: callback accepted"} {
		if !strings.Contains(logText, want) {
			t.Errorf("app log lacks %q", want)
		}
	}
	for _, leak := range []string{"forged-state-from-another-program", "rtn_forged", "deskclerk_state="} {
		if strings.Contains(logText, leak) {
			t.Errorf("app log carries %q", leak)
		}
	}
}
