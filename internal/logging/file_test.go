package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRotatingFileRotatesAtLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LogFileName)
	r, err := OpenRotating(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	line := []byte(strings.Repeat("x", 39) + "\n") // 40 bytes
	for i := 0; i < 5; i++ {                       // 40, 80 | 40, 80 | 40
		if _, err := r.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if len(cur) != 40 || len(old) != 80 {
		t.Fatalf("current %d bytes, rotated %d bytes; want 40 and 80", len(cur), len(old))
	}
	if _, err := os.Stat(path + ".2"); !os.IsNotExist(err) {
		t.Errorf("only one old file is kept, found .2: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestRotatingFileAppendsAcrossOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFileName)
	for i := 0; i < 2; i++ {
		r, err := OpenRotating(path, 1000)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(r, "run %d\n", i)
		r.Close()
	}
	b, _ := os.ReadFile(path)
	if string(b) != "run 0\nrun 1\n" {
		t.Fatalf("file = %q", b)
	}
	// The size of what was there counts towards the limit.
	r, err := OpenRotating(path, 14)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fmt.Fprint(r, "run 2\n")
	if b, _ := os.ReadFile(path + ".1"); string(b) != "run 0\nrun 1\n" {
		t.Errorf("rotated = %q", b)
	}
}

func TestRotatingFileOversizedWriteAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFileName)
	r, err := OpenRotating(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("y", 25)
	if n, err := r.Write([]byte(big)); err != nil || n != 25 {
		t.Fatalf("oversized write into an empty file: %d, %v", n, err)
	}
	if b, _ := os.ReadFile(path); string(b) != big {
		t.Errorf("a line longer than the limit is kept whole, got %q", b)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("late")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after Close = %v, want os.ErrClosed", err)
	}
}

func TestRotatingFileConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFileName)
	r, err := OpenRotating(path, 4096)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				fmt.Fprintf(r, "g%d line %03d\n", g, i)
			}
		}(g)
	}
	wg.Wait()
	r.Close()
	var all []byte
	for _, p := range []string{path + ".1", path} {
		b, _ := os.ReadFile(p)
		all = append(all, b...)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(all), "\n"), "\n") {
		if !strings.HasPrefix(l, "g") || !strings.Contains(l, " line ") || len(l) != len("g0 line 000") {
			t.Fatalf("torn line %q", l)
		}
	}
}

func TestAlsoToFileRedactsAndKeepsStderr(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "deskclerk", "logs")
	var stderr bytes.Buffer
	w := AlsoToFile(&stderr, func() (string, error) { return dir, nil })
	log := New(w, slog.LevelInfo)
	log.Info("signed in", "client_token", "opaque-secret-value", "user", "user_1")
	b, err := os.ReadFile(filepath.Join(dir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"file": string(b), "stderr": stderr.String()} {
		if !strings.Contains(out, "signed in") || !strings.Contains(out, "user_1") {
			t.Errorf("%s lacks the line: %q", name, out)
		}
		if strings.Contains(out, "opaque-secret-value") {
			t.Errorf("%s leaked the token: %q", name, out)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("log folder mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestAlsoToFileFallsBackToStderr(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  func() (string, error)
	}{
		{"resolver error", func() (string, error) { return "", errors.New("no HOME") }},
		{"empty folder", func() (string, error) { return "", nil }},
		{"folder cannot be created", func() (string, error) { return filepath.Join(blocker, "logs"), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			w := AlsoToFile(&stderr, tt.dir)
			if w != &stderr {
				t.Fatalf("got %T, want stderr itself", w)
			}
			if !strings.Contains(stderr.String(), "not writing a log file") {
				t.Errorf("no notice: %q", stderr.String())
			}
			New(w, slog.LevelInfo).Info("still logging")
			if !strings.Contains(stderr.String(), "still logging") {
				t.Error("stderr logging stopped")
			}
		})
	}
}

func ExampleAlsoToFile() {
	dir, _ := os.MkdirTemp("", "logs")
	defer os.RemoveAll(dir)
	var stderr bytes.Buffer
	log := New(AlsoToFile(&stderr, func() (string, error) { return dir, nil }), slog.LevelInfo)
	log.Info("started", "token", "never-shown")
	b, _ := os.ReadFile(filepath.Join(dir, LogFileName))
	fmt.Println(strings.Contains(string(b), "started"), strings.Contains(string(b), "never-shown"))
	// Output: true false
}
