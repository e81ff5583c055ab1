package clerkclock_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"deskclerk/auth/clerkclock"
	"deskclerk/auth/internal/testjwt"
	"deskclerk/auth/verify"
)

// TestVerifierOnClerksTime: a desktop clock 5 minutes off either way refuses
// every fresh token on its own time, accepts them on Clerk's estimated time, and
// still refuses an expired one.
func TestVerifierOnClerksTime(t *testing.T) {
	key := testjwt.MustKey("ins_test")
	const iss = "https://clerk.example.com"
	desktop := time.Now()
	for _, off := range []time.Duration{5 * time.Minute, -5 * time.Minute} {
		t.Run(off.String(), func(t *testing.T) {
			clerkNow := desktop.Add(off)
			fresh := key.MustSign(testjwt.SessionClaims(iss, "user_1", "sess_1", clerkNow), "ins_test", "RS256")
			expired := key.MustSign(testjwt.SessionClaims(iss, "user_1", "sess_2", clerkNow.Add(-2*time.Minute)), "ins_test", "RS256")

			clock := clerkclock.New(func() time.Time { return desktop })
			newVerifier := func(now func() time.Time) *verify.Verifier {
				v, err := verify.New(context.Background(), verify.Config{Issuer: iss, PEM: key.PublicPEM(), AZP: verify.AZPIgnore, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { v.Close() })
				return v
			}
			own := newVerifier(func() time.Time { return desktop })
			if _, err := own.Verify(context.Background(), fresh); err == nil {
				t.Fatal("the desktop's own clock accepted a token minted 5 minutes away (the test shows nothing)")
			}
			clerks := newVerifier(clock.Now)
			clock.ObserveDate(clerkNow.UTC().Format(http.TimeFormat), desktop, desktop)
			if _, err := clerks.Verify(context.Background(), fresh); err != nil {
				t.Errorf("fresh token on Clerk's time: %v", err)
			}
			if _, err := clerks.Verify(context.Background(), expired); err == nil {
				t.Error("an expired token was accepted on Clerk's time")
			}
		})
	}
}
