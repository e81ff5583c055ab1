package verify

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is what encoding/json makes of b, the reference for parseJSONObject.
func stdDecode(b []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`,
		` {"a" : 1 } `,
		`{"iss":"https://clerk.example.com","exp":1750000060,"fva":[0,-1],"o":{"id":"org_1","rol":"admin"}}`,
		`{"n":[0,-0,1.5,-2.25e3,1E2,1e-7,123456789012345,1234567890123456,12345678901234567890,0.1]}`,
		`{"s":"plain","e":"\"\\\/\b\f\n\r\t","u":"\u00e9\u4e2d\ud83d\ude00","lone":"\ud800x","low":"\udc00","bad":"\ud800\u0041"}`,
		"{\"utf8\":\"h\u00e9llo \u4e2d\",\"invalid\":\"a\xffb\xc3\"}",
		`{"t":true,"f":false,"z":null,"a":[],"o":{},"deep":[[[{"x":[1]}]]]}`,
		`{"k\u0061y":"escaped key"}`,
	}
	for _, d := range docs {
		want, err := stdDecode([]byte(d))
		if err != nil {
			t.Fatalf("reference rejects %q: %v", d, err)
		}
		got, err := parseJSONObject([]byte(d))
		if err != nil {
			t.Fatalf("parseJSONObject(%q): %v", d, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseJSONObject(%q)\n got %#v\nwant %#v", d, got, want)
		}
	}
}

func TestParseJSONRefuses(t *testing.T) {
	tests := map[string]error{
		``:                        errJSONSyntax,
		`[]`:                      errJSONNotObject,
		`null`:                    errJSONNotObject,
		`"s"`:                     errJSONNotObject,
		`{`:                       errJSONSyntax,
		`{"a":1,}`:                errJSONSyntax,
		`{"a":1}x`:                errJSONSyntax,
		`{"a":01}`:                errJSONSyntax,
		`{"a":1.}`:                errJSONSyntax,
		`{"a":.1}`:                errJSONSyntax,
		`{"a":-}`:                 errJSONSyntax,
		`{"a":1e}`:                errJSONSyntax,
		`{"a":+1}`:                errJSONSyntax,
		`{"a":NaN}`:               errJSONSyntax,
		`{"a":tru}`:               errJSONSyntax,
		`{'a':1}`:                 errJSONSyntax,
		`{"a":"\x"}`:              errJSONSyntax,
		`{"a":"\u12"}`:            errJSONSyntax,
		"{\"a\":\"line\nbreak\"}": errJSONSyntax,
		`{"a":"unterminated}`:     errJSONSyntax,
		`{"a":1e400}`:             errJSONNumber,
		`{"a":1,"a":2}`:           errJSONDuplicate,
		`{"a":1,"\u0061":2}`:      errJSONDuplicate,
		`{"o":{"x":1,"x":1}}`:     errJSONDuplicate,
		strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat(`}`, 33):         errJSONDepth,
		`{"a":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}`: errJSONDepth,
	}
	for doc, want := range tests {
		if _, err := parseJSONObject([]byte(doc)); !errors.Is(err, want) {
			t.Errorf("parseJSONObject(%.40q) = %v, want %v", doc, err, want)
		}
	}
	// 32 levels is the limit, not beyond it.
	ok := strings.Repeat(`{"a":`, 31) + `1` + strings.Repeat(`}`, 31)
	if _, err := parseJSONObject([]byte(ok)); err != nil {
		t.Errorf("31 nested objects: %v", err)
	}
}

// FuzzParseJSON is a differential test: wherever parseJSONObject accepts
// input, encoding/json must decode it to the same value, and wherever
// encoding/json decodes an object, parseJSONObject must agree unless one of
// its deliberate restrictions applies.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"iss":"https://clerk.example.com","exp":1750000060,"fva":[0,-1],"o":{"id":"org_1"}}`))
	f.Add([]byte(`{"s":"\ud83d\ude00\u00e9\"","n":-0.5e-3,"a":[true,false,null,{}]}`))
	f.Add([]byte("{\"x\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkHeaderAgainstStd(t, b)
		got, err := parseJSONObject(b)
		want, stdErr := stdDecode(b)
		if err == nil {
			if stdErr != nil {
				t.Fatalf("accepted %q, which encoding/json refuses: %v", b, stdErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %q as %#v, encoding/json as %#v", b, got, want)
			}
			return
		}
		if stdErr == nil && want != nil {
			switch {
			case errors.Is(err, errJSONDuplicate), errors.Is(err, errJSONDepth):
			default:
				t.Fatalf("refused %q (%v), which encoding/json decodes to %#v", b, err, want)
			}
		}
	})
}

// checkHeaderAgainstStd holds parseHeader to the same standard as
// parseJSONObject: it accepts exactly what parseJSONObject accepts, and reads
// the same values.
func checkHeaderAgainstStd(t *testing.T, b []byte) {
	h, err := parseHeader(b)
	m, mErr := parseJSONObject(b)
	if (err == nil) != (mErr == nil) {
		t.Fatalf("parseHeader(%q) = %v but parseJSONObject = %v", b, err, mErr)
	}
	if err != nil {
		return
	}
	for _, f := range []struct {
		name string
		bit  uint8
		got  string
	}{{"alg", hAlg, h.alg}, {"kid", hKid, h.kid}, {"typ", hTyp, h.typ}, {"cat", hCat, h.cat}} {
		v, present := m[f.name]
		s, isString := v.(string)
		if present != (h.present&f.bit != 0) || present && isString == (h.notString&f.bit != 0) || isString && s != f.got {
			t.Fatalf("parseHeader(%q).%s = %q (present %v), want %#v", b, f.name, f.got, h.present&f.bit != 0, v)
		}
	}
	if _, crit := m["crit"]; crit != h.crit {
		t.Fatalf("parseHeader(%q) crit = %v", b, h.crit)
	}
}

func TestParseHeader(t *testing.T) {
	for _, doc := range []string{
		`{"alg":"RS256","cat":"cl_B7d4PD111AAA","kid":"ins_1","typ":"JWT"}`,
		`{}`,
		` { "alg" : "RS\u0032\u00356" , "x5c" : ["a", {"b": [1]}] , "crit" : ["exp"] } `,
		`{"alg":256,"kid":null,"typ":{},"cat":[]}`,
		`{"alg":"RS256","alg":"none"}`,
		`{"kid":"a","x":1,"x":2}`,
		`{"alg":"RS256"} x`,
		`["alg"]`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":11}`,
		`{"x":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`,
	} {
		checkHeaderAgainstStd(t, []byte(doc))
	}
	h, err := parseHeader([]byte(`{"alg":"RS\u0032\u00356","kid":"k"}`))
	if err != nil || h.alg != "RS256" || h.kid != "k" {
		t.Fatalf("escaped alg: %+v, %v", h, err)
	}
}
