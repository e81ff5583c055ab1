package emulator

import (
	"net/http"
	"slices"
)

// Client Trust (Clerk now calls it Device Trust), on by default for new Clerk
// applications: a password sign-in from a client on which the user has never
// had a session stops at status needs_client_trust and asks for a code sent to
// the account's email, through the second-factor routes. Followed here:
//   - clerk/openapi-specs fapi/2026-05-12.yml: Client.SignIn-2 (status
//     needs_client_trust; client_trust_state pending | new | known, "known: the
//     user has had a session on this device before"), and
//     /v1/client/sign_ins/{id}/prepare_second_factor and attempt_second_factor
//     ("requires the sign in attempt status to be needs_second_factor or
//     needs_client_trust").
//   - clerk/javascript packages/ui/src/components/SignIn/SignInFactorOnePasswordCard.tsx
//     (needs_client_trust → the client-trust route) and SignInClientTrust.tsx
//     (the email_code factor from supported_second_factors, prepared then attempted).
//   - clerk/javascript packages/clerk-js/src/core/clerk.ts signOut: the client
//     outlives sign-out, which is what lets Clerk recognise a returning device.

// trustState is the sign-in's client_trust_state: null when Client Trust is
// off, pending until the identifier is known, then new or known.
func (s *Server) trustState(cl *clientRecord, si *signInRecord) any {
	switch {
	case s.noClientTrust:
		return nil
	case si.UserID == "":
		return "pending"
	case cl != nil && cl.knows(si.UserID):
		return "known"
	}
	return "new"
}

// knows reports whether userID has had a session on this client.
func (c *clientRecord) knows(userID string) bool { return slices.Contains(c.KnownUsers, userID) }

// remember records that userID has had a session on this client.
func (c *clientRecord) remember(userID string) {
	if !c.knows(userID) {
		c.KnownUsers = append(c.KnownUsers, userID)
	}
}

// afterPassword decides, once a password has been verified, whether the
// sign-in completes or stops for Client Trust. It reports whether it stopped.
func (s *Server) afterPassword(cl *clientRecord, u *userRecord, si *signInRecord) bool {
	if s.noClientTrust || cl.knows(u.ID) || u.primaryEmail() == nil {
		return false
	}
	si.Status = "needs_client_trust"
	si.SecondFactor = nil
	return true
}

// secondFactors is supported_second_factors for a sign-in that stopped for
// Client Trust: the account's primary email address.
func secondFactors(u *userRecord, si *signInRecord) any {
	if si.Status != "needs_client_trust" {
		return nil
	}
	e := u.primaryEmail()
	if e == nil {
		return nil
	}
	return []object{{"strategy": "email_code", "safe_identifier": e.Address, "email_address_id": e.ID, "primary": true}}
}

func errNotAwaitingSecondFactor() *apiError {
	return newAPIError(http.StatusBadRequest, "verification_strategy_not_valid", "Invalid verification strategy",
		"This sign in does not need a second verification.", paramMeta("strategy"))
}

// POST /v1/client/sign_ins/{id}/prepare_second_factor
func (s *Server) prepareSecondFactor(c *call, t *txn) (any, error) {
	cl, si, err := s.findSignIn(c, t)
	if err != nil {
		return nil, err
	}
	u, err := s.signInUser(t, si)
	if err != nil {
		return nil, err
	}
	if si.Status != "needs_client_trust" {
		return nil, errNotAwaitingSecondFactor()
	}
	if strategy := c.param("strategy"); strategy != "email_code" {
		return nil, errStrategyInvalid(strategy)
	}
	email := u.primaryEmail()
	if id := c.param("email_address_id"); id != "" && (email == nil || email.ID != id) {
		return nil, errParamValueInvalid("email_address_id", "email_address_id does not belong to this account.")
	}
	if retry := s.limiter.retryAfter(u.ID, c.now); retry > 0 {
		return nil, errTooManyRequests(retry)
	}
	s.prepareEmailCode(c, t, u, &si.SecondFactor, email)
	return s.respondSignIn(c, t, cl, si)
}

// POST /v1/client/sign_ins/{id}/attempt_second_factor
func (s *Server) attemptSecondFactor(c *call, t *txn) (any, error) {
	cl, si, err := s.findSignIn(c, t)
	if err != nil {
		return nil, err
	}
	if _, err := s.signInUser(t, si); err != nil {
		return nil, err
	}
	if si.Status != "needs_client_trust" {
		return nil, errNotAwaitingSecondFactor()
	}
	if strategy, err := c.required("strategy"); err != nil {
		return nil, err
	} else if strategy != "email_code" {
		return nil, errStrategyInvalid(strategy)
	}
	code, err := c.required("code")
	if err != nil {
		return nil, err
	}
	if err := s.sessionAllowed(cl, si.UserID); err != nil {
		return nil, err
	}
	if err := s.attemptCode(c, si.UserID, si.SecondFactor, code); err != nil {
		return nil, keepChanges(s.withSaved(c, t, cl, err))
	}
	if err := s.completeSignIn(c, t, cl, si); err != nil {
		return nil, err
	}
	return s.respondSignIn(c, t, cl, si)
}
