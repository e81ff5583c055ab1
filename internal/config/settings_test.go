package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSettingsRecordSources(t *testing.T) {
	dotenv := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(dotenv, []byte("DESKCLERK_LOG_LEVEL=debug\nDESKCLERK_API_URL=http://127.0.0.1:1/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(envOf(map[string]string{EnvAPIURL: "https://api.example.com", EnvEmulatorMultiSession: "1"}), dotenv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Setting{
		EnvAPIURL:               {EnvAPIURL, "https://api.example.com", SourceEnv},
		EnvLogLevel:             {EnvLogLevel, "debug", SourceDotenv},
		EnvPublishableKey:       {EnvPublishableKey, "", SourceBuiltIn},
		EnvEmulatorMultiSession: {EnvEmulatorMultiSession, "true", SourceEnv},
		EnvOAuthPort:            {EnvOAuthPort, "", SourceBuiltIn},
	}
	got := map[string]Setting{}
	for _, s := range c.Settings() {
		got[s.Name] = s
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: got %+v, want %+v", name, got[name], w)
		}
	}
	if !c.EmulatorMultiSession {
		t.Error("EmulatorMultiSession not set")
	}
	if _, err := Load(envOf(map[string]string{EnvEmulatorMultiSession: "maybe"}), ""); err == nil {
		t.Error("a bad boolean was accepted")
	}
}
