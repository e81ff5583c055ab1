package verify

import (
	"context"
	"testing"
	"time"

	clerk "github.com/clerk/clerk-sdk-go/v2"
	clerkjwt "github.com/clerk/clerk-sdk-go/v2/jwt"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return t0 }

// clerkVerify runs clerk-sdk-go's verifier with the key supplied, the same
// clock and leeway, and an azp rule equal to ours.
func clerkVerify(token string, parties []string) error {
	a, _, _ := keys()
	_, err := clerkjwt.Verify(context.Background(), &clerkjwt.VerifyParams{
		Token:  token,
		JWK:    &clerk.JSONWebKey{Key: a.Public(), KeyID: kidA, Algorithm: "RS256", Use: "sig"},
		Clock:  fixedClock{},
		Leeway: DefaultLeeway,
		AuthorizedPartyHandler: func(azp string) bool {
			if azp == "" {
				return true
			}
			for _, p := range parties {
				if p == azp {
					return true
				}
			}
			return false
		},
	})
	return err
}

// TestCrossCheckClerkSDK: every token we accept, Clerk's own Go verifier
// accepts with the same key; every token it refuses, we refuse. Where we are
// stricter (exp required, exact iss, kid match, sts, cat, sid, size) is
// listed in the log.
func TestCrossCheckClerkSDK(t *testing.T) {
	cfg := pemConfig()
	cfg.PEMKeyID = kidA
	v := mustNew(t, cfg)
	stricter := 0
	for _, tc := range corpus(t) {
		ours, err := v.Verify(context.Background(), tc.token)
		theirs := clerkVerify(tc.token, cfg.AuthorizedParties)
		switch {
		case err == nil && theirs != nil:
			t.Errorf("%s: we accept, clerk-sdk-go refuses: %v", tc.name, theirs)
		case theirs == nil && err != nil:
			stricter++
			t.Logf("stricter than clerk-sdk-go: %-45s -> %v", tc.name, err)
		case err == nil && ours.UserID == "":
			t.Errorf("%s: accepted without a user id", tc.name)
		}
	}
	if stricter == 0 {
		t.Error("no token separates the two verifiers; the corpus lost its stricter cases")
	}
}
