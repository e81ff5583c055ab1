package verify

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestKeyInfoReportsKidsAndAge(t *testing.T) {
	a, b, _ := keys()
	srv := newJWKSServer(t, a)
	v := mustNew(t, jwksConfig(srv.url()))
	if got := v.KeyInfo(); got.Source != srv.url() {
		t.Errorf("source %q", got.Source)
	}
	waitForKeys(t, v)
	first := v.KeyInfo()
	if strings.Join(first.KIDs, ",") != kidA || first.FetchedAt.IsZero() || time.Since(first.FetchedAt) > time.Minute {
		t.Fatalf("after the first fetch: %+v", first)
	}
	// A rotation is a new set: new kids, a newer fetch time.
	srv.setKeys(a, b)
	if _, err := v.Verify(context.Background(), b.MustSign(claims(nil), kidB, "RS256")); err != nil {
		t.Fatal(err)
	}
	second := v.KeyInfo()
	if len(second.KIDs) != 2 || !second.FetchedAt.After(first.FetchedAt) {
		t.Errorf("after a rotation: %+v (first %+v)", second, first)
	}
	if pem := mustNew(t, pemConfig()).KeyInfo(); pem.Source != "PEM" || !pem.FetchedAt.IsZero() {
		t.Errorf("PEM: %+v", pem)
	}
}
