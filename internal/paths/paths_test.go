package paths

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  func(string) string
		want Dirs
	}{
		{"linux defaults", "linux", env("HOME", "/home/ann"), Dirs{
			Config: "/home/ann/.config/deskclerk", Data: "/home/ann/.local/share/deskclerk",
			Log: "/home/ann/.local/state/deskclerk/logs", Webview: "/home/ann/.local/share/deskclerk",
		}},
		{"linux XDG overrides", "linux", env("HOME", "/home/ann", "XDG_CONFIG_HOME", "/c", "XDG_DATA_HOME", "/d/", "XDG_STATE_HOME", "/s"), Dirs{
			Config: "/c/deskclerk", Data: "/d/deskclerk", Log: "/s/deskclerk/logs", Webview: "/d/deskclerk",
		}},
		{"linux relative XDG values are ignored", "linux", env("HOME", "/home/ann", "XDG_DATA_HOME", "rel/data", "XDG_STATE_HOME", "./s"), Dirs{
			Config: "/home/ann/.config/deskclerk", Data: "/home/ann/.local/share/deskclerk",
			Log: "/home/ann/.local/state/deskclerk/logs", Webview: "/home/ann/.local/share/deskclerk",
		}},
		{"linux XDG without HOME", "linux", env("XDG_CONFIG_HOME", "/c", "XDG_DATA_HOME", "/d", "XDG_STATE_HOME", "/s"), Dirs{
			Config: "/c/deskclerk", Data: "/d/deskclerk", Log: "/s/deskclerk/logs", Webview: "/d/deskclerk",
		}},
		{"freebsd uses XDG too", "freebsd", env("HOME", "/usr/home/bo"), Dirs{
			Config: "/usr/home/bo/.config/deskclerk", Data: "/usr/home/bo/.local/share/deskclerk",
			Log: "/usr/home/bo/.local/state/deskclerk/logs", Webview: "/usr/home/bo/.local/share/deskclerk",
		}},
		{"macOS", "darwin", env("HOME", "/Users/ann", "XDG_DATA_HOME", "/ignored"), Dirs{
			Config: "/Users/ann/Library/Application Support/deskclerk", Data: "/Users/ann/Library/Application Support/deskclerk",
			Log: "/Users/ann/Library/Logs/deskclerk", Webview: "/Users/ann/Library/Application Support/deskclerk",
		}},
		{"windows", "windows", env("APPDATA", `C:\Users\Ann\AppData\Roaming`, "LOCALAPPDATA", `C:\Users\Ann\AppData\Local\`), Dirs{
			Config: `C:\Users\Ann\AppData\Roaming\deskclerk`, Data: `C:\Users\Ann\AppData\Roaming\deskclerk`,
			Log: `C:\Users\Ann\AppData\Local\deskclerk\logs`, Webview: `C:\Users\Ann\AppData\Local\deskclerk\WebView2`,
		}},
		{"windows without LOCALAPPDATA falls back to the profile", "windows", env("APPDATA", `D:\Roam`, "USERPROFILE", `D:\Users\Bo`), Dirs{
			Config: `D:\Roam\deskclerk`, Data: `D:\Roam\deskclerk`,
			Log: `D:\Users\Bo\AppData\Local\deskclerk\logs`, Webview: `D:\Users\Bo\AppData\Local\deskclerk\WebView2`,
		}},
		{"windows roaming profile on a share", "windows", env("APPDATA", `\\srv\profiles\ann`, "LOCALAPPDATA", `C:\Local`), Dirs{
			Config: `\\srv\profiles\ann\deskclerk`, Data: `\\srv\profiles\ann\deskclerk`,
			Log: `C:\Local\deskclerk\logs`, Webview: `C:\Local\deskclerk\WebView2`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.goos, tt.env)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("Resolve(%s) =\n %+v\nwant\n %+v", tt.goos, got, tt.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  func(string) string
	}{
		{"linux without HOME", "linux", env()},
		{"linux relative HOME", "linux", env("HOME", "home/ann")},
		{"linux missing one XDG var and HOME", "linux", env("XDG_CONFIG_HOME", "/c", "XDG_DATA_HOME", "/d")},
		{"macOS without HOME", "darwin", env("XDG_DATA_HOME", "/d")},
		{"windows without APPDATA", "windows", env("LOCALAPPDATA", `C:\L`)},
		{"windows relative APPDATA", "windows", env("APPDATA", `Users\Ann`, "LOCALAPPDATA", `C:\L`)},
		{"windows unix-style APPDATA", "windows", env("APPDATA", "/home/ann", "LOCALAPPDATA", `C:\L`)},
		{"windows without any local base", "windows", env("APPDATA", `C:\R`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Resolve(tt.goos, tt.env)
			if !errors.Is(err, ErrNoBaseDir) {
				t.Fatalf("Resolve = %+v, %v; want ErrNoBaseDir", d, err)
			}
			if d != (Dirs{}) {
				t.Errorf("partial result on error: %+v", d)
			}
		})
	}
}

// The app's existing state (the emulator under os.UserConfigDir()/deskclerk) must
// stay where it is: Config is exactly that folder on this platform.
func TestConfigMatchesUserConfigDir(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		t.Skip("os.UserConfigDir conventions checked on linux, darwin and windows only")
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "cfg"))
	base, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, AppDir); got != want {
		t.Errorf("ConfigDir() = %q, want %q", got, want)
	}
}

func TestCurrentFollowsEnvironment(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG variables apply on Linux")
	}
	root := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(root, "data"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(root, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
	for name, f := range map[string]func() (string, error){"ConfigDir": ConfigDir, "LogDir": LogDir, "WebviewDataDir": WebviewDataDir} {
		got, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rel, err := filepath.Rel(root, got); err != nil || rel == got || rel[0] == '.' {
			t.Errorf("%s() = %q, not under %q", name, got, root)
		}
	}
}
