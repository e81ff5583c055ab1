package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The OAuth stand-in. A social sign-in goes, as with Clerk in a native app:
//
//	POST /v1/client/sign_ins strategy=oauth_github&redirect_url=R
//	  → first_factor_verification.external_verification_redirect_url = <emulator>/oauth/github/authorize?state=S
//	browser: consent page → Approve → GET /v1/oauth_callback?code=C&state=S
//	  → 303 R?rotating_token_nonce=N      (Deny → 303 R?__clerk_status=failed&__clerk_error_code=oauth_access_denied)
//	app: GET /v1/client/sign_ins/{id}?rotating_token_nonce=N → session (or "transferable" → sign-up with transfer=true)
const oauthFlowLifetime = 10 * time.Minute

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// validRedirect accepts http(s) URLs with a host and custom app schemes
// (myapp://callback), and refuses schemes that run code or read files.
func validRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return false
	case "http", "https":
		return u.Host != ""
	}
	return true
}

// startOAuth records a pending flow and points the verification at the consent page.
func (s *Server) startOAuth(c *call, t *txn, cl *clientRecord, kind, attemptID, strategy string, v **verificationRecord) error {
	if _, ok := socialProviderName(strategy); !ok {
		return errParamValueInvalid("strategy", strategy+" is not enabled for this instance.")
	}
	redirect := c.param("redirect_url")
	if redirect == "" {
		return errParamMissing("redirect_url")
	}
	if !validRedirect(redirect) {
		return errParamInvalid("redirect_url", "redirect_url must be an absolute URL.")
	}
	if err := s.checkRedirects(c); err != nil {
		return err
	}
	now := c.nowMS()
	if err := pruneOAuthFlows(t, now); err != nil {
		return err
	}
	state := randomString(32, base62)
	flow := oauthFlow{
		State: state, ClientID: cl.ID, Kind: kind, AttemptID: attemptID, Provider: strategy,
		RedirectURL: redirect, ExpireAt: now + oauthFlowLifetime.Milliseconds(),
	}
	if err := t.putJSON(bucketOAuth, state, flow); err != nil {
		return err
	}
	authorize := s.frontendURL + "/oauth/" + strings.TrimPrefix(strategy, "oauth_") + "/authorize?" + url.Values{
		"client_id":     {"deskclerk-emulator"},
		"redirect_uri":  {s.frontendURL + "/v1/oauth_callback"},
		"response_type": {"code"},
		"scope":         {"openid email profile"},
		"state":         {state},
	}.Encode()
	*v = &verificationRecord{Strategy: strategy, Status: "unverified", ExpireAt: flow.ExpireAt, ExternalURL: authorize}
	return nil
}

func pruneOAuthFlows(t *txn, now int64) error {
	var expired []string
	err := t.tx.Bucket(bucketOAuth).ForEach(func(k, v []byte) error {
		var f oauthFlow
		if err := json.Unmarshal(v, &f); err != nil || f.ExpireAt < now {
			expired = append(expired, string(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range expired {
		if err := t.del(bucketOAuth, k); err != nil {
			return err
		}
	}
	return nil
}

// providerUserID is stable per provider and address, as a real provider's account id would be.
func providerUserID(provider, email string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + strings.ToLower(email)))
	return hex.EncodeToString(sum[:10])
}

func userForIdentity(t *txn, id *oauthIdentity) (*userRecord, error) {
	u, err := t.userByExternal(id.Provider, id.ProviderUserID)
	if err != nil || u != nil {
		return u, err
	}
	return t.userByEmail(id.Email)
}

// linkIdentity attaches the provider account to u (announced by user.updated).
func (s *Server) linkIdentity(c *call, t *txn, u *userRecord, id *oauthIdentity) error {
	for _, a := range u.External {
		if a.Provider == id.Provider && a.ProviderUserID == id.ProviderUserID {
			return nil
		}
	}
	now := c.nowMS()
	u.External = append(u.External, newExternalAccount(id, now))
	u.UpdatedAt = now
	if err := t.saveUser(u); err != nil {
		return err
	}
	return s.emitUserEvent(c, t, "user.updated", u)
}

// transferToSignIn signs in the existing account that an OAuth sign-up found (signIn.create({transfer:true})).
func (s *Server) transferToSignIn(c *call, t *txn, cl *clientRecord, si *signInRecord) error {
	// The newest transferable attempt, not only the current one: ClerkJS's UI
	// may start a fresh, empty attempt while it transfers.
	var su *signUpRecord
	for i := len(cl.SignUps) - 1; i >= 0 && su == nil; i-- {
		if x := &cl.SignUps[i]; x.ExternalVerification != nil && x.ExternalVerification.Status == "transferable" && x.OAuthIdentity != nil {
			su = x
		}
	}
	if su == nil {
		return errParamValueInvalid("transfer", "There is no OAuth sign-up on this client to transfer.")
	}
	u, err := userForIdentity(t, su.OAuthIdentity)
	if err != nil {
		return err
	}
	if u == nil {
		return errIdentifierNotFound()
	}
	if err := s.linkIdentity(c, t, u, su.OAuthIdentity); err != nil {
		return err
	}
	si.UserID, si.Identifier, si.Status = u.ID, su.OAuthIdentity.Email, "needs_first_factor"
	si.FirstFactor = &verificationRecord{Strategy: su.OAuthIdentity.Provider, Status: "verified", ExpireAt: c.nowMS() + oauthFlowLifetime.Milliseconds()}
	su.OAuthIdentity, su.Status = nil, "abandoned" // transferred once
	if cl.SignUpID == su.ID {
		cl.SignUpID = ""
	}
	return nil
}

// transferToSignUp creates the account an OAuth sign-in did not find (signUp.create({transfer:true})).
func (s *Server) transferToSignUp(c *call, t *txn, cl *clientRecord, su *signUpRecord) error {
	var si *signInRecord
	for i := len(cl.SignIns) - 1; i >= 0 && si == nil; i-- {
		if x := &cl.SignIns[i]; x.FirstFactor != nil && x.FirstFactor.Status == "transferable" && x.OAuthIdentity != nil {
			si = x
		}
	}
	if si == nil {
		return errParamValueInvalid("transfer", "There is no OAuth sign-in on this client to transfer.")
	}
	id := si.OAuthIdentity
	su.EmailAddress, su.FirstName, su.LastName, su.OAuthIdentity = id.Email, id.FirstName, id.LastName, id
	su.ExternalVerification = &verificationRecord{Strategy: id.Provider, Status: "verified", ExpireAt: c.nowMS() + oauthFlowLifetime.Milliseconds()}
	if c.has("unsafe_metadata") || c.has("legal_accepted") {
		if err := s.applySignUpFields(c, t, su); err != nil {
			return err
		}
	}
	si.OAuthIdentity, si.Status = nil, "abandoned" // transferred once
	if cl.SignInID == si.ID {
		cl.SignInID = ""
	}
	return nil
}

// ---- the provider's consent page ----

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Provider}} — sign in (Desk Clerk emulator)</title>
<style>body{font-family:sans-serif;max-width:34em;margin:3em auto;padding:0 1em;color:#222}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:1em}label{display:block;margin:.4em 0}
input,select{font-size:1em;padding:.3em;width:100%;box-sizing:border-box}button{font-size:1em;padding:.5em 1.5em;margin-right:1em}
.note{color:#666;font-size:.9em}</style></head>
<body><main>
<h1 id="title">Sign in with {{.Provider}}</h1>
<p class="note">This is the Desk Clerk <strong>local emulator</strong>'s stand-in for {{.Provider}}. Nothing leaves this computer.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form id="consent" method="post" action="{{.Action}}">
<input type="hidden" name="state" value="{{.State}}">
<fieldset><legend>Continue as an existing account</legend>
<label for="identity">Account</label>
<select id="identity" name="identity">{{range .Users}}<option value="{{.Email}}">{{.Label}}</option>{{end}}</select>
</fieldset>
<fieldset><legend>…or as a new {{.Provider}} identity</legend>
<p class="note">Filling in an email address here takes precedence over the account above.</p>
<label for="new-email">Email address</label><input id="new-email" name="email" type="email" autocomplete="off">
<label for="new-first-name">First name</label><input id="new-first-name" name="first_name" autocomplete="off">
<label for="new-last-name">Last name</label><input id="new-last-name" name="last_name" autocomplete="off">
</fieldset>
<p>Allow <strong>{{.App}}</strong> to see your name and email address?</p>
<button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form></main></body></html>`))

type consentUser struct{ Email, Label string }

const maxConsentUsers = 50

func (s *Server) writeHTMLError(w http.ResponseWriter, status int, msg string) {
	setPageHeaders(w)
	w.WriteHeader(status)
	_ = template.Must(template.New("e").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head>
<body><h1>Sign-in failed</h1><p id="error" role="alert">{{.}}</p><p>Close this window and start the sign-in again from the app.</p></body></html>`)).Execute(w, msg)
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	// No form-action limit: Chromium applies it to the redirect chain that ends at the app.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
}

func formValues(r *http.Request) url.Values {
	pb, _ := r.Context().Value(bodyKey{}).(parsedBody)
	v := url.Values{}
	for k, vals := range r.URL.Query() {
		v[k] = vals
	}
	for k, vals := range pb.form {
		v[k] = vals
	}
	return v
}

// GET /oauth/{provider}/authorize
func (s *Server) consentGet(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	strategy := "oauth_" + r.PathValue("provider")
	name, ok := socialProviderName(strategy)
	if !ok {
		s.writeHTMLError(w, http.StatusNotFound, "Unknown provider.")
		return
	}
	var users []consentUser
	err := s.store.view(func(t *txn) error {
		f, err := t.oauthFlow(state)
		if err != nil {
			return err
		}
		if f == nil || f.Provider != strategy || f.ExpireAt < s.now().UnixMilli() {
			return errNotFound("OAuth flow")
		}
		all, err := t.allUsers()
		if err != nil {
			return err
		}
		for _, u := range all {
			if len(users) == maxConsentUsers {
				break
			}
			if addr := primaryAddress(u); addr != "" {
				label := strings.TrimSpace(u.FirstName + " " + u.LastName)
				if label == "" {
					label = addr
				} else {
					label += " <" + addr + ">"
				}
				users = append(users, consentUser{Email: addr, Label: label})
			}
		}
		return nil
	})
	if err != nil {
		s.writeHTMLError(w, http.StatusBadRequest, "This sign-in request is unknown or has expired.")
		return
	}
	setPageHeaders(w)
	_ = consentPage.Execute(w, map[string]any{
		"Provider": name, "State": state, "Users": users, "App": applicationName,
		"Action": "/oauth/" + r.PathValue("provider") + "/authorize",
	})
}

// POST /oauth/{provider}/authorize: the person approved or denied.
func (s *Server) consentPost(w http.ResponseWriter, r *http.Request) {
	v := formValues(r)
	state := v.Get("state")
	strategy := "oauth_" + r.PathValue("provider")
	callback := url.Values{"state": {state}}
	err := s.store.update(func(t *txn) error {
		f, err := t.oauthFlow(state)
		if err != nil {
			return err
		}
		if f == nil || f.Provider != strategy || f.ExpireAt < s.now().UnixMilli() {
			return errNotFound("OAuth flow")
		}
		if v.Get("decision") != "approve" {
			callback.Set("error", "access_denied")
			callback.Set("error_description", "The user denied the request.")
			return nil
		}
		id, err := s.chooseIdentity(t, strategy, v)
		if err != nil {
			return err
		}
		f.Identity = id
		f.Code = randomString(32, base62)
		callback.Set("code", f.Code)
		return t.putJSON(bucketOAuth, state, f)
	})
	if err != nil {
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
			s.writeHTMLError(w, http.StatusUnprocessableEntity, ae.errs[0].LongMessage)
			return
		}
		s.writeHTMLError(w, http.StatusBadRequest, "This sign-in request is unknown or has expired.")
		return
	}
	http.Redirect(w, r, "/v1/oauth_callback?"+callback.Encode(), http.StatusSeeOther)
}

func (s *Server) chooseIdentity(t *txn, strategy string, v url.Values) (*oauthIdentity, error) {
	id := &oauthIdentity{Provider: strategy}
	if email := strings.TrimSpace(v.Get("email")); email != "" {
		if !validEmail(email) {
			return nil, errParamInvalid("email", "Enter a valid email address.")
		}
		id.Email = email
		id.FirstName = strings.TrimSpace(v.Get("first_name"))
		id.LastName = strings.TrimSpace(v.Get("last_name"))
		if id.FirstName == "" && id.LastName == "" {
			id.FirstName = email[:strings.IndexByte(email, '@')]
		}
	} else {
		u, err := t.userByEmail(v.Get("identity"))
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, errParamInvalid("identity", "Choose an account or enter an email address.")
		}
		id.Email, id.FirstName, id.LastName = primaryAddress(u), u.FirstName, u.LastName
	}
	if len(id.FirstName) > maxNameLength || len(id.LastName) > maxNameLength {
		return nil, errParamInvalid("first_name", "Names must be at most 256 characters.")
	}
	id.ProviderUserID = providerUserID(strategy, id.Email)
	id.Username = strings.ToLower(id.Email[:strings.IndexByte(id.Email, '@')])
	return id, nil
}

// GET|POST /v1/oauth_callback: where the provider returns; ends at the app's redirect URL.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	v := formValues(r)
	state := v.Get("state")
	var target string
	err := s.store.update(func(t *txn) error {
		f, err := t.oauthFlow(state)
		if err != nil || f == nil {
			return errNotFound("OAuth flow")
		}
		if err := t.del(bucketOAuth, state); err != nil { // single use
			return err
		}
		now := s.now()
		c := &call{s: s, now: now}
		fail := func(code string) error {
			target = withQuery(f.RedirectURL, url.Values{"__clerk_status": {"failed"}, "__clerk_error_code": {code}})
			return s.failAttempt(t, f, code, now.UnixMilli())
		}
		switch {
		case f.ExpireAt < now.UnixMilli():
			return fail("oauth_expired")
		case v.Get("error") == "access_denied":
			return fail("oauth_access_denied")
		case v.Get("error") != "" || f.Code == "" || !constantTimeEqual(v.Get("code"), f.Code):
			return fail("oauth_callback_invalid")
		}
		if f.Kind == "connect" {
			target, err = s.connectFlow(c, t, f)
			return err
		}
		nonce, err := s.resolveFlow(c, t, f)
		if err != nil {
			return err
		}
		if nonce == "" {
			return fail("oauth_callback_invalid")
		}
		if s.production && !s.allowlisted(f.RedirectURL) {
			target = f.RedirectURL // the nonce goes only to allowlisted URLs
			return nil
		}
		target = withQuery(f.RedirectURL, url.Values{"rotating_token_nonce": {nonce}})
		return nil
	})
	if err != nil {
		s.writeHTMLError(w, http.StatusBadRequest, "This sign-in request is unknown or has expired.")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// resolveFlow applies the provider's answer to the sign-in or sign-up that
// started the flow and returns the nonce that lets its client finish; "" if
// the attempt is gone.
func (s *Server) resolveFlow(c *call, t *txn, f *oauthFlow) (string, error) {
	cl, err := t.client(f.ClientID)
	if err != nil || cl == nil {
		return "", err
	}
	id := f.Identity
	u, err := userForIdentity(t, id)
	if err != nil {
		return "", err
	}
	nonce := randomString(32, base62)
	now := c.nowMS()
	switch f.Kind {
	case "sign_in":
		si := cl.signIn(f.AttemptID)
		if si == nil || si.FirstFactor == nil {
			return "", nil
		}
		si.OAuthIdentity, si.OAuthNonce = id, nonce
		if u != nil {
			if err := s.linkIdentity(c, t, u, id); err != nil {
				return "", err
			}
			si.UserID, si.Identifier, si.Status = u.ID, id.Email, "needs_first_factor"
			si.FirstFactor.Status = "verified"
		} else {
			si.FirstFactor.Status = "transferable"
			si.FirstFactor.Error = &clerkError{Code: "external_account_not_found", Message: "The External Account was not found.",
				LongMessage: "Invalid external account", Meta: map[string]any{}}
		}
	case "sign_up":
		su := cl.signUp(f.AttemptID)
		if su == nil || su.ExternalVerification == nil {
			return "", nil
		}
		su.OAuthIdentity, su.OAuthNonce = id, nonce
		if u != nil {
			su.ExternalVerification.Status = "transferable"
			su.ExternalVerification.Error = &clerkError{Code: "external_account_exists", Message: "External account already exists.",
				LongMessage: "This external account already exists. Sign in instead.", Meta: map[string]any{}}
		} else {
			su.ExternalVerification.Status = "verified"
			su.EmailAddress, su.FirstName, su.LastName = id.Email, id.FirstName, id.LastName
		}
	default:
		return "", nil
	}
	cl.UpdatedAt = now
	return nonce, t.saveClient(cl)
}

// failAttempt marks the attempt's OAuth verification failed.
func (s *Server) failAttempt(t *txn, f *oauthFlow, code string, now int64) error {
	cl, err := t.client(f.ClientID)
	if err != nil || cl == nil {
		return err
	}
	var v *verificationRecord
	if si := cl.signIn(f.AttemptID); si != nil && f.Kind == "sign_in" {
		v = si.FirstFactor
	} else if su := cl.signUp(f.AttemptID); su != nil && f.Kind == "sign_up" {
		v = su.ExternalVerification
	}
	if v == nil {
		return nil
	}
	v.Status = "failed"
	v.Error = &clerkError{Code: code, Message: "OAuth sign-in failed", LongMessage: "The sign-in with the provider did not complete.", Meta: map[string]any{}}
	cl.UpdatedAt = now
	return t.saveClient(cl)
}

// withQuery adds params to a URL that may already have a query.
func withQuery(raw string, params url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vals := range params {
		q[k] = vals
	}
	u.RawQuery = q.Encode()
	return u.String()
}
