//go:build e2e

package desktop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/e2e/fapiclient"
	"deskclerk/emulator"
	"deskclerk/internal/doctor"
)

// runDoctor runs `deskclerk doctor --json` with env added and returns the report and exit code.
func runDoctor(t *testing.T, bin string, env ...string) (doctor.Report, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "doctor", "--json")
	cmd.Dir = t.TempDir() // no .env
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("doctor: %v; stderr %s", err, stderr.String())
	}
	var rep doctor.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("doctor --json printed no report (exit %d): %v\nstdout %s\nstderr %s", code, err, stdout.String(), stderr.String())
	}
	return rep, code
}

// cleanEnv is the test's environment without the app's own settings.
func cleanEnv() []string {
	var out []string
	for _, kv := range exec.Command("true").Environ() {
		if strings.HasPrefix(kv, "DESKCLERK_") && !strings.HasPrefix(kv, "DESKCLERK_KEYRING") && !strings.HasPrefix(kv, "DESKCLERK_REAL_KEYRING") || strings.HasPrefix(kv, "CLERK_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func check(t *testing.T, rep doctor.Report, id string) doctor.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", id, rep)
	return doctor.Check{}
}

func emulatorEnv(em *emulator.Server) []string {
	return []string{"DESKCLERK_EMULATOR_URL=" + em.FrontendAPIURL(), "DESKCLERK_API_URL=" + em.APIURL()}
}

// TestDoctor runs the real binary's `doctor --json` against a standalone
// emulator with two accounts signed in on the stored client, then with the
// emulator stopped, with no Secret Service, and with the emulator's clock off.
func TestDoctor(t *testing.T) {
	needKeyring(t)
	bin := appBin(t)
	em, err := emulator.Start(context.Background(), emulator.Options{Dir: t.TempDir(), MultiSession: true})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()

	// ada and grace signed in on one client, stored where the app keeps it.
	fc := &fapiclient.Client{Base: em.FrontendAPIURL(), Code: em.LastEmailCode}
	users := em.DemoUsers()
	for _, u := range users {
		if _, err := fc.SignIn(u.Email, u.Password); err != nil {
			t.Fatal(err)
		}
	}
	store := keychain.Open(context.Background(), keychain.Options{App: "deskclerk-dev", Instance: emulator.FrontendAPIHost})
	if err := store.Save(context.Background(), fc.Token); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Delete(context.Background()) })

	t.Run("all ok", func(t *testing.T) {
		rep, code := runDoctor(t, bin, emulatorEnv(em)...)
		if code != 0 || !rep.OK {
			t.Fatalf("exit %d, report %+v", code, rep)
		}
		for _, c := range rep.Checks {
			if c.Status != doctor.StatusOK {
				t.Errorf("%s: %s %s", c.ID, c.Status, c.Summary)
			}
		}
		signin := check(t, rep, "signin")
		text, _ := json.Marshal(signin)
		for _, u := range users {
			if !strings.Contains(string(text), u.Email) {
				t.Errorf("stored sign-in does not list %s: %s", u.Email, text)
			}
		}
		if !strings.Contains(signin.Details[len(signin.Details)-1].Label, "Active") {
			t.Errorf("the last signed-in account (grace) is not the active one: %s", text)
		}
		if api := check(t, rep, "api"); !strings.Contains(api.Summary, "200") {
			t.Errorf("api: %s", api.Summary)
		}
		// Read-only: the stored client token is the one saved above, and no token anywhere in the output.
		if got, _ := keychain.Open(context.Background(), keychain.Options{App: "deskclerk-dev", Instance: emulator.FrontendAPIHost}).Load(context.Background()); got != fc.Token {
			t.Error("the doctor changed the stored client token")
		}
		all, _ := json.Marshal(rep)
		if strings.Contains(string(all), fc.Token) || strings.Contains(string(all), "eyJ") {
			t.Error("the report contains a token")
		}
		if !strings.Contains(string(all), "WebKitGTK 2.") && runtime.GOOS == "linux" {
			t.Errorf("build check without the WebKitGTK version: %+v", check(t, rep, "build"))
		}
	})

	t.Run("no Secret Service", func(t *testing.T) {
		bus := privateBus(t)
		rep, code := runDoctor(t, bin, append(emulatorEnv(em), "DBUS_SESSION_BUS_ADDRESS="+bus)...)
		if code == 0 || rep.OK {
			t.Fatalf("exit %d without a Secret Service", code)
		}
		if c := check(t, rep, "keychain"); c.Status != doctor.StatusFail || c.Fix == "" {
			t.Errorf("keychain: %+v", c)
		}
		if c := check(t, rep, "instance"); c.Status != doctor.StatusOK {
			t.Errorf("instance: %+v", c)
		}
		if c := check(t, rep, "signin"); c.Status != doctor.StatusFail || !strings.Contains(c.Summary, "cannot read") {
			t.Errorf("stored sign-in without a keychain: %+v", c)
		}
	})

	t.Run("clock offset", func(t *testing.T) {
		skewed, err := emulator.Start(context.Background(), emulator.Options{Dir: t.TempDir(), ClockOffset: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer skewed.Close()
		rep, code := runDoctor(t, bin, emulatorEnv(skewed)...)
		c := check(t, rep, "clock")
		if c.Status != doctor.StatusWarn || !strings.Contains(c.Summary, "behind") {
			t.Errorf("clock: %+v", c)
		}
		if code != 0 {
			t.Errorf("a clock warning alone made the exit code %d: %+v", code, rep)
		}
	})

	t.Run("emulator stopped", func(t *testing.T) {
		env := emulatorEnv(em)
		if err := em.Close(); err != nil {
			t.Fatal(err)
		}
		rep, code := runDoctor(t, bin, env...)
		if code != 1 || rep.OK {
			t.Fatalf("exit %d with the emulator stopped", code)
		}
		if c := check(t, rep, "instance"); c.Status != doctor.StatusFail || !strings.Contains(c.Summary, "unreachable") {
			t.Errorf("instance: %+v", c)
		}
	})
}

// privateBus starts a session bus on which no Secret Service can be activated.
func privateBus(t *testing.T) string {
	t.Helper()
	conf, _ := filepath.Abs("../../auth/keychain/testdata/bus-without-secrets.conf")
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "unix:") {
		t.Fatalf("dbus-daemon: %q %v", line, err)
	}
	return strings.TrimSpace(line)
}

// TestDiagnosticsView opens the Diagnostics view in the real window (Ctrl+Shift+D)
// and checks it ran every check without a failure.
func TestDiagnosticsView(t *testing.T) {
	needKeyring(t)
	bin, out := appBin(t), artifacts(t)
	dir := t.TempDir()
	seedEmulator(t, filepath.Join(dir, "emu"))
	d := display(t)
	app := launchWait(t, d, bin, dir, []string{"DESKCLERK_EMULATOR_DIR=" + filepath.Join(dir, "emu")}, "signed-out")
	defer app.Kill()
	click(t, d, 300, 25) // the header: focus the page without touching a control
	if _, err := d.XDoTool("key", "ctrl+shift+d"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.WaitScreen("diagnostics:ok", 30*time.Second); err != nil {
		for _, ev := range app.Events() {
			t.Log(ev.Screen)
		}
		t.Fatal(err)
	}
	shot := filepath.Join(out, "desktop-diagnostics.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	quit(t, app)
}
