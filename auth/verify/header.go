package verify

import "slices"

// joseHeader holds the header members verification reads. Decoding the header
// straight into it, rather than into a map, saves most of its allocations.
type joseHeader struct {
	alg, kid, typ, cat string
	present, notString uint8 // bit sets of hAlg…hCat
	crit               bool
}

const (
	hAlg uint8 = 1 << iota
	hKid
	hTyp
	hCat
)

// parseHeader decodes a JOSE header with the same JSON rules as
// parseJSONObject (duplicates refused, depth bounded); members other than
// alg, kid, typ, cat and crit are checked for syntax and dropped.
func parseHeader(b []byte) (joseHeader, error) {
	var h joseHeader
	p := jsonParser{b: b, src: string(b), depth: 1}
	p.ws()
	if p.peek() != '{' {
		return h, errJSONNotObject
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return h, p.end()
	}
	var seenArr [8]string
	seen := seenArr[:0]
	for {
		if p.peek() != '"' {
			return h, errJSONSyntax
		}
		k, err := p.key()
		if err != nil {
			return h, err
		}
		if slices.Contains(seen, k) {
			return h, errJSONDuplicate
		}
		seen = append(seen, k)
		p.ws()
		if p.peek() != ':' {
			return h, errJSONSyntax
		}
		p.i++
		p.ws()
		var bit uint8
		var dst *string
		switch k {
		case "alg":
			bit, dst = hAlg, &h.alg
		case "kid":
			bit, dst = hKid, &h.kid
		case "typ":
			bit, dst = hTyp, &h.typ
		case "cat":
			bit, dst = hCat, &h.cat
		case "crit":
			h.crit = true
		}
		h.present |= bit
		if dst != nil && p.peek() == '"' {
			if *dst, err = p.str(); err != nil {
				return h, err
			}
		} else {
			if _, err := p.value(); err != nil {
				return h, err
			}
			h.notString |= bit
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			return h, p.end()
		default:
			return h, errJSONSyntax
		}
	}
}

// end checks that only white space follows the value.
func (p *jsonParser) end() error {
	p.ws()
	if p.i != len(p.b) {
		return errJSONSyntax
	}
	return nil
}
