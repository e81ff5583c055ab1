// Package paths says where Desk Clerk keeps its files on each operating system,
// following each platform's conventions: the XDG base directories on Linux,
// %APPDATA% / %LOCALAPPDATA% on Windows and ~/Library on macOS. It only computes
// paths (Resolve is a pure function of the OS name and the environment, so every
// platform's answer can be tested anywhere) and creates none.
//
// Uninstalling the app (dpkg -r/--purge, the Windows uninstaller, deleting the
// .app) removes none of these folders: they belong to the user, like the
// keychain entries.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"
)

// AppDir is the folder name used under each base directory. It matches the
// program name (service.AppName, the Linux binary and WebKitGTK's own folder).
const AppDir = "deskclerk"

// Dirs are the app's folders for one user.
type Dirs struct {
	// Config holds settings, and in development builds the local emulator's
	// state (EmulatorDir); it is os.UserConfigDir()/deskclerk.
	Config string
	// Data is the app's data folder; on Linux WebKitGTK keeps the web view's
	// storage there (see Webview).
	Data string
	// Log holds the app's log files. Logs are per machine, never roaming.
	Log string
	// Webview is the web view's own storage. Only Windows (WebView2's
	// user-data folder) lets the app choose it; on Linux WebKitGTK uses
	// $XDG_DATA_HOME/<program name>, which is Data, and on macOS WKWebView
	// keeps it under ~/Library/WebKit, so there it is informational.
	Webview string
}

// ErrNoBaseDir means the environment names no usable home or base directory.
var ErrNoBaseDir = errors.New("paths: no usable base directory")

// Resolve computes the folders for goos ("linux", "windows", "darwin", …) from
// the environment read through getenv. Relative values are ignored, as the XDG
// specification requires, so a stray XDG_DATA_HOME=tmp cannot scatter files
// into the working directory.
func Resolve(goos string, getenv func(string) string) (Dirs, error) {
	switch goos {
	case "windows":
		return resolveWindows(getenv)
	case "darwin", "ios":
		home, err := absEnv(goos, getenv, "HOME")
		if err != nil {
			return Dirs{}, err
		}
		support := join(goos, home, "Library", "Application Support", AppDir)
		return Dirs{
			Config:  support,
			Data:    support,
			Log:     join(goos, home, "Library", "Logs", AppDir),
			Webview: support,
		}, nil
	default: // Linux and the other Unix-likes: XDG base directories
		base := func(xdgVar, fallback string) (string, error) {
			if v := getenv(xdgVar); isAbs(goos, v) {
				return v, nil
			}
			home, err := absEnv(goos, getenv, "HOME")
			if err != nil {
				return "", fmt.Errorf("%w (and %s is not set to an absolute path)", err, xdgVar)
			}
			return join(goos, home, fallback), nil
		}
		cfg, err := base("XDG_CONFIG_HOME", ".config")
		if err != nil {
			return Dirs{}, err
		}
		data, err := base("XDG_DATA_HOME", ".local/share")
		if err != nil {
			return Dirs{}, err
		}
		state, err := base("XDG_STATE_HOME", ".local/state")
		if err != nil {
			return Dirs{}, err
		}
		d := join(goos, data, AppDir)
		return Dirs{
			Config:  join(goos, cfg, AppDir),
			Data:    d,
			Log:     join(goos, state, AppDir, "logs"),
			Webview: d,
		}, nil
	}
}

func resolveWindows(getenv func(string) string) (Dirs, error) {
	const goos = "windows"
	roaming, err := absEnv(goos, getenv, "APPDATA")
	if err != nil {
		return Dirs{}, err
	}
	// Logs and WebView2's caches can grow to hundreds of megabytes: they belong in
	// the machine-local profile, not the roaming one (Microsoft's guidance for
	// the WebView2 user-data folder).
	local, err := absEnv(goos, getenv, "LOCALAPPDATA")
	if err != nil {
		profile, perr := absEnv(goos, getenv, "USERPROFILE")
		if perr != nil {
			return Dirs{}, err
		}
		local = join(goos, profile, "AppData", "Local")
	}
	d := join(goos, roaming, AppDir)
	return Dirs{
		Config:  d,
		Data:    d,
		Log:     join(goos, local, AppDir, "logs"),
		Webview: join(goos, local, AppDir, "WebView2"),
	}, nil
}

// Current resolves the folders for this process.
func Current() (Dirs, error) { return Resolve(runtime.GOOS, os.Getenv) }

// ConfigDir is the settings folder for this process (not created).
func ConfigDir() (string, error) { d, err := Current(); return d.Config, err }

// EmulatorDir is where the local Clerk emulator keeps its state by default
// (development builds and cmd/emulator): <Config>/emulator (not created).
func EmulatorDir() (string, error) {
	d, err := Current()
	if err != nil {
		return "", err
	}
	return join(runtime.GOOS, d.Config, "emulator"), nil
}

// DataDir is the per-user data folder (cmd/demoapi keeps its bbolt store there).
func DataDir() (string, error) { d, err := Current(); return d.Data, err }

// LogDir is the log folder for this process (not created).
func LogDir() (string, error) { d, err := Current(); return d.Log, err }

// WebviewDataDir is the web view's storage folder for this process (not
// created: WebView2 creates it). Pass it to options.Windows.WebviewUserDataPath.
func WebviewDataDir() (string, error) { d, err := Current(); return d.Webview, err }

func absEnv(goos string, getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	if !isAbs(goos, v) {
		if v == "" {
			return "", fmt.Errorf("%w: %s is not set", ErrNoBaseDir, name)
		}
		return "", fmt.Errorf("%w: %s=%q is not an absolute path", ErrNoBaseDir, name, v)
	}
	return v, nil
}

// isAbs and join work on goos's path syntax whatever the host is, so that the
// Windows layout can be computed and tested on Linux and the other way round.
func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) { // UNC: \\server\share
		return len(p) > 2
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		(('a' <= p[0] && p[0] <= 'z') || ('A' <= p[0] && p[0] <= 'Z'))
}

func join(goos string, elem ...string) string {
	if goos != "windows" {
		return path.Join(elem...)
	}
	parts := make([]string, 0, len(elem))
	for i, e := range elem {
		e = strings.ReplaceAll(e, "/", `\`)
		if i > 0 {
			e = strings.Trim(e, `\`)
		} else if len(e) > 3 { // keep "C:\" and "\\server" intact
			e = strings.TrimRight(e, `\`)
		}
		if e != "" {
			parts = append(parts, e)
		}
	}
	s := strings.Join(parts, `\`)
	return strings.ReplaceAll(s, `:\\`, `:\`)
}
