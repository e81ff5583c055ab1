package verify

import (
	"errors"
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON decoder for JOSE headers and claim sets. encoding/json costs
// about 6.5 µs and 63 allocations for a Clerk claim set — a fifth of an RSA
// verification — so this decodes straight into the map[string]any that
// encoding/json would produce (differential fuzzing checks that), but is
// stricter where strictness is safer: duplicate keys are an error (a second
// "iss" must not win silently), nesting is bounded, and the top level must be
// an object.

// maxJSONDepth bounds nesting; Clerk claims nest two levels deep.
const maxJSONDepth = 32

var (
	errJSONSyntax    = errors.New("invalid JSON")
	errJSONDepth     = errors.New("JSON nested too deeply")
	errJSONDuplicate = errors.New("duplicate key in JSON object")
	errJSONNotObject = errors.New("JSON value is not an object")
	errJSONNumber    = errors.New("JSON number out of range")
)

type jsonParser struct {
	b     []byte
	src   string // b as a string: strings without escapes are slices of it, saving an allocation each
	i     int
	depth int
}

// parseJSONObject decodes b, which must hold exactly one JSON object.
func parseJSONObject(b []byte) (map[string]any, error) {
	p := jsonParser{b: b, src: string(b)}
	p.ws()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, errJSONSyntax
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errJSONNotObject
	}
	return m, nil
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, errJSONSyntax
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, errJSONSyntax
	}
	p.i += len(word)
	return v, nil
}

func (p *jsonParser) object() (any, error) {
	empty, err := p.open('}')
	if err != nil {
		return nil, err
	}
	hint := 0
	if p.depth == 1 {
		// Claim sets run about 30 bytes a claim; sizing the map up front saves regrowth.
		hint = min(len(p.b)/32+1, 64)
	}
	m := make(map[string]any, hint)
	for done := empty; !done; {
		k, err := p.member()
		if err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errJSONDuplicate
		}
		m[k] = v
		if done, err = p.next('}'); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (p *jsonParser) array() (any, error) {
	empty, err := p.open(']')
	if err != nil {
		return nil, err
	}
	if empty {
		return []any{}, nil // as encoding/json: empty, not nil
	}
	var a []any
	for done := false; !done; {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if done, err = p.next(']'); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// open consumes an object's or array's opening bracket and, if the container
// is empty, its closer too.
func (p *jsonParser) open(closer byte) (empty bool, err error) {
	if p.depth++; p.depth > maxJSONDepth {
		return false, errJSONDepth
	}
	p.i++
	p.ws()
	if p.peek() == closer {
		p.i++
		p.depth--
		return true, nil
	}
	return false, nil
}

// member reads an object member's key and the colon after it.
func (p *jsonParser) member() (string, error) {
	if p.peek() != '"' {
		return "", errJSONSyntax
	}
	k, err := p.key()
	if err != nil {
		return "", err
	}
	p.ws()
	if p.peek() != ':' {
		return "", errJSONSyntax
	}
	p.i++
	p.ws()
	return k, nil
}

// next consumes the comma before another element, or the closer (done).
func (p *jsonParser) next(closer byte) (done bool, err error) {
	p.ws()
	switch p.peek() {
	case ',':
		p.i++
		p.ws()
		return false, nil
	case closer:
		p.i++
		p.depth--
		return true, nil
	}
	return false, errJSONSyntax
}

// key is str with the names JOSE headers and Clerk claims use interned, which
// saves an allocation per key.
func (p *jsonParser) key() (string, error) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		if c == '"' {
			p.i = j + 1
			return p.intern(start, j), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return p.str()
}

func (p *jsonParser) intern(start, end int) string {
	switch string(p.b[start:end]) { // the compiler does not allocate for this conversion
	case "alg":
		return "alg"
	case "kid":
		return "kid"
	case "typ":
		return "typ"
	case "cat":
		return "cat"
	case "iss":
		return "iss"
	case "sub":
		return "sub"
	case "sid":
		return "sid"
	case "azp":
		return "azp"
	case "exp":
		return "exp"
	case "iat":
		return "iat"
	case "nbf":
		return "nbf"
	case "jti":
		return "jti"
	case "sts":
		return "sts"
	case "fva":
		return "fva"
	case "v":
		return "v"
	case "o":
		return "o"
	case "id":
		return "id"
	case "slg":
		return "slg"
	case "rol":
		return "rol"
	case "per":
		return "per"
	case "fpm":
		return "fpm"
	case "pla":
		return "pla"
	case "fea":
		return "fea"
	}
	return p.src[start:end]
}

// str decodes the string starting at p.i (an opening quote).
func (p *jsonParser) str() (string, error) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		if c == '"' {
			p.i = j + 1
			return p.src[start:j], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return p.strSlow(start, j)
		}
	}
	return "", errJSONSyntax
}

// strSlow handles escapes and non-ASCII bytes like encoding/json: invalid
// UTF-8 and unpaired surrogates become U+FFFD.
func (p *jsonParser) strSlow(start, j int) (string, error) {
	buf := make([]byte, j-start, len(p.b)-start)
	copy(buf, p.b[start:j])
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(buf), nil
		case c < 0x20:
			return "", errJSONSyntax
		case c == '\\':
			if j+1 >= len(p.b) {
				return "", errJSONSyntax
			}
			switch e := p.b[j+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := hex4(p.b[j+2:])
				if r < 0 {
					return "", errJSONSyntax
				}
				j += 6
				if utf16.IsSurrogate(r) {
					if len(p.b)-j >= 6 && p.b[j] == '\\' && p.b[j+1] == 'u' {
						if dec := utf16.DecodeRune(r, hex4(p.b[j+2:])); dec != unicode.ReplacementChar {
							j += 6
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return "", errJSONSyntax
			}
			j += 2
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			j++
		default:
			r, size := utf8.DecodeRune(p.b[j:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, unicode.ReplacementChar)
			} else {
				buf = append(buf, p.b[j:j+size]...)
			}
			j += size
		}
	}
	return "", errJSONSyntax
}

// hex4 decodes 4 hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number decodes a JSON number to float64, as encoding/json does for any.
func (p *jsonParser) number() (any, error) {
	b, start, j := p.b, p.i, p.i
	neg := b[j] == '-'
	if neg {
		j++
	}
	digits := func() int {
		n := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
			n++
		}
		return n
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		digits()
	default:
		return nil, errJSONSyntax
	}
	isInt := true
	if j < len(b) && b[j] == '.' {
		j++
		if digits() == 0 {
			return nil, errJSONSyntax
		}
		isInt = false
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, errJSONSyntax
		}
		isInt = false
	}
	p.i = j
	// Timestamps and small integers: exact in float64 below 2^53, so skip strconv.
	if isInt && j-start <= 15 {
		var n int64
		for _, c := range b[start:j] {
			if c != '-' {
				n = n*10 + int64(c-'0')
			}
		}
		f := float64(n)
		if neg {
			f = -f
			if n == 0 {
				f = math.Copysign(0, -1)
			}
		}
		return f, nil
	}
	f, err := strconv.ParseFloat(string(b[start:j]), 64)
	if err != nil {
		return nil, errJSONNumber
	}
	return f, nil
}
