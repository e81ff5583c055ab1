package emulator

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

const (
	signInLifetime = 24 * time.Hour   // abandon_at of sign-in and sign-up attempts
	codeLifetime   = 10 * time.Minute // email codes
	maxCodeTries   = 5                // wrong codes before a verification fails
	testCode       = "424242"         // accepted for +clerk_test addresses, as in Clerk's test mode
)

// isTestAddress reports whether an address gets Clerk's fixed test-mode code.
func isTestAddress(address string) bool {
	return strings.Contains(strings.ToLower(address), "+clerk_test")
}

// POST /v1/client/sign_ins
func (s *Server) createSignIn(c *call, t *txn) (any, error) {
	cl, err := c.attemptClient(t)
	if err != nil {
		return nil, err
	}
	now := c.nowMS()
	si := signInRecord{ID: newID("sia"), Status: "needs_identifier", CreatedAt: now, AbandonAt: now + signInLifetime.Milliseconds()}
	strategy := c.param("strategy")

	switch {
	case c.boolParam("transfer"):
		if err := s.transferToSignIn(c, t, cl, &si); err != nil {
			return nil, err
		}
	case strings.HasPrefix(strategy, "oauth_"):
		if err := s.startOAuth(c, t, cl, "sign_in", si.ID, strategy, &si.FirstFactor); err != nil {
			return nil, err
		}
	default:
		identifier := c.param("identifier")
		if identifier == "" {
			if strategy != "" {
				return nil, errParamMissing("identifier")
			}
			break // an empty sign-in: ClerkJS fills in the identifier later
		}
		u, err := t.userByEmail(identifier)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, errIdentifierNotFound()
		}
		if err := s.sessionAllowed(cl, u.ID); err != nil {
			return nil, err
		}
		si.Identifier, si.UserID, si.Status = identifier, u.ID, "needs_first_factor"
		switch {
		case c.param("password") != "" && (strategy == "" || strategy == "password"):
			if err := s.attemptPassword(c, u, &si, c.param("password")); err != nil {
				cl.addSignIn(si) // the client and the failed attempt stay, as with a separate attempt
				return nil, keepChanges(s.withSaved(c, t, cl, err))
			}
			s.afterPassword(cl, u, &si)
		case strategy == "email_code":
			s.prepareEmailCode(c, t, u, &si.FirstFactor, u.email(identifier))
		case strategy != "" && strategy != "password":
			return nil, errStrategyInvalid(strategy)
		}
	}
	sip := cl.addSignIn(si)
	if sip.FirstFactor != nil && sip.FirstFactor.Status == "verified" && sip.OAuthNonce == "" && sip.Status != "needs_client_trust" {
		if err := s.completeSignIn(c, t, cl, sip); err != nil {
			return nil, err
		}
	}
	return s.respondSignIn(c, t, cl, sip)
}

// respondSignIn saves the client and renders the sign-in in its envelope.
func (s *Server) respondSignIn(c *call, t *txn, cl *clientRecord, si *signInRecord) (any, error) {
	cl.UpdatedAt = c.nowMS()
	if err := t.saveClient(cl); err != nil {
		return nil, err
	}
	resp, err := c.render(t).signIn(si, cl)
	if err != nil {
		return nil, err
	}
	return c.envelope(t, resp, cl)
}

// findSignIn loads the client and one of its sign-ins.
func (s *Server) findSignIn(c *call, t *txn) (*clientRecord, *signInRecord, error) {
	cl, err := c.requireClient(t)
	if err != nil {
		return nil, nil, err
	}
	si := cl.signIn(c.r.PathValue("id"))
	if si == nil {
		return nil, nil, errNotFound("Sign in")
	}
	return cl, si, nil
}

// GET /v1/client/sign_ins/{id}[?rotating_token_nonce=…]
func (s *Server) getSignIn(c *call, t *txn) (any, error) {
	cl, si, err := s.findSignIn(c, t)
	if err != nil {
		return nil, err
	}
	if nonce := c.query.Get("rotating_token_nonce"); nonce != "" {
		if err := s.redeemSignInNonce(c, t, cl, si, nonce); err != nil {
			return nil, err
		}
	}
	return s.respondSignIn(c, t, cl, si)
}

// redeemSignInNonce finishes an OAuth sign-in on the client that started it:
// the nonce came back through the app's redirect URL.
func (s *Server) redeemSignInNonce(c *call, t *txn, cl *clientRecord, si *signInRecord, nonce string) error {
	if si.OAuthNonce == "" {
		if si.Status == "complete" {
			return nil // a repeated reload after completion
		}
		return errParamValueInvalid("rotating_token_nonce", "The rotating token nonce is invalid or has already been used.")
	}
	if subtle.ConstantTimeCompare([]byte(nonce), []byte(si.OAuthNonce)) != 1 {
		return errParamValueInvalid("rotating_token_nonce", "The rotating token nonce is invalid or has already been used.")
	}
	si.OAuthNonce = ""
	if si.FirstFactor != nil && si.FirstFactor.Status == "verified" {
		if err := s.sessionAllowed(cl, si.UserID); err != nil {
			return err
		}
		return s.completeSignIn(c, t, cl, si)
	}
	return nil // transferable: ClerkJS now creates a sign-up with transfer=true
}

// POST /v1/client/sign_ins/{id}/prepare_first_factor
func (s *Server) prepareFirstFactor(c *call, t *txn) (any, error) {
	cl, si, strategy, err := s.findSignInStrategy(c, t)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(strategy, "oauth_") {
		if err := s.startOAuth(c, t, cl, "sign_in", si.ID, strategy, &si.FirstFactor); err != nil {
			return nil, err
		}
		return s.respondSignIn(c, t, cl, si)
	}
	u, err := s.signInUser(t, si)
	if err != nil {
		return nil, err
	}
	if strategy != "email_code" {
		return nil, errStrategyInvalid(strategy)
	}
	email := u.primaryEmail()
	if id := c.param("email_address_id"); id != "" {
		email = nil
		for i := range u.Emails {
			if u.Emails[i].ID == id {
				email = &u.Emails[i]
			}
		}
		if email == nil {
			return nil, errParamValueInvalid("email_address_id", "email_address_id does not belong to this account.")
		}
	}
	if retry := s.limiter.retryAfter(u.ID, c.now); retry > 0 {
		return nil, errTooManyRequests(retry)
	}
	s.prepareEmailCode(c, t, u, &si.FirstFactor, email)
	return s.respondSignIn(c, t, cl, si)
}

// findSignInStrategy is findSignIn for prepare and attempt, which name a strategy.
func (s *Server) findSignInStrategy(c *call, t *txn) (*clientRecord, *signInRecord, string, error) {
	cl, si, err := s.findSignIn(c, t)
	if err != nil {
		return nil, nil, "", err
	}
	strategy, err := c.required("strategy")
	if err != nil {
		return nil, nil, "", err
	}
	return cl, si, strategy, nil
}

func (s *Server) signInUser(t *txn, si *signInRecord) (*userRecord, error) {
	if si.Status == "complete" {
		return nil, newAPIError(http.StatusBadRequest, "sign_in_already_complete", "Sign in already complete",
			"This sign in has already been completed.", nil)
	}
	if si.UserID == "" {
		return nil, errParamMissing("identifier")
	}
	u, err := t.user(si.UserID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errIdentifierNotFound()
	}
	return u, nil
}

// prepareEmailCode creates a fresh code and "sends" it: the emulator's mailbox is its log.
func (s *Server) prepareEmailCode(c *call, t *txn, u *userRecord, v **verificationRecord, email *emailRecord) {
	if email == nil {
		email = u.primaryEmail()
	}
	if email == nil {
		return
	}
	*v = s.newCodeVerification(c, t, email.Address)
	(*v).EmailAddressID = email.ID
}

func (s *Server) newCodeVerification(c *call, t *txn, address string) *verificationRecord {
	code := newOTP()
	if isTestAddress(address) {
		code = testCode
	}
	t.afterCommit(func() { s.sendEmailCode(address, code) })
	return &verificationRecord{Strategy: "email_code", Status: "unverified", ExpireAt: c.nowMS() + codeLifetime.Milliseconds(), Code: code}
}

// POST /v1/client/sign_ins/{id}/attempt_first_factor
func (s *Server) attemptFirstFactor(c *call, t *txn) (any, error) {
	cl, si, strategy, err := s.findSignInStrategy(c, t)
	if err != nil {
		return nil, err
	}
	u, err := s.signInUser(t, si)
	if err != nil {
		return nil, err
	}
	if err := s.sessionAllowed(cl, u.ID); err != nil {
		return nil, err
	}
	switch strategy {
	case "password":
		password, err := c.required("password")
		if err != nil {
			return nil, err
		}
		if err := s.attemptPassword(c, u, si, password); err != nil {
			return nil, keepChanges(s.withSaved(c, t, cl, err))
		}
		if s.afterPassword(cl, u, si) {
			return s.respondSignIn(c, t, cl, si)
		}
	case "email_code":
		code, err := c.required("code")
		if err != nil {
			return nil, err
		}
		if err := s.attemptCode(c, u.ID, si.FirstFactor, code); err != nil {
			return nil, keepChanges(s.withSaved(c, t, cl, err))
		}
	default:
		return nil, errStrategyInvalid(strategy)
	}
	if err := s.completeSignIn(c, t, cl, si); err != nil {
		return nil, err
	}
	return s.respondSignIn(c, t, cl, si)
}

// withSaved saves the client (recording a failed attempt) and passes err on.
func (s *Server) withSaved(c *call, t *txn, cl *clientRecord, err error) error {
	cl.UpdatedAt = c.nowMS()
	if serr := t.saveClient(cl); serr != nil {
		return serr
	}
	return err
}

func (s *Server) attemptPassword(c *call, u *userRecord, si *signInRecord, password string) error {
	if retry := s.limiter.retryAfter(u.ID, c.now); retry > 0 {
		return errTooManyRequests(retry)
	}
	v := si.FirstFactor
	if v == nil || v.Strategy != "password" {
		v = &verificationRecord{Strategy: "password", Status: "unverified"}
		si.FirstFactor = v
	}
	v.Attempts++
	if u.PasswordHash == "" {
		return errStrategyInvalid("password")
	}
	if !checkPassword(u.PasswordHash, password) {
		s.limiter.fail(u.ID, c.now)
		return errPasswordIncorrect()
	}
	s.limiter.reset(u.ID)
	v.Status = "verified"
	return nil
}

// attemptCode checks an email code against a prepared verification.
func (s *Server) attemptCode(c *call, limitKey string, v *verificationRecord, code string) error {
	if retry := s.limiter.retryAfter(limitKey, c.now); retry > 0 {
		return errTooManyRequests(retry)
	}
	if v == nil || v.Strategy != "email_code" || v.Code == "" {
		return newAPIError(http.StatusUnprocessableEntity, "verification_missing", "Verification not prepared",
			"Send a verification code (prepare) before attempting to verify it.", paramMeta("strategy"))
	}
	switch {
	case v.Status == "failed":
		return errVerificationFailed()
	case c.nowMS() > v.ExpireAt:
		v.Status = "expired"
		return errVerificationExpired()
	}
	v.Attempts++
	if subtle.ConstantTimeCompare([]byte(code), []byte(v.Code)) != 1 {
		s.limiter.fail(limitKey, c.now)
		if v.Attempts >= maxCodeTries {
			v.Status = "failed"
			return errVerificationFailed()
		}
		return errCodeIncorrect()
	}
	s.limiter.reset(limitKey)
	v.Status = "verified"
	v.Code = ""
	return nil
}

// completeSignIn creates the session, makes it the client's active one and
// rotates the client token.
func (s *Server) completeSignIn(c *call, t *txn, cl *clientRecord, si *signInRecord) error {
	u, err := t.user(si.UserID)
	if err != nil {
		return err
	}
	if u == nil {
		return errIdentifierNotFound()
	}
	if err := s.sessionAllowed(cl, u.ID); err != nil {
		return err
	}
	strategy := ""
	if si.FirstFactor != nil {
		strategy = si.FirstFactor.Strategy
	}
	sess, err := s.startSession(c, t, cl, u, strategy)
	if err != nil {
		return err
	}
	si.Status = "complete"
	si.CreatedSessionID = sess.ID
	if cl.SignInID == si.ID {
		cl.SignInID = "" // a completed sign-in is no longer the client's current one
	}
	return nil
}
