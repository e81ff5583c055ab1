package emulator

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	e1 := start(t, Options{Dir: dir})
	users := e1.DemoUsers()
	kid := e1.keys.kid
	n := e1.native()
	sid := n.signIn(t, e1.user("ada@example.com"))
	e1.waitWebhooks()
	if code, body := e1.api("PUT", "/api/favorite-color", n.token4(t, sid, nil), `{"color":"#336699"}`); code != 200 {
		t.Fatalf("PUT color: %d %v", code, body)
	}
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := start(t, Options{Dir: dir})
	if e2.keys.kid != kid {
		t.Error("the signing key changed across a restart")
	}
	if got := e2.DemoUsers(); len(got) != len(users) || got[0] != users[0] {
		t.Errorf("demo users changed: %v vs %v", got, users)
	}
	// The app relaunches with only its stored client token and is still signed in.
	n.e = e2
	r := n.do("GET", "/v1/client", nil).must(t, 200)
	sessions := dig(r.Body, "response", "sessions").([]any)
	if len(sessions) != 1 || str(sessions[0].(map[string]any), "id") != sid {
		t.Fatalf("after restart: %s", r.Raw)
	}
	code, body := e2.api("GET", "/api/favorite-color", n.token4(t, sid, nil), "")
	if code != 200 || body["color"] != "#336699" {
		t.Fatalf("color after restart: %d %v", code, body)
	}
}

func TestTemporaryDirIsRemoved(t *testing.T) {
	s, err := Start(context.Background(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if !strings.Contains(filepath.Base(dir), "deskclerk-emulator-") {
		t.Fatalf("temp dir %q", dir)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still exists (%v)", dir, err)
	}
}

func TestSecondEmulatorOnTheSameDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	start(t, Options{Dir: dir})
	_, err := Start(context.Background(), Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Start on the same dir: %v", err)
	}
}

func TestReadDemoUsers(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDemoUsers(dir); err == nil {
		t.Fatal("ReadDemoUsers on an empty dir should fail")
	}
	e := start(t, Options{Dir: dir})
	want := e.DemoUsers()
	if _, err := ReadDemoUsers(dir); err == nil {
		t.Error("ReadDemoUsers should fail while the emulator holds the database")
	}
	e.Close()
	got, err := ReadDemoUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, u := range got {
		if len(u.Password) < minPasswordLength {
			t.Errorf("demo password for %s too short", u.Email)
		}
	}
	// Passwords are generated per database, not fixed in the source.
	other := start(t, Options{})
	if other.DemoUsers()[0].Password == got[0].Password {
		t.Error("two databases got the same demo password")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "example.com:80"} {
		quiet := slog.New(slog.DiscardHandler)
		if _, err := Start(context.Background(), Options{Addr: addr, Logger: quiet}); err == nil {
			t.Errorf("Start with Addr %s succeeded", addr)
		}
		if _, err := Start(context.Background(), Options{APIAddr: addr, Logger: quiet}); err == nil {
			t.Errorf("Start with APIAddr %s succeeded", addr)
		}
	}
}
