//go:build e2e

package desktop

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/auth/service"
	"deskclerk/e2e/fapiclient"
	"deskclerk/e2e/xharness"
	"deskclerk/emulator"
)

// snapshotEntries counts the session snapshot's keychain entries (its manifest and
// chunks), as secret-tool sees them.
func snapshotEntries(t *testing.T) int {
	t.Helper()
	out, _ := exec.Command("secret-tool", "search", "--all", "service", keychainService).CombinedOutput()
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if u, ok := strings.CutPrefix(l, "attribute.username = "); ok && strings.HasPrefix(u, service.SnapshotAccount) {
			n++
		}
	}
	return n
}

// snapshotEntry reads the session snapshot from the keychain ("" if none), through
// a fresh keychain Store that puts its chunks back together.
func snapshotEntry(t *testing.T) string {
	t.Helper()
	st := keychain.Open(context.Background(), keychain.Options{App: "deskclerk-dev", Instance: emulator.FrontendAPIHost, Account: service.SnapshotAccount})
	v, _ := st.Load(context.Background())
	return v
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSnapshotOfflineAndEndedElsewhere: a standalone emulator that is stopped and
// started again, and a session revoked from another device while the app is closed.
func TestSnapshotOfflineAndEndedElsewhere(t *testing.T) {
	needKeyring(t)
	forgetKeychain(t)
	bin, out := appBin(t), artifacts(t)
	dir := t.TempDir()
	emuDir := filepath.Join(t.TempDir(), "emu") // the stand-in server's own state, not the app's
	fapiAddr, apiAddr := freeAddr(t), freeAddr(t)
	startEmu := func() *emulator.Server {
		em, err := emulator.Start(context.Background(), emulator.Options{Dir: emuDir, Addr: fapiAddr, APIAddr: apiAddr})
		if err != nil {
			t.Fatal(err)
		}
		return em
	}
	em := startEmu()
	defer func() { em.Close() }()
	user := em.DemoUsers()[0]
	env := []string{
		"DESKCLERK_EMULATOR_URL=" + em.FrontendAPIURL(), "DESKCLERK_API_URL=" + em.APIURL(),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), // the app's log folder, scanned below
	}

	// Signed in from another process's sign-in: the client token in the keychain.
	fc := &fapiclient.Client{Base: em.FrontendAPIURL(), Code: em.LastEmailCode}
	if _, err := fc.SignIn(user.Email, user.Password); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store := keychain.Open(ctx, keychain.Options{App: "deskclerk-dev", Instance: emulator.FrontendAPIHost})
	if err := store.Save(ctx, fc.Token); err != nil {
		t.Fatal(err)
	}
	clientToken := fc.Token
	d := display(t)

	// 1. Online: ClerkJS confirms the session, Go keeps the snapshot in the keychain.
	app := launchWait(t, d, bin, dir, env, "api-me:200")
	waitFor(t, "the snapshot in the keychain", 20*time.Second, func() bool {
		return snapshotEntries(t) > 0 && strings.Contains(snapshotEntry(t), `"GET /api/me"`)
	})
	var snap struct {
		UserID    string `json:"userId"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		SessionID string `json:"sessionId"`
		Answers   map[string]struct {
			Body string `json:"body"`
		} `json:"answers"`
	}
	if err := json.Unmarshal([]byte(snapshotEntry(t)), &snap); err != nil {
		t.Fatalf("snapshot is not JSON: %v", err)
	}
	if snap.Name != user.FirstName+" "+user.LastName || snap.SessionID == "" || snap.Answers["GET /api/me"].Body == "" {
		t.Fatalf("snapshot = %+v", snap)
	}
	for _, s := range []string{clientToken, "eyJ"} { // no client token, no JWT
		if strings.Contains(snapshotEntry(t), s) {
			t.Fatal("the snapshot holds a token")
		}
	}
	quit(t, app)

	// 2. Identity service down: the signed-in screen from the snapshot, labelled offline.
	em.Close()
	app = launchWait(t, d, bin, dir, env, "offline-signed-in")
	// Go found the identity service down before the page loaded: the first frame is
	// the signed-in screen, already labelled offline.
	if first := app.Events()[0].Screen; first != "offline-signed-in" && first != "signed-in" {
		app.Kill()
		t.Fatalf("first screen %q, want the signed-in screen from the snapshot; events %v", first, app.Events())
	}
	for _, e := range app.Events() {
		if e.Screen == "signed-out" || e.Screen == "offline" {
			app.Kill()
			t.Fatalf("screen %q while offline with a snapshot", e.Screen)
		}
	}
	shot := filepath.Join(out, "desktop-offline-signed-in.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)

	// 3. Back online: reconciled without a restart (the app retries with backoff), and a
	// fresh API call from the window works.
	em = startEmu()
	waitNextWithin(t, app, "api-me:200", 60*time.Second)
	waitNextWithin(t, app, "reconciled", 30*time.Second)
	shot = filepath.Join(out, "desktop-reconciled.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	click(t, d, apiMeX, apiMeY)
	waitNextWithin(t, app, "api-me-call:200", 20*time.Second)
	quit(t, app)

	// 4. Revoked from another device while the app is closed: the next start says so.
	other := &fapiclient.Client{Base: em.FrontendAPIURL(), Code: em.LastEmailCode}
	otherSID, err := other.SignIn(user.Email, user.Password)
	if err != nil {
		t.Fatal(err)
	}
	revoke(t, em.FrontendAPIURL(), other.Token, otherSID, snap.SessionID)
	app = launchWait(t, d, bin, dir, env, "ended:ended-elsewhere")
	shot = filepath.Join(out, "desktop-ended-elsewhere.png")
	if err := d.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	assertRendered(t, shot)
	if n := snapshotEntries(t); n != 0 {
		t.Errorf("%d snapshot entries outlived the session", n)
	}
	quit(t, app)

	// 5. Nothing of the token or the snapshot in plaintext in the app's folders.
	secrets := []string{clientToken, snap.SessionID, snap.UserID, snap.Email, snap.Name, snap.Answers["GET /api/me"].Body}
	scanPlaintext(t, []string{filepath.Join(dir, "config"), filepath.Join(dir, "data"), filepath.Join(dir, "cache"), filepath.Join(dir, "state")}, secrets)
}

// Position of "Who am I?" on the signed-in screen in the 1040×760 window.
const apiMeX, apiMeY = 284, 339

func waitNextWithin(t *testing.T, app *xharness.App, screen string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, e := range app.Events() {
			if e.Screen == screen {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	app.Kill()
	t.Fatalf("no %q screen; events %v; log:\n%s", screen, app.Events(), app.Log)
}

// revoke ends session sid from another client, as the user's account page does
// (POST /v1/me/sessions/{id}/revoke).
func revoke(t *testing.T, fapi, token, ownSID, sid string) {
	t.Helper()
	req, _ := http.NewRequest("POST", fapi+"/v1/me/sessions/"+sid+"/revoke?_is_native=1&_clerk_session_id="+ownSID, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
}

// scanPlaintext fails if any file under dirs contains one of secrets.
func scanPlaintext(t *testing.T, dirs, secrets []string) {
	t.Helper()
	files := 0
	for _, root := range dirs {
		_ = filepath.WalkDir(root, func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			files++
			for _, s := range secrets {
				if len(s) >= 6 && bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q in plaintext", p, s[:min(len(s), 12)]+"…")
				}
			}
			return nil
		})
	}
	if files == 0 {
		t.Error("no files scanned: the app wrote nothing where it was pointed?")
	}
	t.Logf("scanned %d files for %d secrets", files, len(secrets))
}
