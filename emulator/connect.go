package emulator

import (
	"net/url"
	"strings"
)

// "Connect account" in <UserProfile/> (Manage account → Connected accounts), as Clerk
// serves it (clerk/openapi-specs fapi: POST /v1/me/external_accounts, postOAuthAccounts;
// DELETE /v1/me/external_accounts/{external_account_id}, deleteExternalAccount).
// @clerk/ui ConnectedAccountsMenu, with an OAuth transport, creates the account with the
// transport's redirect URL plus __clerk_modal_state, opens the verification URL through
// the transport and then reloads the user, with or without a nonce
// (components/UserProfile/oauthTransport.ts reloadUserAfterOAuthCallback). The account
// appears on the user only once the provider vouched for it; this emulator sends no
// nonce on this flow, which ClerkJS handles.

// POST /v1/me/external_accounts
func (s *Server) createExternalAccount(c *call) (any, error) {
	var out any
	err := c.mutate(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		strategy := c.param("strategy")
		if strategy == "" {
			return errParamMissing("strategy")
		}
		var v *verificationRecord
		if err := s.startOAuth(c, t, cl, "connect", u.ID, strategy, &v); err != nil {
			return err
		}
		now := c.nowMS()
		ea := object{
			"object": "external_account", "id": newID("eac"), "provider": strings.TrimPrefix(strategy, "oauth_"),
			"identification_id": "", "provider_user_id": "", "approved_scopes": "", "email_address": "",
			"first_name": "", "last_name": "", "avatar_url": "", "image_url": "", "username": "", "phone_number": "",
			"public_metadata": object{}, "label": nil, "verification": c.render(t).verification(v),
			"created_at": now, "updated_at": now,
		}
		out, err = c.envelope(t, ea, cl)
		return err
	})
	return out, err
}

// DELETE /v1/me/external_accounts/{id}
func (s *Server) deleteExternalAccount(c *call) (any, error) {
	var out any
	err := c.mutate(func(t *txn) error {
		cl, _, u, err := s.meSession(c, t)
		if err != nil {
			return err
		}
		id := c.r.PathValue("id")
		kept := u.External[:0]
		found := false
		for _, a := range u.External {
			if a.ID == id {
				found = true
				continue
			}
			kept = append(kept, a)
		}
		if !found {
			return errNotFound("External account")
		}
		u.External, u.UpdatedAt = kept, c.nowMS()
		if err := t.saveUser(u); err != nil {
			return err
		}
		if err := s.emitUserEvent(c, t, "user.updated", u); err != nil {
			return err
		}
		out, err = c.envelope(t, object{"object": "external_account", "id": id, "deleted": true}, cl)
		return err
	})
	return out, err
}

// connectFlow finishes a connect-account flow at the OAuth callback: the provider
// account is linked to the user who started it, unless another user has it already.
// It returns the URL to send the browser to.
func (s *Server) connectFlow(c *call, t *txn, f *oauthFlow) (string, error) {
	fail := func(code string) string {
		return withQuery(f.RedirectURL, url.Values{"__clerk_status": {"failed"}, "__clerk_error_code": {code}})
	}
	u, err := t.user(f.AttemptID)
	if err != nil {
		return "", err
	}
	if u == nil {
		return fail("oauth_callback_invalid"), nil
	}
	owner, err := t.userByExternal(f.Identity.Provider, f.Identity.ProviderUserID)
	if err != nil {
		return "", err
	}
	if owner != nil && owner.ID != u.ID {
		return fail("external_account_exists"), nil
	}
	if err := s.linkIdentity(c, t, u, f.Identity); err != nil {
		return "", err
	}
	return f.RedirectURL, nil
}
