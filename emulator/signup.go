package emulator

import (
	"encoding/json"
	"net/mail"
	"strings"
	"unicode/utf8"
)

const maxNameLength = 256

func (su *signUpRecord) missingFields() []string {
	var missing []string
	if su.EmailAddress == "" {
		missing = append(missing, "email_address")
	}
	if su.PasswordHash == "" && su.ExternalVerification == nil {
		missing = append(missing, "password")
	}
	return missing
}

func (su *signUpRecord) ready() bool {
	if len(su.missingFields()) > 0 {
		return false
	}
	if su.ExternalVerification != nil {
		return su.ExternalVerification.Status == "verified"
	}
	return su.EmailVerification != nil && su.EmailVerification.Status == "verified"
}

// validEmail accepts a bare addr-spec with a dot in the domain, as Clerk does.
func validEmail(address string) bool {
	a, err := mail.ParseAddress(address)
	if err != nil || a.Address != address || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(address, '@')
	return at > 0 && strings.Contains(address[at+1:], ".") && len(address) <= 320
}

// nameParams copies first_name and last_name, when sent, to first and last.
func (c *call) nameParams(first, last *string) error {
	for _, f := range []struct {
		name string
		dst  *string
	}{{"first_name", first}, {"last_name", last}} {
		if !c.has(f.name) {
			continue
		}
		v := c.param(f.name)
		if utf8.RuneCountInString(v) > maxNameLength {
			return errParamInvalid(f.name, f.name+" must be at most 256 characters.")
		}
		*f.dst = v
	}
	return nil
}

// metadataParam copies unsafe_metadata, when sent, to dst: a JSON object.
func (c *call) metadataParam(dst *map[string]any) error {
	if !c.has("unsafe_metadata") {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(c.param("unsafe_metadata")), &m); err != nil {
		return errParamInvalid("unsafe_metadata", "unsafe_metadata must be a JSON object.")
	}
	*dst = m
	return nil
}

// applySignUpFields copies the editable fields from the request, validating each.
func (s *Server) applySignUpFields(c *call, t *txn, su *signUpRecord) error {
	if c.has("email_address") {
		address := c.param("email_address")
		if !validEmail(address) {
			return errParamInvalid("email_address", "email_address must be a valid email address.")
		}
		if existing, err := t.userByEmail(address); err != nil {
			return err
		} else if existing != nil {
			return errIdentifierExists("email_address")
		}
		if !strings.EqualFold(address, su.EmailAddress) {
			su.EmailVerification = nil
		}
		su.EmailAddress = address
	}
	if err := c.nameParams(&su.FirstName, &su.LastName); err != nil {
		return err
	}
	if c.has("password") {
		pw := c.form.Get("password") // not trimmed: spaces are part of a password
		if utf8.RuneCountInString(pw) < minPasswordLength {
			return errPasswordTooShort(minPasswordLength)
		}
		if len(pw) > 1024 {
			return errParamInvalid("password", "password must be at most 1024 bytes.")
		}
		hash, err := hashPassword(pw)
		if err != nil {
			return err
		}
		su.PasswordHash = hash
	}
	if err := c.metadataParam(&su.UnsafeMetadata); err != nil {
		return err
	}
	if c.boolParam("legal_accepted") {
		su.LegalAcceptedAt = c.nowMS()
	}
	return nil
}

// POST /v1/client/sign_ups
func (s *Server) createSignUp(c *call, t *txn) (any, error) {
	cl, err := c.attemptClient(t)
	if err != nil {
		return nil, err
	}
	now := c.nowMS()
	su := signUpRecord{ID: newID("sua"), Status: "missing_requirements", CreatedAt: now, AbandonAt: now + signInLifetime.Milliseconds()}
	strategy := c.param("strategy")
	switch {
	case c.boolParam("transfer"):
		if err := s.transferToSignUp(c, t, cl, &su); err != nil {
			return nil, err
		}
	case strings.HasPrefix(strategy, "oauth_"):
		if err := s.startOAuth(c, t, cl, "sign_up", su.ID, strategy, &su.ExternalVerification); err != nil {
			return nil, err
		}
	default:
		if err := s.applySignUpFields(c, t, &su); err != nil {
			return nil, err
		}
		if strategy == "email_code" && su.EmailAddress != "" {
			su.EmailVerification = s.newCodeVerification(c, t, su.EmailAddress)
		}
	}
	sup := cl.addSignUp(su)
	if sup.ready() && sup.OAuthNonce == "" {
		if err := s.completeSignUp(c, t, cl, sup); err != nil {
			return nil, err
		}
	}
	return s.respondSignUp(c, t, cl, sup)
}

// respondSignUp saves the client and renders the sign-up in its envelope.
func (s *Server) respondSignUp(c *call, t *txn, cl *clientRecord, su *signUpRecord) (any, error) {
	cl.UpdatedAt = c.nowMS()
	if err := t.saveClient(cl); err != nil {
		return nil, err
	}
	return c.envelope(t, c.render(t).signUp(su), cl)
}

func (s *Server) findSignUp(c *call, t *txn) (*clientRecord, *signUpRecord, error) {
	cl, err := c.requireClient(t)
	if err != nil {
		return nil, nil, err
	}
	su := cl.signUp(c.r.PathValue("id"))
	if su == nil {
		return nil, nil, errNotFound("Sign up")
	}
	return cl, su, nil
}

// findOpenSignUp is findSignUp for the routes that change a sign-up, which a
// completed one refuses.
func (s *Server) findOpenSignUp(c *call, t *txn) (*clientRecord, *signUpRecord, error) {
	cl, su, err := s.findSignUp(c, t)
	if err != nil {
		return nil, nil, err
	}
	if su.Status == "complete" {
		return nil, nil, errSignUpComplete()
	}
	return cl, su, nil
}

// emailCodeStrategy checks the strategy of a sign-up verification: the emulator has only email codes.
func (c *call) emailCodeStrategy() error {
	strategy, err := c.required("strategy")
	if err != nil {
		return err
	}
	if strategy != "email_code" {
		return errStrategyInvalid(strategy)
	}
	return nil
}

// GET /v1/client/sign_ups/{id}[?rotating_token_nonce=…]
func (s *Server) getSignUp(c *call, t *txn) (any, error) {
	cl, su, err := s.findSignUp(c, t)
	if err != nil {
		return nil, err
	}
	if nonce := c.query.Get("rotating_token_nonce"); nonce != "" && su.Status != "complete" {
		if su.OAuthNonce == "" || !constantTimeEqual(nonce, su.OAuthNonce) {
			return nil, errParamValueInvalid("rotating_token_nonce", "The rotating token nonce is invalid or has already been used.")
		}
		su.OAuthNonce = ""
		if su.ready() {
			if err := s.completeSignUp(c, t, cl, su); err != nil {
				return nil, err
			}
		}
	}
	return s.respondSignUp(c, t, cl, su)
}

// PATCH /v1/client/sign_ups/{id}
func (s *Server) updateSignUp(c *call, t *txn) (any, error) {
	cl, su, err := s.findOpenSignUp(c, t)
	if err != nil {
		return nil, err
	}
	if err := s.applySignUpFields(c, t, su); err != nil {
		return nil, err
	}
	if su.ready() {
		if err := s.completeSignUp(c, t, cl, su); err != nil {
			return nil, err
		}
	}
	return s.respondSignUp(c, t, cl, su)
}

// POST /v1/client/sign_ups/{id}/prepare_verification
func (s *Server) prepareVerification(c *call, t *txn) (any, error) {
	cl, su, err := s.findOpenSignUp(c, t)
	if err != nil {
		return nil, err
	}
	if err := c.emailCodeStrategy(); err != nil {
		return nil, err
	}
	if su.EmailAddress == "" {
		return nil, errParamMissing("email_address")
	}
	if retry := s.limiter.retryAfter("signup:"+su.ID, c.now); retry > 0 {
		return nil, errTooManyRequests(retry)
	}
	su.EmailVerification = s.newCodeVerification(c, t, su.EmailAddress)
	return s.respondSignUp(c, t, cl, su)
}

// POST /v1/client/sign_ups/{id}/attempt_verification
func (s *Server) attemptVerification(c *call, t *txn) (any, error) {
	cl, su, err := s.findOpenSignUp(c, t)
	if err != nil {
		return nil, err
	}
	if err := c.emailCodeStrategy(); err != nil {
		return nil, err
	}
	code, err := c.required("code")
	if err != nil {
		return nil, err
	}
	if err := s.attemptCode(c, "signup:"+su.ID, su.EmailVerification, code); err != nil {
		return nil, keepChanges(s.withSaved(c, t, cl, err))
	}
	if su.ready() {
		if err := s.completeSignUp(c, t, cl, su); err != nil {
			return nil, err
		}
	}
	return s.respondSignUp(c, t, cl, su)
}

func errSignUpComplete() *apiError {
	return newAPIError(422, "sign_up_already_complete", "Sign up already complete", "This sign up has already been completed.", nil)
}

// completeSignUp creates the user (announced by a user.created webhook) and
// its first session.
func (s *Server) completeSignUp(c *call, t *txn, cl *clientRecord, su *signUpRecord) error {
	if err := s.sessionAllowed(cl, ""); err != nil {
		return err
	}
	// Re-check under the write lock: another sign-up may have taken the address.
	if existing, err := t.userByEmail(su.EmailAddress); err != nil {
		return err
	} else if existing != nil {
		return errIdentifierExists("email_address")
	}
	now := c.nowMS()
	emailStrategy := "email_code"
	var external []externalAccountRecord
	if id := su.OAuthIdentity; id != nil && su.ExternalVerification != nil {
		emailStrategy = "from_" + id.Provider
		external = append(external, newExternalAccount(id, now))
	}
	email := emailRecord{ID: newID("idn"), Address: su.EmailAddress, Verified: true, Strategy: emailStrategy, CreatedAt: now, UpdatedAt: now}
	u := &userRecord{
		ID: newID("user"), FirstName: su.FirstName, LastName: su.LastName, PasswordHash: su.PasswordHash,
		Emails: []emailRecord{email}, PrimaryEmailID: email.ID, External: external,
		UnsafeMetadata: su.UnsafeMetadata, CreatedAt: now, UpdatedAt: now,
	}
	if u.PasswordHash != "" {
		u.PasswordUpdatedAt = now
	}
	if err := t.saveUser(u); err != nil {
		return err
	}
	if err := s.emitUserEvent(c, t, "user.created", u); err != nil {
		return err
	}
	strategy := emailStrategy
	if su.ExternalVerification != nil {
		strategy = su.ExternalVerification.Strategy
	}
	sess, err := s.startSession(c, t, cl, u, strategy)
	if err != nil {
		return err
	}
	su.Status, su.CreatedUserID, su.CreatedSessionID = "complete", u.ID, sess.ID
	if cl.SignUpID == su.ID {
		cl.SignUpID = ""
	}
	return nil
}

func newExternalAccount(id *oauthIdentity, now int64) externalAccountRecord {
	return externalAccountRecord{
		ID: newID("eac"), Provider: id.Provider, ProviderUserID: id.ProviderUserID, Email: id.Email,
		FirstName: id.FirstName, LastName: id.LastName, Username: id.Username, CreatedAt: now, UpdatedAt: now,
	}
}
