package logging

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

var benchLine = []byte("time=2026-11-23T18:55:34.277Z level=INFO msg=starting version=1.2.3 channel=release emulator=false\n")

// Baseline: appending the same line to a plain file.
func BenchmarkPlainFileWrite(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "plain.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		if _, err := f.Write(benchLine); err != nil {
			b.Fatal(err)
		}
	}
}

// The rotating file, rotating every ~10,000 lines so rotation cost is included.
func BenchmarkRotatingFileWrite(b *testing.B) {
	r, err := OpenRotating(filepath.Join(b.TempDir(), LogFileName), 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		if _, err := r.Write(benchLine); err != nil {
			b.Fatal(err)
		}
	}
}

// A whole log call: slog with redaction into stderr-equivalent only, then also into the file.
func BenchmarkLogLine(b *testing.B) {
	for _, tc := range []struct {
		name string
		w    func(b *testing.B) io.Writer
	}{
		{"discard-only", func(*testing.B) io.Writer { return io.Discard }},
		{"also-to-file", func(b *testing.B) io.Writer {
			dir := b.TempDir()
			return AlsoToFile(io.Discard, func() (string, error) { return dir, nil })
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			log := New(tc.w(b), slog.LevelInfo)
			for b.Loop() {
				log.Info("starting", "version", "1.2.3", "channel", "release", "emulator", false)
			}
		})
	}
}
