package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// LogFileName is the log file's name inside the log folder.
const LogFileName = "deskclerk.log"

// DefaultMaxBytes is the size at which the log file is rotated.
const DefaultMaxBytes = 5 << 20

// RotatingFile appends to a log file and, before a write would take the file past
// its limit, renames it to "<name>.1" (replacing the previous one) and starts an
// empty file. So the logs of a long-running app never take much more than twice
// the limit. It is safe for concurrent use.
type RotatingFile struct {
	mu     sync.Mutex
	path   string
	max    int64
	f      *os.File // nil after a failed rotation: the next write tries again
	size   int64
	closed bool
}

// OpenRotating opens (creating, mode 0600: logs name people) the file at path
// for appending, rotating at maxBytes (DefaultMaxBytes when <= 0).
func OpenRotating(path string, maxBytes int64) (*RotatingFile, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	r := &RotatingFile{path: path, max: maxBytes}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first when p would not fit.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		r.f = nil
		return fmt.Errorf("rotate log file: %w", err)
	}
	r.f = nil
	if err := os.Rename(r.path, r.path+".1"); err != nil && !os.IsNotExist(err) {
		// Keep logging into the old file rather than losing lines.
		if oerr := r.open(); oerr != nil {
			return fmt.Errorf("rotate log file: %w", oerr)
		}
		return nil
	}
	return r.open()
}

// Close closes the file; later writes fail with os.ErrClosed.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// AlsoToFile returns a writer that writes to w and also to LogFileName in the
// folder dir returns (created, mode 0700), rotated at DefaultMaxBytes. If the file
// cannot be opened it says so once on w and returns w, so the app still starts. A
// failing file write never stops or fails the write to w. Usage in main:
//
//	log := logging.New(logging.AlsoToFile(os.Stderr, paths.LogDir), cfg.LogLevel)
func AlsoToFile(w io.Writer, dir func() (string, error)) io.Writer {
	f, err := openIn(dir)
	if err != nil {
		fmt.Fprintf(w, "logging: not writing a log file: %v\n", err)
		return w
	}
	return &tee{primary: w, file: f}
}

func openIn(dir func() (string, error)) (*RotatingFile, error) {
	d, err := dir()
	if err != nil {
		return nil, err
	}
	if d == "" {
		return nil, fmt.Errorf("no log folder")
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("create log folder: %w", err)
	}
	return OpenRotating(filepath.Join(d, LogFileName), DefaultMaxBytes)
}

// tee writes to primary and, best effort, to file.
type tee struct {
	primary io.Writer
	file    *RotatingFile
}

func (t *tee) Write(p []byte) (int, error) {
	_, _ = t.file.Write(p) // a full disk must not take stderr logging down with it
	return t.primary.Write(p)
}
