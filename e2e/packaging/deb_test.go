//go:build e2e

package packaging

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"deskclerk/auth/keychain"
	"deskclerk/emulator"
)

var iconSizes = []int{16, 22, 24, 32, 48, 64, 128, 256, 512}

// controlField returns one field of the .deb's control file.
func controlField(t *testing.T, deb, field string) string {
	t.Helper()
	return strings.TrimSpace(must(t, "dpkg-deb", "-f", deb, field))
}

func TestDebControl(t *testing.T) {
	deb, m := artifact(t, "DEB"), manifest(t)
	if got := controlField(t, deb, "Package"); got != "deskclerk" {
		t.Errorf("Package = %q", got)
	}
	if got := controlField(t, deb, "Version"); got != m["DEB_VERSION"] {
		t.Errorf("Version = %q, want %q", got, m["DEB_VERSION"])
	}
	depends := controlField(t, deb, "Depends")
	t.Logf("Depends: %s", depends)
	for _, want := range []string{"libwebkit2gtk-4.1-0", "libgtk-3-0"} {
		if !regexp.MustCompile(`(^|[ ,])` + regexp.QuoteMeta(want) + `( |,|$)`).MatchString(depends) {
			t.Errorf("Depends lacks %s: %s", want, depends)
		}
	}
	if strings.Contains(depends, "-dev") {
		t.Errorf("Depends names a -dev package: %s", depends)
	}
	// Every dependency is a package this machine knows, so apt can resolve it.
	for _, dep := range strings.Split(depends, ",") {
		name := strings.Fields(strings.TrimSpace(dep))[0]
		if out, err := run(t, 30*time.Second, "dpkg-query", "-W", "-f=${Status}", name); err != nil || !strings.Contains(out, "install ok installed") {
			t.Errorf("dependency %s is not an installed package here: %v %s", name, err, out)
		}
	}
	// No maintainer scripts: dpkg triggers refresh the icon cache and the desktop database,
	// and nothing may run on removal that could touch users' files or keychains.
	tmp := t.TempDir()
	must(t, "dpkg-deb", "-e", deb, tmp)
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm", "conffiles"} {
		if _, err := os.Stat(filepath.Join(tmp, s)); err == nil {
			t.Errorf("unexpected maintainer file %s", s)
		}
	}
}

func TestDebContents(t *testing.T) {
	deb := artifact(t, "DEB")
	listing := must(t, "dpkg-deb", "-c", deb)
	want := []string{"./usr/bin/deskclerk", "./usr/share/applications/deskclerk.desktop", "./usr/share/doc/deskclerk/copyright"}
	for _, n := range iconSizes {
		want = append(want, fmt.Sprintf("./usr/share/icons/hicolor/%dx%d/apps/deskclerk.png", n, n))
	}
	for _, p := range want {
		if !strings.Contains(listing, " "+p+"\n") {
			t.Errorf("%s is not in the package", p)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		if f[1] != "root/root" {
			t.Errorf("owner %s, want root/root: %s", f[1], l)
		}
		if !strings.HasPrefix(f[5], "./usr/") && f[5] != "./" {
			t.Errorf("file outside /usr: %s", f[5])
		}
		if strings.HasSuffix(f[5], "/usr/bin/deskclerk") && f[0] != "-rwxr-xr-x" {
			t.Errorf("binary mode %s", f[0])
		}
	}

	root := t.TempDir()
	must(t, "dpkg-deb", "-x", deb, root)
	desktop := filepath.Join(root, "usr/share/applications/deskclerk.desktop")
	must(t, "desktop-file-validate", desktop)
	entry, _ := os.ReadFile(desktop)
	// The URL scheme for social sign-in: the OS starts deskclerk with the URL (%u).
	scheme := manifest(t)["URL_SCHEME"]
	if scheme == "" {
		t.Fatal("the manifest names no URL_SCHEME")
	}
	for _, line := range []string{"Exec=deskclerk %u", "Icon=deskclerk", "Name=Desk Clerk", "StartupWMClass=deskclerk", "MimeType=x-scheme-handler/" + scheme + ";"} {
		if !strings.Contains(string(entry), line+"\n") {
			t.Errorf("desktop entry lacks %q", line)
		}
	}
	for _, n := range iconSizes {
		p := filepath.Join(root, fmt.Sprintf("usr/share/icons/hicolor/%dx%d/apps/deskclerk.png", n, n))
		got := strings.TrimSpace(must(t, "identify", "-format", "%m %wx%h %[channels]", p))
		if want := fmt.Sprintf("PNG %dx%d srgba", n, n); got != want {
			t.Errorf("icon %d: %q, want %q", n, got, want)
		}
	}
	m := manifest(t)
	if out := strings.TrimSpace(must(t, filepath.Join(root, "usr/bin/deskclerk"), "--version")); out != "Desk Clerk "+m["APP_VERSION"] {
		t.Errorf("--version = %q, want %q", out, "Desk Clerk "+m["APP_VERSION"])
	}
}

// Building the .deb again from the same binary and version gives the same bytes as
// the packaged one (fixed mtimes from SOURCE_DATE_EPOCH, sorted md5sums, PNGs without
// timestamps, root-owned files).
func TestDebIsReproducible(t *testing.T) {
	m := manifest(t)
	bin := filepath.Join(dist(t), "linux-amd64", "deskclerk")
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts/package/deb.sh"), bin, m["DEB_VERSION"], out)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+m["SOURCE_DATE_EPOCH"]) // the packaging run's, whatever HEAD is now
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("deb.sh: %v", err)
	}
	path := strings.TrimSpace(string(b))
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	packaged, err := os.ReadFile(artifact(t, "DEB"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sha256.Sum256(again), sha256.Sum256(packaged); a != b {
		t.Errorf("rebuilding the .deb gives %x, make package gave %x", a, b)
	}
}

func TestDebScriptRejectsBadInput(t *testing.T) {
	script := filepath.Join(repoRoot, "scripts/package/deb.sh")
	bin := filepath.Join(dist(t), "linux-amd64", "deskclerk")
	for name, args := range map[string][]string{
		"bad version":    {bin, "1.0 beta", t.TempDir()},
		"missing binary": {filepath.Join(t.TempDir(), "nope"), "1.0.0", t.TempDir()},
		"no arguments":   {},
	} {
		if out, err := run(t, time.Minute, script, args...); err == nil {
			t.Errorf("%s: deb.sh succeeded: %s", name, out)
		}
	}
}

// The whole life of the .deb on this machine: dpkg -i, launch under Xvfb, dpkg -r and
// --purge; the user's keychain entries and data survive the uninstall.
func TestDebInstallLaunchUninstall(t *testing.T) {
	needSessionBus(t)
	deb, m := artifact(t, "DEB"), manifest(t)
	if m["CHANNEL"] != "development" {
		t.Fatalf("the launch test needs a development-channel package (the local emulator), got %s", m["CHANNEL"])
	}
	if out, err := run(t, 30*time.Second, "dpkg-query", "-W", "-f=${Status}", "deskclerk"); err == nil && strings.Contains(out, "installed") {
		t.Fatalf("deskclerk is already installed here (%s); this test installs and purges it: dpkg --purge deskclerk first", out)
	}
	dpkg := func(args ...string) string {
		name, a := asRoot(append([]string{"dpkg"}, args...)...)
		return must(t, name, a...)
	}
	purged := false
	t.Cleanup(func() {
		if !purged {
			name, a := asRoot("dpkg", "--purge", "deskclerk")
			_, _ = run(t, time.Minute, name, a...)
		}
	})

	start := time.Now()
	dpkg("-i", deb)
	t.Logf("dpkg -i took %v", time.Since(start).Round(time.Millisecond))
	if st := must(t, "dpkg-query", "-W", "-f=${Status} ${Version}", "deskclerk"); st != "install ok installed "+m["DEB_VERSION"] {
		t.Fatalf("after dpkg -i: %q", st)
	}
	const bin = "/usr/bin/deskclerk"
	if out := strings.TrimSpace(must(t, bin, "--version")); out != "Desk Clerk "+m["APP_VERSION"] {
		t.Errorf("%s --version = %q", bin, out)
	}
	must(t, "desktop-file-validate", "/usr/share/applications/deskclerk.desktop")
	// desktop-file-utils' dpkg trigger indexed the entry: the OS now knows who opens
	// deskclerk:// URLs (what xdg-open asks when the browser hands one over).
	if cache, err := os.ReadFile("/usr/share/applications/mimeinfo.cache"); err != nil || !strings.Contains(string(cache), "x-scheme-handler/"+m["URL_SCHEME"]+"=deskclerk.desktop;") {
		t.Errorf("mimeinfo.cache does not map x-scheme-handler/%s to deskclerk.desktop (%v)", m["URL_SCHEME"], err)
	}
	empty := t.TempDir()
	query := exec.Command("xdg-mime", "query", "default", "x-scheme-handler/"+m["URL_SCHEME"])
	query.Env = append(os.Environ(), "XDG_CONFIG_HOME="+empty, "XDG_DATA_HOME="+empty, "XDG_CURRENT_DESKTOP=")
	if out, err := query.Output(); err != nil || strings.TrimSpace(string(out)) != "deskclerk.desktop" {
		t.Errorf("xdg-mime query default x-scheme-handler/%s = %q (%v), want deskclerk.desktop", m["URL_SCHEME"], out, err)
	}

	// A keychain entry of the user's, in the app's own service, made before the uninstall.
	service := keychain.Options{App: "deskclerk", Instance: emulator.FrontendAPIHost}.ServiceName()
	const account, secret = "packaging-test-entry", "kept-after-uninstall"
	store := exec.Command("secret-tool", "store", "--label=Desk Clerk packaging test", "service", service, "username", account)
	store.Stdin = strings.NewReader(secret)
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v %s", err, out)
	}

	d := display(t)
	state := t.TempDir()
	app, err := d.Launch(bin, state)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := app.WaitScreen("signed-out", 60*time.Second)
	if err != nil {
		app.Kill()
		t.Fatal(err)
	}
	t.Logf("installed app: exec → signed-out screen painted in %v", time.Unix(0, ev.ReadyUnixNano).Sub(app.Started).Round(time.Millisecond))
	wid, err := d.XDoTool("search", "--sync", "--onlyvisible", "--name", "^Desk Clerk$")
	if err != nil {
		app.Kill()
		t.Fatal(err)
	}
	// Docks match windows to the .desktop entry by WM_CLASS.
	if cls, err := run(t, 10*time.Second, "xprop", "-display", d.Name, "-id", wid, "WM_CLASS"); err != nil || !strings.Contains(cls, `"deskclerk"`) {
		t.Errorf("WM_CLASS %q does not match StartupWMClass=deskclerk (%v)", cls, err)
	}
	shot := filepath.Join(artifacts(t), "package-deb-installed.png")
	if err := d.Screenshot(shot); err != nil {
		app.Kill()
		t.Fatal(err)
	}
	assertRendered(t, shot)
	if err := app.Quit(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(state, "config", "deskclerk")
	if _, err := os.Stat(dataDir); err != nil {
		t.Fatalf("the app kept no state in %s: %v", dataDir, err)
	}

	dpkg("-r", "deskclerk")
	dpkg("--purge", "deskclerk")
	purged = true
	if out, err := run(t, 30*time.Second, "dpkg-query", "-W", "-f=${Status}", "deskclerk"); err == nil && strings.Contains(out, "installed") {
		t.Errorf("still installed after purge: %s", out)
	}
	gone := []string{bin, "/usr/share/applications/deskclerk.desktop", "/usr/share/doc/deskclerk"}
	for _, n := range iconSizes {
		gone = append(gone, fmt.Sprintf("/usr/share/icons/hicolor/%dx%d/apps/deskclerk.png", n, n))
	}
	for _, p := range gone {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left after purge (%v)", p, err)
		}
	}
	if got := must(t, "secret-tool", "lookup", "service", service, "username", account); got != secret {
		t.Errorf("keychain entry after purge = %q, want %q", got, secret)
	}
	if out := must(t, "secret-tool", "search", "--all", "service", service); !strings.Contains(out, "attribute.username = "+account) {
		t.Errorf("secret-tool search after purge does not list the entry:\n%s", out)
	}
	if _, err := os.Stat(dataDir); err != nil {
		t.Errorf("user data removed by the uninstall: %v", err)
	}
}
