package instance

import (
	"errors"
	"strings"
	"testing"
)

// FuzzFromPublishableKey: the parser never panics, fails only with
// ErrMalformedKey, never repeats the key, and whatever it accepts round-trips
// through PublishableKeyFor.
func FuzzFromPublishableKey(f *testing.F) {
	f.Add("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
	f.Add(PublishableKeyFor("127.0.0.1:8443", true))
	f.Add("pk_live_")
	f.Add("sk_test_abc")
	f.Fuzz(func(t *testing.T, pk string) {
		inst, err := FromPublishableKey(pk)
		if err != nil {
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("error %v does not wrap ErrMalformedKey", err)
			}
			assertNoKeyInError(t, pk, err)
			return
		}
		if inst.Issuer != "https://"+inst.FrontendAPI || inst.JWKSURL != inst.Issuer+"/.well-known/jwks.json" {
			t.Fatalf("inconsistent instance %+v", inst)
		}
		if strings.ContainsAny(inst.FrontendAPI, "/@?#$ \t\r\n") {
			t.Fatalf("host %q holds URL syntax", inst.FrontendAPI)
		}
		again, err := FromPublishableKey(PublishableKeyFor(inst.FrontendAPI, inst.Production))
		if err != nil || again != inst {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, inst)
		}
	})
}
