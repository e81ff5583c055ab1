package keychain

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestManifestRoundTrip(t *testing.T) {
	g1 := generation{"0123456789abcdef", 3}
	g2 := generation{"fedcba9876543210", 12}
	tests := []struct {
		name string
		m    manifest
	}{
		{"empty", manifest{kind: kindEmpty}},
		{"empty with gc", manifest{kind: kindEmpty, gc: []generation{g1, g2}}},
		{"inline", manifest{kind: kindInline, value: "eyJhbGciOiJSUzI1NiJ9.e30.sig"}},
		{"inline with newline and gc", manifest{kind: kindInline, value: "a\nb c=d", gc: []generation{g2}}},
		{"chunks", manifest{kind: kindChunks, gen: g1, size: 5000, sum: checksum("x")}},
		{"chunks with gc", manifest{kind: kindChunks, gen: g1, size: 5000, sum: checksum("x"), gc: []generation{g2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.m.encode()
			got, err := parseManifest(raw)
			if err != nil {
				t.Fatalf("parse(%q): %v", raw, err)
			}
			if got.encode() != raw {
				t.Fatalf("round trip changed the manifest:\n got %q\nwant %q", got.encode(), raw)
			}
		})
	}
}

func TestParseManifestRejects(t *testing.T) {
	sum := checksum("x")
	tests := []struct{ name, raw string }{
		{"raw token", "eyJhbGciOiJSUzI1NiJ9.e30.sig"},
		{"empty string", ""},
		{"other magic", "deskclerk-keychain/2 inline\nv"},
		{"unknown kind", manifestMagic + " zip"},
		{"inline without value", manifestMagic + " inline"},
		{"inline with empty value", manifestMagic + " inline\n"},
		{"inline with chunk fields", manifestMagic + " inline n=3\nv"},
		{"chunks missing sum", manifestMagic + " chunks gen=0123456789abcdef n=3 len=10"},
		{"chunks with body", manifestMagic + " chunks gen=0123456789abcdef n=3 len=10 sha256=" + sum + "\nv"},
		{"short gen", manifestMagic + " chunks gen=0123 n=3 len=10 sha256=" + sum},
		{"upper-case gen", manifestMagic + " chunks gen=0123456789ABCDEF n=3 len=10 sha256=" + sum},
		{"zero chunks", manifestMagic + " chunks gen=0123456789abcdef n=0 len=10 sha256=" + sum},
		{"more chunks than bytes", manifestMagic + " chunks gen=0123456789abcdef n=11 len=10 sha256=" + sum},
		{"leading zero", manifestMagic + " chunks gen=0123456789abcdef n=03 len=10 sha256=" + sum},
		{"too long", manifestMagic + " chunks gen=0123456789abcdef n=3 len=999999 sha256=" + sum},
		{"bad sum", manifestMagic + " chunks gen=0123456789abcdef n=3 len=10 sha256=abc"},
		{"duplicate field", manifestMagic + " chunks gen=0123456789abcdef n=3 n=3 len=10 sha256=" + sum},
		{"unknown field", manifestMagic + " empty color=red"},
		{"double space", manifestMagic + "  empty"},
		{"bad gc", manifestMagic + " empty gc=0123456789abcdef"},
		{"current gen in gc", manifestMagic + " chunks gen=0123456789abcdef n=3 len=10 sha256=" + sum + " gc=0123456789abcdef:3"},
		{"too many gc", manifestMagic + " empty gc=" + strings.Repeat("0123456789abcdef:1,", maxGC) + "0123456789abcdef:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseManifest(tt.raw)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parse(%q) = %v, want ErrCorrupt", tt.raw, err)
			}
		})
	}
}

func TestParseManifestErrorNeverQuotesInput(t *testing.T) {
	secret := "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln"
	for _, raw := range []string{secret, manifestMagic + " " + secret, manifestMagic + " empty gc=" + secret} {
		_, err := parseManifest(raw)
		if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Fatalf("error %v quotes the input", err)
		}
	}
}

func TestSplitChunks(t *testing.T) {
	tests := []struct {
		name  string
		value string
		size  int
		want  int
	}{
		{"fits", strings.Repeat("a", 100), 100, 1},
		{"one over", strings.Repeat("a", 101), 100, 2},
		{"10 KB", strings.Repeat("a", 10240), 2000, 6},
		{"multibyte never split", strings.Repeat("é€😀", 500), 64, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := splitChunks(tt.value, tt.size)
			if tt.want != 0 && len(chunks) != tt.want {
				t.Fatalf("got %d chunks, want %d", len(chunks), tt.want)
			}
			if strings.Join(chunks, "") != tt.value {
				t.Fatal("chunks do not join back to the value")
			}
			for i, c := range chunks {
				if len(c) == 0 || len(c) > tt.size || !utf8.ValidString(c) {
					t.Fatalf("chunk %d: %d bytes, valid UTF-8 %v", i, len(c), utf8.ValidString(c))
				}
			}
		})
	}
}

func TestMergeGC(t *testing.T) {
	g := func(i int) generation {
		return generation{id: strings.Repeat(string(rune('a'+i%6)), 15) + string(rune('0'+i%10)), n: 1}
	}
	out, dropped := mergeGC([]generation{g(1), g(2)}, g(2).id, g(1), g(3))
	if len(out) != 2 || out[0] != g(1) || out[1] != g(3) || dropped != 0 {
		t.Fatalf("merge = %v, dropped %d", out, dropped)
	}
	var many []generation
	for i := 0; i < maxGC+3; i++ {
		many = append(many, generation{id: newGenID(), n: 1})
	}
	out, dropped = mergeGC(nil, "", many...)
	if len(out) != maxGC || dropped != 3 || out[len(out)-1] != many[len(many)-1] {
		t.Fatalf("bounded merge kept %d, dropped %d", len(out), dropped)
	}
}
