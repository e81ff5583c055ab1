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
	p := jsonParser{b: b, src: string(b)}
	p.ws()
	if p.peek() != '{' {
		return h, errJSONNotObject
	}
	empty, err := p.open('}')
	if err != nil {
		return h, err
	}
	var seenArr [8]string
	seen := seenArr[:0]
	for done := empty; !done; {
		k, err := p.member()
		if err != nil {
			return h, err
		}
		if slices.Contains(seen, k) {
			return h, errJSONDuplicate
		}
		seen = append(seen, k)
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
		if done, err = p.next('}'); err != nil {
			return h, err
		}
	}
	return h, p.end()
}

// end checks that only white space follows the value.
func (p *jsonParser) end() error {
	p.ws()
	if p.i != len(p.b) {
		return errJSONSyntax
	}
	return nil
}
