// Package gzassets serves a tree of files that were gzipped at build time as the
// plain files they were: name is answered from name.gz, decompressed as it is
// read. The frontend's build (frontend/vite.config.js) gzips what the binary
// embeds, which keeps the release binary small; the webview gets plain bytes, so
// nothing depends on how a webview's custom-scheme handler treats Content-Encoding.
package gzassets

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"time"
)

// FS answers Open(name) with name itself when it exists, else with name.gz
// decompressed. Directory listings show the stored names (x.gz).
type FS struct{ fsys fs.FS }

// New wraps fsys.
func New(fsys fs.FS) FS { return FS{fsys: fsys} }

// Open implements fs.FS.
func (f FS) Open(name string) (fs.File, error) {
	plain, err := f.fsys.Open(name)
	if err == nil {
		return plain, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !fs.ValidPath(name) || name == "." {
		return nil, err
	}
	gz, gzErr := f.fsys.Open(name + ".gz")
	if gzErr != nil {
		return nil, err // the plain name's error
	}
	st, serr := gz.Stat()
	if serr != nil {
		gz.Close()
		return nil, serr
	}
	size, serr := uncompressedSize(gz, st.Size())
	if serr != nil {
		gz.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: serr}
	}
	return &file{gz: gz, info: info{base: st, size: size}}, nil
}

// uncompressedSize reads the gzip trailer's ISIZE (the size mod 2³², ample for
// web assets). The embedded files implement io.ReaderAt.
func uncompressedSize(f fs.File, n int64) (int64, error) {
	ra, ok := f.(io.ReaderAt)
	if !ok || n < 18 {
		return 0, errors.New("gzassets: cannot read the gzip trailer")
	}
	var b [4]byte
	if _, err := ra.ReadAt(b[:], n-4); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(b[:])), nil
}

// file is an open name.gz, read as name.
type file struct {
	gz   fs.File
	zr   *gzip.Reader
	info info
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *file) Read(p []byte) (int, error) {
	if f.zr == nil {
		// The embedded file's offset may have moved (ReadAt does not move it, but be sure).
		if s, ok := f.gz.(io.Seeker); ok {
			if _, err := s.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
		}
		zr, err := gzip.NewReader(f.gz)
		if err != nil {
			return 0, err
		}
		zr.Multistream(false)
		f.zr = zr
	}
	return f.zr.Read(p)
}

func (f *file) Close() error {
	if f.zr != nil {
		f.zr.Close()
	}
	return f.gz.Close()
}

// info is name.gz's FileInfo with name's name and size.
type info struct {
	base fs.FileInfo
	size int64
}

func (i info) Name() string {
	n := i.base.Name()
	return n[:len(n)-len(".gz")]
}
func (i info) Size() int64        { return i.size }
func (i info) Mode() fs.FileMode  { return i.base.Mode() }
func (i info) ModTime() time.Time { return i.base.ModTime() }
func (i info) IsDir() bool        { return false }
func (i info) Sys() any           { return nil }
