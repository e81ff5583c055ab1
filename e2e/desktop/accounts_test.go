//go:build e2e

package desktop

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/snapshot"
	"deskclerk/e2e/xharness"
	"deskclerk/emulator"
)

// Positions inside the 1040×760 window on a multi-session instance, from the layout
// at that size (one account signed in, then two).
const (
	addAccountX, addAccountY = 366, 218 // the profile card's "Add account" button
	addEmailX, addEmailY     = 520, 403 // Clerk's email field on the "Add account" card
	switchX, switchY         = 424, 262 // "Switch to <the other account>", two accounts signed in
	signOutTwoX, signOutTwoY = 763, 206 // Sign out, two accounts signed in
)

// wantActive checks the account the app shows (Go's snapshot of the signed-in
// screen) and whom the protected API last answered for.
func wantActive(t *testing.T, app *xharness.App, user emulator.DemoUser, other emulator.DemoUser) {
	t.Helper()
	var snap snapshot.Snapshot
	waitFor(t, "the snapshot of "+user.Email, 10*time.Second, func() bool {
		snap = snapshot.Snapshot{}
		if json.Unmarshal([]byte(snapshotEntry(t)), &snap) != nil {
			return false
		}
		me := snap.Answers["GET /api/me"].Body
		return snap.Email == user.Email && strings.Contains(me, user.Email)
	})
	if me := snap.Answers["GET /api/me"].Body; strings.Contains(me, other.Email) {
		app.Kill()
		t.Fatalf("the API answered for %s too: %s", other.Email, me)
	}
}

// TestSeveralAccounts: a multi-session instance in the real window — sign in as ada,
// add grace, switch back to ada, restart (ada still active), sign out of grace only.
func TestSeveralAccounts(t *testing.T) {
	needKeyring(t)
	forgetKeychain(t)
	bin, out := appBin(t), artifacts(t)
	dir := t.TempDir()
	emuDir := filepath.Join(dir, "emu")
	users := seedEmulator(t, emuDir)
	ada, grace := users[0], users[1]
	env := []string{"DESKCLERK_EMULATOR_DIR=" + emuDir, "DESKCLERK_EMULATOR_MULTI_SESSION=true"}
	d := display(t)

	app := launchWait(t, d, bin, dir, env, "signed-out")
	signInCard(t, d, app, emuDir, ada, emailX, emailY)
	wantActive(t, app, ada, grace)

	// Add grace: Clerk's sign-in card while ada stays signed in.
	seen := len(app.Events())
	click(t, d, addAccountX, addAccountY)
	waitFrom(t, app, seen, "add-account:form")
	signInCard(t, d, app, emuDir, grace, addEmailX, addEmailY)
	wantActive(t, app, grace, ada)

	// Switch back to ada: the API now answers for her.
	seen = len(app.Events())
	click(t, d, switchX, switchY)
	waitFrom(t, app, seen, "signed-in")
	waitFrom(t, app, seen, "api-me:200")
	wantActive(t, app, ada, grace)
	if err := d.Screenshot(filepath.Join(out, "desktop-accounts.png")); err != nil {
		t.Fatal(err)
	}
	quit(t, app)

	// Restart: ada is still the active account (Clerk's last_active_session_id).
	app = launchWait(t, d, bin, dir, env, "signed-in")
	waitFrom(t, app, 0, "api-me:200")
	waitFrom(t, app, 0, "reconciled")
	wantActive(t, app, ada, grace)

	// Switch to grace and sign out of her account only: ada is active again and
	// her API calls work.
	seen = len(app.Events())
	click(t, d, switchX, switchY)
	waitFrom(t, app, seen, "api-me:200")
	wantActive(t, app, grace, ada)
	seen = len(app.Events())
	click(t, d, signOutTwoX, signOutTwoY)
	waitFrom(t, app, seen, "api-me:200")
	wantActive(t, app, ada, grace)
	if err := d.Screenshot(filepath.Join(out, "desktop-accounts-signed-out-of-one.png")); err != nil {
		t.Fatal(err)
	}
	if keychainEntries(t) == 0 {
		t.Fatal("signing out of one account removed the device's sign-in")
	}
	quit(t, app)
}
