package gzassets

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

//go:embed testdata
var testdata embed.FS

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = io.WriteString(w, s)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A gzipped file is served as the plain file (name, size, bytes); a plain file
// and a missing one are as in the wrapped FS.
func TestServesGzippedAsPlain(t *testing.T) {
	sub, err := fs.Sub(testdata, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	fsys := New(sub)
	want := strings.Repeat("console.log('Desk Clerk');\n", 500)
	got, err := fs.ReadFile(fsys, "assets/app.js")
	if err != nil || string(got) != want {
		t.Fatalf("assets/app.js: %d bytes, %v", len(got), err)
	}
	st, err := fs.Stat(fsys, "assets/app.js")
	if err != nil || st.Name() != "app.js" || st.Size() != int64(len(want)) || st.IsDir() {
		t.Fatalf("stat: %v %v", st, err)
	}
	if b, err := fs.ReadFile(fsys, "index.html"); err != nil || !strings.Contains(string(b), "<html") {
		t.Fatalf("index.html: %q %v", b, err)
	}
	if _, err := fsys.Open("assets/none.js"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := fsys.Open("../x"); err == nil {
		t.Fatal("an invalid path opened")
	}
	// The testdata file matches what the test writes (it was made with gz above).
	if raw, _ := fs.ReadFile(sub, "assets/app.js.gz"); len(raw) >= len(want) {
		t.Fatal("testdata/assets/app.js.gz is not compressed")
	}
}

// Read as Wails' asset server reads a file it cannot seek: Stat for the
// Content-Length, 512 bytes to sniff the type, then the rest.
func TestReadLikeTheAssetServer(t *testing.T) {
	want := strings.Repeat("body{color:red}\n", 300)
	fsys := New(fstest.MapFS{"assets/style.css.gz": {Data: gz(t, want)}})
	f, err := fsys.Open("assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() != int64(len(want)) {
		t.Fatalf("size %v, %v; want %d", st.Size(), err, len(want))
	}
	if _, ok := f.(io.Seeker); ok {
		t.Fatal("a decompressing file must not claim to seek")
	}
	var head [512]byte
	n, err := f.Read(head[:])
	if err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || string(head[:n])+string(rest) != want {
		t.Fatalf("read %d+%d bytes, %v", n, len(rest), err)
	}
}
