package keychain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The manifest is the entry stored under Options.Account. It is the single
// point that makes a value current: switching it is one keychain write, so a
// reader sees either the old value or the new one.
//
// One header line, then (for inline values only) a newline and the value:
//
//	deskclerk-keychain/1 inline [gc=…]\n<value>
//	deskclerk-keychain/1 chunks gen=<16 hex> n=<count> len=<bytes> sha256=<64 hex> [gc=…]
//	deskclerk-keychain/1 empty [gc=…]
//
// gc lists chunk generations ("<gen>:<count>,…") that may still exist in the
// keychain but are no longer (or not yet) referenced: a generation being
// written, or an old one not yet deleted. Writers delete them later, so a
// crash never leaves chunks nobody knows about. "empty" reads as not found.
const manifestMagic = "deskclerk-keychain/1"

const (
	maxGC     = 16   // generations remembered for clean-up; more means repeated crashes
	maxChunks = 4096 // sanity bound when parsing
	genIDLen  = 16   // hex digits

	// gcEntryMax is the most one more gc entry adds: " gc=<id>:<n>" for the
	// first, ",<id>:<n>" after that.
	gcEntryMax = len(" gc=") + genIDLen + len(":") + 4
)

type manifestKind int

const (
	kindEmpty manifestKind = iota
	kindInline
	kindChunks
)

// generation is one set of chunk entries: <account>.<id>.0 … <account>.<id>.<n-1>.
type generation struct {
	id string
	n  int
}

type manifest struct {
	kind  manifestKind
	value string     // kindInline
	gen   generation // kindChunks
	size  int        // kindChunks: total bytes
	sum   string     // kindChunks: hex SHA-256 of the whole value
	gc    []generation
}

func (m manifest) encode() string {
	var b strings.Builder
	b.WriteString(manifestMagic)
	switch m.kind {
	case kindEmpty:
		b.WriteString(" empty")
	case kindInline:
		b.WriteString(" inline")
	case kindChunks:
		fmt.Fprintf(&b, " chunks gen=%s n=%d len=%d sha256=%s", m.gen.id, m.gen.n, m.size, m.sum)
	}
	if len(m.gc) > 0 {
		b.WriteString(" gc=")
		for i, g := range m.gc {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%d", g.id, g.n)
		}
	}
	if m.kind == kindInline {
		b.WriteByte('\n')
		b.WriteString(m.value)
	}
	return b.String()
}

// parseManifest is strict: anything it does not fully understand is
// ErrCorrupt. Error messages never quote raw, which may be a token.
func parseManifest(raw string) (manifest, error) {
	bad := func(why string) (manifest, error) {
		return manifest{}, fmt.Errorf("%w: manifest %s", ErrCorrupt, why)
	}
	header, body, hasBody := strings.Cut(raw, "\n")
	fields := strings.Split(header, " ")
	if len(fields) < 2 || fields[0] != manifestMagic {
		return bad("has an unknown format")
	}
	var m manifest
	switch fields[1] {
	case "empty":
		m.kind = kindEmpty
	case "inline":
		m.kind = kindInline
	case "chunks":
		m.kind = kindChunks
	default:
		return bad("has an unknown kind")
	}
	seen := map[string]bool{}
	for _, f := range fields[2:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || seen[k] {
			return bad("has a malformed field")
		}
		seen[k] = true
		var err error
		switch k {
		case "gen":
			m.gen.id, err = parseGenID(v)
		case "n":
			m.gen.n, err = parseCount(v, 1, maxChunks)
		case "len":
			m.size, err = parseCount(v, 1, MaxValueSize)
		case "sha256":
			if len(v) != 64 || !isLowerHex(v) {
				err = fmt.Errorf("bad checksum")
			}
			m.sum = v
		case "gc":
			m.gc, err = parseGC(v)
		default:
			err = fmt.Errorf("unknown field")
		}
		if err != nil {
			return bad("field " + k + ": " + err.Error())
		}
	}
	switch m.kind {
	case kindChunks:
		if !seen["gen"] || !seen["n"] || !seen["len"] || !seen["sha256"] || hasBody {
			return bad("for chunks is incomplete")
		}
		if m.gen.n > m.size {
			return bad("has more chunks than bytes")
		}
		for _, g := range m.gc {
			if g.id == m.gen.id {
				return bad("lists its current generation as garbage")
			}
		}
	case kindInline:
		if seen["gen"] || seen["n"] || seen["len"] || seen["sha256"] || !hasBody || body == "" {
			return bad("for an inline value is malformed")
		}
		m.value = body
	case kindEmpty:
		if seen["gen"] || seen["n"] || seen["len"] || seen["sha256"] || hasBody {
			return bad("for an empty state is malformed")
		}
	}
	return m, nil
}

func parseGenID(v string) (string, error) {
	if len(v) != genIDLen || !isLowerHex(v) {
		return "", fmt.Errorf("bad generation id")
	}
	return v, nil
}

func parseCount(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || strconv.Itoa(n) != v {
		return 0, fmt.Errorf("bad number")
	}
	return n, nil
}

func parseGC(v string) ([]generation, error) {
	parts := strings.Split(v, ",")
	if len(parts) > maxGC {
		return nil, fmt.Errorf("too many entries")
	}
	out := make([]generation, 0, len(parts))
	for _, p := range parts {
		id, n, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("bad entry")
		}
		var g generation
		var err error
		if g.id, err = parseGenID(id); err != nil {
			return nil, err
		}
		if g.n, err = parseCount(n, 1, maxChunks); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func newGenID() string {
	var b [genIDLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func chunkUser(account, genID string, i int) string {
	return account + "." + genID + "." + strconv.Itoa(i)
}

func checksum(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

// splitChunks cuts v into pieces of at most size bytes, only at rune
// boundaries so that every piece is valid UTF-8 on its own (some keychains
// treat entries as text).
func splitChunks(v string, size int) []string {
	var out []string
	for len(v) > size {
		cut := size
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		out = append(out, v[:cut])
		v = v[cut:]
	}
	return append(out, v)
}

// mergeGC appends gens to gc, skipping duplicates and keep (the current
// generation), and keeps at most maxGC entries (the newest). dropped reports
// generations forgotten because of that bound.
func mergeGC(gc []generation, keep string, gens ...generation) (out []generation, dropped int) {
	seen := map[string]bool{keep: true}
	for _, g := range append(append([]generation{}, gc...), gens...) {
		if g.id == "" || seen[g.id] {
			continue
		}
		seen[g.id] = true
		out = append(out, g)
	}
	if len(out) > maxGC {
		dropped = len(out) - maxGC
		out = out[dropped:]
	}
	return out, dropped
}
