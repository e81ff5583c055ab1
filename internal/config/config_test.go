package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("# comment\nCLERK_PUBLISHABLE_KEY=\"pk_test_fromfile\"\nexport DESKCLERK_LOG_LEVEL=debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		dotenv  string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{"defaults: emulator", nil, "", func(t *testing.T, c Config) {
			if !c.UseEmulator() || c.LogLevel != slog.LevelInfo || c.Release() {
				t.Errorf("got %+v", c)
			}
		}, ""},
		{"dotenv read", nil, dotenv, func(t *testing.T, c Config) {
			if c.PublishableKey != "pk_test_fromfile" || c.LogLevel != slog.LevelDebug || c.UseEmulator() {
				t.Errorf("got %+v", c)
			}
		}, ""},
		{"env beats dotenv", map[string]string{EnvPublishableKey: "pk_test_env"}, dotenv, func(t *testing.T, c Config) {
			if c.PublishableKey != "pk_test_env" {
				t.Errorf("got %q", c.PublishableKey)
			}
		}, ""},
		{"missing dotenv is fine", nil, filepath.Join(dir, "nope"), nil, ""},
		{"parties", map[string]string{EnvAuthorizedParties: " a , ,b "}, "", func(t *testing.T, c Config) {
			if strings.Join(c.AuthorizedParties, "|") != "a|b" {
				t.Errorf("got %q", c.AuthorizedParties)
			}
		}, ""},
		{"api url trimmed", map[string]string{EnvAPIURL: "https://api.example.com/"}, "", func(t *testing.T, c Config) {
			if c.APIURL != "https://api.example.com" {
				t.Errorf("got %q", c.APIURL)
			}
		}, ""},
		{"http api url on loopback", map[string]string{EnvAPIURL: "http://127.0.0.1:8080"}, "", func(t *testing.T, c Config) {
			if c.APIURL != "http://127.0.0.1:8080" {
				t.Errorf("got %q", c.APIURL)
			}
		}, ""},
		{"http api url off loopback", map[string]string{EnvAPIURL: "http://attacker.example"}, "", nil, "plain http is only allowed to this machine"},
		{"http api url to a LAN address", map[string]string{EnvAPIURL: "http://192.168.1.5:8080"}, "", nil, "plain http is only allowed to this machine"},
		{"http api url to a loopback-looking name", map[string]string{EnvAPIURL: "http://127.0.0.1.attacker.example"}, "", nil, "plain http is only allowed to this machine"},
		{"bad api url", map[string]string{EnvAPIURL: "ftp://x"}, "", nil, "absolute http(s) URL"},
		{"api url with credentials", map[string]string{EnvAPIURL: "https://u:p@x"}, "", nil, "absolute http(s) URL"},
		{"standalone emulator", map[string]string{EnvEmulatorURL: "http://127.0.0.1:4000/"}, "", func(t *testing.T, c Config) {
			if c.EmulatorURL != "http://127.0.0.1:4000" || !c.UseEmulator() {
				t.Errorf("got %+v", c)
			}
		}, ""},
		{"emulator off loopback", map[string]string{EnvEmulatorURL: "http://192.0.2.1:4000"}, "", nil, "loopback"},
		{"bad level", map[string]string{EnvLogLevel: "loud"}, "", nil, "log level"},
		{"bad port", map[string]string{EnvOAuthPort: "70000"}, "", nil, "port number"},
		{"bad redirect transport", map[string]string{EnvOAuthRedirect: "pigeon"}, "", nil, "scheme"},
		{"redirect transport per instance", nil, "", func(t *testing.T, c Config) {
			if c.URLScheme != "deskclerk" {
				t.Errorf("scheme %q", c.URLScheme)
			}
			for key, want := range map[string]string{"pk_live_Y2xlcmsuZXhhbXBsZS5jb20k": RedirectScheme, "pk_test_eC5jbGVyay5hY2NvdW50cy5kZXYk": RedirectLoopback, "": RedirectLoopback} {
				if got := c.RedirectFor(key); got != want {
					t.Errorf("RedirectFor(%q) = %q, want %q", key, got, want)
				}
			}
		}, ""},
		{"redirect transport overridden", map[string]string{EnvOAuthRedirect: "loopback"}, "", func(t *testing.T, c Config) {
			if got := c.RedirectFor("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k"); got != RedirectLoopback {
				t.Errorf("got %q", got)
			}
		}, ""},
		{"secret key refused", map[string]string{EnvPublishableKey: "sk_test_abc"}, "", nil, "secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(envOf(tt.env), tt.dotenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "sk_test_abc") {
					t.Fatalf("error echoes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// asRelease makes Load behave as in a release build with the given built-in values.
func asRelease(t *testing.T, key, apiURL string) {
	t.Helper()
	oldC, oldK, oldA := buildChannel, buildPublishableKey, buildAPIURL
	buildChannel, buildPublishableKey, buildAPIURL = "release", key, apiURL
	t.Cleanup(func() { buildChannel, buildPublishableKey, buildAPIURL = oldC, oldK, oldA })
}

func TestReleaseWithoutKeyRefuses(t *testing.T) {
	asRelease(t, "", "")
	if _, err := Load(envOf(nil), ""); !errors.Is(err, ErrNoKeyInRelease) {
		t.Fatalf("err = %v, want ErrNoKeyInRelease", err)
	}
	// The environment cannot supply the missing key either.
	if _, err := Load(envOf(map[string]string{EnvPublishableKey: "pk_live_x"}), ""); !errors.Is(err, ErrNoKeyInRelease) {
		t.Fatalf("release key from the environment: err = %v, want ErrNoKeyInRelease", err)
	}
}

// A release build takes its key and API URL from the build only: a .env in the
// launch directory or the environment cannot send the sign-in or session tokens
// elsewhere. Harmless settings (ReleaseEnv) still come from the environment.
func TestReleaseIgnoresWorkingDirectoryAndEnvironment(t *testing.T) {
	asRelease(t, "pk_live_built", "https://api.built.example")
	dotenv := filepath.Join(t.TempDir(), ".env")
	hostile := "CLERK_PUBLISHABLE_KEY=pk_live_attacker\nDESKCLERK_API_URL=http://attacker.example\nDESKCLERK_LOG_LEVEL=debug\nDESKCLERK_EMULATOR_URL=http://127.0.0.1:9\n"
	if err := os.WriteFile(dotenv, []byte(hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		EnvPublishableKey:    "pk_live_fromenv",
		EnvAPIURL:            "https://api.attacker.example",
		EnvEmulatorURL:       "http://127.0.0.1:9",
		EnvEmulatorDir:       "/tmp/x",
		EnvLogLevel:          "warn",
		EnvOAuthPort:         "4321",
		EnvAuthorizedParties: "wails://wails",
	}
	c, err := Load(envOf(env), dotenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublishableKey != "pk_live_built" || c.APIURL != "https://api.built.example" {
		t.Errorf("key %q, API %q: want the built-in ones", c.PublishableKey, c.APIURL)
	}
	if c.EmulatorURL != "" || c.EmulatorDir != "" {
		t.Errorf("emulator settings taken in a release build: %+v", c)
	}
	if c.LogLevel != slog.LevelWarn || c.OAuthPort != 4321 || strings.Join(c.AuthorizedParties, ",") != "wails://wails" {
		t.Errorf("the harmless settings were not taken from the environment: %+v", c)
	}
	// Only the .env file: nothing of it is read (the level stays at its default).
	if c, err := Load(envOf(nil), dotenv); err != nil || c.LogLevel != slog.LevelInfo || c.APIURL != "https://api.built.example" {
		t.Errorf(".env read by a release build: %+v, %v", c, err)
	}
}

// Even a built-in API URL must not be plain http to another host.
func TestBuiltInHTTPAPIURLRefused(t *testing.T) {
	asRelease(t, "pk_live_built", "http://api.built.example")
	if _, err := Load(envOf(nil), ""); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("err = %v, want plain http refused", err)
	}
}

func TestParseDotenvErrors(t *testing.T) {
	if _, err := ParseDotenv(strings.NewReader("JUSTAWORD\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v", err)
	}
}
