package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stage copies the repository's real wails.json and build/windows/info.json.
func stage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"wails.json", "build/windows/info.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestStampProject(t *testing.T) {
	dir := stage(t)
	before := readJSON(t, filepath.Join(dir, "wails.json"))
	v, _ := ParseVersion("v1.4.2-3-gabc1234")
	if err := StampProject(dir, v); err != nil {
		t.Fatal(err)
	}
	w := readJSON(t, filepath.Join(dir, "wails.json"))
	info := w["info"].(map[string]any)
	if info["productVersion"] != "1.4.2" {
		t.Errorf("wails.json productVersion = %v", info["productVersion"])
	}
	// everything else is kept
	if w["outputfilename"] != before["outputfilename"] || info["copyright"] != before["info"].(map[string]any)["copyright"] {
		t.Errorf("other fields changed: %v", w)
	}
	wi := readJSON(t, filepath.Join(dir, "build", "windows", "info.json"))
	if got := wi["fixed"].(map[string]any)["file_version"]; got != "1.4.2.3" {
		t.Errorf("file_version = %v", got)
	}
	table := wi["info"].(map[string]any)["0000"].(map[string]any)
	if table["ProductVersion"] != "1.4.2-3-gabc1234" || table["FileVersion"] != "1.4.2.3" {
		t.Errorf("string table = %v", table)
	}
	if table["ProductName"] != "{{.Info.ProductName}}" {
		t.Errorf("Wails' own placeholders must stay for it to fill: %v", table["ProductName"])
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "wails.json"))
	if !bytes.Contains(raw, []byte("©")) {
		t.Errorf("non-ASCII text was escaped: %s", raw)
	}
}

func TestStampProjectRefusesWorkTree(t *testing.T) {
	dir := stage(t)
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join(dir, "wails.json"))
	v, _ := ParseVersion("v1.0.0")
	err := StampProject(dir, v)
	if err == nil || !strings.Contains(err.Error(), "work tree") {
		t.Fatalf("StampProject on a work tree = %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "wails.json")); !bytes.Equal(now, orig) {
		t.Error("the work tree was changed")
	}
}

func TestStampProjectBadInput(t *testing.T) {
	v, _ := ParseVersion("v1.0.0")
	if err := StampProject(t.TempDir(), v); err == nil {
		t.Error("missing wails.json accepted")
	}
	dir := stage(t)
	if err := os.WriteFile(filepath.Join(dir, "build", "windows", "info.json"), []byte(`{"info":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := StampProject(dir, v); err == nil || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("info.json without fixed: %v", err)
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version", "v3.1.4-dirty"}, &out); err != nil {
		t.Fatal(err)
	}
	want := "APP_VERSION=3.1.4-dirty\nNUMERIC_VERSION=3.1.4\nWINDOWS_VERSION=3.1.4.0\nDEB_VERSION=3.1.4+dirty\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	for _, args := range [][]string{nil, {"version"}, {"version", "nope nope"}, {"frobnicate", "v1.0.0"}, {"project", "v1.0.0"}} {
		if err := run(args, &out); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestStampScheme(t *testing.T) {
	dir := stage(t)
	w := readJSON(t, filepath.Join(dir, "wails.json"))
	if got := w["info"].(map[string]any)["protocols"].([]any)[0].(map[string]any)["scheme"]; got != "deskclerk" {
		t.Fatalf("the committed wails.json registers %v, want deskclerk", got)
	}
	if err := StampScheme(dir, "acme-desk"); err != nil {
		t.Fatal(err)
	}
	w = readJSON(t, filepath.Join(dir, "wails.json"))
	p := w["info"].(map[string]any)["protocols"].([]any)[0].(map[string]any)
	if p["scheme"] != "acme-desk" || p["description"] == "" {
		t.Errorf("protocol after stamping: %v", p)
	}
	for _, bad := range []string{"", "Acme", "a b", "1x"} {
		if err := StampScheme(dir, bad); err == nil {
			t.Errorf("scheme %q accepted", bad)
		}
	}
}
